"""The work-order pages as residents and staff use them: report, track, queue, detail and actions, inbox, calendar."""

import io

import pytest
from django.test import Client
from PIL import Image

from civicgrid.core.models import AuditEntry, CalendarDay, Notification
from civicgrid.workorders import services
from civicgrid.workorders.choices import Action, Source, Status
from civicgrid.workorders.models import WorkOrder
from tests.factories import PASSWORD
from tests.workorders.conftest import IN_A1

pytestmark = pytest.mark.django_db


def logged_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def jpeg() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 40)).save(data, "JPEG")
    data.seek(0)
    data.name = "drain.jpg"
    return data


def resident_report(client: Client, **fields) -> object:
    form = {
        "incident_type": "0201",
        "description": "小区东门下水道堵塞，污水漫到路上",
        "lon": IN_A1[0],
        "lat": IN_A1[1],
        "reporter_phone": "13912345678",
        "idempotency_key": "k-1",
    }
    form.update(fields)
    return client.post("/workorders/report/", form, REMOTE_ADDR="10.0.0.1")


def test_a_resident_reports_with_a_photo_and_follows_the_tracking_link(linkage):
    client = Client()
    page = client.get("/workorders/report/")
    assert page.status_code == 200 and "我要上报" in page.content.decode()
    response = resident_report(client, photos=[jpeg()])
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert response["Location"] == f"/workorders/track/{order.number}/?key={order.tracking_key}"
    assert order.source == Source.RESIDENT and order.attachments.count() == 1
    tracking = client.get(response["Location"]).content.decode()
    assert order.number in tracking and "下水道" in tracking
    # the public page (no key) shows the progress, never the phone or the description
    public = Client().get(f"/workorders/track/{order.number}/").content.decode()
    assert (
        "已上报" in public
        and "13912345678" not in public
        and "139****5678" not in public
        and "污水漫到路上" not in public
    )


def test_a_retried_report_with_the_same_key_makes_one_work_order(linkage):
    client = Client()
    resident_report(client)
    resident_report(client)
    assert WorkOrder.objects.count() == 1


def test_bad_reports_are_explained_and_change_nothing(linkage):
    client = Client()
    cases = [
        ({"description": ""}, "请填写问题描述"),
        ({"description": "很" * 10_000}, "不能超过 2000 个字"),
        ({"lon": 100.0, "lat": 30.0}, "不在本平台管辖的任何网格内"),
        ({"incident_type": "7777"}, "事件类型 7777 不存在"),
        ({"photos": [io.BytesIO(b"not an image at all")]}, "不是可识别的图片"),
        ({"reporter_phone": "12345"}, "手机号码格式不正确"),
    ]
    for fields, message in cases:
        response = resident_report(client, idempotency_key="", **fields)
        assert response.status_code == 422, fields
        assert message in response.content.decode(), message
    assert not WorkOrder.objects.exists() and not AuditEntry.objects.filter(action="work_order.report").exists()


