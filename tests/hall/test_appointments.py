"""Appointments: slots cut from the opening hours, capacity that holds under concurrency, check-in at the kiosk."""

import threading
from datetime import date, time

import pytest
from django.db import connection
from django.utils import timezone

from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.core.models import Notification
from civicgrid.hall import selectors, services
from civicgrid.hall.choices import AppointmentStatus, BookingChannel, TicketSource
from civicgrid.hall.models import Appointment, ServiceItem, SlotBooking
from tests.hall.conftest import ELDER_ID, local, rid

pytestmark = pytest.mark.django_db

TOMORROW = date(2026, 9, 29)


def book(hall, *, actor=None, item="0101", day=TOMORROW, at=time(9, 0), n: int = 1, **fields):
    values = {"resident_name": "刘预约", "id_number": rid("19850101", f"{n:03d}"), "phone": "13900000001", **fields}
    return services.appointment_book(
        actor=actor, centre_code=hall.centre_a.code, item_code=item, day=day, slot_start=at, **values
    )


def test_a_resident_books_a_slot_online_and_gets_the_code_by_sms(hall):
    appointment = book(hall)
    assert appointment.status == AppointmentStatus.BOOKED and appointment.channel == BookingChannel.ONLINE
    assert len(appointment.code) == 8 and appointment.code.isdigit()
    assert (appointment.slot_start, appointment.slot_end) == (time(9, 0), time(9, 30))
    sms = Notification.objects.get(channel="sms")
    assert appointment.code in sms.body and sms.phone == "13900000001"
    assert SlotBooking.objects.get(day=TOMORROW, slot_start=time(9, 0)).booked == 1


def test_slots_come_from_the_opening_hours_and_show_what_is_free(hall):
    item = ServiceItem.objects.get(code="0101")
    tuesday = selectors.slots(hall.centre_a, item, TOMORROW)
    starts = [s.start for s in tuesday]
    assert starts[0] == time(8, 30) and time(12, 0) not in starts and time(13, 30) in starts
    assert starts[-1] == time(18, 30) and tuesday[-1].extended  # Tuesday's extended service until 19:00
    assert all(s.capacity == 4 and s.free == 4 for s in tuesday)
    book(hall, at=time(8, 30))
    assert selectors.slots(hall.centre_a, item, TOMORROW)[0].free == 3
    assert selectors.slots(hall.centre_a, item, date(2026, 10, 2)) == []  # National Day
    # today's slots that have begun are not offered (the clock stands at 09:00)
    assert selectors.slots(hall.centre_a, item, date(2026, 9, 28))[0].start == time(9, 30)


def test_a_full_slot_is_refused_clearly_and_nothing_is_written(hall):
    for n in range(1, 5):
        book(hall, n=n)
    with pytest.raises(Conflict, match="09:00 的时段已约满"):
        book(hall, n=5)
    assert Appointment.objects.count() == 4
    assert SlotBooking.objects.get(day=TOMORROW, slot_start=time(9, 0)).booked == 4
    # another group's residents still find room at the same time
    assert book(hall, item="0301", n=6).status == AppointmentStatus.BOOKED


@pytest.mark.django_db(transaction=True)
def test_twelve_residents_booking_a_four_place_slot_at_once_get_four_places(hall):
    count = 12
    barrier = threading.Barrier(count)
    booked: list[str] = []
    refused: list[Exception] = []
    errors: list[Exception] = []

    def try_booking(n: int) -> None:
        try:
            barrier.wait()
            booked.append(book(hall, n=n).code)
        except Conflict as error:
            refused.append(error)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=try_booking, args=(n,)) for n in range(1, count + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    assert len(booked) == 4 and len(refused) == 8
    assert all("已约满" in str(e) for e in refused)
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 4
    assert SlotBooking.objects.get().booked == 4


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"item": "0106"}, ValidationError, "不需要预约"),  # the yearly check of pensioners is not bookable
        ({"item": "9999"}, ValidationError, "本中心不办理事项 9999"),
        ({"day": date(2026, 10, 30)}, ValidationError, "7 天内"),
        ({"day": date(2026, 9, 27)}, ValidationError, "7 天内"),
        ({"at": time(12, 0)}, ValidationError, "不是可预约的时段"),
        ({"day": date(2026, 9, 28), "at": time(8, 30)}, ValidationError, "不是可预约的时段"),  # already past
        ({"phone": ""}, ValidationError, "手机号码"),
        ({"id_number": "320106198501010010"}, ValidationError, "校验位"),
        ({"resident_name": ""}, ValidationError, "姓名"),
    ],
)
def test_bad_bookings_are_refused_clearly_and_change_nothing(hall, fields, error, message):
    with pytest.raises(error, match=message):
        book(hall, **fields)
    assert not Appointment.objects.exists()
    assert not SlotBooking.objects.filter(booked__gt=0).exists()


