"""The service centre over JSON, as the kiosk, the board, the pad, a resident's phone and the staff's screens use it.

The services have their own exhaustive tests; these check what the API adds: who may call what, the shapes, masking,
rate limits, status codes of errors, and that an error changes nothing.
"""

import base64
import io
import json
from datetime import date, time
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from civicgrid.core.models import AuditEntry, PersonalDataAccess
from civicgrid.hall import services
from civicgrid.hall.models import Application, Rating, ServiceItem, Ticket
from civicgrid.people.services import api_token_create
from tests.factories import PASSWORD
from tests.hall.conftest import ELDER_ID, RESIDENT, rid

pytestmark = pytest.mark.django_db
API = "/api/v1/hall"


def post(client: Client, url: str, body: dict[str, Any] | None = None, method: str = "post") -> Any:
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def as_user(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def all_codes(item: str) -> list[str]:
    return list(ServiceItem.objects.get(code=item).materials.values_list("code", flat=True))


# ---------------------------------------------------------------- kiosk, board, catalogue (public)


def test_the_catalogue_and_the_centres_are_open_to_everyone(hall):
    categories = Client().get(f"{API}/public/catalogue").json()
    assert len(categories) == 6 and sum(len(c["items"]) for c in categories) == 66
    low_income = next(i for c in categories for i in c["items"] if i["code"] == "0201")
    assert low_income["mode"] == "forwarded" and low_income["time_limit_days"] == 20
    assert all(m["source_note"] for m in low_income["materials"])
    centres = Client().get(f"{API}/public/centres").json()
    assert {c["code"] for c in centres} == {hall.centre_a.code, hall.centre_b.code}
    kiosk = Client().get(f"{API}/public/centres/{hall.centre_a.code}").json()
    assert kiosk["open_now"] and [q["group"]["code"] for q in kiosk["queues"]] == ["A", "B", "C", "D", "E"]
    assert Client().get(f"{API}/public/centres/000000000").status_code == 404


def test_a_resident_takes_a_ticket_at_the_kiosk_and_the_board_shows_the_call_without_personal_data(hall):
    kiosk = Client()
    hall.ticket("C")
    made = post(
        kiosk,
        f"{API}/public/centres/{hall.centre_a.code}/tickets",
        {"group": "C", "id_number": ELDER_ID, "resident_name": "王桂英"},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    # 86 years old: a priority ticket, called before the resident who came earlier
    assert body["code"] == "C002" and body["priority"] and body["waiting_ahead"] == 0 and body["expected_minutes"] == 0
    normal = post(kiosk, f"{API}/public/centres/{hall.centre_a.code}/tickets", {"group": "C"}).json()
    assert normal["waiting_ahead"] == 2 and normal["expected_minutes"] == 16  # two ahead, 8 minutes each, 1 counter
    hall.sign_in()
    services.call_next(actor=hall.clerk_a1, counter_id=hall.counter_a1.pk)  # the elderly priority ticket first
    board = Client().get(f"{API}/public/centres/{hall.centre_a.code}/board")
    text = board.content.decode()
    assert board.status_code == 200
    assert board.json()["calls"][0] == {**board.json()["calls"][0], "code": "C002", "public_name": "王**"}
    assert "王桂英" not in text and ELDER_ID not in text


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"group": "Q"}, 422, "没有“Q”业务分组"),
        ({"group": "A", "id_number": "320106198001011234"}, 422, "校验位"),
        ({"group": "A", "priority_reason": "vip"}, 422, "请求参数有误"),
        ({"group": "A", "source": "desk"}, 403, "窗口人员"),
    ],
)
def test_bad_kiosk_requests_get_a_clear_message_and_no_ticket(hall, body, status, message):
    answer = post(Client(), f"{API}/public/centres/{hall.centre_a.code}/tickets", body)
    assert answer.status_code == status and message in answer.json()["detail"], answer.content
    assert not Ticket.objects.exists()


