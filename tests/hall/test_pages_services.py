"""What the pages needed from the domain and added to it: a kiosk press retried after a network drop makes one
ticket (also when both attempts arrive at once), a decision may change how the result reaches the resident, the
rating pad's selector, and the centres a clerk or a community station works for."""

import threading
from datetime import time

import pytest
from django.db import connection

from civicgrid.core.errors import Conflict, ValidationError
from civicgrid.core.models import AuditEntry
from civicgrid.hall import selectors, services
from civicgrid.hall.models import ApplicationEvent, Delivery, NumberSequence, ServiceItem, Ticket
from tests.hall.conftest import rid

pytestmark = pytest.mark.django_db
HOME = {"result_delivery": "home", "address": "宁海路 5 号 2 单元 301 室", "grid_code": "320106001003001"}


def press(hall, key: str, group: str = "A"):
    return services.ticket_issue(actor=None, centre_code=hall.centre_a.code, group_code=group, idempotency_key=key)


def test_the_same_press_twice_is_one_ticket_and_a_new_press_another(hall):
    first = press(hall, "kiosk-press-0001")
    assert press(hall, "kiosk-press-0001").pk == first.pk
    assert press(hall, "kiosk-press-0002").code == "A002"
    assert NumberSequence.objects.get(centre_id=hall.centre_a.pk, series="A").last == 2
    assert AuditEntry.objects.filter(action="ticket.issue").count() == 2


def test_a_retry_after_the_cut_off_still_gets_its_ticket(hall, clock):
    clock.set("2026-09-28T17:14")
    first = press(hall, "kiosk-press-0003")
    clock.set("2026-09-28T17:16")  # past the cut-off: a new press is refused, the retried one is answered
    assert press(hall, "kiosk-press-0003").pk == first.pk
    with pytest.raises(ValidationError, match="现在不是取号时间"):
        press(hall, "kiosk-press-0004")


def test_the_same_key_at_another_centre_or_day_is_a_different_press(hall, clock):
    first = press(hall, "kiosk-press-0005")
    other = services.ticket_issue(
        actor=None, centre_code=hall.centre_b.code, group_code="A", idempotency_key="kiosk-press-0005"
    )
    assert other.pk != first.pk
    clock.set("2026-09-29T09:00")
    assert press(hall, "kiosk-press-0005").pk not in (first.pk, other.pk)


def test_a_malformed_key_is_refused_and_makes_nothing(hall):
    with pytest.raises(ValidationError, match="取号请求标识无效"):
        press(hall, "bad key with spaces")
    assert not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_attempts_of_one_press_arriving_together_make_one_ticket(hall):
    # given a kiosk that sent a press, timed out, and sent it again while the first was still being served
    count = 6
    barrier = threading.Barrier(count)
    made: list[int] = []
    errors: list[Exception] = []

    def attempt() -> None:
        try:
            barrier.wait()
            made.append(press(hall, "kiosk-press-race").pk)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every attempt is answered with the same ticket, and the series shows one number used
    assert not errors, errors[:3]
    assert len(set(made)) == 1 and Ticket.objects.count() == 1
    assert NumberSequence.objects.get(centre_id=hall.centre_a.pk, series="A").last == 1


def book_today(hall, clock):
    return services.appointment_book(
        actor=None,
        centre_code=hall.centre_a.code,
        item_code="0101",
        day=clock.now().date(),
        slot_start=time(9, 30),
        resident_name="刘芳",
        id_number=rid("19850505", "321"),
        phone="13800001111",
    )


def test_a_check_in_retried_gets_its_ticket(hall, clock):
    appointment = book_today(hall, clock)
    first = services.appointment_check_in(
        actor=None, centre_code=hall.centre_a.code, code=appointment.code, idempotency_key="check-in-0001"
    )
    again = services.appointment_check_in(
        actor=None, centre_code=hall.centre_a.code, code=appointment.code, idempotency_key="check-in-0001"
    )
    assert again.pk == first.pk
    from civicgrid.core.errors import Conflict

    with pytest.raises(Conflict, match="该预约已签到"):  # another press for the same code is told it is done
        services.appointment_check_in(
            actor=None, centre_code=hall.centre_a.code, code=appointment.code, idempotency_key="check-in-0002"
        )


def test_a_check_in_with_the_key_of_another_press_is_refused_and_checks_nothing_in(hall, clock):
    # given a kiosk press, and an appointment whose check-in is sent with that press's key (a faulty kiosk)
    walk_in = press(hall, "kiosk-press-0009")
    appointment = book_today(hall, clock)
    # when it checks in, then it is told the key is taken instead of getting the walk-in's ticket
    with pytest.raises(Conflict, match=f"已用于号票 {walk_in.code}"):
        services.appointment_check_in(
            actor=None, centre_code=hall.centre_a.code, code=appointment.code, idempotency_key="kiosk-press-0009"
        )
    appointment.refresh_from_db()
    assert appointment.status == "booked" and Ticket.objects.count() == 1


