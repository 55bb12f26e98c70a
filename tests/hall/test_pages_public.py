"""The public pages of the service centre as a resident meets them: the kiosk, the display board, the rating pad,
booking and tracking. None of them shows personal data: names are masked, ID numbers never appear."""

import re
from datetime import time

import pytest
from django.test import Client

from civicgrid.core.models import AuditEntry
from civicgrid.hall import services
from civicgrid.hall.models import Appointment, NumberSequence, Rating, Ticket
from tests.hall.conftest import ELDER_ID, rid

pytestmark = pytest.mark.django_db


def kiosk_post(client: Client, hall, what: str = "ticket", **data):
    return client.post(f"/hall/kiosk/{hall.centre_a.code}/{what}/", data)


# ---------------------------------------------------------------- the kiosk


def test_the_kiosk_shows_every_group_with_its_queue_and_a_press_gives_a_ticket(hall):
    hall.ticket("A")
    page = Client().get(f"/hall/kiosk/{hall.centre_a.code}/")
    assert page.status_code == 200
    body = page.content.decode()
    # given the kiosk: five group buttons, the queue of each, today's hours, priority and check-in
    assert body.count('class="kiosk-group"') == 5
    assert "社保就业" in body and "等候 1 人 · 约 8 分钟" in body
    assert "08:30-12:00、13:30-17:30" in body and "优先取号" in body and "预约签到" in body
    # when a resident presses group A
    answer = kiosk_post(Client(), hall, group="A", key="press-0001")
    # then the ticket says its number, the group, how many are ahead and the expected wait
    assert answer.status_code == 201
    text = answer.content.decode()
    assert "A002" in text and "社保就业" in text
    assert re.search(r"前面还有 <b>1</b> 人，预计等候约 <b>8</b> 分钟", text)
    assert "<html" not in text  # a partial for the kiosk's script to show


def test_a_press_retried_after_a_network_drop_makes_one_ticket(hall):
    # given a kiosk whose first attempt reached the server but whose answer was lost
    first = kiosk_post(Client(), hall, group="B", key="7f1c2b0e-press")
    # when it sends the same press again (same key), even twice
    again = kiosk_post(Client(), hall, group="B", key="7f1c2b0e-press")
    third = kiosk_post(Client(), hall, group="B", key="7f1c2b0e-press")
    # then it is shown the same ticket, and the numbering has no gap and no second ticket
    assert first.status_code == again.status_code == third.status_code == 201
    assert "B001" in again.content.decode() and "B001" in third.content.decode()
    assert Ticket.objects.filter(centre=hall.centre_a).count() == 1
    assert NumberSequence.objects.get(centre_id=hall.centre_a.pk, series="B").last == 1
    # and a new press (a new key) is a new ticket
    assert "B002" in kiosk_post(Client(), hall, group="B", key="another-press-1").content.decode()


def test_a_priority_press_and_an_appointment_check_in(hall, clock):
    answer = kiosk_post(Client(), hall, group="C", priority_reason="disabled", key="priority-01")
    assert answer.status_code == 201 and "优先（残疾人）" in answer.content.decode()
    appointment = services.appointment_book(
        actor=None,
        centre_code=hall.centre_a.code,
        item_code="0101",
        day=clock.now().date(),
        slot_start=time(9, 30),
        resident_name="刘芳",
        id_number=rid("19850505", "321"),
        phone="13800001111",
    )
    checked = kiosk_post(Client(), hall, "check-in", code=appointment.code, key="checkin-0001")
    assert checked.status_code == 201
    assert "预约 09:30-10:00" in checked.content.decode()
    # the same check-in retried gives the same ticket, never "already checked in"
    again = kiosk_post(Client(), hall, "check-in", code=appointment.code, key="checkin-0001")
    assert again.status_code == 201 and Ticket.objects.filter(appointment=appointment).count() == 1


def test_the_kiosk_refuses_with_a_message_a_resident_can_act_on(hall, clock):
    wrong = kiosk_post(Client(), hall, "check-in", code="00000000", key="checkin-0002")
    assert wrong.status_code == 404 and "8 位预约码" in wrong.content.decode()
    assert "data-refusal" in wrong.content.decode()
    clock.set("2026-09-28T20:00")
    late = kiosk_post(Client(), hall, group="A", key="late-press-1")
    assert late.status_code == 422 and "现在不是取号时间" in late.content.decode()
    assert "现在不是取号时间" in Client().get(f"/hall/kiosk/{hall.centre_a.code}/").content.decode()
    assert kiosk_post(Client(), hall, group="Z", key="wrong-group").status_code == 422
    assert Ticket.objects.count() == 0
    assert Client().get("/hall/kiosk/000000000/").status_code == 404


