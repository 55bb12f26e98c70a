"""The demo district's work orders: months of history in every state, handlers and officers on duty, figures."""

import re
from collections import Counter
from datetime import timedelta
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from civicgrid.people.choices import Role
from civicgrid.people.models import Post, User
from civicgrid.regions import selectors as regions
from civicgrid.workorders import selectors
from civicgrid.workorders.choices import OPEN_STATUSES, TRANSITIONS, Action, Source, Status, Supervision
from civicgrid.workorders.models import IncidentType, OfficerPosition, WorkOrder, WorkOrderEvent

pytestmark = pytest.mark.django_db
NUMBER = re.compile(r"^320106-(\d{8})-(\d{5})$")


@pytest.fixture
def small_gulou(capsys) -> str:
    call_command("demo", scale="small")
    return capsys.readouterr().out


def test_the_demo_has_work_orders_in_every_status_with_timelines_that_fit_them(small_gulou):
    orders = list(WorkOrder.objects.all())
    # a few hundred orders over the past months, in every status
    assert 250 <= len(orders) <= 600
    assert set(Counter(o.status for o in orders)) == set(Status.values)
    now = timezone.now()
    assert min(o.reported_at for o in orders) > now - timedelta(days=190)
    assert max(o.reported_at for o in orders) <= now
    # numbers: unique, well formed, dated the local day of the report
    assert len({o.number for o in orders}) == len(orders)
    for order in orders:
        match = NUMBER.match(order.number)
        assert match and match.group(1) == timezone.localtime(order.reported_at).strftime("%Y%m%d"), order.number
    events: dict[int, list[WorkOrderEvent]] = {}
    for event in WorkOrderEvent.objects.order_by("created_at", "id"):
        events.setdefault(event.work_order_id, []).append(event)
    for order in orders:
        timeline = events[order.pk]
        # every timeline starts with the report, runs forward in time, chains its statuses, ends in the status
        assert timeline[0].action == Action.REPORT, order.number
        # (a live report stamps its event a few milliseconds after the order)
        assert abs(timeline[0].created_at - order.reported_at) < timedelta(seconds=1), order.number
        assert all(a.created_at <= b.created_at <= now for a, b in pairwise(timeline))
        assert all(a.to_status == b.from_status for a, b in pairwise(timeline)), order.number
        assert timeline[-1].to_status == order.status, order.number
        for event in timeline[1:]:
            if event.action not in (Action.SOLVE_ON_SPOT,):
                assert event.action in TRANSITIONS[event.from_status], (order.number, event.action)
        actions = [e.action for e in timeline]
        if order.status in (Status.CLOSED, Status.RATED) and not order.solved_on_spot:
            # closed: dispatched, signed, handled and verified, in that order, closed when verified
            positions = [actions.index(a) for a in (Action.DISPATCH, Action.SIGN, Action.HANDLE, Action.VERIFY_PASS)]
            assert positions == sorted(positions), (order.number, actions)
            assert order.closed_at == [e for e in timeline if e.action == Action.VERIFY_PASS][-1].created_at
            assert order.closed_on_time is not None and order.handled_on_time is not None
        if order.status == Status.RATED:
            assert 1 <= order.rating <= 5 and order.rated_at >= order.closed_at
        if order.status == Status.MERGED:
            assert order.merged_into is not None and order.merged_into.reported_at <= order.reported_at
        if order.status in OPEN_STATUSES and order.status != Status.REPORTED:
            assert order.registered_at is not None
    # each order lies in the grid that holds its point (those raised for a grid without one, e.g. from a reverse
    # evaluation comment or a grid worker's found problem, lie in that grid)
    for order in orders:
        if order.lon is None:
            assert order.region.level == "grid", order.number
            continue
        found = regions.grid_at(order.lon, order.lat)
        assert found is not None and found.id == order.region_id, order.number


def test_the_demo_history_has_the_turns_a_real_district_has(small_gulou):
    rows = WorkOrder.objects.all()
    # every source, many types, every street
    assert set(rows.values_list("source", flat=True)) >= {Source.PATROL, Source.RESIDENT, Source.HOTLINE}
    assert rows.values("incident_type").distinct().count() >= 25
    assert rows.values("region_path").distinct().count() >= 20
    # solved on the spot, escalated, returned, reworked, extended, overdue with yellow and red supervision
    assert rows.filter(solved_on_spot=True).exists()
    assert rows.filter(escalation_count__gt=0).exists()
    assert rows.filter(return_count__gt=0).exists() and rows.filter(rework_count__gt=0).exists()
    assert rows.filter(extension_count__gt=0).exists()
    assert rows.filter(status=Status.SIGNED, extension_pending_days__isnull=False).exists()
    assert rows.filter(supervision=Supervision.YELLOW).exists() and rows.filter(supervision=Supervision.RED).exists()
    # figures that look like a working district: most closed on time, most rated, ratings mostly 4 and 5
    closed = rows.filter(closed_at__isnull=False)
    figures = closed.aggregate(
        n=Count("id"), on_time=Count("id", filter=Q(closed_on_time=True)), rated=Count("id", filter=Q(rating__gte=1))
    )
    assert closed.count() >= 0.8 * rows.count()
    assert 0.75 <= figures["on_time"] / figures["n"] < 1
    assert figures["rated"] >= 0.6 * figures["n"]
    assert rows.filter(rating__gte=4).count() >= 0.75 * rows.filter(rating__isnull=False).count()
    # residents' personal data lies only where it belongs: on resident and hotline reports
    assert not rows.filter(source=Source.PATROL).exclude(reporter_phone="").exists()


def test_the_demo_has_handlers_for_every_department_and_officers_on_duty(small_gulou):
    # every department the responsibility list names has handlers, field departments an officer in each street
    keys = set(IncidentType.objects.exclude(department_key="").values_list("department_key", flat=True))
    for key in keys:
        handlers = Post.objects.filter(role=Role.DEPARTMENT_HANDLER, is_active=True, department__code=f"320106-{key}")
        assert handlers.count() >= 2, key
    fresh = OfficerPosition.objects.filter(on_duty=True, reported_at__gte=timezone.now() - timedelta(minutes=30))
    assert fresh.count() >= 5
    for position in fresh:
        assert regions.grid_at(position.lon, position.lat) is not None
    # the queues have work: the street operator has new reports, a department its tasks
    operators = User.objects.filter(posts__role=Role.OPERATOR).distinct()
    assert any(selectors.queue(actor=operator).exists() for operator in operators)
    assert any(
        selectors.tasks_of(actor=user).exists()
        for user in User.objects.filter(posts__role=Role.DEPARTMENT_HANDLER).distinct()
    )
    assert "历史工单" in small_gulou and "外勤人员" in small_gulou


def test_running_the_demo_again_adds_no_work_orders(small_gulou, capsys):
    before = WorkOrder.objects.count(), WorkOrderEvent.objects.count(), User.objects.count()
    call_command("demo", scale="small")
    assert "未重复生成" in capsys.readouterr().out
    assert (WorkOrder.objects.count(), WorkOrderEvent.objects.count(), User.objects.count()) == before
