"""Grid work history in bulk (services.history_import): the same figures as live, every bad record named, nothing
written unless all are good."""

from datetime import timedelta

import pytest

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.gridwork import services
from civicgrid.gridwork.models import (
    CommunityLog,
    FoundProblem,
    GuideAssignment,
    Leave,
    Patrol,
    PatrolGridTime,
    ProblemEvent,
    TrackBatch,
)
from civicgrid.gridwork.services.history import (
    AssignmentRecord,
    HistoryRejected,
    LeaveRecord,
    LogRecord,
    PatrolRecord,
    ProblemRecord,
    ProblemStep,
    history_import,
)
from tests.gridwork.conftest import MONDAY, at, patrol_of, walk
from tests.gridwork.test_track import CROSSING

pytestmark = pytest.mark.django_db
NOW = at(MONDAY + timedelta(days=7), 12)


def rows(points) -> list[list[float]]:
    return [[p.at.timestamp(), p.lon, p.lat, p.accuracy] for p in points]


def crossing(day=MONDAY, hour=9):
    return walk(at(day, hour), CROSSING, origin=(118.704, 32.005))


def test_a_patrol_imported_counts_exactly_as_the_same_patrol_sent_live(gw):
    # given the same walk (with a jump and a poor fix) sent live by worker A1 and imported for worker A2's grid...
    points = crossing()
    points.append(type(points[0])(at=points[20].at + timedelta(seconds=5), lon=118.702, lat=32.025, accuracy=5))
    points.append(type(points[0])(at=points[30].at + timedelta(seconds=5), lon=118.704, lat=32.005, accuracy=90))
    live = patrol_of(gw.tree.worker_a1, points)
    # ...mirrored 0.01° east so that it crosses from A2 into A1 the same way, and a second patrol the same day
    mirrored = [[t, lon + 0.01, lat, acc] for t, lon, lat, acc in rows(points)]
    afternoon = [[t, lon + 0.01, lat, acc] for t, lon, lat, acc in rows(crossing(hour=14))]
    result = history_import(
        actor=None,
        patrols=[
            PatrolRecord(worker="worker_a2", started_at=at(MONDAY, 14), ended_at=at(MONDAY, 15), points=afternoon),
            PatrolRecord(worker="worker_a2", started_at=at(MONDAY, 9), ended_at=at(MONDAY, 10), points=mirrored),
        ],
        now=NOW,
    )
    assert (result.patrols, result.points) == (2, 363 + 361)
    morning = Patrol.objects.get(worker=gw.tree.worker_a2, started_at=at(MONDAY, 9))
    # then the figures are those of the live patrol, point for point
    assert morning.seconds_in_grid == live.seconds_in_grid == 2400
    assert morning.distance_m == pytest.approx(live.distance_m, abs=0.5)
    assert morning.verdicts == live.verdicts == {"kept": 361, "poor_accuracy": 1, "too_fast": 1, "duplicate": 0}
    assert (morning.point_count, morning.kept_count, morning.tracked_seconds) == (363, 361, 3600)
    # and each patrol keeps its own track and day in grid A2
    assert sum(TrackBatch.objects.filter(patrol=morning).values_list("count", flat=True)) == 363
    assert list(
        PatrolGridTime.objects.filter(worker=gw.tree.worker_a2)
        .order_by("patrol__started_at")
        .values_list("grid__code", "seconds")
    ) == [(gw.tree.grid_a2.code, 2400), (gw.tree.grid_a2.code, 2400)]
    assert AuditEntry.objects.filter(action="gridwork.history_import").count() == 1


def test_a_leave_in_the_history_makes_the_partners_patrol_count_for_the_covered_grid(gw):
    history_import(
        actor=None,
        leaves=[LeaveRecord("worker_a2", MONDAY, MONDAY, "sick", "发烧", decided_by="leader_a")],
        patrols=[PatrolRecord("worker_a1", at(MONDAY, 9), at(MONDAY, 10), rows(crossing()))],
        now=NOW,
    )
    assert Leave.objects.get().status == "approved"
    times = sorted(PatrolGridTime.objects.values_list("grid__code", "seconds", "covering"))
    assert times == [(gw.tree.grid_a1.code, 2400, False), (gw.tree.grid_a2.code, 1200, True)]


