"""Work orders, the domain layer: the transition table by party, conflicts, deadlines, escalation, notifications.

The clock is fixed (a Monday morning before the National Day holidays of 2026) unless a test moves it, so
deadlines are exact. Orders are reported by a resident at IN_A1 (仙霞路第一网格, street 宁海路) as "下水道堵塞"
(0201: street level, water department, 1 working day) unless a test says otherwise.
"""

import functools
import logging
import re
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image

from civicgrid.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    TransitionNotAllowed,
    ValidationError,
)
from civicgrid.core.models import AuditEntry, Notification
from civicgrid.people.choices import Role
from civicgrid.people.models import User
from civicgrid.regions.choices import Level
from civicgrid.workorders import selectors, services
from civicgrid.workorders.choices import (
    ESCALATION,
    PREVIOUS,
    REASON_REQUIRED,
    SAME,
    TRANSITIONS,
    Action,
    Party,
    Source,
    Status,
    Supervision,
)
from civicgrid.workorders.models import Attachment, WorkOrder, WorkOrderEvent, WorkOrderSequence
from civicgrid.workorders.permissions import parties_of
from tests.factories import staff
from tests.workorders.conftest import IN_A1, IN_B1

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOTE = "已到现场核实"
PHONE = "13912345678"
D, H, V, R, S, SYS = Party.DISPATCHER, Party.HANDLER, Party.VERIFIER, Party.REPORTER, Party.SUPERVISOR, Party.SYSTEM


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class Clock:
    """timezone.now() for everything the services, models and selectors do."""

    def __init__(self) -> None:
        self.at = local("2026-09-28T09:00")  # a Monday

    def now(self) -> datetime:
        return self.at

    def set(self, text: str) -> None:
        self.at = local(text)

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    fixed = Clock()
    monkeypatch.setattr(timezone, "now", fixed.now)
    return fixed


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# ---------------------------------------------------------------- helpers


def reported(linkage, *, code: str = "0201", point=IN_A1, phone: str = PHONE, **fields: Any) -> WorkOrder:
    fields.setdefault("description", "小区东门下水道堵塞，污水漫到路上")
    return services.report(
        actor=fields.pop("actor", None),
        source=fields.pop("source", Source.RESIDENT),
        lon=point[0],
        lat=point[1],
        incident_type_code=code,
        reporter_phone=phone,
        **fields,
    )


def do(order: WorkOrder, action: str, actor: Any, note: str = NOTE, **params: Any) -> WorkOrder:
    """Act as a user, as "system", or as "reporter" (the resident holding the tracking key)."""
    if actor == "system":
        who: dict[str, Any] = {"actor": None, "as_system": True}
    elif actor == "reporter":
        who = {"actor": None, "tracking_key": order.tracking_key}
    else:
        who = {"actor": actor}
    return services.act(**who, work_order_id=order.pk, action=action, note=note, **params)


def order_in(linkage, status: str, **fields: Any) -> WorkOrder:
    """A street-level drain order walked to `status` by the people who do each step."""
    t = linkage.tree
    order = reported(linkage, **fields)
    if status == Status.REPORTED:
        return order
    if status == Status.VOIDED:
        return do(order, Action.VOID, linkage.operator_a, note="重复上报，现场无此问题")
    if status == Status.MERGED:
        survivor = reported(linkage, phone="13900000001")
        return do(order, Action.MERGE, linkage.operator_a, into=survivor.number)
    order = do(order, Action.REGISTER, linkage.operator_a)
    if status == Status.REGISTERED:
        return order
    order = do(order, Action.DISPATCH, linkage.operator_a)
    if status == Status.DISPATCHED:
        return order
    if status == Status.SUSPENDED:
        return do(order, Action.SUSPEND, linkage.operator_a, note="等待道路开挖许可")
    order = do(order, Action.SIGN, linkage.water_handler)
    if status == Status.SIGNED:
        return order
    order = do(order, Action.HANDLE, linkage.water_handler, note="已疏通，恢复排水")
    if status == Status.HANDLED:
        return order
    order = do(order, Action.VERIFY_PASS, t.worker_a1)
    if status == Status.CLOSED:
        return order
    order = do(order, Action.RATE, "reporter", rating=4)
    assert status == Status.RATED
    return order


def footprint(order: WorkOrder) -> dict[str, Any]:
    """Everything a refused action must leave as it was."""
    row = WorkOrder.objects.values().get(pk=order.pk)
    return {
        **row,
        "events": WorkOrderEvent.objects.count(),
        "audit": AuditEntry.objects.count(),
        "notifications": Notification.objects.count(),
        "attachments": Attachment.objects.count(),
    }


