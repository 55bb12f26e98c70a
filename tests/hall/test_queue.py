"""The queue: numbering, opening hours, calling order, the ticket's transition table, concurrency, the board."""

import threading

import pytest
import yaml
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.core.models import AuditEntry
from civicgrid.hall import selectors, services
from civicgrid.hall.choices import TICKET_TRANSITIONS, TicketAction, TicketParty, TicketStatus
from civicgrid.hall.models import NumberSequence, Ticket, TicketEvent
from civicgrid.hall.permissions import ticket_parties
from civicgrid.people.models import User
from tests.hall.conftest import ELDER_ID, rid

pytestmark = pytest.mark.django_db


def call(hall, clerk=None, counter=None):
    return services.call_next(actor=clerk or hall.clerk_a1, counter_id=(counter or hall.counter_a1).pk)


def act(ticket, action, actor, **params):
    return services.ticket_act(actor=actor, ticket_id=ticket.pk, action=action, **params)


# ---------------------------------------------------------------- numbers and hours


def test_numbers_run_per_group_and_start_again_the_next_day(hall, clock):
    assert [hall.ticket("A").code, hall.ticket("A").code, hall.ticket("B").code] == ["A001", "A002", "B001"]
    clock.set("2026-09-29T08:45")
    assert hall.ticket("A").code == "A001"
    # the other centre counts on its own
    other = services.ticket_issue(actor=None, centre_code=hall.centre_b.code, group_code="A")
    assert other.code == "A001"


@pytest.mark.django_db(transaction=True)
def test_fifty_kiosks_at_once_get_fifty_distinct_gapless_numbers(hall):
    count = 50
    barrier = threading.Barrier(count)
    codes: list[str] = []
    errors: list[Exception] = []

    def take() -> None:
        try:
            barrier.wait()
            codes.append(services.ticket_issue(actor=None, centre_code=hall.centre_a.code, group_code="A").code)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    assert sorted(codes) == [f"A{n:03d}" for n in range(1, count + 1)]
    assert Ticket.objects.filter(centre=hall.centre_a).count() == count
    assert NumberSequence.objects.get(centre_id=hall.centre_a.pk, series="A").last == count


def test_a_ticket_that_fails_leaves_no_gap_in_the_numbers(hall):
    hall.ticket("A")
    with pytest.raises(ValidationError):
        hall.ticket("A", id_number="320106198001011234")  # a wrong check digit
    assert hall.ticket("A").code == "A002"


@pytest.mark.parametrize(
    ("moment", "issues"),
    [
        ("2026-09-28T07:59", False),  # before the half hour ahead of opening
        ("2026-09-28T08:00", True),  # residents queue before 08:30
        ("2026-09-28T12:10", False),  # lunch break
        ("2026-09-28T17:20", False),  # within 15 minutes of closing: no new tickets
        ("2026-09-29T18:00", True),  # Tuesday evening: extended service until 19:00
        ("2026-09-28T18:00", False),  # Monday evening: closed
        ("2026-10-03T10:00", False),  # a Saturday of the National Day holidays
        ("2026-09-12T10:00", True),  # an ordinary Saturday: extended service in the morning
        ("2026-09-26T10:00", False),  # the Saturday of the Mid-autumn Festival: closed
        ("2026-10-10T10:00", True),  # a Saturday made a working day: regular hours
    ],
)
def test_tickets_are_given_out_in_opening_hours_only(hall, clock, moment, issues):
    clock.set(moment)
    if issues:
        assert hall.ticket("A").status == TicketStatus.WAITING
    else:
        with pytest.raises(ValidationError, match="现在不是取号时间"):
            hall.ticket("A")
        assert not Ticket.objects.exists()


def test_a_ticket_in_extended_hours_is_marked_so(hall, clock):
    clock.set("2026-09-29T18:00")
    assert hall.ticket("A").extended
    clock.set("2026-09-29T10:00")
    assert not hall.ticket("A").extended


def test_a_group_the_centre_does_not_serve_or_that_does_not_exist_is_refused(hall):
    services.centre_items_set(
        actor=hall.manager_a,
        centre_code=hall.centre_a.code,
        not_offered=list(
            hall.centre_a.not_offered.model.objects.filter(group__code="E").values_list("code", flat=True)
        ),
    )
    with pytest.raises(ValidationError, match="不办理“住房城建”类业务"):
        hall.ticket("E")
    with pytest.raises(ValidationError, match="没有“Q”业务分组"):
        hall.ticket("Q")
    with pytest.raises(NotFound):
        services.ticket_issue(actor=None, centre_code="999999999", group_code="A")
    assert not Ticket.objects.exists()