def test_problems_keep_their_steps_and_times(gw):
    found = at(MONDAY, 9, 30)
    history_import(
        actor=None,
        problems=[
            ProblemRecord("worker_a1", found, "楼道堆物", lon=118.703, lat=32.004, steps=[
                ProblemStep("solve_on_spot", found + timedelta(minutes=10), "worker_a1", "当场清理"),
            ]),
            ProblemRecord("worker_a1", found, "停车难", steps=[
                ProblemStep("pass_to_leader", found + timedelta(minutes=5), "worker_a1"),
                ProblemStep("put_on_agenda", found + timedelta(days=1), "leader_a", "需议事会协商"),
            ]),
        ],
        now=NOW,
    )  # fmt: skip
    statuses = dict(FoundProblem.objects.values_list("description", "status"))
    assert statuses == {"楼道堆物": "solved_on_spot", "停车难": "on_agenda"}
    parking = FoundProblem.objects.get(description="停车难")
    assert list(parking.events.values_list("action", "created_at")) == [
        ("record", found),
        ("pass_to_leader", found + timedelta(minutes=5)),
        ("put_on_agenda", found + timedelta(days=1)),
    ]
    assert FoundProblem.objects.get(description="楼道堆物").resolution == "当场清理"


def test_every_bad_record_is_named_and_nothing_is_written(gw):
    points = rows(crossing())
    with pytest.raises(HistoryRejected) as refused:
        history_import(
            actor=None,
            patrols=[
                PatrolRecord("worker_a1", at(MONDAY, 9), at(MONDAY, 10), points),
                PatrolRecord("worker_a1", at(MONDAY, 9, 30), at(MONDAY, 11), []),  # overlaps the first
                PatrolRecord("head_a", at(MONDAY, 9), at(MONDAY, 10), points),  # not a grid worker
                PatrolRecord("worker_b1", at(MONDAY, 12), at(MONDAY, 13), points),  # points outside its span
                PatrolRecord("worker_a2", at(MONDAY, 9), at(MONDAY, 10), [[*points[0][:1], 2.35, 48.86, 5]]),  # Paris
            ],
            logs=[LogRecord("worker_a1", MONDAY, "巡查"), LogRecord("worker_a1", MONDAY, "又写一篇")],
            problems=[
                ProblemRecord("worker_a1", at(MONDAY, 9), "井盖", steps=[
                    ProblemStep("raise_work_order", at(MONDAY, 10), "worker_a1"),
                ]),
                ProblemRecord("worker_a1", at(MONDAY, 9), "漏水", steps=[
                    ProblemStep("resolve", at(MONDAY, 10), "leader_a", "好了"),  # not from "open"
                ]),
                ProblemRecord("worker_b1", at(MONDAY, 9), "占道", lon=118.703, lat=32.004),  # in A1, not B1's grid
            ],
            assignments=[AssignmentRecord("999999", gw.tree.grid_a1.code, MONDAY, "head_a", at(MONDAY, 8))],
            now=NOW,
        )  # fmt: skip
    found = "\n".join(refused.value.rows)
    for words in (
        "patrol #2: overlaps patrol #1 of worker_a1",
        "patrol #3: head_a is not a grid worker on post",
        "patrol #4: points outside the patrol's time span",
        "patrol #5: points",  # km from the grid
        "log #2: worker_a1 already has a log",
        "problem #1: a work order is raised live",
        "problem #2: “resolve” cannot follow status open",
        "problem #3: worker_b1 does not work in grid",
        "assignment #1: no guide task 999999",
    ):
        assert words in found, found
    assert not Patrol.objects.exists() and not CommunityLog.objects.exists() and not FoundProblem.objects.exists()
    assert not ProblemEvent.objects.exists() and not GuideAssignment.objects.exists()


def test_only_an_administrator_or_the_system_imports_history(gw):
    with pytest.raises(PermissionDenied):
        history_import(actor=gw.head_a, logs=[LogRecord("worker_a1", MONDAY, "巡查")], now=NOW)
    assert services.history_import is history_import
