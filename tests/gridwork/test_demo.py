"""Grid work in the demo district (`civicgrid demo --scale small`): days of patrols with tracks for every grid
worker, the 4-hour report filled, leave with A/B cover, logs, found problems in every state (some raised as real
work orders), council meetings, guide tasks; home visits wherever the registry holds households."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from civicgrid.core import calendar as working_calendar
from civicgrid.core import services as core_services
from civicgrid.demo import generator
from civicgrid.demo.hooks import DemoContext
from civicgrid.gridwork import selectors
from civicgrid.gridwork.choices import ProblemStatus
from civicgrid.gridwork.demo import load_gridwork
from civicgrid.gridwork.models import (
    CommunityLog,
    CouncilMeeting,
    FoundProblem,
    GuideAssignment,
    HomeVisit,
    Leave,
    Patrol,
    PatrolGridTime,
)
from civicgrid.people.choices import Role
from civicgrid.people.models import Post, User
from civicgrid.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_gulou(capsys) -> str:
    call_command("demo", scale="small")
    return capsys.readouterr().out


def test_every_grid_worker_has_days_of_patrols_with_tracks_and_time_in_grid(small_gulou):
    assert "gridwork: 巡查" in small_gulou
    workers = Post.objects.filter(role=Role.GRID_WORKER, is_active=True).count()
    patrols = Patrol.objects.all()
    per_worker = Counter(patrols.values_list("worker_id", flat=True))
    assert len(per_worker) >= workers * 0.9
    assert min(per_worker.values()) >= 3
    # every closed patrol has its track, and nearly all their time was in the worker's grid
    stored = patrols.annotate(stored=Sum("batches__count"))
    assert all(p.stored == p.point_count for p in stored.exclude(point_count=0))
    seconds = sum(p.seconds_in_grid for p in patrols)
    tracked = sum(p.tracked_seconds for p in patrols)
    assert 0.8 * tracked < seconds <= tracked
    assert all(p.point_count > 0 and p.distance_m > 0 for p in patrols.filter(status="closed"))
    # the points set aside by the rules are there too, named
    verdicts = Counter()
    for patrol in patrols:
        verdicts.update(patrol.verdicts)
    assert verdicts["poor_accuracy"] > 0 and verdicts["too_fast"] > 0
    # the weekly report has workers who met the rule on some days, and the leave's grid was covered
    head = User.objects.filter(posts__role=Role.COMMUNITY_HEAD).first()
    last_week = timezone.localdate() - timedelta(days=7)
    report = selectors.four_hour_report(actor=head, week_start=last_week)
    assert report.workers and any(w.met_days for w in report.workers)
    assert any(w.missed_days for w in report.workers) or all(w.week_met for w in report.workers)
    leave = Leave.objects.filter(status="approved").first()
    assert leave is not None and leave.grid.partner_id
    covered = PatrolGridTime.objects.filter(grid=leave.grid, covering=True, day__range=(leave.starts_on, leave.ends_on))
    assert covered.exists()


def test_problems_in_every_state_some_raised_as_work_orders_and_a_second_run_adds_nothing(small_gulou, capsys):
    statuses = Counter(FoundProblem.objects.values_list("status", flat=True))
    for status in (ProblemStatus.SOLVED_ON_SPOT, ProblemStatus.WORK_ORDER, ProblemStatus.RESOLVED):
        assert statuses[status] > 0, statuses
    raised = FoundProblem.objects.filter(status=ProblemStatus.WORK_ORDER)
    assert all(p.work_order is not None and p.work_order.source == "patrol" for p in raised)
    assert CommunityLog.objects.exists()
    assert GuideAssignment.objects.filter(status="completed").exists()
    assert GuideAssignment.objects.filter(status="assigned").exists()
    assert Leave.objects.filter(status="requested").exists()
    if FoundProblem.objects.filter(status=ProblemStatus.ON_AGENDA).exists() or CouncilMeeting.objects.exists():
        assert CouncilMeeting.objects.filter(status="planned").exists()
    # and running the demo again adds no grid work
    patrols = Patrol.objects.count()
    call_command("demo", scale="small")
    assert "已有" in capsys.readouterr().out and Patrol.objects.count() == patrols


def test_households_of_the_registry_get_visits_care_recipients_at_their_intervals(db):
    from civicgrid.registry import services as registry
    from tests.registry.conftest import id_number

    generator.load("320106", scale="small", seed=generator.DEFAULT_SEED, password="demo-pass-123", say=lambda _m: None)
    core_services.calendar_load_years(
        actor=None, years=sorted({timezone.localdate().year - 1, timezone.localdate().year})
    )
    working_calendar.invalidate()
    registry.codes_load(actor=None)
    grid = Region.objects.filter(level="grid", grid_kind="comprehensive").order_by("code").first()
    admin = User.objects.get(username="admin")
    building = registry.building_create(
        actor=admin, grid_code=grid.code, name="1幢", address="演示路 1 号", floors_above=6
    )
    homes = [
        registry.household_create(actor=admin, building_id=building.pk, entrance="1", room=f"{n}01")
        for n in range(1, 7)
    ]
    for n, (home, name) in enumerate(zip(homes[:3], ["张老伯", "李阿婆", "王大爷"], strict=True), start=1):
        registry.resident_register(
            actor=admin, household_id=home.pk, name=name, id_number=id_number(birth="19400101", sequence=n),
            relation="02", tags=["elderly_alone"],
        )  # fmt: skip
    district = Region.objects.get(code="320106")
    summary = load_gridwork(DemoContext(district=district, scale="small", seed=7, password="x"))
    assert "入户走访" in summary
    visits = HomeVisit.objects.filter(household__in=homes)
    assert visits.exists() and {v.grid_id for v in visits} == {grid.pk}
    worker = Post.objects.get(role=Role.GRID_WORKER, region=grid).user
    assert {v.visitor_id for v in visits} == {worker.pk}