def test_the_kiosk_sees_a_change_of_what_the_centre_offers_at_once(hall, tmp_path, django_capture_on_commit_callbacks):
    # given a kiosk that has issued tickets (the centre and its groups are now kept in the process)
    assert hall.ticket("E").code == "E001"
    # when the centre stops offering the group, then the next press is refused
    items_e = list(hall.centre_a.not_offered.model.objects.filter(group__code="E").values_list("code", flat=True))
    services.centre_items_set(actor=hall.manager_a, centre_code=hall.centre_a.code, not_offered=items_e)
    with pytest.raises(ValidationError, match="不办理“住房城建”类业务"):
        hall.ticket("E")
    # when it offers them again, and a catalogue load (bulk writes, no signals) then retires the group's items
    services.centre_items_set(actor=hall.manager_a, centre_code=hall.centre_a.code, not_offered=[])
    assert hall.ticket("E").code == "E002"
    data = yaml.safe_load(services.default_catalogue_path().read_text(encoding="utf-8"))
    for category in data["categories"]:
        category["items"] = [item for item in category["items"] if item["code"] not in items_e]
    data["categories"] = [category for category in data["categories"] if category["items"]]
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        services.catalogue_load(actor=None, path=path)
    # then the kiosk refuses the group too
    with pytest.raises(ValidationError, match="不办理“住房城建”类业务"):
        hall.ticket("E")


def test_an_elderly_resident_identified_at_the_kiosk_gets_priority_without_asking(hall):
    elder = hall.ticket("C", id_number=ELDER_ID, resident_name="王桂英")
    young = hall.ticket("C", id_number=rid("19900101", "135"))
    assert elder.priority_reason == "elderly" and young.priority_reason == ""
    assert hall.ticket("C", priority_reason="disabled").priority_reason == "disabled"


# ---------------------------------------------------------------- calling


def test_calling_order_transferred_then_priority_then_appointments_due_then_the_rest(hall, clock):
    hall.sign_in()
    walk_in_1 = hall.ticket("A")
    walk_in_2 = hall.ticket("A")
    priority = hall.ticket("A", priority_reason="elderly")
    # an appointment for 09:30 checked in at 09:00 waits until its time
    appointment = services.appointment_book(
        actor=None,
        centre_code=hall.centre_a.code,
        item_code="0101",
        day=clock.at.date(),
        slot_start=clock.at.replace(hour=9, minute=30).time(),
        resident_name="李约",
        id_number=rid("19850202", "151"),
        phone="13900000002",
    )
    early = services.appointment_check_in(actor=None, centre_code=hall.centre_a.code, code=appointment.code)
    assert [t.code for t in selectors.waiting(hall.centre_a, counter=hall.counter_a1)][:3] == [
        priority.code,
        walk_in_1.code,
        walk_in_2.code,
    ]
    clock.set("2026-09-28T09:31")
    order = [t.pk for t in selectors.waiting(hall.centre_a, counter=hall.counter_a1)]
    assert order == [priority.pk, early.pk, walk_in_1.pk, walk_in_2.pk]
    # what each holder is told is ahead of them follows the same order
    assert [selectors.ahead_of(Ticket.objects.get(pk=pk)) for pk in order] == [0, 1, 2, 3]
    assert call(hall).pk == priority.pk
    assert selectors.ahead_of(Ticket.objects.get(pk=walk_in_2.pk)) == 2


def test_a_counter_calls_only_the_groups_it_serves(hall):
    hall.sign_in(hall.clerk_a3, hall.counter_a3)  # counter 3 serves group C only
    hall.ticket("A")
    assert call(hall, hall.clerk_a3, hall.counter_a3) is None
    c = hall.ticket("C")
    assert call(hall, hall.clerk_a3, hall.counter_a3).pk == c.pk


def test_calling_needs_the_clerk_signed_in_at_that_counter(hall):
    hall.ticket("A")
    with pytest.raises(PermissionDenied, match="请先在1号窗口签到"):
        call(hall)
    with pytest.raises(NotFound):  # nobody signed in there is not "signed in" for someone without an account
        call(hall, AnonymousUser())
    hall.sign_in()
    with pytest.raises(PermissionDenied):
        call(hall, hall.clerk_a2)
    with pytest.raises(NotFound):  # a clerk of another street does not even find the counter
        call(hall, hall.clerk_b)


