"""Work orders over JSON, as a phone app, a hotline system or a staff tool uses them.

The services have their own exhaustive tests; these check what the API adds: who may call what, the shapes,
filters, paging, the reporter's key, photos in base64, idempotency and that errors are clear and change nothing.
"""

import base64
import io
import json
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from civicgrid.core.models import AuditEntry
from civicgrid.people.services import api_token_create
from civicgrid.workorders.choices import Source, Status
from civicgrid.workorders.models import OfficerPosition, WorkOrder
from tests.factories import PASSWORD
from tests.workorders.conftest import IN_A1, IN_B1

pytestmark = pytest.mark.django_db
API = "/api/v1/workorders"
DRAIN = {
    "description": "小区东门下水道堵塞，污水漫到人行道上",
    "incident_type": "0201",
    "lon": IN_A1[0],
    "lat": IN_A1[1],
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def post(client: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def as_user(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def with_token(user) -> Client:
    token, _record = api_token_create(actor=user, name="终端")
    return Client(headers={"Authorization": f"Bearer {token}"})


def jpeg() -> str:
    data = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 80, 40)).save(data, "JPEG")
    return base64.b64encode(data.getvalue()).decode()


def test_the_catalogue_is_open_to_everyone(linkage):
    types = Client().get(f"{API}/types").json()
    drain = next(t for t in types if t["code"] == "0201")
    assert drain["name"] and drain["category_name"] and drain["department_key"] == "water"


def test_a_resident_reports_with_a_photo_and_follows_it_with_the_key_only_they_hold(linkage):
    # given a resident without an account
    resident = Client()
    # when they report a blocked drain with a photo and their phone number
    made = post(resident, f"{API}/reports", {**DRAIN, "reporter_phone": "13912345678", "photos": [jpeg()]})
    # then they get a number and a key, and the order sits in grid A1 with the photo
    assert made.status_code == 201, made.content
    body = made.json()
    order = WorkOrder.objects.get(number=body["number"])
    assert body["grid"]["code"] == linkage.tree.grid_a1.code and body["status"] == Status.REPORTED
    assert order.source == Source.RESIDENT and order.attachments.count() == 1
    # the public sees the steps but not the description, photos or phone
    public = resident.get(f"{API}/track/{body['number']}").json()
    assert public["description"] is None and public["photos"] == [] and public["reporter_actions"] == []
    assert [e["action"] for e in public["events"]] == ["report"]
    assert "13912345678" not in json.dumps(public)
    # with the key they see their own words and photo, which they can open
    mine = resident.get(f"{API}/track/{body['number']}", {"key": body["tracking_key"]}).json()
    assert mine["description"] == DRAIN["description"] and len(mine["photos"]) == 1
    assert resident.get(mine["photos"][0]["url"]).status_code == 200
    # a wrong key is the same as no such order
    assert resident.get(f"{API}/track/{body['number']}", {"key": "x" * 24}).status_code == 404


def test_a_phone_retrying_a_report_with_the_same_idempotency_key_makes_one_order(linkage):
    first = post(Client(), f"{API}/reports", DRAIN, **{"Idempotency-Key": "phone-7f3a-0001"})
    again = post(Client(), f"{API}/reports", DRAIN, **{"Idempotency-Key": "phone-7f3a-0001"})
    assert first.json()["number"] == again.json()["number"]
    assert WorkOrder.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"description": ""}, 422, "问题描述"),
        ({"description": "漏" * 10_000}, 422, "2000"),
        ({"incident_type": "9999"}, 422, "9999"),
        ({"lon": 116.40, "lat": 39.90}, 422, "不在本平台管辖"),
        ({"lon": 500.0}, 422, "经纬度"),
        ({"lon": None, "lat": None}, 422, "位置"),
        ({"reporter_phone": "12345"}, 422, "手机号码"),
        ({"photos": ["not base64!"]}, 422, "base64"),
        ({"photos": [base64.b64encode(b"%PDF-1.4 not an image").decode()]}, 422, "图片"),
        ({"source": "patrol"}, 403, "工作人员"),
        ({"solved_on_spot": True}, 403, "工作人员"),
    ],
)
def test_a_bad_report_gets_a_clear_message_and_writes_nothing(linkage, change, status, words):
    answer = post(Client(), f"{API}/reports", {**DRAIN, **change})
    assert answer.status_code == status, answer.content
    assert words in answer.json()["detail"]
    assert WorkOrder.objects.count() == 0


def test_a_body_too_large_is_refused_with_the_limit_named(linkage):
    answer = post(Client(), f"{API}/reports", {**DRAIN, "photos": ["A" * 3_000_000]})
    assert answer.status_code == 413 and "2.5 MB" in answer.json()["detail"]
    assert WorkOrder.objects.count() == 0


def test_anonymous_reports_are_limited_per_client(linkage, settings):
    settings.ANONYMOUS_REPORTS_PER_HOUR = 2
    resident = Client(REMOTE_ADDR="10.1.2.3")
    assert [post(resident, f"{API}/reports", DRAIN).status_code for _ in range(3)] == [201, 201, 429]
    assert post(Client(REMOTE_ADDR="10.9.9.9"), f"{API}/reports", DRAIN).status_code == 201