def test_the_kiosk_live_part_refreshes_the_queues(hall):
    hall.ticket("D")
    live = Client().get(f"/hall/kiosk/{hall.centre_a.code}/live/")
    assert live.status_code == 200
    assert "<html" not in live.content.decode() and "卫健计生" in live.content.decode()


# ---------------------------------------------------------------- the display board


def test_the_board_shows_who_is_called_where_with_a_masked_name_and_the_words_it_speaks(hall):
    services.ticket_issue(
        actor=None, centre_code=hall.centre_a.code, group_code="C", id_number=ELDER_ID, resident_name="王桂英"
    )
    hall.sign_in(hall.clerk_a3, hall.counter_a3)
    services.call_next(actor=hall.clerk_a3, counter_id=hall.counter_a3.pk)
    for url in (f"/hall/board/{hall.centre_a.code}/", f"/hall/board/{hall.centre_a.code}/live/"):
        body = Client().get(url).content.decode()
        assert "C001" in body and "王**" in body
        assert "王桂英" not in body and ELDER_ID not in body and ELDER_ID[-4:] not in body
        assert 'data-speech="请 C001 号到 3 号窗口办理"' in body
        assert "为老助残" in body  # the queue of the group and the counter's name
    assert "<html" not in Client().get(f"/hall/board/{hall.centre_a.code}/live/").content.decode()


# ---------------------------------------------------------------- the rating pad


def test_the_pad_shows_the_service_then_takes_the_stars_once(hall):
    ticket = hall.serving()
    key = hall.counter_a1.pad_key
    serving = Client().get(f"/hall/pad/{key}/").content.decode()
    assert "正在为您办理" in serving and ticket.code in serving and 'data-state="serving"' in serving
    services.ticket_act(actor=hall.clerk_a1, ticket_id=ticket.pk, action="finish")
    live = Client().get(f"/hall/pad/{key}/live/").content.decode()
    assert 'data-state="rate"' in live and "请为本次服务评价" in live and "周窗口" in live
    # when the resident gives 5 stars with two reasons
    rated = Client().post(
        f"/hall/pad/{key}/rate/",
        {"ticket_id": ticket.pk, "score": 5, "reasons": ["friendly", "efficient"], "comment": "很耐心"},
    )
    assert rated.status_code == 201 and "感谢您的评价" in rated.content.decode()
    rating = Rating.objects.get()
    assert (rating.score, rating.reasons, rating.clerk, rating.counter) == (
        5,
        ["friendly", "efficient"],
        hall.clerk_a1,
        hall.counter_a1,
    )
    # a second tap (a retry) is thanked and changes nothing; the pad goes back to idle
    again = Client().post(f"/hall/pad/{key}/rate/", {"ticket_id": ticket.pk, "score": 1})
    assert again.status_code == 201 and Rating.objects.get().score == 5
    assert 'data-state="idle"' in Client().get(f"/hall/pad/{key}/live/").content.decode()


def test_the_pad_refuses_what_cannot_be_rated(hall):
    waiting = hall.ticket("A")
    key = hall.counter_a1.pad_key
    no_score = Client().post(f"/hall/pad/{key}/rate/", {"ticket_id": waiting.pk})
    assert no_score.status_code == 422 and "请先点选星级" in no_score.content.decode()
    not_served = Client().post(f"/hall/pad/{key}/rate/", {"ticket_id": waiting.pk, "score": 4})
    assert not_served.status_code == 409 and "尚未办理" in not_served.content.decode()
    assert Rating.objects.count() == 0
    unknown = Client().get("/hall/pad/not-a-real-key/")
    assert unknown.status_code == 404 and "评价器未登记或已停用" in unknown.content.decode()
    assert Client().get("/hall/pad/not-a-real-key/live/").status_code == 404


# ---------------------------------------------------------------- booking and tracking