def test_an_item_the_centre_does_not_offer_cannot_be_booked(hall):
    services.centre_items_set(actor=hall.manager_a, centre_code=hall.centre_a.code, not_offered=["0101"])
    with pytest.raises(ValidationError, match="本中心不办理事项 0101"):
        book(hall)


def test_one_booking_per_resident_and_day_and_a_cancelled_one_frees_its_place(hall):
    first = book(hall)
    with pytest.raises(Conflict, match="已有预约"):
        book(hall, at=time(10, 0))
    with pytest.raises(NotFound):
        services.appointment_cancel(actor=None, code=first.code, id_tail="0000")
    cancelled = services.appointment_cancel(actor=None, code=first.code, id_tail=first.id_number[-4:])
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert SlotBooking.objects.get(slot_start=time(9, 0)).booked == 0
    with pytest.raises(TransitionNotAllowed, match="已取消"):
        services.appointment_cancel(actor=None, code=first.code, id_tail=first.id_number[-4:])
    assert book(hall, at=time(10, 0)).status == AppointmentStatus.BOOKED


def test_a_community_station_books_for_a_resident_and_sees_its_booking(hall):
    appointment = book(hall, actor=hall.station_a)
    assert appointment.channel == BookingChannel.STATION and appointment.booked_by == hall.station_a
    assert selectors.appointments(actor=hall.station_a).filter(pk=appointment.pk).exists()
    assert selectors.appointments(actor=hall.clerk_a1).filter(pk=appointment.pk).exists()
    assert not selectors.appointments(actor=hall.clerk_b).exists()
    with pytest.raises(PermissionDenied, match="社区工作站"):
        book(hall, actor=hall.clerk_b, n=2)  # street B's clerk cannot book into street A's centre
    assert book(hall, actor=hall.clerk_a1, n=3).channel == BookingChannel.COUNTER


def test_check_in_at_the_kiosk_turns_the_booking_into_a_ticket_called_at_its_time(hall, clock):
    appointment = book(hall, at=time(10, 0), id_number=ELDER_ID)
    clock.set("2026-09-29T08:40")
    with pytest.raises(ValidationError, match="请在 09:00 以后签到"):
        services.appointment_check_in(actor=None, centre_code=hall.centre_a.code, code=appointment.code)
    clock.set("2026-09-29T09:20")
    ticket = services.appointment_check_in(actor=None, centre_code=hall.centre_a.code, code=appointment.code)
    assert ticket.source == TicketSource.APPOINTMENT and ticket.appointment == appointment
    assert timezone.localtime(ticket.queued_at) == local("2026-09-29T10:00")  # it joins the queue at its slot
    assert ticket.priority_reason == "elderly"  # 86 years old
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    with pytest.raises(Conflict, match="已签到"):
        services.appointment_check_in(actor=None, centre_code=hall.centre_a.code, code=appointment.code)


def test_check_in_refuses_a_wrong_code_another_day_or_a_missed_slot(hall, clock):
    appointment = book(hall, at=time(9, 0))
    with pytest.raises(NotFound, match="预约码"):
        services.appointment_check_in(actor=None, centre_code=hall.centre_a.code, code="12345678")
    with pytest.raises(NotFound):  # the code is for centre A, not B
        services.appointment_check_in(actor=None, centre_code=hall.centre_b.code, code=appointment.code)
    with pytest.raises(ValidationError, match="请当天来签到"):
        services.appointment_check_in(actor=None, centre_code=hall.centre_a.code, code=appointment.code)
    clock.set("2026-09-29T09:50")
    with pytest.raises(ValidationError, match="已超过预约时段"):
        services.appointment_check_in(actor=None, centre_code=hall.centre_a.code, code=appointment.code)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED and not hasattr(appointment, "ticket_id")


def test_bookings_nobody_came_to_are_marked_missed(hall, clock):
    early = book(hall, at=time(9, 0), n=1)
    late = book(hall, at=time(16, 0), n=2, day=date(2026, 9, 30))
    clock.set("2026-09-29T09:46")
    assert services.queue_sweep().appointments_missed == 1
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.status == AppointmentStatus.MISSED and late.status == AppointmentStatus.BOOKED