def test_the_kiosk_is_rate_limited_per_client_but_not_with_a_staff_token(hall, settings):
    settings.HALL_RATE_LIMITS = {"ticket": 3}
    kiosk = Client()
    url = f"{API}/public/centres/{hall.centre_a.code}/tickets"
    assert [post(kiosk, url, {"group": "A"}).status_code for _ in range(4)] == [201, 201, 201, 429]
    assert "频繁" in post(kiosk, url, {"group": "A"}).json()["detail"]
    token, _record = api_token_create(actor=hall.clerk_a1, name="取号机")
    device = Client(headers={"Authorization": f"Bearer {token}"})
    assert [post(device, url, {"group": "A"}).status_code for _ in range(5)] == [201] * 5
    wrong_token = Client(headers={"Authorization": "Bearer cg_wrong"})
    assert post(wrong_token, url, {"group": "A"}).status_code == 401
    assert Ticket.objects.count() == 8


def test_outside_opening_hours_the_kiosk_says_when_the_centre_opens(hall, clock):
    clock.set("2026-09-28T19:30")
    answer = post(Client(), f"{API}/public/centres/{hall.centre_a.code}/tickets", {"group": "A"})
    assert answer.status_code == 422 and "08:30-12:00" in answer.json()["detail"]


# ---------------------------------------------------------------- booking and check-in (public)


def test_a_resident_books_online_checks_in_at_the_kiosk_and_may_cancel_another_booking(hall):
    resident = Client()
    slots = resident.get(f"{API}/public/centres/{hall.centre_a.code}/slots", {"item": "0101", "day": "2026-09-29"})
    assert slots.status_code == 200 and slots.json()[0] == {
        "start": "08:30:00",
        "end": "09:00:00",
        "extended": False,
        "capacity": 4,
        "free": 4,
    }
    body = {
        "item": "0101",
        "day": "2026-09-28",
        "slot": "10:00",
        "resident_name": "刘预约",
        "id_number": rid("19850101", "001"),
        "phone": "13900000001",
    }
    booked = post(resident, f"{API}/public/centres/{hall.centre_a.code}/appointments", body)
    assert booked.status_code == 201, booked.content
    code = booked.json()["code"]
    assert booked.json()["resident"] == "刘**" and booked.json()["phone"] == "139****0001"
    ticket = post(Client(), f"{API}/public/centres/{hall.centre_a.code}/check-in", {"code": code})
    assert ticket.status_code == 201 and ticket.json()["appointment_slot"] == "10:00-10:30"
    again = post(Client(), f"{API}/public/centres/{hall.centre_a.code}/check-in", {"code": code})
    assert again.status_code == 409
    other = post(
        resident,
        f"{API}/public/centres/{hall.centre_a.code}/appointments",
        {**body, "day": "2026-09-29", "id_number": rid("19850101", "002")},
    )
    other_code = other.json()["code"]
    wrong = post(resident, f"{API}/public/appointments/{other_code}/cancel", {"id_tail": "0000"})
    assert wrong.status_code == 404
    right = post(resident, f"{API}/public/appointments/{other_code}/cancel", {"id_tail": rid("19850101", "002")[-4:]})
    assert right.status_code == 200 and right.json()["status"] == "cancelled"


def test_a_full_slot_answers_409_with_the_reason(hall):
    body = {"item": "0101", "day": "2026-09-29", "slot": "09:00", "resident_name": "刘预约", "phone": "13900000001"}
    url = f"{API}/public/centres/{hall.centre_a.code}/appointments"
    for n in range(1, 5):
        assert post(Client(), url, {**body, "id_number": rid("19850101", f"{n:03d}")}).status_code == 201
    full = post(Client(), url, {**body, "id_number": rid("19850101", "005")})
    assert full.status_code == 409 and "已约满" in full.json()["detail"]


# ---------------------------------------------------------------- the counter, through the API