def test_a_resident_books_a_slot_on_the_phone_and_gets_the_code(hall, clock):
    client = Client()
    page = client.get(f"/hall/book/{hall.centre_a.code}/", {"item": "0101", "day": "2026-09-29"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "就业创业证申领" in body
    assert "余 4/4" in body and "08:30-09:00" in body
    slots = client.get(f"/hall/book/{hall.centre_a.code}/slots/", {"item": "0101", "day": "2026-09-29"})
    assert "余 4/4" in slots.content.decode() and "<html" not in slots.content.decode()
    booked = client.post(
        f"/hall/book/{hall.centre_a.code}/",
        {
            "item": "0101",
            "day": "2026-09-29",
            "slot": "09:00",
            "resident_name": "赵丽",
            "id_number": rid("19900101", "442"),
            "phone": "13900002222",
        },
    )
    assert booked.status_code == 200 and "预约成功" in booked.content.decode()
    appointment = Appointment.objects.get()
    assert appointment.code in booked.content.decode() and appointment.channel == "online"
    again = client.get(f"/hall/book/{hall.centre_a.code}/slots/", {"item": "0101", "day": "2026-09-29"})
    assert "余 3/4" in again.content.decode()


def test_a_booking_with_bad_input_says_what_is_wrong_and_books_nothing(hall):
    answer = Client().post(
        f"/hall/book/{hall.centre_a.code}/",
        {
            "item": "0101",
            "day": "2026-09-29",
            "slot": "09:00",
            "resident_name": "赵丽",
            "id_number": "320106199001014421",  # a wrong check character
            "phone": "13900002222",
        },
    )
    assert answer.status_code == 422 and "校验位不对" in answer.content.decode()
    assert Appointment.objects.count() == 0


def test_a_full_slot_is_refused_and_a_booking_can_be_cancelled(hall, clock):
    hall.centre_a.slot_capacity = 1
    hall.centre_a.save()
    first = dict(item="0101", day="2026-09-29", slot="10:00", resident_name="赵丽", phone="13900002222")
    assert (
        "预约成功"
        in Client()
        .post(f"/hall/book/{hall.centre_a.code}/", {**first, "id_number": rid("19900101", "442")})
        .content.decode()
    )
    full = Client().post(f"/hall/book/{hall.centre_a.code}/", {**first, "id_number": rid("19910101", "452")})
    assert full.status_code == 422 and "已约满" in full.content.decode()
    code = Appointment.objects.get().code
    wrong = Client().post("/hall/book/cancel/", {"code": code, "id_tail": "0000"})
    assert "没有找到该预约" in wrong.content.decode()
    done = Client().post("/hall/book/cancel/", {"code": code, "id_tail": rid("19900101", "442")[-4:]})
    assert "已取消" in done.content.decode() and Appointment.objects.get().status == "cancelled"


def test_a_resident_tracks_an_application_with_the_number_and_the_last_four_of_the_id(hall):
    application = hall.accept("0201", materials=["01"])  # missing materials
    services.application_act(actor=hall.clerk_a1, number=application.number, action="issue_notice")
    url = f"/hall/track/{application.number}/"
    form = Client().get(url)
    assert form.status_code == 200 and "身份证号码后四位" in form.content.decode()
    wrong = Client().post(url, {"number": application.number, "id_tail": "9999"})
    assert wrong.status_code == 404 and "请核对" in wrong.content.decode()
    shown = Client().post(url, {"number": application.number, "id_tail": application.id_number[-4:]})
    body = shown.content.decode()
    assert shown.status_code == 200 and "待补材料" in body and "还需补齐的材料" in body
    assert application.applicant_name not in body and application.id_number not in body and "周窗口" not in body
    lookup = Client().post("/hall/track/", {"number": application.number, "id_tail": application.id_number[-4:]})
    assert "待补材料" in lookup.content.decode()


def test_tracking_is_limited_per_client(hall, settings):
    settings.HALL_RATE_LIMITS = {"tracking": 2}
    application = hall.accept("0101")
    for _ in range(2):
        Client().post("/hall/track/", {"number": application.number, "id_tail": "0000"})
    limited = Client().post("/hall/track/", {"number": application.number, "id_tail": application.id_number[-4:]})
    assert limited.status_code == 429 and "过于频繁" in limited.content.decode()
    assert AuditEntry.objects.filter(action__startswith="rating").count() == 0