@pytest.mark.django_db(transaction=True)
def test_two_counters_calling_at_the_same_moment_never_get_the_same_ticket(hall):
    hall.sign_in(hall.clerk_a1, hall.counter_a1)
    hall.sign_in(hall.clerk_a2, hall.counter_a2)
    for _ in range(6):
        hall.ticket("A")
    rounds = 3
    barrier = threading.Barrier(2)
    taken: list[str] = []
    errors: list[Exception] = []

    def calls(clerk_id: int, counter_id: int) -> None:
        clerk = User.objects.get(pk=clerk_id)
        try:
            for _ in range(rounds):
                barrier.wait()
                ticket = services.call_next(actor=clerk, counter_id=counter_id)
                taken.append(ticket.code)
                services.ticket_act(actor=clerk, ticket_id=ticket.pk, action=TicketAction.START)
        except Exception as error:
            errors.append(error)
            barrier.abort()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=calls, args=(hall.clerk_a1.pk, hall.counter_a1.pk)),
        threading.Thread(target=calls, args=(hall.clerk_a2.pk, hall.counter_a2.pk)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(taken) == [f"A{n:03d}" for n in range(1, 7)]
    assert TicketEvent.objects.filter(action="call").count() == 6


def test_calling_a_ticket_another_counter_already_called_is_refused_and_changes_nothing(hall):
    hall.sign_in(hall.clerk_a1, hall.counter_a1)
    hall.sign_in(hall.clerk_a2, hall.counter_a2)
    ticket = hall.ticket("A")
    assert call(hall).pk == ticket.pk
    with pytest.raises(Conflict, match="A001号已被1号窗口叫号"):
        services.call_ticket(actor=hall.clerk_a2, counter_id=hall.counter_a2.pk, ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.counter_id == hall.counter_a1.pk and ticket.clerk_id == hall.clerk_a1.pk
    assert TicketEvent.objects.filter(action="call").count() == 1


def test_a_clerk_calls_a_particular_ticket_and_the_wait_is_recorded(hall, clock):
    hall.sign_in()
    hall.ticket("A")
    second = hall.ticket("A")
    clock.advance(minutes=12)
    called = services.call_ticket(actor=hall.clerk_a1, counter_id=hall.counter_a1.pk, ticket_id=second.pk)
    assert called.status == TicketStatus.CALLED and called.wait_seconds == 12 * 60


def test_the_next_call_finishes_the_ticket_being_served_but_not_one_only_called(hall, clock):
    first = hall.serving()
    clock.advance(minutes=7)
    hall.ticket("A")
    second = call(hall)
    first.refresh_from_db()
    assert first.status == TicketStatus.DONE and first.handle_seconds == 7 * 60
    hall.ticket("A")
    with pytest.raises(Conflict, match=f"{second.code}号已叫号尚未处理"):
        call(hall)


def test_nobody_waiting_answers_none(hall):
    hall.sign_in()
    assert call(hall) is None


# ---------------------------------------------------------------- the ticket's transition table


def _ticket_in(hall, status: str) -> Ticket:
    if status == TicketStatus.WAITING:
        hall.sign_in()
        return hall.ticket("A")
    if status == TicketStatus.SERVING:
        return hall.serving()
    hall.sign_in()
    hall.ticket("A")
    ticket = call(hall)
    if status == TicketStatus.CALLED:
        return ticket
    if status == TicketStatus.NO_SHOW:
        return act(ticket, TicketAction.NO_SHOW, hall.clerk_a1)
    if status == TicketStatus.DONE:
        act(ticket, TicketAction.START, hall.clerk_a1)
        return act(ticket, TicketAction.FINISH, hall.clerk_a1)
    return services.ticket_act(actor=hall.manager_a, ticket_id=ticket.pk, action=TicketAction.CANCEL)


# How each person stands to a ticket at counter 1 (where clerk a1 is signed in): a clerk at the counter is also a
# clerk of the centre. The test below checks this roster first, so the table test means what it says.
ROSTER = {
    "clerk_a1": {TicketParty.COUNTER_CLERK, TicketParty.CENTRE_CLERK},
    "clerk_a2": {TicketParty.CENTRE_CLERK},
    "manager_a": {TicketParty.MANAGER},
}
OUTSIDERS = ("clerk_b", "backoffice_a", "worker_a1")


def test_the_roster_stands_to_a_called_ticket_as_the_table_tests_assume(hall):
    ticket = _ticket_in(hall, TicketStatus.CALLED)
    for username, parties in ROSTER.items():
        assert ticket_parties(User.objects.get(username=username), ticket) == parties, username
    for username in OUTSIDERS:
        assert ticket_parties(User.objects.get(username=username), ticket) == set(), username


def _by_table():
    for status, actions in TICKET_TRANSITIONS.items():
        for action, (_target, parties) in actions.items():
            if action != TicketAction.CALL:
                yield status, action, parties


def _close(ticket: Ticket) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.DONE, counter=None, target_counter=None)


@pytest.mark.parametrize(("status", "action", "parties"), list(_by_table()))
def test_every_ticket_action_is_done_by_the_parties_the_table_names_and_refused_to_everyone_else(
    hall, status, action, parties
):
    hall.sign_in(hall.clerk_a3, hall.counter_a3)  # so a transfer has somewhere to go
    params = {"to_counter_id": hall.counter_a3.pk} if action == TicketAction.TRANSFER else {}
    for username, mine in ROSTER.items():
        ticket = _ticket_in(hall, status)
        actor = User.objects.get(username=username)
        if mine & parties:
            done = services.ticket_act(actor=actor, ticket_id=ticket.pk, action=action, **params)
            target = TICKET_TRANSITIONS[status][action][0]
            assert done.status == (status if target == "same" else target), (username, action)
        else:
            with pytest.raises(PermissionDenied):
                services.ticket_act(actor=actor, ticket_id=ticket.pk, action=action, **params)
            assert Ticket.objects.get(pk=ticket.pk).status == status
        _close(ticket)
    for username in OUTSIDERS:
        ticket = _ticket_in(hall, status)
        with pytest.raises((PermissionDenied, NotFound)):
            services.ticket_act(actor=User.objects.get(username=username), ticket_id=ticket.pk, action=action, **params)
        assert Ticket.objects.get(pk=ticket.pk).status == status
        _close(ticket)


@pytest.mark.parametrize("status", [s for s in TicketStatus.values if s not in (TicketStatus.CALLED,)])
def test_an_action_the_table_does_not_list_is_refused_naming_the_status(hall, status):
    ticket = _ticket_in(hall, status)
    with pytest.raises(TransitionNotAllowed, match="不能“重呼”"):
        act(ticket, TicketAction.RECALL, hall.clerk_a1)


def test_recall_no_show_and_requeue(hall, clock):
    hall.sign_in()
    hall.ticket("A")
    ticket = call(hall)
    ticket = act(ticket, TicketAction.RECALL, hall.clerk_a1)
    assert ticket.recall_count == 1 and TicketEvent.objects.filter(action="recall").count() == 1
    ticket = act(ticket, TicketAction.NO_SHOW, hall.clerk_a1)
    assert ticket.status == TicketStatus.NO_SHOW
    # the resident comes back: a clerk puts them at the back of the queue
    clock.advance(minutes=20)
    later = hall.ticket("A")
    clock.advance(minutes=1)
    ticket = act(ticket, TicketAction.REQUEUE, hall.clerk_a2)
    assert ticket.status == TicketStatus.WAITING
    assert [t.pk for t in selectors.waiting(hall.centre_a)] == [later.pk, ticket.pk]


def test_a_transfer_sends_the_resident_to_the_front_of_the_other_counters_queue(hall):
    hall.sign_in(hall.clerk_a3, hall.counter_a3)  # group C only
    ticket = hall.serving()  # group A at counter 1
    own = hall.ticket("C")
    with pytest.raises(ValidationError, match="不能转到本窗口"):
        act(ticket, TicketAction.TRANSFER, hall.clerk_a1, to_counter_id=hall.counter_a1.pk)
    with pytest.raises(ValidationError, match="2号窗口目前无人签到"):
        act(ticket, TicketAction.TRANSFER, hall.clerk_a1, to_counter_id=hall.counter_a2.pk)
    ticket = act(ticket, TicketAction.TRANSFER, hall.clerk_a1, to_counter_id=hall.counter_a3.pk)
    assert ticket.status == TicketStatus.WAITING and ticket.target_counter_id == hall.counter_a3.pk
    # other counters leave it alone: counter 1 calls the group C ticket, not the one sent to counter 3
    assert call(hall, hall.clerk_a1).pk == own.pk
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.WAITING
    # counter 3 calls it before its own group's tickets, though it is group A
    hall.ticket("C")
    assert call(hall, hall.clerk_a3, hall.counter_a3).pk == ticket.pk


def test_every_ticket_step_is_audited_without_personal_data(hall):
    ticket = hall.ticket("C", id_number=ELDER_ID, resident_name="王桂英")
    hall.sign_in()
    call(hall)
    act(ticket, TicketAction.START, hall.clerk_a1)
    actions = list(
        AuditEntry.objects.filter(object_id=str(ticket.pk), action__startswith="ticket.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["ticket.issue", "ticket.call", "ticket.start"]
    dumped = str(list(AuditEntry.objects.values("before", "after")))
    assert ELDER_ID not in dumped and "王桂英" not in dumped


# ---------------------------------------------------------------- counters


def test_signing_in_where_someone_else_is_signed_in_is_a_conflict(hall):
    hall.sign_in(hall.clerk_a1, hall.counter_a1)
    with pytest.raises(Conflict, match="1号窗口已由周窗口签到"):
        hall.sign_in(hall.clerk_a2, hall.counter_a1)
    with pytest.raises(PermissionDenied):
        hall.sign_in(hall.back_office_a, hall.counter_a2)


def test_a_clerk_moving_to_another_counter_leaves_the_first(hall):
    hall.sign_in(hall.clerk_a1, hall.counter_a1)
    hall.sign_in(hall.clerk_a1, hall.counter_a2)
    hall.counter_a1.refresh_from_db()
    assert hall.counter_a1.clerk is None
    assert selectors.counter_of(actor=hall.clerk_a1).pk == hall.counter_a2.pk


def test_the_manager_signing_a_clerk_out_puts_a_called_ticket_back_in_the_queue(hall):
    hall.sign_in()
    first = hall.ticket("A")
    call(hall)
    with pytest.raises(Conflict, match="尚未处理"):
        services.counter_sign_out(actor=hall.clerk_a1, counter_id=hall.counter_a1.pk)
    services.counter_sign_out(actor=hall.manager_a, counter_id=hall.counter_a1.pk)
    first.refresh_from_db()
    assert first.status == TicketStatus.WAITING and first.counter is None
    assert selectors.waiting(hall.centre_a).first().pk == first.pk


# ---------------------------------------------------------------- the board and expected waits


def test_the_board_shows_calls_queues_and_waits_with_masked_names_only(hall):
    hall.sign_in()
    hall.ticket("C", id_number=ELDER_ID, resident_name="王桂英")
    for _ in range(4):
        hall.ticket("A")
    called = call(hall)
    board = selectors.board(hall.centre_a)
    assert board.open_now and "08:30-12:00" in board.hours_today
    assert board.calls[0].code == called.code and board.calls[0].counter_number == 1
    assert board.calls[0].public_name == "王**"
    counter_1 = next(c for c in board.counters if c.number == 1)
    assert counter_1.open and counter_1.ticket_code == called.code
    queues = {q.group.code: q for q in board.queues}
    assert queues["A"].waiting == 4 and queues["C"].waiting == 0
    # 4 waiting for group A, 1 counter serving it, 8 minutes a ticket before there is any history
    assert queues["A"].expected_minutes == 32
    text = str(board)
    assert ELDER_ID not in text and "王桂英" not in text


def test_expected_waits_follow_recent_handling_times_and_open_counters(hall, clock):
    # given two residents served in 4 minutes each at counter 1
    hall.sign_in()
    for _ in range(2):
        hall.ticket("A")
        ticket = call(hall)
        act(ticket, TicketAction.START, hall.clerk_a1)
        clock.advance(minutes=4)
        act(ticket, TicketAction.FINISH, hall.clerk_a1)
    # when a second counter opens and six wait
    hall.sign_in(hall.clerk_a2, hall.counter_a2)
    for _ in range(6):
        hall.ticket("A")
    queue = next(q for q in selectors.group_queues(hall.centre_a) if q.group.code == "A")
    # then the wait is 6 tickets x 4 minutes / 2 counters
    assert (queue.counters, queue.waiting, queue.expected_minutes) == (2, 6, 12)


def test_the_end_of_the_day_closes_what_was_left_open(hall, clock):
    hall.sign_in()
    hall.ticket("A")
    serving = call(hall)
    act(serving, TicketAction.START, hall.clerk_a1)
    waiting = hall.ticket("A")
    clock.set("2026-09-29T01:00")
    result = services.queue_sweep()
    waiting.refresh_from_db()
    serving.refresh_from_db()
    assert waiting.status == TicketStatus.CANCELLED
    assert serving.status == TicketStatus.DONE and serving.handle_seconds is None  # no honest handling time
    hall.counter_a1.refresh_from_db()
    assert hall.counter_a1.clerk is None
    assert result.tickets_closed == 2 and result.counters_signed_out == 1
    assert services.queue_sweep().tickets_closed == 0
