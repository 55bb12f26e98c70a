"""The command map's data: markers, grid colours, officers, the popup and one-click dispatch; what may not leak."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.workorders import services
from civicgrid.workorders.choices import Action, Source, Status
from civicgrid.workorders.models import OfficerPosition, WorkOrder
from tests.command.conftest import logged_in
from tests.workorders.conftest import IN_A1, IN_B1

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
NAME = "张阿姨"


def report(point=IN_A1, code="0201", **fields) -> WorkOrder:
    return services.report(
        actor=None,
        source=Source.RESIDENT,
        lon=point[0],
        lat=point[1],
        incident_type_code=code,
        description=fields.pop("description", "小区东门下水道堵塞，污水漫到路上"),
        reporter_name=NAME,
        reporter_phone=PHONE,
        address=fields.pop("address", "宁海路12号"),
        **fields,
    )


def live(client, **params):
    response = client.get("/command/map/live.json", params)
    assert response.status_code == 200
    return response.json()


def test_the_operator_sees_a_new_report_as_a_marker_waiting_in_their_queue(linkage):
    # given a resident's report of a blocked drain in 仙霞路第一网格 (street A)
    order = report()
    # when the street's operator's map refreshes
    data = live(logged_in("operator_a"))
    # then the order is a marker at its point, waiting in the operator's queue, with its deadline
    [feature] = data["orders"]["features"]
    assert feature["geometry"]["coordinates"] == [IN_A1[0], IN_A1[1]]
    props = feature["properties"]
    assert props["number"] == order.number
    assert (props["status"], props["statusLabel"], props["queued"]) == ("reported", "已上报", True)
    assert props["kind"] == "下水道堵塞" and props["place"] == "宁海路12号"
    assert props["dueLabel"] == "派遣时限" and props["dueAt"]
    assert props["age"] == "刚刚"
    # its grid is coloured by one open order, and the situation counts it as waiting
    assert data["grids"] == {linkage.tree.grid_a1.code: 1}
    assert data["situation"]["open"] == 1 and data["situation"]["waiting"] == 1
    assert (data["shown"], data["total"]) == (1, 1)


def test_the_map_data_never_carries_the_reporters_name_phone_or_tracking_key(linkage):
    order = report()
    for username in ("operator_a", "admin", "officer_a"):
        client = logged_in(username)
        body = client.get("/command/map/live.json").content.decode()
        popup = client.get(f"/command/map/orders/{order.number}/").content.decode()
        for text in (body, popup):
            assert PHONE not in text and PHONE[-4:] not in text and NAME not in text
            assert order.tracking_key not in text


def test_filters_narrow_the_markers_and_the_grid_colours_follow_all_but_the_status(linkage, clock):
    drain = report()
    report(code="0901", description="店招广告牌松动，快掉下来了", point=IN_A1)
    services.act(actor=linkage.operator_a, work_order_id=drain.pk, action=Action.DISPATCH)
    client = logged_in("operator_a")
    waiting = live(client, status="waiting")
    assert [f["properties"]["kind"] for f in waiting["orders"]["features"]] == ["户外广告破损违规"]
    handling = live(client, status="handling", type="0201")
    assert [f["properties"]["number"] for f in handling["orders"]["features"]] == [drain.number]
    assert handling["grids"] == {linkage.tree.grid_a1.code: 1}  # the open drain only: the type narrows, not the status
    assert live(client, source="hotline")["orders"]["features"] == []
    assert live(client, flag="overdue")["orders"]["features"] == []
    WorkOrder.objects.filter(pk=drain.pk).update(is_overdue=True, supervision="red")
    assert [f["properties"]["number"] for f in live(client, flag="red")["orders"]["features"]] == [drain.number]
    clock.at += timedelta(days=3)
    client = logged_in("operator_a")  # the session of three days ago has expired
    assert live(client, since="1")["orders"]["features"] == []
    assert len(live(client, since="7")["orders"]["features"]) == 2
    # a hand-made address with nonsense keeps the rest and shows the defaults, never a 500
    assert live(client, status="nonsense", since="x")["total"] == 2


def test_officers_on_duty_with_a_fresh_position_in_the_area_are_shown_by_name_and_department(linkage, clock):
    now = timezone.now()
    OfficerPosition.objects.create(user=linkage.police_1, lon=IN_A1[0], lat=IN_A1[1], on_duty=True, reported_at=now)
    # gone quiet 40 minutes ago, off duty, or in the other street: not on this map
    OfficerPosition.objects.create(
        user=linkage.police_2, lon=IN_A1[0], lat=IN_A1[1], on_duty=True, reported_at=now - timedelta(minutes=40)
    )
    OfficerPosition.objects.create(
        user=linkage.water_handler, lon=IN_A1[0], lat=IN_A1[1], on_duty=False, reported_at=now
    )
    OfficerPosition.objects.create(user=linkage.cm_handler, lon=IN_B1[0], lat=IN_B1[1], on_duty=True, reported_at=now)
    data = live(logged_in("operator_a"))
    assert [f["properties"]["label"] for f in data["officers"]["features"]] == ["公安 · 交警甲"]
    assert data["situation"]["officers"] == 1
    assert "139" not in json.dumps(data["officers"])  # staff phones stay out too
    # the other street's operator sees the city-management officer standing in their street
    other = live(logged_in("operator_b"))
    assert [f["properties"]["label"] for f in other["officers"]["features"]] == ["城管 · 城管甲"]


def test_the_popup_offers_one_click_dispatch_to_the_suggested_department(linkage):
    order = report()
    popup = logged_in("operator_a").get(f"/command/map/orders/{order.number}/")
    assert popup.status_code == 200
    html = popup.content.decode()
    assert "建议承办" in html and "水务局" in html
    assert f'action="/command/map/orders/{order.number}/dispatch/"' in html
    assert f'name="expected_version" value="{order.version}"' in html
    assert 'name="department_code" value="320106-water"' in html


def test_the_popup_offers_no_dispatch_to_whom_it_does_not_wait_for(linkage):
    order = report()
    # the street officer may see it and supervise it, but the district operator's queue is the district's
    html = logged_in("district_operator").get(f"/command/map/orders/{order.number}/").content.decode()
    assert order.number in html and "cmd-dispatch" not in html
    unclassified = services.report(actor=None, source=Source.RESIDENT, lon=IN_A1[0], lat=IN_A1[1], description="有问题")
    html = logged_in("operator_a").get(f"/command/map/orders/{unclassified.number}/").content.decode()
    assert "分类后派遣" in html and "cmd-dispatch" not in html


def test_dispatch_from_the_popup_dispatches_and_answers_json(linkage):
    order = report()
    client = logged_in("operator_a")
    response = client.post(
        f"/command/map/orders/{order.number}/dispatch/",
        {"expected_version": order.version, "department_code": "320106-water", "assignee": ""},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True and "水务局" in response.json()["message"]
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.department == linkage.water
    assert order.events.filter(action=Action.DISPATCH, actor=linkage.operator_a).exists()
    # and the marker now says so
    [feature] = live(client)["orders"]["features"]
    assert (feature["properties"]["status"], feature["properties"]["queued"]) == ("dispatched", False)


def test_a_second_click_on_a_stale_popup_gets_a_clear_conflict_and_changes_nothing(linkage):
    order = report()
    client = logged_in("operator_a")
    stale = order.version
    services.act(actor=linkage.operator_a, work_order_id=order.pk, action=Action.DISPATCH)
    order.refresh_from_db()
    before = (order.status, order.version, order.events.count())
    response = client.post(
        f"/command/map/orders/{order.number}/dispatch/",
        {"expected_version": stale, "department_code": "320106-water"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    assert "已被他人更新" in response.json()["message"]
    order.refresh_from_db()
    assert (order.status, order.version, order.events.count()) == before


def test_dispatch_without_a_version_or_by_someone_who_may_not_is_refused(linkage):
    order = report()
    no_version = logged_in("operator_a").post(
        f"/command/map/orders/{order.number}/dispatch/", {}, headers={"Accept": "application/json"}
    )
    assert no_version.status_code == 422 and "刷新" in no_version.json()["message"]
    officer = logged_in("district_operator").post(
        f"/command/map/orders/{order.number}/dispatch/",
        {"expected_version": order.version},
        headers={"Accept": "application/json"},
    )
    assert officer.status_code == 403
    # without script, the form posts and the map comes back with the message
    plain = logged_in("operator_a").post(
        f"/command/map/orders/{order.number}/dispatch/", {"expected_version": 99, "filters": "status=waiting"}
    )
    assert plain.status_code == 302 and plain["Location"] == "/command/map/?status=waiting"
    order.refresh_from_db()
    assert order.status == Status.REPORTED


def test_a_street_b_officer_gets_nothing_of_street_a_from_the_map(linkage):
    order = report()
    for username in ("officer_b", "operator_b"):
        client = logged_in(username)
        data = live(client)
        assert data["orders"]["features"] == [] and data["grids"] == {} and data["situation"]["open"] == 0
        assert client.get("/command/map/live.json", {"region": linkage.tree.street_a.code}).status_code == 404
        assert client.get("/command/map/", {"region": linkage.tree.street_a.code}).status_code == 404
        assert client.get(f"/command/map/orders/{order.number}/").status_code == 404
        refused = client.post(
            f"/command/map/orders/{order.number}/dispatch/",
            {"expected_version": order.version},
            headers={"Accept": "application/json"},
        )
        assert refused.status_code == 404
        page = client.get("/command/map/").content.decode()
        assert "宁海路" not in page and "仙霞路" not in page
    order.refresh_from_db()
    assert order.status == Status.REPORTED


def test_the_map_page_starts_at_the_users_region_with_its_grids_and_legend(linkage):
    page = logged_in("operator_a").get("/command/map/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "指挥地图 · 宁海路街道" in html
    config = page.context["map_config"]
    assert config["gridsUrl"] == f"/regions/{linkage.tree.street_a.code}/grids.geojson"
    assert config["refreshSeconds"] == 15
    assert "网格未办结工单" in html and "红牌督办" in html
    # a district operator may narrow the map to a street
    district = logged_in("district_operator").get("/command/map/", {"region": linkage.tree.street_b.code})
    assert district.status_code == 200 and "湖南路街道" in district.content.decode()


def test_odd_numbers_and_handlers_are_refused_before_they_reach_the_database(linkage):
    order = report()
    client = logged_in("operator_a")
    assert client.get("/command/map/orders/320106%00/").status_code == 400
    response = client.post(
        f"/command/map/orders/{order.number}/dispatch/",
        {"expected_version": order.version, "department_code": "water\x00"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422 and "刷新" in response.json()["message"]
    order.refresh_from_db()
    assert order.status == Status.REPORTED
    assert client.get("/command/map/live.json", {"type": "0201\x00", "region": "3201\x00"}).status_code == 400
    assert client.get("/command/figures/", {"department": "x\x00"}).status_code == 400