def nothing_written() -> dict[str, int]:
    return {
        "orders": WorkOrder.objects.count(),
        "events": WorkOrderEvent.objects.count(),
        "audit": AuditEntry.objects.count(),
        "notifications": Notification.objects.count(),
        "attachments": Attachment.objects.count(),
        "numbers": sum(WorkOrderSequence.objects.values_list("last", flat=True)),
    }


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    """Do something for real inside a savepoint, check it, then undo it so the next actor starts from the same state."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def jpeg(size=(64, 48), **save: Any) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(out, "JPEG", **save)
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims to be `width` x `height` pixels in a few dozen bytes (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def inbox(user: User) -> list[str]:
    return list(Notification.objects.filter(recipient=user, channel="inbox").values_list("subject", flat=True))


def sms_to(phone: str) -> list[str]:
    return list(
        Notification.objects.filter(phone=phone, channel="sms").order_by("id").values_list("subject", flat=True)
    )


# ---------------------------------------------------------------- the transition table, party by party

# The people the table is tried with, and how each stands to the street-level drain order of `order_in`.
ROSTER = ("operator_a", "district_operator", "worker_a1", "water_handler", "reporter", "system", "police_1")


def actor_named(linkage, name: str) -> Any:
    if name in ("reporter", "system"):
        return name
    return getattr(linkage, name, None) or getattr(linkage.tree, name)


def parties_expected(linkage, name: str, order: WorkOrder) -> set[str]:
    return {
        "operator_a": {D, V, S},  # a street operator dispatches street orders; the street's operators supervise
        "district_operator": {S},  # supervises the district, dispatches only what reaches the district
        "worker_a1": {V},  # the grid worker checks the work on site
        "water_handler": {H} if order.department_id == linkage.water.pk else set(),
        "reporter": {R, V},  # the tracking key: rate, reopen, confirm the fix
        "system": {SYS},
        "police_1": set(),  # another department: sees the district's orders, takes no part in this one
    }[name]


def params_for(linkage, order: WorkOrder, action: str) -> dict[str, Any]:
    """What an action needs besides a note (and what must be true first)."""
    if action == Action.MERGE:
        return {"into": reported(linkage, phone="13900000002").number}
    if action == Action.RATE:
        return {"rating": 4}
    if action == Action.REQUEST_EXTENSION:
        return {"days": 2}
    if action == Action.SUPERVISE:
        return {"supervision": Supervision.YELLOW}
    if action in (Action.GRANT_EXTENSION, Action.REFUSE_EXTENSION):
        do(order, Action.REQUEST_EXTENSION, linkage.water_handler, note="管道需要整段更换", days=2)
    return {}


TABLE = [(status, action) for status, actions in TRANSITIONS.items() for action in actions]
NOT_IN_TABLE = [
    (status, [a for a in Action if a not in TRANSITIONS[status] and a not in (Action.REPORT, Action.SOLVE_ON_SPOT)])
    for status in TRANSITIONS
]


@pytest.mark.parametrize("status", [Status.REPORTED, Status.DISPATCHED])
def test_the_roster_stands_to_the_drain_order_as_the_table_tests_assume(linkage, status):
    order = order_in(linkage, status)
    for name in ROSTER:
        actor = actor_named(linkage, name)
        got = parties_of(
            None if actor in ("reporter", "system") else actor,
            order,
            tracking_key=order.tracking_key if actor == "reporter" else None,
            as_system=actor == "system",
        )
        assert got == parties_expected(linkage, name, order), name
    assert parties_of(None, order, tracking_key="not-the-key") == set()


@pytest.mark.parametrize(("status", "action"), TABLE, ids=[f"{s}-{a}" for s, a in TABLE])
def test_every_transition_is_done_by_the_parties_the_table_names_and_refused_to_everyone_else(linkage, status, action):
    # given an order in `status` and everything the action needs
    order = order_in(linkage, status)
    params = params_for(linkage, order, action)
    target, allowed = TRANSITIONS[status][action]
    # a suspended order (order_in suspends a dispatched one) resumes to where it was
    expected = status if target == SAME else (Status.DISPATCHED if target == PREVIOUS else target)
    exercised: set[str] = set()
    for name in ROSTER:
        actor = actor_named(linkage, name)
        mine = parties_expected(linkage, name, order)
        before = footprint(order)
        if mine & allowed:
            # when an allowed party acts, then the order moves as the table says, with one event and one audit row
            with rolled_back():
                done = do(order, action, actor, **params)
                assert done.status == expected, name
                event = WorkOrderEvent.objects.filter(work_order=order).latest("id")
                assert (event.action, event.from_status, event.to_status, event.note) == (
                    action,
                    status,
                    expected,
                    NOTE,
                ), name
                assert AuditEntry.objects.filter(action=f"work_order.{action}", object_id=str(order.pk)).count() == 1
            exercised |= mine & allowed
        else:
            # when anyone else tries, then they are told who may, and nothing is written
            with pytest.raises(PermissionDenied) as refused:
                do(order, action, actor, **params)
            for party in allowed:
                assert str(Party(party).label) in refused.value.message, (name, party)
            assert footprint(order) == before, name
    assert exercised == set(allowed)  # every party the table names was tried by someone


@pytest.mark.parametrize(("status", "actions"), NOT_IN_TABLE, ids=[s for s, _a in NOT_IN_TABLE])
def test_an_action_the_table_does_not_list_is_refused_naming_the_current_status(linkage, status, actions):
    order = order_in(linkage, status)
    before = footprint(order)
    assert actions
    for action in actions:
        for actor in (linkage.operator_a, "system", "reporter"):
            with pytest.raises(TransitionNotAllowed, match=re.escape(str(Status(status).label))):
                do(order, action, actor)
    assert footprint(order) == before


@pytest.mark.parametrize("action", [Action.REPORT, Action.SOLVE_ON_SPOT, "delete", ""])
def test_report_and_on_the_spot_are_not_actions_on_an_existing_order(linkage, action):
    order = order_in(linkage, Status.REPORTED)
    before = footprint(order)
    with pytest.raises(ValidationError, match="未知的操作"):
        do(order, action, linkage.operator_a)
    assert footprint(order) == before


def test_a_community_head_dispatches_community_orders_but_neither_supervises_nor_marks_overdue(linkage):
    # given a report of a broken stairway light: a community-level type
    order = reported(linkage, code="0305", description="3栋2单元楼道灯坏了")
    assert order.level == Level.COMMUNITY
    head = linkage.community_head_a
    assert parties_of(head, order) == {D, V}
    for action, params in ((Action.SUPERVISE, {"supervision": Supervision.YELLOW}), (Action.MARK_OVERDUE, {})):
        with pytest.raises(PermissionDenied):
            do(order, action, head, **params)
    # and the street operator, who supervises it, does not dispatch it
    with pytest.raises(PermissionDenied, match=str(Party.DISPATCHER.label)):
        do(order, Action.DISPATCH, linkage.operator_a)
    assert do(order, Action.DISPATCH, head).status == Status.DISPATCHED


def test_someone_outside_the_jurisdiction_is_told_the_order_does_not_exist(linkage):
    order = order_in(linkage, Status.REPORTED)
    before = footprint(order)
    for outsider in (linkage.operator_b, linkage.tree.worker_a2, linkage.tree.officer_b):
        with pytest.raises(NotFound):
            do(order, Action.REGISTER, outsider)
    with pytest.raises(NotFound):
        services.act(actor=linkage.operator_a, work_order_id=order.pk + 1000, action=Action.REGISTER, note=NOTE)
    assert footprint(order) == before


def test_unknown_parameters_are_refused_before_anything_is_done(linkage):
    order = order_in(linkage, Status.REPORTED)
    before = footprint(order)
    with pytest.raises(ValidationError, match="rating"):
        do(order, Action.REGISTER, linkage.operator_a, rating=5)
    with pytest.raises(ValidationError, match="into"):
        do(order, Action.VOID, linkage.operator_a, into="x")
    assert footprint(order) == before


REASON_CASES = [(next(s for s in TRANSITIONS if a in TRANSITIONS[s]), a) for a in sorted(REASON_REQUIRED)]


@pytest.mark.parametrize(("status", "action"), REASON_CASES, ids=[a for _s, a in REASON_CASES])
def test_actions_that_need_a_reason_are_refused_without_one(linkage, status, action):
    order = order_in(linkage, status)
    params = params_for(linkage, order, action)
    _target, allowed = TRANSITIONS[status][action]
    name = next(n for n in ROSTER if parties_expected(linkage, n, order) & allowed)
    actor = actor_named(linkage, name)
    before = footprint(order)
    for blank in ("", "   \n\t "):
        with pytest.raises(ValidationError) as refused:
            do(order, action, actor, note=blank, **params)
        assert "note" in refused.value.errors
        assert footprint(order) == before
    with pytest.raises(ValidationError, match="1000"):
        do(order, action, actor, note="很" * 1001, **params)
    assert footprint(order) == before
    # with a reason it goes through, and the reason is on the timeline
    do(order, action, actor, note="  管道老化需要更换  ", **params)
    assert WorkOrderEvent.objects.filter(work_order=order).latest("id").note == "管道老化需要更换"


# ---------------------------------------------------------------- two people at once


@pytest.mark.django_db(transaction=True)
def test_two_operators_dispatching_the_same_order_at_once_one_wins_and_the_other_is_told_why(linkage, monkeypatch):
    # given a reported order and two operators of the street
    second = staff(Role.OPERATOR, linkage.tree.street_a, username="operator_a2", full_name="宁海路指挥员乙")
    order = reported(linkage)
    original = services.APPLY[Action.DISPATCH]

    @functools.wraps(original)
    def slow_dispatch(locked: WorkOrder, **kwargs: Any) -> dict:
        time.sleep(0.3)  # whoever holds the row keeps it a while, so the other one really waits for it
        return original(locked, **kwargs)

    monkeypatch.setitem(services.APPLY, Action.DISPATCH, slow_dispatch)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def dispatch(user_id: int, department: str) -> None:
        try:
            user = User.objects.get(pk=user_id)
            barrier.wait()
            outcomes[department] = services.act(
                actor=user, work_order_id=order.pk, action=Action.DISPATCH, department_code=department
            )
        except (Conflict, TransitionNotAllowed) as error:
            outcomes[department] = error
        finally:
            connection.close()

    # when both dispatch it at the same moment, to different departments
    threads = [
        threading.Thread(target=dispatch, args=(linkage.operator_a.pk, "320106-water")),
        threading.Thread(target=dispatch, args=(second.pk, "320106-city_management")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly one dispatch happened and the other operator got a clear message about the current state
    winners = [department for department, outcome in outcomes.items() if isinstance(outcome, WorkOrder)]
    losers = [outcome for outcome in outcomes.values() if isinstance(outcome, Conflict | TransitionNotAllowed)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert order.number in losers[0].message and str(Status.DISPATCHED.label) in losers[0].message
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.department.code == winners[0] and order.version == 2
    assert order.events.filter(action=Action.DISPATCH).count() == 1
    assert AuditEntry.objects.filter(action="work_order.dispatch").count() == 1


def test_an_operator_acting_on_a_stale_page_gets_a_conflict_naming_the_new_state(linkage):
    order = order_in(linkage, Status.REPORTED)
    seen = order.version
    do(order, Action.REGISTER, linkage.operator_a, expected_version=seen)
    before = footprint(order)
    with pytest.raises(Conflict, match=str(Status.REGISTERED.label)):
        do(order, Action.VOID, linkage.tree.officer_a, note="不属实", expected_version=seen)
    assert footprint(order) == before


@pytest.mark.django_db(transaction=True)
def test_reports_filed_at_the_same_moment_get_distinct_readable_numbers(linkage):
    count = 8
    barrier = threading.Barrier(count)
    numbers: list[str] = []
    errors: list[Exception] = []

    def file(n: int) -> None:
        try:
            barrier.wait()
            order = services.report(
                actor=None,
                description=f"第{n}盏路灯不亮",
                source=Source.RESIDENT,
                lon=IN_A1[0],
                lat=IN_A1[1],
                incident_type_code="0303",
            )
            numbers.append(order.number)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(numbers) == [f"320106-20260928-{n:05d}" for n in range(1, count + 1)]
    assert WorkOrder.objects.count() == count


@pytest.mark.django_db(transaction=True)
def test_a_retried_report_sent_several_times_at_once_makes_one_order(linkage, monkeypatch):
    original = services._create
    creating: list[int] = []

    def slow_create(**kwargs: Any) -> WorkOrder:
        creating.append(1)
        time.sleep(0.2)  # every copy has looked for the key before the first one is written
        return original(**kwargs)

    monkeypatch.setattr(services, "_create", slow_create)
    count = 4
    barrier = threading.Barrier(count)
    numbers: list[str] = []
    errors: list[Exception] = []

    def file() -> None:
        try:
            barrier.wait()
            numbers.append(reported(linkage, idempotency_key="phone-7f3a-0001").number)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=file) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(creating) > 1  # the copies really raced past the first look for the key
    assert len(numbers) == count and len(set(numbers)) == 1
    assert WorkOrder.objects.count() == 1 and WorkOrderEvent.objects.count() == 1


def test_numbers_carry_the_district_and_the_local_day_and_count_per_day(linkage, clock):
    first = reported(linkage)
    assert re.fullmatch(r"320106-\d{8}-\d{5}", first.number)
    assert first.number == "320106-20260928-00001"
    assert reported(linkage).number == "320106-20260928-00002"
    # 07:30 in Shanghai is still the previous day in UTC: the number follows the local day
    clock.set("2026-09-29T07:30")
    assert reported(linkage).number == "320106-20260929-00001"


# ---------------------------------------------------------------- deadlines


def test_a_three_day_limit_dispatched_before_national_day_ends_on_the_adjusted_working_saturday(linkage, clock):
    # given a low water pressure report (3 working days) on the last working afternoon before the holidays
    clock.set("2026-09-30T16:30")
    order = reported(linkage, code="0104", description="6楼水压太小，热水器打不着")
    # then it must be dispatched within 1 working hour: 16:30-17:30
    assert timezone.localtime(order.dispatch_due_at) == local("2026-09-30T17:30")
    # when it is dispatched at once
    order = do(order, Action.DISPATCH, linkage.operator_a)
    # then signing (2 working hours) runs 16:30-17:30 and 08:30-09:30 on the first day after the holidays
    assert timezone.localtime(order.sign_due_at) == local("2026-10-08T09:30")
    # and handling (3 working days) counts 10-08, 10-09 and the working Saturday 10-10
    assert timezone.localtime(order.handle_due_at) == local("2026-10-10T17:30")
    assert not order.deadline_estimated


def test_a_deadline_in_a_year_without_calendar_rows_counts_weekdays_and_is_flagged(linkage, clock):
    # given no calendar rows for 2027 (the fixture has 2025-2026)
    clock.set("2026-12-31T10:00")
    order = reported(linkage, code="0104")
    assert not order.deadline_estimated  # one working hour stays inside 2026
    order = do(order, Action.DISPATCH, linkage.operator_a)
    # then 2027-01-01 (a Friday) counts as a working day, and the order says its deadline is an estimate
    assert timezone.localtime(order.handle_due_at) == local("2027-01-05T17:30")
    assert order.deadline_estimated
    # and an order reported wholly in 2027 works too
    clock.set("2027-03-06T10:00")  # a Saturday
    late = reported(linkage)
    assert timezone.localtime(late.dispatch_due_at) == local("2027-03-08T09:30") and late.deadline_estimated


# ---------------------------------------------------------------- escalation through five levels

LEVEL_DISPATCHERS_IN_TREE = {
    Level.GRID: {"worker_a1", "leader_a"},
    Level.COMMUNITY: {"community_head_a"},
    Level.STREET: {"operator_a", "officer_a"},
    Level.DISTRICT: {"district_operator", "admin"},
    Level.CITY: {"city_operator"},
}
OUTSIDERS = {"worker_a2", "worker_b1", "operator_b", "officer_b"}  # other grids and the other street
INSIDERS = set().union(*LEVEL_DISPATCHERS_IN_TREE.values()) | {"police_a1", "water_handler"}


def test_an_order_escalated_from_the_grid_to_the_city_waits_only_for_each_level_s_dispatchers(linkage):
    # given dog mess reported in grid a1: a grid-level type, so it lands with the grid worker
    order = reported(linkage, code="0603", description="草坪上很多狗粪没人清理")
    escalators = iter(["worker_a1", "community_head_a", "operator_a", "district_operator"])
    for level in (Level.GRID, Level.COMMUNITY, Level.STREET, Level.DISTRICT, Level.CITY):
        order.refresh_from_db()
        assert order.level == level
        mine = LEVEL_DISPATCHERS_IN_TREE[level]
        # then it is in the queue of that level's dispatchers and nobody else's
        for name in INSIDERS | OUTSIDERS:
            user = actor_named(linkage, name)
            in_queue = selectors.queue(actor=user).filter(pk=order.pk).exists()
            assert in_queue == (name in mine), (level, name)
        # and only they may dispatch or escalate it
        before = footprint(order)
        for name in (INSIDERS - mine) | OUTSIDERS:
            user = actor_named(linkage, name)
            for action in (Action.DISPATCH, Action.ESCALATE):
                with pytest.raises(NotFound if name in OUTSIDERS else PermissionDenied):
                    do(order, action, user)
        assert footprint(order) == before
        for name in mine:
            with rolled_back():
                assert do(order, Action.DISPATCH, actor_named(linkage, name)).status == Status.DISPATCHED
        if level == Level.CITY:
            break
        # when one of them escalates it with a reason
        name = next(escalators)
        order = do(order, Action.ESCALATE, actor_named(linkage, name), note="本级无力处置，请上级协调")
        # then the next level's dispatchers are told in their inbox
        upper = ESCALATION[level]
        for name in LEVEL_DISPATCHERS_IN_TREE[upper]:
            assert any(order.number in subject for subject in inbox(actor_named(linkage, name))), (upper, name)
    # then at the city there is nowhere higher: the city operator is told so, and nothing changes
    before = footprint(order)
    with pytest.raises(ValidationError, match="市级"):
        do(order, Action.ESCALATE, linkage.city_operator, note="再上报")
    assert footprint(order) == before
    assert order.escalation_count == 4 and order.status == Status.REGISTERED
    levels = [event.data.get("to_level") for event in order.events.filter(action=Action.ESCALATE)]
    assert levels == [Level.COMMUNITY, Level.STREET, Level.DISTRICT, Level.CITY]


# ---------------------------------------------------------------- merge, return, extension, suspension, checks


def test_merging_a_duplicate_notes_it_on_the_survivor_and_its_reporter_hears_when_the_survivor_closes(linkage):
    # given two residents reporting the same blocked drain
    survivor = reported(linkage, phone="13911110000")
    duplicate = reported(linkage, phone="13922220000")
    # when the operator merges the second into the first
    merged = do(duplicate, Action.MERGE, linkage.operator_a, into=survivor.number)
    # then the duplicate is closed as merged and the survivor's timeline says so
    assert merged.status == Status.MERGED and merged.merged_into == survivor and merged.dispatch_due_at is None
    note = survivor.events.get(action=Action.NOTE)
    assert duplicate.number in note.note and note.actor == linkage.operator_a
    suggested = selectors.possible_duplicates(
        actor=linkage.operator_a, incident_type=survivor.incident_type, lon=IN_A1[0], lat=IN_A1[1]
    )
    assert [order.pk for order, _metres in suggested] == [survivor.pk]  # the merged one is no longer suggested
    # when the survivor is handled and closed
    for action, actor, note_text in (
        (Action.DISPATCH, linkage.operator_a, NOTE),
        (Action.SIGN, linkage.water_handler, NOTE),
        (Action.HANDLE, linkage.water_handler, "已疏通"),
        (Action.VERIFY_PASS, linkage.tree.worker_a1, NOTE),
    ):
        survivor = do(survivor, action, actor, note=note_text)
    # then both reporters are told, each with a link to their own report (never the other one's key)
    for phone, own in (("13911110000", survivor), ("13922220000", duplicate)):
        closed = Notification.objects.get(phone=phone, channel="sms", subject="您反映的问题已办结")
        assert survivor.number in closed.body
        assert own.tracking_key in closed.url
    other = Notification.objects.get(phone="13922220000", subject="您反映的问题已办结")
    assert survivor.tracking_key not in other.url


def test_a_duplicate_of_a_duplicate_follows_the_final_survivor(linkage):
    first = reported(linkage, phone="13900000011")
    second = reported(linkage, phone="13900000012")
    third = reported(linkage, phone="13900000013")
    do(first, Action.MERGE, linkage.operator_a, into=second.number)
    do(second, Action.MERGE, linkage.operator_a, into=third.number)
    first.refresh_from_db()
    assert first.merged_into == third
    third = order_in_from(linkage, third, Status.CLOSED)
    assert "您反映的问题已办结" in sms_to("13900000011")


def order_in_from(linkage, order: WorkOrder, status: str) -> WorkOrder:
    assert status == Status.CLOSED
    order = do(order, Action.DISPATCH, linkage.operator_a)
    order = do(order, Action.SIGN, linkage.water_handler)
    order = do(order, Action.HANDLE, linkage.water_handler, note="已疏通")
    return do(order, Action.VERIFY_PASS, linkage.tree.worker_a1)


@pytest.mark.parametrize("target", ["self", "closed", "unknown", "other_street", ""])
def test_a_merge_into_an_order_that_cannot_take_it_is_refused(linkage, target):
    order = order_in(linkage, Status.REPORTED)
    into = {
        "self": order.number,
        "closed": order_in(linkage, Status.CLOSED, phone="13900000021").number,
        "unknown": "320106-20260928-09999",
        "other_street": reported(linkage, point=IN_B1, phone="13900000022").number,
        "": "",
    }[target]
    before = footprint(order)
    with pytest.raises(ValidationError):
        do(order, Action.MERGE, linkage.operator_a, into=into)
    assert footprint(order) == before


@pytest.mark.parametrize("status", [Status.DISPATCHED, Status.SIGNED])
def test_a_handler_returning_an_order_gives_it_back_to_the_dispatchers_without_a_department(linkage, status):
    order = order_in(linkage, status)
    order = do(order, Action.RETURN, linkage.water_handler, note="不属于水务职责，应由城管处理")
    assert order.status == Status.REGISTERED and order.level == Level.STREET
    assert order.department is None and order.assignee is None and order.return_count == 1
    assert order.sign_due_at is None and order.handle_due_at is None and order.dispatch_due_at is not None
    assert "工单被退回：" + order.number in inbox(linkage.operator_a)
    assert selectors.queue(actor=linkage.operator_a).filter(pk=order.pk).exists()
    assert not selectors.tasks_of(actor=linkage.water_handler).filter(pk=order.pk).exists()
    # and the water department is no longer its handler
    assert parties_of(linkage.water_handler, order) == set()


def test_an_extension_moves_the_handling_deadline_by_working_days_when_granted_and_not_when_refused(linkage, clock):
    order = order_in(linkage, Status.SIGNED)  # dispatched Monday 2026-09-28 09:00, 1 working day
    assert timezone.localtime(order.handle_due_at) == local("2026-09-29T17:30")
    # when the handler asks for 3 more working days
    order = do(order, Action.REQUEST_EXTENSION, linkage.water_handler, note="需要更换整段管道", days=3)
    assert order.extension_pending_days == 3
    # then a second request waits for the first
    with pytest.raises(ValidationError, match="等待审批"):
        do(order, Action.REQUEST_EXTENSION, linkage.water_handler, note="再延", days=1)
    # when the operator grants it: 09-30, then the holidays, then 10-08 and 10-09
    order = do(order, Action.GRANT_EXTENSION, linkage.operator_a)
    assert timezone.localtime(order.handle_due_at) == local("2026-10-09T17:30")
    assert order.extension_pending_days is None and order.extension_count == 1
    # when a further request is refused, then the deadline stays
    do(order, Action.REQUEST_EXTENSION, linkage.water_handler, note="材料未到", days=2)
    order = do(order, Action.REFUSE_EXTENSION, linkage.operator_a, note="材料可以调配")
    assert timezone.localtime(order.handle_due_at) == local("2026-10-09T17:30")
    assert order.extension_pending_days is None and order.extension_count == 1
    # and there is nothing left to grant
    before = footprint(order)
    with pytest.raises(ValidationError, match="没有等待审批"):
        do(order, Action.GRANT_EXTENSION, linkage.operator_a)
    assert footprint(order) == before


@pytest.mark.parametrize("days", [0, 31, -1, None, "3", 2.5])
def test_an_extension_must_be_1_to_30_working_days(linkage, days):
    order = order_in(linkage, Status.SIGNED)
    before = footprint(order)
    with pytest.raises(ValidationError, match="1 到 30"):
        do(order, Action.REQUEST_EXTENSION, linkage.water_handler, days=days)
    assert footprint(order) == before


def test_a_suspended_order_keeps_its_clock_stopped_and_resumes_with_deadlines_moved_by_the_pause(linkage, clock):
    order = order_in(linkage, Status.DISPATCHED)
    sign_due, handle_due = order.sign_due_at, order.handle_due_at
    clock.advance(hours=1)
    order = do(order, Action.SUSPEND, linkage.operator_a, note="等待道路开挖许可")
    assert order.status == Status.SUSPENDED and order.suspended_from == Status.DISPATCHED
    # while suspended nothing is overdue, however long it waits
    clock.advance(days=3, hours=2)
    assert services.sweep_deadlines(now=clock.at) == {"overdue": 0, "escalated": 0, "red": 0}
    order = do(order, Action.RESUME, linkage.operator_a)
    assert order.status == Status.DISPATCHED and order.suspended_from == ""
    assert order.sign_due_at == sign_due + timedelta(days=3, hours=2)
    assert order.handle_due_at == handle_due + timedelta(days=3, hours=2)
    assert order.events.latest("id").data["paused_hours"] == 74.0
    assert not order.is_overdue


def test_a_failed_check_sends_the_work_back_to_the_handler_and_counts_the_rework(linkage):
    order = order_in(linkage, Status.HANDLED)
    order = do(order, Action.VERIFY_FAIL, linkage.tree.worker_a1, note="仍有积水，未彻底疏通")
    assert order.status == Status.SIGNED and order.rework_count == 1 and order.handled_at is None
    assert order.department == linkage.water
    order = do(order, Action.HANDLE, linkage.water_handler, note="二次疏通完成")
    order = do(order, Action.VERIFY_FAIL, linkage.tree.worker_a1, note="井内仍有淤泥")
    assert order.rework_count == 2
    order = do(order, Action.HANDLE, linkage.water_handler, note="清淤完成")
    order = do(order, Action.VERIFY_PASS, linkage.tree.worker_a1)
    assert order.status == Status.CLOSED and order.closed_at is not None and order.rework_count == 2


@pytest.mark.parametrize("status", [Status.CLOSED, Status.RATED])
def test_the_reporter_may_reopen_within_seven_days_of_closing_and_not_after(linkage, clock, status):
    order = order_in(linkage, status)
    # a day after the limit: refused, with the way forward
    clock.advance(days=7, minutes=1)
    before = footprint(order)
    with pytest.raises(ValidationError, match="7 天"):
        do(order, Action.REOPEN, "reporter", note="又堵了")
    assert footprint(order) == before
    # just inside the limit: reopened, back with the dispatchers, the old handling forgotten
    clock.advance(minutes=-2)
    order = do(order, Action.REOPEN, "reporter", note="又堵了")
    assert order.status == Status.REGISTERED and order.reopen_count == 1
    assert order.department is None and order.closed_at is None and order.rating is None
    assert selectors.queue(actor=linkage.operator_a).filter(pk=order.pk).exists()


@pytest.mark.parametrize("rating", [0, 6, -1, None, "5", 4.5, True])
def test_a_rating_is_a_whole_number_of_stars_from_1_to_5(linkage, rating):
    order = order_in(linkage, Status.CLOSED)
    before = footprint(order)
    with pytest.raises(ValidationError, match="1 到 5"):
        do(order, Action.RATE, "reporter", rating=rating)
    assert footprint(order) == before


@pytest.mark.parametrize("rating", [1, 5])
def test_the_reporter_rates_a_closed_order(linkage, rating):
    order = order_in(linkage, Status.CLOSED)
    order = do(order, Action.RATE, "reporter", note="处理及时", rating=rating)
    assert order.status == Status.RATED and order.rating == rating and order.rating_comment == "处理及时"
    assert order.events.latest("id").actor is None and order.events.latest("id").actor_label == "上报人"


def test_supervision_goes_up_from_yellow_to_red_and_never_down(linkage):
    order = order_in(linkage, Status.SIGNED)
    order = do(order, Action.SUPERVISE, linkage.district_operator, supervision=Supervision.YELLOW)
    assert order.supervision == Supervision.YELLOW
    assert "工单被督办：" + order.number in inbox(order.assignee)
    order = do(order, Action.SUPERVISE, linkage.district_operator, supervision=Supervision.RED)
    before = footprint(order)
    for level in (Supervision.YELLOW, Supervision.RED, "", "purple"):
        with pytest.raises(ValidationError):
            do(order, Action.SUPERVISE, linkage.district_operator, supervision=level)
    assert footprint(order) == before


# ---------------------------------------------------------------- reporting


def test_a_grid_worker_solving_it_on_the_spot_files_a_closed_order(linkage):
    worker = linkage.tree.worker_a1
    order = reported(
        linkage,
        actor=worker,
        source=Source.PATROL,
        code="0703",
        phone="",
        description="楼下乱堆的纸箱已清理",
        solved_on_spot=True,
        photos=[jpeg()],
    )
    assert order.status == Status.CLOSED and order.solved_on_spot and order.level == Level.GRID
    assert order.closed_at == order.reported_at and order.assignee == worker and order.closed_on_time
    assert [e.action for e in order.events.all()] == [Action.REPORT, Action.SOLVE_ON_SPOT]
    assert not selectors.queue(actor=worker).filter(pk=order.pk).exists()
    assert AuditEntry.objects.get(action="work_order.report").after["status"] == Status.CLOSED


@pytest.mark.parametrize("who", ["operator_a", "worker_a2", "worker_b1", "water_handler", None])
def test_only_the_grid_s_own_staff_may_file_an_order_solved_on_the_spot(linkage, who):
    before = nothing_written()
    actor = actor_named(linkage, who) if who else None
    source = Source.RESIDENT if actor is None else Source.PATROL
    with pytest.raises(PermissionDenied):
        reported(linkage, actor=actor, source=source, code="0703", solved_on_spot=True)
    assert nothing_written() == before


def test_a_retried_report_with_the_same_idempotency_key_makes_one_order(linkage):
    first = reported(linkage, idempotency_key="a1b2c3")
    again = reported(linkage, idempotency_key="a1b2c3", description="重复提交")
    assert again.pk == first.pk and WorkOrder.objects.count() == 1
    assert reported(linkage, idempotency_key="d4e5f6").pk != first.pk
    # the same key from a member of staff is their own, not the public's
    staffs = reported(linkage, actor=linkage.tree.worker_a1, source=Source.PATROL, idempotency_key="a1b2c3")
    assert staffs.pk != first.pk and WorkOrder.objects.count() == 3


def test_anonymous_reports_are_rate_limited_per_client_and_staff_are_not(linkage, settings, clock):
    settings.ANONYMOUS_REPORTS_PER_HOUR = 3
    for n in range(3):
        reported(linkage, client_address="198.51.100.9", description=f"第{n}次上报")
    before = nothing_written()
    with pytest.raises(RateLimited, match="3"):
        reported(linkage, client_address="198.51.100.9")
    assert nothing_written() == before
    # another client, and staff from the same address, are not held up
    reported(linkage, client_address="198.51.100.10")
    for _ in range(4):
        reported(linkage, actor=linkage.tree.worker_a1, source=Source.PATROL, client_address="198.51.100.9")
    # and an hour later the first client may report again
    clock.advance(minutes=61)
    reported(linkage, client_address="198.51.100.9")
    # the address itself is never stored
    assert not WorkOrder.objects.filter(client_fingerprint__contains="198.51").exists()


BAD_REPORTS = {
    "empty description": ({"description": ""}, "description"),
    "blank description": ({"description": " \n\t "}, "description"),
    "10,000-character description": ({"description": "堵" * 10_000}, "description"),
    "outside every grid": ({"point": (116.397, 39.909)}, "location"),
    "not on earth": ({"point": (218.0, 32.0)}, "location"),
    "no location": ({"point": (None, None)}, "location"),
    "unknown type": ({"code": "9999"}, "incident_type"),
    "bad phone": ({"phone": "12345"}, "reporter_phone"),
    "a PDF named .jpg": ({"photos": [b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n"]}, None),
    "a truncated JPEG": ({"photos": [jpeg()[:200]]}, None),
    "an image over 10 MB": ({"photos": [jpeg() + b"\0" * (10 * 1024 * 1024)]}, None),
    "a 9000 x 9000 picture": ({"photos": [png_header(9_000, 9_000)]}, None),
    "a 30000 x 30000 picture": ({"photos": [png_header(30_000, 30_000)]}, None),
    "seven photos": ({"photos": [jpeg()] * 7}, None),
    "unknown source": ({"source": "carrier_pigeon"}, None),
    "staff-only source": ({"source": Source.PATROL}, None),
}


@pytest.mark.parametrize(("fields", "field"), BAD_REPORTS.values(), ids=BAD_REPORTS.keys())
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(linkage, settings, fields, field):
    before = nothing_written()
    expected: type[Exception] = PermissionDenied if fields.get("source") == Source.PATROL else ValidationError
    with pytest.raises(expected) as refused:
        reported(linkage, **fields)
    assert refused.value.message
    if field:
        assert field in refused.value.errors
    assert nothing_written() == before
    assert not (settings.MEDIA_ROOT.exists() and any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*")))


def test_pictures_too_large_to_open_are_refused_as_too_large(linkage):
    for picture in (png_header(9_000, 9_000), png_header(30_000, 30_000)):
        with pytest.raises(ValidationError, match="像素"):
            reported(linkage, photos=[picture])


def test_photos_are_stored_as_plain_jpeg_without_the_camera_s_metadata(linkage, settings):
    # given a phone photo with its maker, model, GPS position and an orientation tag (taken rotated)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model X9"
    exif[0x0112] = 6  # rotate 90 degrees when shown
    exif[0x8825] = {1: "N", 2: (32.0, 0.0, 18.0), 3: "E", 4: (118.0, 42.0, 18.0)}
    photo = jpeg((64, 48), exif=exif.tobytes())
    assert b"PhoneMaker" in photo
    png = BytesIO()
    Image.new("RGBA", (30, 20), (0, 0, 255, 128)).save(png, "PNG")
    # when a resident reports with it
    order = reported(linkage, photos=[photo, png.getvalue()])
    # then what is kept is a JPEG without any EXIF, upright, under a name that says nothing of the client's
    stored = list(order.attachments.order_by("id"))
    assert len(stored) == 2
    for attachment, (width, height) in zip(stored, [(48, 64), (30, 20)], strict=True):
        with attachment.file.open("rb") as stored_file:
            data = stored_file.read()
        assert attachment.content_type == "image/jpeg" and attachment.size == len(data)
        with Image.open(BytesIO(data)) as image:
            assert image.format == "JPEG" and image.size == (width, height)
            assert not image.getexif() and "exif" not in image.info
        assert b"PhoneMaker" not in data and b"Model X9" not in data
        assert re.fullmatch(r"workorders/2026/09/[0-9a-f]{24}\.jpg", attachment.file.name)
        assert (attachment.width, attachment.height) == (width, height)
    assert stored[0].event == order.events.get(action=Action.REPORT)


# ---------------------------------------------------------------- officers and auto dispatch


def near(point: tuple[float, float], metres_east: float) -> tuple[float, float]:
    return (point[0] + metres_east / 94_400, point[1])  # a degree of longitude is ~94.4 km at 32 degrees north


def test_the_nearest_on_duty_officer_with_a_fresh_position_is_suggested(linkage, clock):
    lon, lat = near(IN_A1, 120)
    services.position_report(actor=linkage.police_1, lon=lon, lat=lat)
    lon, lat = near(IN_A1, 600)
    services.position_report(actor=linkage.police_2, lon=lon, lat=lat)
    order = reported(linkage, code="0401", description="一辆白色轿车堵住小区大门")
    suggestion = selectors.suggest_handler(order)
    assert suggestion.department == linkage.police and suggestion.assignee == linkage.police_1
    assert suggestion.reason == "nearest_officer" and 100 < suggestion.distance_m < 140
    # an officer whose phone has been silent for more than 30 minutes is not counted as on the street
    clock.advance(minutes=20)
    services.position_report(actor=linkage.police_2, lon=lon, lat=lat)
    clock.advance(minutes=11)
    assert selectors.suggest_handler(order).assignee == linkage.police_2
    # nor is one who went off duty
    services.position_report(actor=linkage.police_1, lon=IN_A1[0], lat=IN_A1[1])
    services.position_report(actor=linkage.police_2, lon=lon, lat=lat, on_duty=False)
    assert selectors.suggest_handler(order).assignee == linkage.police_1
    # with nobody fresh, the department gets it
    clock.advance(minutes=31)
    suggestion = selectors.suggest_handler(order)
    assert suggestion.department == linkage.police and suggestion.assignee is None


def test_only_field_staff_report_positions_and_only_real_ones(linkage):
    with pytest.raises(PermissionDenied):
        services.position_report(actor=linkage.operator_a, lon=IN_A1[0], lat=IN_A1[1])
    with pytest.raises(PermissionDenied):
        services.position_report(actor=None, lon=IN_A1[0], lat=IN_A1[1])
    with pytest.raises(ValidationError):
        services.position_report(actor=linkage.police_1, lon=IN_A1[0], lat=95.0)
    position = services.position_report(actor=linkage.police_1, lon=IN_A1[0], lat=IN_A1[1])
    services.position_report(actor=linkage.police_1, lon=IN_B1[0], lat=IN_B1[1])
    position.refresh_from_db()
    assert (position.lon, position.lat) == IN_B1  # the latest position only


def test_an_auto_dispatched_order_goes_to_the_nearest_officer_who_is_told_at_once(linkage):
    lon, lat = near(IN_A1, 300)
    services.position_report(actor=linkage.police_2, lon=lon, lat=lat)
    order = reported(linkage, code="0401", description="一辆白色轿车堵住小区大门")
    order = services.auto_dispatch(work_order_id=order.pk)
    assert order.status == Status.DISPATCHED and order.assignee == linkage.police_2
    assert order.department == linkage.police
    assert timezone.localtime(order.handle_due_at) == local("2026-09-28T11:00")  # 2 working hours
    event = order.events.get(action=Action.DISPATCH)
    assert event.actor is None and event.actor_label == "系统"
    assert inbox(linkage.police_2) == ["新工单待签收：" + order.number]
    assert inbox(linkage.police_1) == []
    assert sms_to(linkage.police_2.phone) == ["新工单待签收：" + order.number]  # a field officer is on the street
    # a second run (the task retried) changes nothing
    assert services.auto_dispatch(work_order_id=order.pk) is None
    assert order.events.filter(action=Action.DISPATCH).count() == 1


def test_auto_dispatch_leaves_an_order_it_cannot_place_with_the_operators(linkage):
    linkage.police.is_active = False
    linkage.police.save()
    order = reported(linkage, code="0401")
    assert services.auto_dispatch(work_order_id=order.pk) is None
    order.refresh_from_db()
    assert order.status == Status.REPORTED
    assert selectors.queue(actor=linkage.operator_a).filter(pk=order.pk).exists()
    assert services.auto_dispatch(work_order_id=order.pk + 999) is None


def test_auto_dispatch_gives_way_to_an_operator_who_dispatched_while_it_was_choosing(linkage, monkeypatch):
    order = reported(linkage, code="0401")
    choose = selectors.suggest_handler

    def operator_first(chosen: WorkOrder) -> Any:
        do(chosen, Action.DISPATCH, linkage.operator_a, department_code="320106-police", assignee="police_1")
        return choose(chosen)

    monkeypatch.setattr(selectors, "suggest_handler", operator_first)
    assert services.auto_dispatch(work_order_id=order.pk) is None
    order.refresh_from_db()
    assert order.assignee == linkage.police_1 and order.events.filter(action=Action.DISPATCH).count() == 1


def test_an_order_dispatched_by_hand_before_the_task_runs_is_left_alone(linkage):
    order = reported(linkage, code="0401")
    do(order, Action.DISPATCH, linkage.operator_a, assignee="police_1", department_code="320106-police")
    assert services.auto_dispatch(work_order_id=order.pk) is None


# ---------------------------------------------------------------- the deadline sweep


def test_the_sweep_marks_an_undispatched_order_overdue_with_a_yellow_card_then_red_and_is_idempotent(linkage, clock):
    order = reported(linkage)  # 09:00, one working hour to dispatch
    assert services.sweep_deadlines(now=clock.at) == {"overdue": 0, "escalated": 0, "red": 0}
    clock.set("2026-09-28T10:01")
    assert services.sweep_deadlines(now=clock.at) == {"overdue": 1, "escalated": 0, "red": 0}
    order.refresh_from_db()
    assert order.is_overdue and order.supervision == Supervision.YELLOW and order.status == Status.REPORTED
    event = order.events.get(action=Action.MARK_OVERDUE)
    assert event.actor is None and event.actor_label == "系统"
    # a second sweep finds nothing new
    before = footprint(order)
    assert services.sweep_deadlines(now=clock.at) == {"overdue": 0, "escalated": 0, "red": 0}
    assert footprint(order) == before
    # by the close of the next working day, still undispatched: red
    clock.set("2026-09-29T17:29")
    assert services.sweep_deadlines(now=clock.at)["red"] == 0
    clock.set("2026-09-29T17:31")
    assert services.sweep_deadlines(now=clock.at)["red"] == 1
    order.refresh_from_db()
    assert order.supervision == Supervision.RED
    assert services.sweep_deadlines(now=clock.at) == {"overdue": 0, "escalated": 0, "red": 0}


def test_the_sweep_cards_a_late_handler_yellow_then_red_a_working_day_later_skipping_the_holidays(linkage, clock):
    clock.set("2026-09-29T09:00")
    order = order_in(linkage, Status.SIGNED)  # 1 working day: due 09-30 17:30
    assert timezone.localtime(order.handle_due_at) == local("2026-09-30T17:30")
    clock.set("2026-09-30T17:29")
    assert services.sweep_deadlines(now=clock.at)["overdue"] == 0
    clock.set("2026-09-30T17:31")
    assert services.sweep_deadlines(now=clock.at)["overdue"] == 1
    order.refresh_from_db()
    assert order.is_overdue and order.supervision == Supervision.YELLOW
    assert "工单已超期：" + order.number in inbox(linkage.water_handler)
    # the holidays are not working days: still yellow on the last day of them
    clock.set("2026-10-07T23:00")
    assert services.sweep_deadlines(now=clock.at)["red"] == 0
    clock.set("2026-10-08T17:31")
    assert services.sweep_deadlines(now=clock.at) == {"overdue": 0, "escalated": 0, "red": 1}
    order.refresh_from_db()
    assert order.supervision == Supervision.RED and order.is_overdue
    assert services.sweep_deadlines(now=clock.at) == {"overdue": 0, "escalated": 0, "red": 0}
    # when it is handled and checked after all, it closes late
    order = do(order, Action.HANDLE, linkage.water_handler, note="已疏通")
    order = do(order, Action.VERIFY_PASS, linkage.tree.worker_a1)
    assert order.closed_on_time is False and order.handled_on_time is False and not order.is_overdue


def test_the_sweep_escalates_undispatched_orders_of_types_that_say_so_up_to_the_city(linkage, clock):
    # given a water cut (0101: escalate when not dispatched in time), reported to the street
    order = reported(linkage, code="0101", description="整栋楼停水一天了")
    plain = reported(linkage, code="0201")
    assert order.level == Level.STREET
    clock.set("2026-09-28T10:01")
    assert services.sweep_deadlines(now=clock.at) == {"overdue": 1, "escalated": 1, "red": 0}
    order.refresh_from_db()
    plain.refresh_from_db()
    assert plain.level == Level.STREET and plain.is_overdue
    assert order.level == Level.DISTRICT and order.status == Status.REGISTERED and not order.is_overdue
    assert order.escalation_count == 1 and timezone.localtime(order.dispatch_due_at) == local("2026-09-28T11:01")
    assert "下级上报工单：" + order.number in inbox(linkage.district_operator)
    assert "您的上报已立案" in sms_to(PHONE)
    assert services.sweep_deadlines(now=clock.at)["escalated"] == 0
    clock.set("2026-09-28T11:02")
    assert services.sweep_deadlines(now=clock.at)["escalated"] == 1
    order.refresh_from_db()
    assert order.level == Level.CITY
    assert selectors.queue(actor=linkage.city_operator).filter(pk=order.pk).exists()
    # at the city it cannot go higher: it is marked overdue instead
    clock.set("2026-09-28T14:00")
    assert services.sweep_deadlines(now=clock.at) == {"overdue": 1, "escalated": 0, "red": 0}
    order.refresh_from_db()
    assert order.level == Level.CITY and order.is_overdue and order.supervision == Supervision.YELLOW


# ---------------------------------------------------------------- telling the reporter


def test_the_reporter_s_phone_is_told_at_register_and_close_and_the_log_shows_only_a_masked_number(
    linkage, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_in(linkage, Status.CLOSED)
    assert sms_to(PHONE) == ["您的上报已立案", "您反映的问题已办结"]
    messages = Notification.objects.filter(phone=PHONE, channel="sms")
    assert all(m.sent_at is not None and m.recipient is None for m in messages)
    assert all(order.tracking_key in m.url for m in messages)
    assert "139****5678" in caplog.text
    assert PHONE not in caplog.text


def test_the_reporter_is_told_when_the_report_is_not_registered(linkage, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_in(linkage, Status.VOIDED)
    message = Notification.objects.get(phone=PHONE, channel="sms")
    assert message.subject == "您的上报未予立案" and "现场无此问题" in message.body and order.number in message.body


def test_a_report_registered_and_dispatched_in_one_click_still_tells_the_reporter_it_is_registered(linkage):
    order = reported(linkage)
    do(order, Action.DISPATCH, linkage.operator_a)
    assert sms_to(PHONE) == ["您的上报已立案"]
    # once only: a later redispatch does not say it again
    do(order, Action.REDISPATCH, linkage.operator_a, department_code="320106-city_management")
    assert sms_to(PHONE) == ["您的上报已立案"]


def test_staff_who_report_hear_in_their_inbox_not_by_sms(linkage):
    worker = linkage.tree.worker_a1
    order = reported(linkage, actor=worker, source=Source.PATROL, phone="")
    order = do(order, Action.REGISTER, linkage.operator_a)
    assert inbox(worker) == ["您的上报已立案"]
    assert not Notification.objects.filter(channel="sms").exists()


def test_a_failing_sms_gateway_is_recorded_and_does_not_undo_the_change(
    linkage, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_SMS_BACKEND = "tests.workorders.test_services.BrokenGateway"
    with django_capture_on_commit_callbacks(execute=True):
        order = do(reported(linkage), Action.REGISTER, linkage.operator_a)
    assert order.status == Status.REGISTERED
    message = Notification.objects.get(phone=PHONE)
    assert message.sent_at is None and message.error == "gateway down"


class BrokenGateway:
    def send(self, phone: str, text: str) -> None:
        raise RuntimeError("gateway down")