def test_a_grid_worker_reports_from_the_field_with_a_token_and_records_it_solved(linkage):
    worker = with_token(linkage.tree.worker_a1)
    made = post(worker, f"{API}/reports", {**DRAIN, "incident_type": "0101", "solved_on_spot": True})
    assert made.status_code == 201, made.content
    order = WorkOrder.objects.get(number=made.json()["number"])
    assert order.status == Status.CLOSED and order.solved_on_spot and order.reporter == linkage.tree.worker_a1
    assert order.source == Source.PATROL


def test_a_token_that_does_not_authenticate_is_refused_rather_than_taken_for_a_resident(linkage):
    answer = post(Client(headers={"Authorization": "Bearer cg_stolen"}), f"{API}/reports", DRAIN)
    assert answer.status_code == 401
    assert WorkOrder.objects.count() == 0


def test_a_logged_in_browser_must_send_its_csrf_token_to_report(linkage):
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="worker_a1", password=PASSWORD)
    assert post(browser, f"{API}/reports", DRAIN).status_code == 403
    assert WorkOrder.objects.count() == 0


def test_the_closed_loop_over_the_api_from_dispatch_to_the_resident_s_rating(linkage):
    made = post(Client(), f"{API}/reports", DRAIN).json()
    number, key = made["number"], made["tracking_key"]
    operator = with_token(linkage.operator_a)
    # the operator sees it in the queue with the water department suggested
    queue = operator.get(f"{API}/queue").json()
    assert [o["number"] for o in queue["items"]] == [number]
    seen = operator.get(f"{API}/{number}").json()
    assert seen["suggestion"]["department"] == "320106-water" and "dispatch" in seen["actions"]
    # and dispatches it as suggested
    dispatched = post(operator, f"{API}/{number}/actions", {"action": "dispatch", "expected_version": seen["version"]})
    assert dispatched.status_code == 200, dispatched.content
    assert dispatched.json()["status"] == "dispatched" and dispatched.json()["department"] == "320106-water"
    # the handler finds it among their tasks, signs and gives feedback with a photo
    handler = with_token(linkage.water_handler)
    assert [o["number"] for o in handler.get(f"{API}/tasks").json()["items"]] == [number]
    assert post(handler, f"{API}/{number}/actions", {"action": "sign"}).status_code == 200
    handled = post(handler, f"{API}/{number}/actions", {"action": "handle", "note": "已疏通", "photos": [jpeg()]})
    assert handled.status_code == 200 and handled.json()["events"][-1]["photos"]
    # the resident confirms the fix and rates it with the key
    reporter = Client()
    confirmed = post(reporter, f"{API}/track/{number}/actions", {"key": key, "action": "verify_pass"})
    assert confirmed.json()["status"] == "closed" and "rate" in confirmed.json()["reporter_actions"]
    rated = post(reporter, f"{API}/track/{number}/actions", {"key": key, "action": "rate", "rating": 5})
    assert rated.json()["status"] == "rated" and rated.json()["rating"] == 5
    steps = [e["action"] for e in rated.json()["events"]]
    assert steps == ["report", "dispatch", "sign", "handle", "verify_pass", "rate"]


def test_acting_on_a_stale_version_is_a_conflict_that_changes_nothing(linkage):
    number = post(Client(), f"{API}/reports", DRAIN).json()["number"]
    operator = with_token(linkage.operator_a)
    assert post(operator, f"{API}/{number}/actions", {"action": "register", "expected_version": 1}).status_code == 200
    late = post(operator, f"{API}/{number}/actions", {"action": "dispatch", "expected_version": 1})
    assert late.status_code == 409 and "已被他人更新" in late.json()["detail"]
    assert WorkOrder.objects.get(number=number).status == Status.REGISTERED


@pytest.mark.parametrize(
    ("username", "body", "status"),
    [
        ("water_1", {"action": "dispatch"}, 403),  # a handler is no dispatcher
        ("operator_a", {"action": "sign"}, 409),  # not dispatched yet
        ("operator_a", {"action": "void"}, 422),  # a reason is needed
        ("operator_a", {"action": "fly"}, 422),  # no such action
        ("operator_a", {"action": "supervise", "note": "快办", "supervision": "green"}, 422),
        ("operator_a", {"action": "register", "days": 3}, 422),  # a parameter the action does not take
    ],
)
def test_an_action_refused_says_why_and_changes_nothing(linkage, username, body, status):
    number = post(Client(), f"{API}/reports", DRAIN).json()["number"]
    answer = post(as_user(username), f"{API}/{number}/actions", body)
    assert answer.status_code == status, answer.content
    assert answer.json()["detail"]
    order = WorkOrder.objects.get(number=number)
    assert order.status == Status.REPORTED and order.version == 1 and order.events.count() == 1