def test_the_operator_dispatches_from_the_queue_in_one_click_and_the_handler_is_told(linkage):
    order = services.report(
        actor=None,
        description="下水道堵了",
        source=Source.RESIDENT,
        lon=IN_A1[0],
        lat=IN_A1[1],
        incident_type_code="0201",
    )
    operator = logged_in("operator_a")
    queue = operator.get("/workorders/?tab=queue").content.decode()
    assert order.number in queue and "水务局" in queue
    response = operator.post(
        f"/workorders/{order.number}/act/", {"action": "dispatch", "expected_version": order.version, "next": "list"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.department == linkage.water
    assert Notification.objects.filter(recipient=linkage.water_handler, channel="inbox").exists()
    handler = logged_in("water_1")
    assert order.number in handler.get("/workorders/?tab=tasks").content.decode()
    assert "新工单待签收" in handler.get("/inbox/").content.decode()


def test_a_handler_gives_feedback_with_a_photo_and_the_reporter_confirms_and_rates(linkage):
    order = services.report(
        actor=None,
        description="下水道堵了",
        source=Source.RESIDENT,
        lon=IN_A1[0],
        lat=IN_A1[1],
        incident_type_code="0201",
    )
    services.act(actor=linkage.operator_a, work_order_id=order.pk, action=Action.DISPATCH)
    handler = logged_in("water_1")
    detail = handler.get(f"/workorders/{order.number}/").content.decode()
    assert "签收" in detail
    handler.post(f"/workorders/{order.number}/act/", {"action": "sign"})
    handler.post(f"/workorders/{order.number}/act/", {"action": "handle", "note": "已疏通管道", "photos": [jpeg()]})
    order.refresh_from_db()
    assert order.status == Status.HANDLED
    assert order.events.get(action=Action.HANDLE).attachments.count() == 1
    track = f"/workorders/track/{order.number}/"
    client = Client()
    client.post(track, {"key": order.tracking_key, "action": "verify_pass"})
    client.post(track, {"key": order.tracking_key, "action": "rate", "rating": "5", "comment": "很快"})
    order.refresh_from_db()
    assert order.status == Status.RATED and order.rating == 5
    # without the key nobody can rate
    other = services.report(actor=None, description="又堵了", source=Source.RESIDENT, lon=IN_A1[0], lat=IN_A1[1])
    Client().post(f"/workorders/track/{other.number}/", {"key": "wrong", "action": "rate", "rating": "1"})
    other.refresh_from_db()
    assert other.rating is None


def test_a_stale_page_gets_a_clear_conflict_and_nothing_changes(linkage):
    order = services.report(
        actor=None,
        description="下水道堵了",
        source=Source.RESIDENT,
        lon=IN_A1[0],
        lat=IN_A1[1],
        incident_type_code="0201",
    )
    services.act(actor=linkage.operator_a, work_order_id=order.pk, action=Action.REGISTER)
    response = logged_in("operator_a").post(
        f"/workorders/{order.number}/act/", {"action": "dispatch", "expected_version": order.version}, follow=True
    )
    assert "已被他人更新" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.REGISTERED


def test_street_b_staff_see_nothing_of_street_a(linkage):
    order = services.report(
        actor=None,
        description="下水道堵了",
        source=Source.RESIDENT,
        lon=IN_A1[0],
        lat=IN_A1[1],
        incident_type_code="0201",
    )
    outsider = logged_in("operator_b")
    assert order.number not in outsider.get("/workorders/?tab=all").content.decode()
    assert outsider.get(f"/workorders/{order.number}/").status_code == 404
    assert outsider.post(f"/workorders/{order.number}/act/", {"action": "dispatch"}).status_code == 404
    photo_order = services.report(
        actor=None, description="照片", source=Source.RESIDENT, lon=IN_A1[0], lat=IN_A1[1], photos=[jpeg().read()]
    )
    attachment = photo_order.attachments.get()
    assert outsider.get(f"/workorders/photos/{attachment.pk}/").status_code == 404
    assert Client().get(f"/workorders/photos/{attachment.pk}/").status_code == 404
    assert logged_in("operator_a").get(f"/workorders/photos/{attachment.pk}/").status_code == 200


def test_an_administrator_marks_a_holiday_on_the_calendar_page(linkage):
    admin = logged_in("admin")
    page = admin.get("/calendar/2026/").content.decode()
    assert "国庆节" in page
    admin.post("/calendar/2026/", {"date": "2026-11-25", "is_working_day": "0", "name": "地方假日"})
    day = CalendarDay.objects.get(date="2026-11-25")
    assert not day.is_working_day and day.name == "地方假日"
    assert AuditEntry.objects.filter(action="calendar.set_day").exists()
    # a street officer may look but not change
    assert (
        logged_in("officer_a").post("/calendar/2026/", {"date": "2026-11-26", "is_working_day": "0"}).status_code == 403
    )
    admin.post("/calendar/2031/", {"do": "create_year"})
    assert CalendarDay.objects.filter(date__year=2031).count() == 365


def test_a_field_officer_reports_their_position_from_the_tasks_page(linkage):
    officer = logged_in("police_1")
    assert "我在岗" in officer.get("/workorders/?tab=tasks").content.decode()
    officer.post("/workorders/position/", {"lon": IN_A1[0], "lat": IN_A1[1], "on_duty": "1"})
    position = linkage.police_1.position
    assert position.on_duty and abs(position.lon - IN_A1[0]) < 1e-9
    # a parked car near that point goes to this officer, the nearest on duty
    order = services.report(
        actor=None,
        description="车辆堵住小区大门",
        source=Source.RESIDENT,
        lon=IN_A1[0],
        lat=IN_A1[1],
        incident_type_code="0401",
    )
    services.auto_dispatch(work_order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.assignee == linkage.police_1


def test_an_administrator_adjusts_the_responsibility_list_in_the_admin(linkage):
    from civicgrid.people.models import User
    from civicgrid.workorders.models import IncidentType

    User.objects.filter(username="admin").update(is_staff=True, is_superuser=True)
    kind = IncidentType.objects.get(code="0201")
    admin = logged_in("admin")
    page = admin.get(f"/admin/workorders/incidenttype/{kind.pk}/change/")
    assert page.status_code == 200
    form = {name: getattr(kind, name) for name in services.RESPONSIBILITY_FIELDS}
    form.update({"sign_hours": "1.5", "keywords": '["堵塞"]', "field_dispatch": "on", "is_active": "on"})
    form = {k: v for k, v in form.items() if v is not False}
    admin.post(f"/admin/workorders/incidenttype/{kind.pk}/change/", form)
    kind.refresh_from_db()
    assert str(kind.sign_hours) == "1.5"
    row = AuditEntry.objects.get(action="incident_type.update")
    assert row.after["sign_hours"] == "1.5" and row.before["sign_hours"] == "2.0"