def test_a_press_with_the_key_of_another_press_is_refused_and_takes_no_number(hall, clock):
    # given a press for group A, and a check-in
    walk_in = press(hall, "kiosk-press-0010")
    appointment = book_today(hall, clock)
    checked_in = services.appointment_check_in(
        actor=None, centre_code=hall.centre_a.code, code=appointment.code, idempotency_key="check-in-0010"
    )
    # when a press for another group, or a walk-in's press, is sent with one of their keys
    for key, group in (("kiosk-press-0010", "B"), ("check-in-0010", checked_in.group.code)):
        with pytest.raises(Conflict, match="已用于号票"):
            press(hall, key, group)
    # then it is told the key is taken, and no ticket or number was made for it
    assert Ticket.objects.count() == 2
    assert not NumberSequence.objects.filter(centre_id=hall.centre_a.pk, series="B").exists()
    assert press(hall, "kiosk-press-0010").pk == walk_in.pk  # the true retry is still answered
    # and after the cut-off the same holds
    clock.set("2026-09-28T17:16")
    with pytest.raises(Conflict, match="已用于号票"):
        press(hall, "kiosk-press-0010", "B")


# ---------------------------------------------------------------- the way the result reaches the resident


def forwarded(hall, **fields):
    materials = list(ServiceItem.objects.get(code="0201").materials.values_list("code", flat=True))
    application = hall.accept("0201", materials=materials, **fields)
    services.application_act(actor=hall.clerk_a1, number=application.number, action="forward")
    return services.application_act(actor=hall.back_office_a, number=application.number, action="start_review")


def test_a_decision_may_send_the_result_home_when_the_address_and_grid_are_known(hall):
    application = forwarded(hall, **{**HOME, "result_delivery": "pick_up"})
    done = services.application_act(
        actor=hall.back_office_a, number=application.number, action="complete", result_delivery="home"
    )
    assert done.result_delivery == "home" and Delivery.objects.get().assignee == hall.tree.worker_a1
    event = ApplicationEvent.objects.filter(application=done, action="complete").get()
    assert event.data["result_delivery"] == "home"
    assert AuditEntry.objects.filter(action="application.complete").get().after["result_delivery"] == "home"


def test_home_delivery_without_an_address_is_refused_and_nothing_changes(hall):
    application = forwarded(hall)
    with pytest.raises(ValidationError, match="没有登记送达地址和所在网格"):
        services.application_act(
            actor=hall.back_office_a, number=application.number, action="complete", result_delivery="home"
        )
    application.refresh_from_db()
    assert application.status == "in_review" and application.result_delivery == "pick_up"
    with pytest.raises(ValidationError, match="只有办结或不予办理时"):
        services.application_act(
            actor=hall.back_office_a, number=application.number, action="start_review", result_delivery="pick_up"
        )
    with pytest.raises(ValidationError, match="请选择结果领取方式"):
        services.application_act(
            actor=hall.back_office_a, number=application.number, action="complete", result_delivery="post"
        )


def test_a_decision_may_keep_the_result_at_the_counter_instead(hall):
    application = forwarded(hall, **HOME)
    services.application_act(
        actor=hall.back_office_a, number=application.number, action="complete", result_delivery="pick_up"
    )
    assert not Delivery.objects.exists()


# ---------------------------------------------------------------- selectors the pages read through


def test_the_pad_asks_about_the_service_now_or_the_one_just_finished(hall, clock):
    assert selectors.pad_ticket(hall.counter_a1) is None
    ticket = hall.serving()
    assert selectors.pad_ticket(hall.counter_a1) == ticket
    services.ticket_act(actor=hall.clerk_a1, ticket_id=ticket.pk, action="finish")
    assert selectors.pad_ticket(hall.counter_a1) == ticket
    clock.advance(minutes=16)
    assert selectors.pad_ticket(hall.counter_a1) is None  # too long ago to ask


def test_once_the_next_resident_is_served_the_pad_forgets_an_earlier_unrated_one(hall):
    first = hall.serving()
    services.ticket_act(actor=hall.clerk_a1, ticket_id=first.pk, action="finish")
    hall.ticket("A")
    second = services.call_next(actor=hall.clerk_a1, counter_id=hall.counter_a1.pk)
    assert selectors.pad_ticket(hall.counter_a1) == first  # the next one only called: the last served is asked about
    services.ticket_act(actor=hall.clerk_a1, ticket_id=second.pk, action="start")
    assert selectors.pad_ticket(hall.counter_a1) == second
    services.ticket_act(actor=hall.clerk_a1, ticket_id=second.pk, action="finish")
    services.rating_submit(pad_key=hall.counter_a1.pad_key, ticket_id=second.pk, score=4)
    assert selectors.pad_ticket(hall.counter_a1) is None  # not the first again


def test_the_centres_a_clerk_and_a_station_work_for(hall):
    assert selectors.working_centres(actor=hall.clerk_a1) == [(hall.centre_a, None)]
    assert selectors.working_centres(actor=hall.station_a) == [(hall.centre_a, hall.tree.community_a)]
    assert selectors.working_centres(actor=hall.back_office_a) == []
    assert selectors.working_centres(actor=hall.tree.officer_a) == []