def test_a_clerk_signs_in_calls_accepts_with_a_missing_material_prints_the_notice_and_completes_later(hall, clock):
    clerk = as_user("clerk_a1")
    hall.ticket("A")
    assert post(clerk, f"{API}/counters/{hall.counter_a1.pk}/sign-in").json()["clerk"] == "周窗口"
    called = post(clerk, f"{API}/counters/{hall.counter_a1.pk}/call-next").json()["ticket"]
    assert called["code"] == "A001" and "start" in called["actions"] and "no_show" in called["actions"]
    # accepted with the ID card only: 户口簿 and the photos are missing
    made = post(
        clerk,
        f"{API}/applications",
        {"centre": hall.centre_a.code, "item": "0101", "materials": ["01"], "ticket_id": called["id"], **RESIDENT},
    )
    assert made.status_code == 201, made.content
    detail = made.json()
    number = detail["number"]
    assert (
        detail["id_number"] == "320106********1233"
        and detail["applicant"] == "张**"
        and detail["phone"] == "139****5678"
    )
    assert detail["first_contact"] == "周窗口" and detail["missing"] == ["02", "03"]
    assert set(detail["actions"]) >= {"issue_notice", "withdraw"}
    assert RESIDENT["id_number"] not in made.content.decode()
    noticed = post(clerk, f"{API}/applications/{number}/actions", {"action": "issue_notice", "expected_version": 1})
    assert noticed.json()["status"] == "incomplete"
    printed = clerk.get(f"{API}/applications/{number}/notices").json()
    assert [m["name"] for m in printed[0]["missing"]] == ["户口簿或居住证", "近期一寸免冠彩色照片"]
    assert printed[0]["centre_phone"] == "025-83700000" and printed[0]["issued_by"] == "周窗口"
    stale = post(
        clerk,
        f"{API}/applications/{number}/actions",
        {"action": "supplement", "expected_version": 1, "materials": ["02", "03"]},
    )
    assert stale.status_code == 409
    # the next day, at another counter
    clock.set("2026-09-29T09:30")
    other = as_user("clerk_a2")
    done = post(other, f"{API}/applications/{number}/actions", {"action": "supplement", "materials": ["02", "03"]})
    assert done.json()["status"] == "accepted" and done.json()["visit_count"] == 2
    completed = post(other, f"{API}/applications/{number}/actions", {"action": "complete_on_spot"})
    assert completed.json()["status"] == "completed"
    twice = post(other, f"{API}/applications/{number}/actions", {"action": "complete_on_spot"})
    assert twice.status_code == 409 and "已办结" in twice.json()["detail"]


def test_calling_a_ticket_another_counter_called_is_a_409(hall):
    hall.sign_in(hall.clerk_a1, hall.counter_a1)
    hall.sign_in(hall.clerk_a2, hall.counter_a2)
    ticket = hall.ticket("A")
    first = post(as_user("clerk_a1"), f"{API}/counters/{hall.counter_a1.pk}/call", {"ticket_id": ticket.pk})
    assert first.status_code == 200
    answer = post(as_user("clerk_a2"), f"{API}/counters/{hall.counter_a2.pk}/call", {"ticket_id": ticket.pk})
    assert answer.status_code == 409 and "1号窗口" in answer.json()["detail"]
    assert Ticket.objects.get().counter_id == hall.counter_a1.pk


def test_the_full_identity_number_is_revealed_only_with_a_reason_and_logged(hall):
    application = hall.accept("0101")
    clerk = as_user("clerk_a2")
    url = f"{API}/applications/{application.number}/reveal"
    assert post(clerk, url, {"fields": ["id_number"], "reason": ""}).status_code == 422
    shown = post(clerk, url, {"fields": ["id_number"], "reason": "核对身份证原件"})
    assert shown.json() == {"id_number": RESIDENT["id_number"]}
    assert PersonalDataAccess.objects.get().reason == "核对身份证原件"
    assert post(as_user("clerk_b"), url, {"fields": ["id_number"], "reason": "看看"}).status_code == 404