def test_a_resident_cannot_take_staff_actions_with_the_key(linkage):
    made = post(Client(), f"{API}/reports", DRAIN).json()
    body = {"key": made["tracking_key"], "action": "dispatch"}
    answer = post(Client(), f"{API}/track/{made['number']}/actions", body)
    assert answer.status_code == 403
    assert WorkOrder.objects.get(number=made["number"]).status == Status.REPORTED


def test_staff_of_another_street_neither_list_nor_open_nor_act_on_an_order(linkage):
    number = post(Client(), f"{API}/reports", DRAIN).json()["number"]
    outsider = with_token(linkage.operator_b)
    assert outsider.get(f"{API}/").json()["items"] == []
    assert outsider.get(f"{API}/queue").json()["items"] == []
    assert outsider.get(f"{API}/{number}").status_code == 404
    assert post(outsider, f"{API}/{number}/actions", {"action": "register"}).status_code == 404
    assert WorkOrder.objects.get(number=number).status == Status.REPORTED


def test_staff_lists_need_a_login(linkage):
    for path in ("/", "/queue", "/tasks", "/to-verify"):
        assert Client().get(f"{API}{path}").status_code == 401


def test_the_list_filters_and_pages_without_counting_every_row(linkage):
    for _ in range(3):
        post(Client(), f"{API}/reports", DRAIN)
    post(Client(), f"{API}/reports", {**DRAIN, "incident_type": "0301", "description": "路灯不亮"})
    post(Client(), f"{API}/reports", {**DRAIN, "lon": IN_B1[0], "lat": IN_B1[1]})
    admin = with_token(linkage.tree.admin)
    everything = admin.get(f"{API}/", {"limit": 2}).json()
    assert len(everything["items"]) == 2 and everything["next_offset"] == 2
    last = admin.get(f"{API}/", {"limit": 2, "offset": 4}).json()
    assert len(last["items"]) == 1 and last["next_offset"] is None
    assert len(admin.get(f"{API}/", {"incident_type": "0201"}).json()["items"]) == 4
    assert len(admin.get(f"{API}/", {"region": linkage.tree.street_b.code}).json()["items"]) == 1
    assert len(admin.get(f"{API}/", {"q": "路灯"}).json()["items"]) == 1
    assert len(admin.get(f"{API}/", {"open": True, "source": "resident"}).json()["items"]) == 5
    assert admin.get(f"{API}/", {"region": "999999"}).json()["items"] == []
    assert admin.get(f"{API}/", {"status": "nonsense"}).status_code == 422
    assert admin.get(f"{API}/", {"limit": 100_000}).status_code == 422
    # days no one means, which would overflow once turned into moments in UTC, are refused at the door
    assert admin.get(f"{API}/", {"reported_from": "0001-01-01"}).status_code == 422
    assert admin.get(f"{API}/", {"reported_to": "9999-12-31"}).status_code == 422
    assert len(admin.get(f"{API}/", {"reported_from": "2000-01-01", "reported_to": "2099-12-31"}).json()["items"]) == 5


def test_the_detail_masks_the_reporter_s_phone_and_lists_nearby_duplicates(linkage):
    first = post(Client(), f"{API}/reports", {**DRAIN, "reporter_phone": "13912345678"}).json()["number"]
    second = post(Client(), f"{API}/reports", DRAIN).json()["number"]
    seen = with_token(linkage.operator_a).get(f"{API}/{second}").json()
    assert [d["number"] for d in seen["duplicates"]] == [first]
    first_seen = with_token(linkage.operator_a).get(f"{API}/{first}").json()
    assert first_seen["reporter_phone"] == "139****5678"


def test_a_field_officer_reports_a_position_and_others_may_not(linkage):
    assert post(with_token(linkage.police_1), f"{API}/positions", {"lon": 118.705, "lat": 32.005}).status_code == 200
    assert OfficerPosition.objects.get(user=linkage.police_1).on_duty
    assert post(with_token(linkage.tree.admin), f"{API}/positions", {"lon": 118.7, "lat": 32.0}).status_code == 403
    assert post(with_token(linkage.police_1), f"{API}/positions", {"lon": 918.7, "lat": 32.0}).status_code == 422


def test_every_action_over_the_api_is_audited_with_its_actor(linkage):
    number = post(Client(), f"{API}/reports", DRAIN).json()["number"]
    post(with_token(linkage.operator_a), f"{API}/{number}/actions", {"action": "dispatch"})
    entry = AuditEntry.objects.filter(action="work_order.dispatch").get()
    assert entry.actor == linkage.operator_a


def test_the_work_order_endpoints_are_in_the_openapi_file(linkage):
    paths = set(Client().get("/api/v1/openapi.json").json()["paths"])
    assert {
        f"{API}/reports",
        f"{API}/track/{{number}}",
        f"{API}/track/{{number}}/actions",
        f"{API}/",
        f"{API}/{{number}}",
        f"{API}/{{number}}/actions",
        f"{API}/positions",
    } <= paths
