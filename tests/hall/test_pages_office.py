"""The back office's inbox, the grid worker's delivery tasks, the centre statistics, the hub and the centre's
devices, as their users work them; who may open what; nothing of another street."""

import base64
import io

import pytest
from django.test import Client
from openpyxl import load_workbook
from PIL import Image

from civicgrid.core.models import AuditEntry, PersonalDataAccess
from civicgrid.hall import services
from civicgrid.hall.models import Application, Delivery
from tests.factories import PASSWORD
from tests.hall.conftest import rid

pytestmark = pytest.mark.django_db
HOME = {"result_delivery": "home", "address": "宁海路 5 号 2 单元 301 室", "grid_code": "320106001003001"}


def as_user(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def forwarded(hall, **fields) -> Application:
    from civicgrid.hall.models import ServiceItem

    materials = list(ServiceItem.objects.get(code="0201").materials.values_list("code", flat=True))
    application = hall.accept("0201", materials=materials, **fields)
    return services.application_act(actor=hall.clerk_a1, number=application.number, action="forward")


def signature_url() -> str:
    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    for x in range(40, 260):
        image.putpixel((x, 60 + (x % 20) - 10), (0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


# ---------------------------------------------------------------- the back office


def test_the_back_office_inbox_lists_forwarded_work_with_deadlines_and_overdue_flags(hall, clock):
    late = forwarded(hall, id_number=rid("19700101", "456"))
    fresh = forwarded(hall, id_number=rid("19710101", "466"))
    clock.set("2026-11-02T09:00")
    services.applications_sweep()
    back = as_user("backoffice_a")
    page = back.get("/hall/applications/")
    assert page.status_code == 200
    body = page.content.decode()
    # given the back office: its tab first, both forwarded applications, the oldest deadline first, overdue flagged
    assert 'aria-current="page">后台待办' in body
    assert body.index(late.number) < body.index(fresh.number)
    assert "超期" in body and "最低生活保障申请" in body and "张**" in body and "周窗口" in body
    only_late = back.get("/hall/applications/", {"tab": "inbox", "overdue": "1"}).content.decode()
    assert late.number in only_late and only_late.count("最低生活保障申请") == 2  # both were forwarded on 09-28


def test_the_back_office_reviews_and_completes_with_delivery_home(hall):
    application = forwarded(hall, **HOME)
    back = as_user("backoffice_a")
    page = back.get(f"/hall/applications/{application.number}/").content.decode()
    assert "签收，开始审核" in page
    back.post(f"/hall/applications/{application.number}/act/", {"action": "start_review"})
    page = back.get(f"/hall/applications/{application.number}/").content.decode()
    assert "审核办结" in page and "网格员送达上门" in page
    # a rejection needs its reason
    refused = back.post(f"/hall/applications/{application.number}/act/", {"action": "reject"}, follow=True)
    assert "请填写说明" in refused.content.decode()
    assert Application.objects.get().status == "in_review"
    back.post(
        f"/hall/applications/{application.number}/act/",
        {"action": "complete", "note": "符合条件，准予低保", "result_delivery": "home"},
    )
    application.refresh_from_db()
    assert application.status == "completed" and application.delivery.assignee == hall.tree.worker_a1


def test_the_back_office_switches_a_result_to_pick_up_and_cannot_choose_home_without_an_address(hall):
    application = forwarded(hall)
    back = as_user("backoffice_a")
    back.post(f"/hall/applications/{application.number}/act/", {"action": "start_review"})
    page = back.get(f"/hall/applications/{application.number}/").content.decode()
    assert "未登记地址和网格" in page  # home delivery offered only with an address and a grid
    answer = back.post(
        f"/hall/applications/{application.number}/act/", {"action": "complete", "result_delivery": "home"}, follow=True
    )
    assert "没有登记送达地址和所在网格" in answer.content.decode()
    assert Application.objects.get().status == "in_review"
    home = forwarded(hall, id_number=rid("19720101", "476"), **HOME)
    back.post(f"/hall/applications/{home.number}/act/", {"action": "start_review"})
    back.post(f"/hall/applications/{home.number}/act/", {"action": "complete", "result_delivery": "pick_up"})
    home.refresh_from_db()
    assert home.result_delivery == "pick_up" and not Delivery.objects.exists()
    # the result now waits at the counter, in the clerks' own work
    assert home.number[-13:] in as_user("clerk_a1").get("/hall/counter/").content.decode()


# ---------------------------------------------------------------- deliveries


def completed_home(hall) -> Application:
    application = forwarded(hall, **HOME)
    for action in ("start_review", "complete"):
        services.application_act(actor=hall.back_office_a, number=application.number, action=action)
    return Application.objects.get(pk=application.pk)


def test_the_grid_worker_delivers_with_the_residents_signature(hall):
    application = completed_home(hall)
    delivery = application.delivery
    worker = as_user("worker_a1")
    tasks = worker.get("/hall/deliveries/").content.decode()
    assert "最低生活保障申请" in tasks and "仙霞路第一网格" in tasks and "张**" in tasks
    page = worker.get(f"/hall/deliveries/{delivery.pk}/").content.decode()
    assert "确认已送达" in page and "signature-pad" in page and "宁海路 5 号" not in page
    # the address comes on request, logged
    shown = worker.post(f"/hall/deliveries/{delivery.pk}/reveal/").content.decode()
    assert "宁海路 5 号 2 单元 301 室" in shown and "13912345678" in shown
    assert PersonalDataAccess.objects.get().actor == hall.tree.worker_a1
    # a failed visit first, then the signature
    worker.post(f"/hall/deliveries/{delivery.pk}/attempt/", {"note": "家中无人，约明天上午"})
    no_signature = worker.post(f"/hall/deliveries/{delivery.pk}/deliver/", {"proof_kind": "signature"})
    assert no_signature.status_code == 422 and "请让居民在签名框内签名" in no_signature.content.decode()
    done = worker.post(
        f"/hall/deliveries/{delivery.pk}/deliver/",
        {"proof_kind": "signature", "signature": signature_url(), "note": "本人签收"},
    )
    assert done.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 1 and delivery.proof_kind == "signature"
    assert Application.objects.get().status == "delivered"
    assert "没有待送达的任务" in worker.get("/hall/deliveries/").content.decode()


def test_a_delivery_with_a_photo_and_a_bad_file_refused(hall):
    from django.core.files.uploadedfile import SimpleUploadedFile

    delivery = completed_home(hall).delivery
    worker = as_user("worker_a1")
    bad = worker.post(
        f"/hall/deliveries/{delivery.pk}/deliver/",
        {"proof_kind": "photo", "photo": SimpleUploadedFile("x.jpg", b"not an image", "image/jpeg")},
    )
    assert bad.status_code == 422 and "不是可识别的图片" in bad.content.decode()
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 160)).save(out, "JPEG")
    good = worker.post(
        f"/hall/deliveries/{delivery.pk}/deliver/",
        {"proof_kind": "photo", "photo": SimpleUploadedFile("door.jpg", out.getvalue(), "image/jpeg")},
    )
    assert good.status_code == 302 and Delivery.objects.get().proof_kind == "photo"


def test_other_grid_workers_and_streets_see_no_delivery(hall):
    delivery = completed_home(hall).delivery
    for username in ("worker_b1", "clerk_b"):
        client = as_user(username)
        assert client.get(f"/hall/deliveries/{delivery.pk}/").status_code == 404
        assert "最低生活保障申请" not in client.get("/hall/deliveries/?tab=all").content.decode()
        assert client.post(f"/hall/deliveries/{delivery.pk}/reveal/").status_code == 404
    assert not PersonalDataAccess.objects.exists()
    # the manager reassigns it to the partner grid's worker
    manager = as_user("manager_a")
    assert "改派网格员" in manager.get(f"/hall/deliveries/{delivery.pk}/").content.decode()
    manager.post(f"/hall/deliveries/{delivery.pk}/assign/", {"username": "worker_a2"})
    assert Delivery.objects.get().assignee == hall.tree.worker_a2


# ---------------------------------------------------------------- statistics


def a_morning(hall, clock):
    hall.sign_in()
    ticket = hall.ticket("A")
    clock.set("2026-09-28T09:10")
    services.call_next(actor=hall.clerk_a1, counter_id=hall.counter_a1.pk)
    application = hall.accept("0101", ticket_id=ticket.pk)
    services.application_act(actor=hall.clerk_a1, number=application.number, action="complete_on_spot")
    clock.set("2026-09-28T09:16")
    services.ticket_act(actor=hall.clerk_a1, ticket_id=ticket.pk, action="finish")
    services.rating_submit(pad_key=hall.counter_a1.pad_key, ticket_id=ticket.pk, score=5)


def test_the_manager_reads_the_statistics_by_counter_with_charts_and_the_monthly_scores(hall, clock):
    a_morning(hall, clock)
    page = as_user("manager_a").get("/hall/statistics/", {"start": "2026-09-01", "end": "2026-09-30"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "1号窗口" in body and "平均等候(分)" in body and "满意率" in body and "最多跑一次率" in body
    assert "100.0%" in body  # satisfaction: one rating of 5
    assert 'id="hall-chart-volume"' in body and "hall-chart-data" in body and "echarts.min.js" in body
    assert "窗口人员月度考核" in body and "周窗口" in body and "导出 Excel" in body
    assert "湖南路" not in body
    by_clerk = as_user("manager_a").get(
        "/hall/statistics/",
        {"start": "2026-09-01", "end": "2026-09-30", "by": "clerk"},
        headers={"HX-Request": "true", "HX-Target": "hall-stats-table"},
    )
    text = by_clerk.content.decode()
    assert text.lstrip().startswith('<section id="hall-stats-table"') and "周窗口" in text and "<html" not in text


def test_the_scores_export_downloads_a_workbook_and_is_audited(hall, clock):
    a_morning(hall, clock)
    month = {"centre": hall.centre_a.code, "month": "2026-09"}
    answer = as_user("manager_a").get("/hall/statistics/scores.xlsx", month)
    assert answer.status_code == 200 and answer["Content-Disposition"].endswith('-window-scores.xlsx"')
    book = load_workbook(io.BytesIO(answer.content))
    assert any("周窗口" in str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row)
    assert AuditEntry.objects.filter(action="hall.scores.export").count() == 1
    wrong = as_user("manager_a").get("/hall/statistics/scores.xlsx", {"centre": hall.centre_a.code, "month": "2026-13"})
    assert wrong.status_code == 302


def test_statistics_are_for_managers_street_and_district_only(hall, tree):
    assert as_user("clerk_a1").get("/hall/statistics/").status_code == 403
    assert as_user("officer_a").get("/hall/statistics/").status_code == 200
    district = as_user("admin").get("/hall/statistics/", {"by": "centre"}).content.decode()
    assert "宁海路街道社区事务受理服务中心" in district and "湖南路街道社区事务受理服务中心" in district
    bad = as_user("manager_a").get("/hall/statistics/", {"start": "2026-09-30", "end": "2026-09-01"})
    assert bad.status_code == 200 and "结束日期不能早于开始日期" in bad.content.decode()
    other = as_user("manager_b").get("/hall/statistics/", {"centre": hall.centre_a.code}).content.decode()
    assert "没有找到该服务中心" in other and "周窗口" not in other


# ---------------------------------------------------------------- the hub, the centre's devices, navigation


def test_the_hub_shows_the_centres_and_the_pages_each_post_opens(hall):
    clerk = as_user("clerk_a1").get("/hall/").content.decode()
    assert "窗口工作台" in clerk and "宁海路街道社区事务受理服务中心" in clerk and "湖南路" not in clerk
    assert "服务中心统计" not in clerk
    manager = as_user("manager_a").get("/hall/").content.decode()
    assert "服务中心统计" in manager and "窗口与设备管理" in manager
    assert Client().get("/hall/").url == "/hall/book/"
    home = as_user("clerk_a1").get("/").content.decode()
    assert 'href="/hall/counter/"' in home and ">一窗通办</a>" in home
    worker = as_user("worker_a1").get("/").content.decode()
    assert 'href="/hall/deliveries/"' in worker and "送达任务" in worker
    anonymous = Client().get("/accounts/login/").content.decode()
    assert 'href="/hall/book/"' in anonymous and 'href="/hall/track/"' in anonymous


def test_the_manager_signs_a_clerk_out_and_makes_a_new_pad_address(hall):
    hall.sign_in()
    manager = as_user("manager_a")
    page = manager.get(f"/hall/centres/{hall.centre_a.code}/").content.decode()
    assert "周窗口" in page and f"/hall/kiosk/{hall.centre_a.code}/" in page and hall.counter_a1.pad_key not in page
    manager.post(f"/hall/centres/{hall.centre_a.code}/counters/{hall.counter_a1.pk}/sign-out/")
    hall.counter_a1.refresh_from_db()
    assert hall.counter_a1.clerk is None
    old_key = hall.counter_a1.pad_key
    made = manager.post(f"/hall/centres/{hall.centre_a.code}/counters/{hall.counter_a1.pk}/pad-key/")
    hall.counter_a1.refresh_from_db()
    assert hall.counter_a1.pad_key != old_key and f"/hall/pad/{hall.counter_a1.pad_key}/" in made.content.decode()
    assert Client().get(f"/hall/pad/{old_key}/").status_code == 404
    # a clerk sees the counters but may not change the pads or sign others out
    clerk = as_user("clerk_a2")
    assert "生成评价器地址" not in clerk.get(f"/hall/centres/{hall.centre_a.code}/").content.decode()
    clerk.post(f"/hall/centres/{hall.centre_a.code}/counters/{hall.counter_a2.pk}/pad-key/")
    assert as_user("clerk_b").get(f"/hall/centres/{hall.centre_a.code}/").status_code == 404