def test_a_resident_follows_their_application_with_its_number_and_the_last_four_of_their_id(hall):
    application = hall.accept("0201", materials=["01"])
    services.application_act(actor=hall.clerk_a1, number=application.number, action="issue_notice")
    url = f"{API}/public/applications/{application.number}"
    assert Client().get(url, {"id_tail": "9999"}).status_code == 404
    mine = Client().get(url, {"id_tail": RESIDENT["id_number"][-4:]})
    assert mine.status_code == 200
    body = mine.json()
    assert body["status"] == "incomplete" and body["missing"][0]["name"] == "共同生活家庭成员的居民身份证"
    assert [e["action_label"] for e in body["events"]] == ["受理", "一次性告知"]
    assert "张晓明" not in mine.content.decode() and "周窗口" not in mine.content.decode()


def test_the_pad_shows_what_to_rate_and_takes_one_rating_per_ticket(hall):
    ticket = hall.serving()
    hall.accept("0101", ticket_id=ticket.pk)
    pad = Client()
    url = f"{API}/public/pads/{hall.counter_a1.pad_key}"
    state = pad.get(url).json()
    assert state["clerk"] == "周窗口" and state["ticket"]["code"] == ticket.code
    assert state["ticket"]["items"] == ["就业创业证申领"] and len(state["reasons"]) == 9
    rated = post(pad, f"{url}/ratings", {"ticket_id": ticket.pk, "score": 5, "reasons": ["friendly"]})
    assert rated.status_code == 201 and rated.json()["score"] == 5
    again = post(pad, f"{url}/ratings", {"ticket_id": ticket.pk, "score": 1})
    assert again.status_code == 409 and "已经评价过了" in again.json()["detail"]
    assert pad.get(url).json()["ticket"] is None
    waiting = hall.ticket("A")
    never = post(pad, f"{url}/ratings", {"ticket_id": waiting.pk, "score": 5})
    assert never.status_code == 409 and "尚未办理" in never.json()["detail"]
    assert Rating.objects.count() == 1
    assert Client().get(f"{API}/public/pads/nonsense").status_code == 404


def png_base64() -> str:
    out = io.BytesIO()
    Image.new("RGBA", (200, 80), (0, 0, 0, 0)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def test_the_grid_worker_delivers_from_their_phone(hall):
    application = hall.accept("0101", result_delivery="home", address="宁海路 5 号", grid_code=hall.tree.grid_a1.code)
    services.application_act(actor=hall.clerk_a1, number=application.number, action="complete_on_spot")
    worker = as_user("worker_a1")
    tasks = worker.get(f"{API}/deliveries").json()
    assert len(tasks) == 1 and tasks[0]["resident"] == "张**" and tasks[0]["phone"] == "139****5678"
    delivery_id = tasks[0]["id"]
    bad = post(worker, f"{API}/deliveries/{delivery_id}/deliver", {"proof": "not base64!", "proof_kind": "signature"})
    assert bad.status_code == 422
    done = post(worker, f"{API}/deliveries/{delivery_id}/deliver", {"proof": png_base64(), "proof_kind": "signature"})
    assert done.status_code == 200 and done.json()["status"] == "delivered"
    assert Application.objects.get().status == "delivered"
    assert as_user("worker_b1").get(f"{API}/deliveries/{delivery_id}").status_code == 404


# ---------------------------------------------------------------- statistics and scores


def test_the_manager_reads_statistics_and_downloads_the_scores_and_a_clerk_may_not(hall):
    ticket = hall.serving()
    services.rating_submit(pad_key=hall.counter_a1.pad_key, ticket_id=ticket.pk, score=5)
    manager = as_user("manager_a")
    figures = manager.get(f"{API}/statistics", {"by": "counter", "start": "2026-09-01", "end": "2026-09-30"}).json()
    assert figures["total"]["tickets"] == 1 and figures["total"]["satisfaction_rate"] == 1.0
    scores = manager.get(f"{API}/centres/{hall.centre_a.code}/scores", {"month": "2026-09"}).json()
    assert scores["rows"][0]["clerk"] == "周窗口" and scores["month"] == "2026-09"
    export = manager.get(f"{API}/centres/{hall.centre_a.code}/scores.xlsx", {"month": "2026-09"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEntry.objects.filter(action="hall.scores.export", actor=hall.manager_a).count() == 1
    assert manager.get(f"{API}/centres/{hall.centre_a.code}/scores", {"month": "2026-13"}).status_code == 422
    clerk = as_user("clerk_a1")
    assert clerk.get(f"{API}/statistics").status_code == 403
    assert clerk.get(f"{API}/centres/{hall.centre_a.code}/scores.xlsx").status_code == 403
    assert as_user("manager_b").get(f"{API}/centres/{hall.centre_a.code}/scores").status_code == 404


def test_a_clerk_of_street_b_sees_nothing_of_centre_a(hall):
    application = hall.accept("0101")
    ticket = hall.serving()
    outsider = as_user("clerk_b")
    assert [c["code"] for c in outsider.get(f"{API}/centres").json()] == [hall.centre_b.code]
    assert outsider.get(f"{API}/applications").json() == {"items": [], "next_offset": None}
    for url in (
        f"{API}/centres/{hall.centre_a.code}",
        f"{API}/centres/{hall.centre_a.code}/queue",
        f"{API}/centres/{hall.centre_a.code}/tickets",
        f"{API}/tickets/{ticket.pk}",
        f"{API}/applications/{application.number}",
        f"{API}/applications/{application.number}/notices",
    ):
        assert outsider.get(url).status_code == 404, url
    for url, body in (
        (f"{API}/counters/{hall.counter_a2.pk}/sign-in", {}),
        (f"{API}/tickets/{ticket.pk}/actions", {"action": "finish"}),
        (f"{API}/applications/{application.number}/actions", {"action": "complete_on_spot"}),
    ):
        assert post(outsider, url, body).status_code == 404, url
    application.refresh_from_db()
    assert application.status == "accepted"


def test_the_manager_adjusts_hours_and_counters_and_a_bad_value_changes_nothing(hall):
    manager = as_user("manager_a")
    url = f"{API}/centres/{hall.centre_a.code}"
    changed = post(manager, url, {"hours": [["08:00", "12:00"], ["13:00", "17:30"]], "slot_capacity": 6}, "patch")
    assert changed.status_code == 200 and changed.json()["slot_capacity"] == 6
    bad = post(manager, url, {"hours": [["12:00", "08:00"]]}, "patch")
    assert bad.status_code == 422 and "结束时间应晚于开始时间" in bad.json()["detail"]
    assert as_user("manager_a").get(url).json()["hours"] == [["08:00", "12:00"], ["13:00", "17:30"]]
    assert post(as_user("clerk_a1"), url, {"slot_capacity": 9}, "patch").status_code == 403
    counter = post(manager, f"{url}/counters", {"number": 4, "name": "帮办代办窗口", "groups": ["C"]})
    assert counter.status_code == 201 and counter.json()["groups"] == ["C"]
    assert post(manager, f"{url}/counters", {"number": 4}).status_code == 409
    key = post(manager, f"{API}/counters/{counter.json()['id']}/pad-key").json()["pad_key"]
    assert len(key) >= 20


def test_every_hall_endpoint_is_in_the_openapi_file(hall):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    hall_paths = [p for p in paths if p.startswith(API)]
    assert len(hall_paths) >= 40
    assert f"{API}/public/centres/{{centre}}/tickets" in paths and f"{API}/applications/{{application_number}}" in paths


def test_appointments_list_for_staff_masks_residents(hall):
    services.appointment_book(
        actor=None,
        centre_code=hall.centre_a.code,
        item_code="0101",
        day=date(2026, 9, 29),
        slot_start=time(9, 0),
        resident_name="刘预约",
        id_number=rid("19850101", "001"),
        phone="13900000001",
    )
    rows = as_user("clerk_a1").get(f"{API}/centres/{hall.centre_a.code}/appointments", {"day": "2026-09-29"}).json()
    assert rows[0]["resident"] == "刘**" and "13900000001" not in json.dumps(rows)
