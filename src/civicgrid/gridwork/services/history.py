"""Grid work that already happened, in bulk: leave, patrols with their tracks, home visits, community logs, found
problems with their steps, and guide tasks given and done. A district moving from its old grid system imports its
records this way, and the demo writes its past month with it.

The live services stamp each step with the present moment and keep the windows a phone or a form needs (a visit
within 7 days, a log of today or yesterday). History has no such windows but is checked as strictly otherwise: a
patrol's points against its time span and its grid, a problem's steps against the transition table, each person
against the grid they acted in. Every problem of every record is listed, and one bad record rejects the whole
batch: nothing is written unless all are good, and then everything is written in one transaction with one audit
row for the batch. Patrol figures (distance, time in grid per grid and day, A/B cover) come from the same code as
live patrols. History never raises work orders: those go through the work-order module live.
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import numpy as np
import shapely
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit, bulk
from civicgrid.core.errors import ValidationError
from civicgrid.gridwork import rules
from civicgrid.gridwork.choices import (
    LEAVE_STANDING,
    PROBLEM_NOTE_REQUIRED,
    PROBLEM_TRANSITIONS,
    AssignmentStatus,
    LeaveReason,
    LeaveStatus,
    PatrolEnd,
    PatrolStatus,
    ProblemAction,
    ProblemStatus,
    RiskLevel,
    VisitKind,
)
from civicgrid.gridwork.models import (
    CommunityLog,
    FoundProblem,
    GuideAssignment,
    GuideTask,
    HomeVisit,
    Leave,
    Patrol,
    PatrolGridTime,
    ProblemEvent,
    TrackBatch,
)
from civicgrid.gridwork.services.patrols import Counted, figures, grid_centre, km_from
from civicgrid.gridwork.track import analyse
from civicgrid.people.choices import Role
from civicgrid.people.models import Post, User
from civicgrid.people.permissions import require_administrator_or_system
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region

MAX_LISTED = 50
MAX_TEXT = 5000
BATCH = 2000


@dataclass(frozen=True)
class LeaveRecord:
    worker: str  # username
    starts_on: date
    ends_on: date
    kind: str
    reason: str
    decided_by: str


@dataclass(frozen=True)
class PatrolRecord:
    worker: str
    started_at: datetime
    ended_at: datetime
    points: Sequence[Sequence[float]] | np.ndarray  # rows of [seconds since the epoch, lon, lat, accuracy in metres]


@dataclass(frozen=True)
class VisitRecord:
    visitor: str
    household_id: int
    visited_at: datetime
    findings: str
    kind: str = VisitKind.ROUTINE
    met: bool = True
    needs: str = ""
    risks: str = ""
    risk_level: str = RiskLevel.NONE
    follow_up_on: date | None = None


@dataclass(frozen=True)
class LogRecord:
    worker: str
    day: date
    content: str
    weather: str = ""


@dataclass(frozen=True)
class ProblemStep:
    action: str
    at: datetime
    actor: str
    note: str = ""


@dataclass(frozen=True)
class ProblemRecord:
    recorder: str
    found_at: datetime
    description: str
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    steps: Sequence[ProblemStep] = ()


@dataclass(frozen=True)
class AssignmentRecord:
    task: str  # the guide task's code
    grid: str  # the grid's code
    due_on: date
    assigned_by: str
    assigned_at: datetime
    note: str = ""
    completed_by: str = ""
    completed_at: datetime | None = None
    result: str = ""


@dataclass(frozen=True)
class HistoryResult:
    leaves: int
    patrols: int
    points: int
    visits: int
    logs: int
    problems: int
    assignments: int


class HistoryRejected(ValidationError):
    def __init__(self, rows: list[str]) -> None:
        super().__init__(_("历史记录有 %(n)s 处错误，未导入任何内容。") % {"n": len(rows)})
        self.rows = rows


class _People:
    """Who is who, loaded once: users by username, each one's posts (role, region path), grid workers' grids."""

    def __init__(self, usernames: Iterable[str]) -> None:
        names = sorted({name for name in usernames if name})
        self.users = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
        self.posts: dict[str, list[tuple[str, str]]] = {}
        self.grid: dict[str, Region] = {}
        for post in Post.objects.filter(user__username__in=names, is_active=True, region__isnull=False).select_related(
            "user", "region"
        ):
            assert post.region is not None
            self.posts.setdefault(post.user.username, []).append((post.role, post.region.path))
            if post.role == Role.GRID_WORKER:
                self.grid.setdefault(post.user.username, post.region)

    def reaches(self, username: str, grid: Region) -> bool:
        """Whether the person works at the grid: a post there or above it, or as the worker of its A/B partner."""
        if any(grid.path.startswith(path) for _role, path in self.posts.get(username, ())):
            return True
        own = self.grid.get(username)
        return own is not None and grid.partner_id == own.pk


def _aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value, timezone.get_current_timezone())


def _text(value: str, limit: int) -> bool:
    return bool(value and value.strip()) and len(value) <= limit and "\x00" not in value


def history_import(
    *,
    actor: Any,
    leaves: Sequence[LeaveRecord] = (),
    patrols: Sequence[PatrolRecord] = (),
    visits: Sequence[VisitRecord] = (),
    logs: Sequence[LogRecord] = (),
    problems: Sequence[ProblemRecord] = (),
    assignments: Sequence[AssignmentRecord] = (),
    now: datetime | None = None,
) -> HistoryResult:
    """Check every record, then write them all (or nothing) in one transaction. `HistoryRejected.rows` lists every
    problem, each naming its record ("patrol #12: …")."""
    require_administrator_or_system(actor)
    now = now or timezone.now()
    people = _People(
        [r.worker for r in leaves]
        + [r.decided_by for r in leaves]
        + [r.worker for r in patrols]
        + [r.visitor for r in visits]
        + [r.worker for r in logs]
        + [r.recorder for r in problems]
        + [step.actor for r in problems for step in r.steps]
        + [r.assigned_by for r in assignments]
        + [r.completed_by for r in assignments]
    )
    with transaction.atomic():  # checked and written under one lock: nothing changes in between
        found: list[str] = []
        found += _check_leaves(leaves, people, now)
        found += _check_patrols(patrols, people, now)
        households = _households({r.household_id for r in visits})
        found += _check_visits(visits, people, households, now)
        found += _check_logs(logs, people, now)
        grids = _problem_grids(problems, people)
        found += _check_problems(problems, people, grids, now)
        tasks = {t.code: t for t in GuideTask.objects.filter(code__in={r.task for r in assignments}, is_active=True)}
        places = {g.code: g for g in Region.objects.filter(code__in={r.grid for r in assignments}, level=Level.GRID)}
        found += _check_assignments(assignments, people, tasks, places, now)
        if found:
            more = len(found) - MAX_LISTED
            raise HistoryRejected(found[:MAX_LISTED] + ([_("另有 %(n)s 处错误。") % {"n": more}] if more > 0 else []))
        _write_leaves(leaves, people)
        points = _write_patrols(patrols, people)
        _write_visits(visits, people, households)
        _write_logs(logs, people)
        _write_problems(problems, people, grids)
        _write_assignments(assignments, people, tasks, places)
        result = HistoryResult(
            leaves=len(leaves),
            patrols=len(patrols),
            points=points,
            visits=len(visits),
            logs=len(logs),
            problems=len(problems),
            assignments=len(assignments),
        )
        audit.record(actor=actor, action="gridwork.history_import", after=result.__dict__)
    return result


# ---------------------------------------------------------------- checks


def _check_leaves(records: Sequence[LeaveRecord], people: _People, now: datetime) -> list[str]:
    found: list[str] = []
    standing: dict[str, list[tuple[date, date]]] = {}
    for leave in Leave.objects.filter(
        worker__username__in=[r.worker for r in records], status__in=LEAVE_STANDING
    ).select_related("worker"):
        standing.setdefault(leave.worker.username, []).append((leave.starts_on, leave.ends_on))
    for number, record in enumerate(records, start=1):
        where = f"leave #{number}"
        grid = people.grid.get(record.worker)
        if grid is None:
            found.append(f"{where}: {record.worker} is not a grid worker on post")
            continue
        if record.ends_on < record.starts_on or (record.ends_on - record.starts_on).days >= rules.MAX_LEAVE_DAYS:
            found.append(f"{where}: the days must run forward, at most {rules.MAX_LEAVE_DAYS}")
        if record.kind not in LeaveReason.values or not _text(record.reason, 200):
            found.append(f"{where}: kind must be one of {', '.join(LeaveReason.values)} and a reason given")
        if not people.reaches(record.decided_by, grid) or record.decided_by == record.worker:
            found.append(f"{where}: {record.decided_by or '?'} cannot decide leave in {grid.code}")
        spans = standing.setdefault(record.worker, [])
        if any(start <= record.ends_on and record.starts_on <= end for start, end in spans):
            found.append(f"{where}: overlaps another leave of {record.worker}")
        spans.append((record.starts_on, record.ends_on))
    return found


def _check_patrols(records: Sequence[PatrolRecord], people: _People, now: datetime) -> list[str]:
    found: list[str] = []
    skew = timedelta(seconds=rules.CLOCK_SKEW_SECONDS)
    spans: dict[str, list[tuple[datetime, datetime, str]]] = {}
    existing = Patrol.objects.filter(worker__username__in=list(people.grid)).values_list(
        "worker__username", "started_at", "ended_at", "last_point_at"
    )
    for username, started, ended, last in existing:
        spans.setdefault(username, []).append((started, ended or last or now, "an existing patrol"))
    for number, record in enumerate(records, start=1):
        where = f"patrol #{number}"
        grid = people.grid.get(record.worker)
        if grid is None:
            found.append(f"{where}: {record.worker} is not a grid worker on post")
            continue
        start, end = _aware(record.started_at), _aware(record.ended_at)
        if not start < end <= now or end - start > timedelta(hours=rules.MAX_PATROL_HOURS):
            found.append(f"{where}: it must end after it starts, in the past, within {rules.MAX_PATROL_HOURS} hours")
            continue
        spans.setdefault(record.worker, []).append((start, end, where))
        if len(record.points) > rules.MAX_PATROL_POINTS:
            found.append(f"{where}: more than {rules.MAX_PATROL_POINTS} points")
            continue
        if not len(record.points):
            continue
        rows = np.asarray(record.points, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != 4 or not np.isfinite(rows).all():
            found.append(f"{where}: every point is [time, lon, lat, accuracy] in numbers")
            continue
        times, lons, lats, accuracy = rows.T
        if (times < (start - skew).timestamp()).any() or (times > (end + skew).timestamp()).any():
            found.append(f"{where}: points outside the patrol's time span")
        if (np.abs(lons) > 180).any() or (np.abs(lats) > 90).any() or (accuracy < 0).any():
            found.append(f"{where}: a longitude, latitude or accuracy out of range")
        elif (centre := grid_centre(grid)) is not None:
            far = km_from(centre[0], centre[1], lons, lats)
            if (far > rules.MAX_KM_FROM_GRID).any():
                found.append(f"{where}: points {far.max():.0f} km from the grid")
    for username, items in spans.items():
        items.sort(key=lambda item: item[0])
        for (_s1, end1, first), (start2, _e2, second) in pairwise(items):
            if start2 < end1:
                found.append(f"{second}: overlaps {first} of {username}")
    return found


def _households(ids: set[int]) -> dict[int, tuple[int, Region]]:
    """Households by id: (id, grid), for the visits."""
    if not ids:
        return {}
    from civicgrid.registry.models import Household

    rows = Household.objects.filter(pk__in=sorted(ids)).values_list("pk", "grid_id")
    grids = {g.pk: g for g in Region.objects.filter(pk__in={grid for _pk, grid in rows})}
    return {pk: (pk, grids[grid]) for pk, grid in rows}


def _check_visits(
    records: Sequence[VisitRecord], people: _People, households: dict[int, tuple[int, Region]], now: datetime
) -> list[str]:
    found: list[str] = []
    for number, record in enumerate(records, start=1):
        where = f"visit #{number}"
        home = households.get(record.household_id)
        if home is None:
            found.append(f"{where}: no household {record.household_id}")
            continue
        if not people.reaches(record.visitor, home[1]):
            found.append(f"{where}: {record.visitor} does not work in grid {home[1].code}")
        visited = _aware(record.visited_at)
        if visited > now:
            found.append(f"{where}: visited in the future")
        if record.kind not in VisitKind.values or record.risk_level not in RiskLevel.values:
            found.append(f"{where}: unknown kind or risk level")
        if not _text(record.findings, 2000) or len(record.needs) > 2000 or len(record.risks) > 2000:
            found.append(f"{where}: findings must be given; each text at most 2000 characters")
        if record.risk_level != RiskLevel.NONE and not record.risks.strip():
            found.append(f"{where}: a risk level needs the risk described")
        if record.follow_up_on is not None and record.follow_up_on <= timezone.localtime(visited).date():
            found.append(f"{where}: the follow-up must come after the visit")
    return found


def _check_logs(records: Sequence[LogRecord], people: _People, now: datetime) -> list[str]:
    found: list[str] = []
    today = timezone.localtime(now).date()
    taken = set(
        CommunityLog.objects.filter(worker__username__in=[r.worker for r in records]).values_list(
            "worker__username", "day"
        )
    )
    for number, record in enumerate(records, start=1):
        where = f"log #{number}"
        if record.worker not in people.grid:
            found.append(f"{where}: {record.worker} is not a grid worker on post")
        if record.day > today or not _text(record.content, MAX_TEXT) or len(record.weather) > 20:
            found.append(f"{where}: a day up to today and the log's text (at most {MAX_TEXT} characters)")
        if (record.worker, record.day) in taken:
            found.append(f"{where}: {record.worker} already has a log for {record.day}")
        taken.add((record.worker, record.day))
    return found


def _problem_grids(records: Sequence[ProblemRecord], people: _People) -> list[Region | None]:
    """Each problem's grid: where its point is, else the recorder's own grid."""
    from civicgrid.regions import selectors as regions

    located: list[Any] = [None] * len(records)
    placed = [i for i, r in enumerate(records) if r.lon is not None and r.lat is not None]
    if placed:
        refs = regions.grids_at(
            np.array([records[i].lon for i in placed], dtype=np.float64),
            np.array([records[i].lat for i in placed], dtype=np.float64),
        )
        for i, ref in zip(placed, refs, strict=True):
            located[i] = ref.id if ref is not None else None
    by_id = {g.pk: g for g in Region.objects.filter(pk__in={g for g in located if g is not None})}
    result: list[Region | None] = []
    for i, record in enumerate(records):
        if record.lon is not None and record.lat is not None:
            result.append(by_id.get(located[i]) if located[i] is not None else None)
        else:
            result.append(people.grid.get(record.recorder))
    return result


def _check_problems(
    records: Sequence[ProblemRecord], people: _People, grids: list[Region | None], now: datetime
) -> list[str]:
    found: list[str] = []
    for number, (record, grid) in enumerate(zip(records, grids, strict=True), start=1):
        where = f"problem #{number}"
        if grid is None:
            found.append(f"{where}: not in any grid (give a point inside one, or a recorder with a grid)")
            continue
        if not people.reaches(record.recorder, grid):
            found.append(f"{where}: {record.recorder} does not work in grid {grid.code}")
        if not _text(record.description, 1000) or len(record.address) > 200:
            found.append(f"{where}: a description (at most 1000 characters) and an address of at most 200")
        at = _aware(record.found_at)
        if at > now:
            found.append(f"{where}: found in the future")
        status: str = ProblemStatus.OPEN
        for step in record.steps:
            step_at = _aware(step.at)
            target = PROBLEM_TRANSITIONS.get(status, {}).get(step.action)
            if step.action == ProblemAction.RAISE_WORK_ORDER:
                found.append(f"{where}: a work order is raised live, through the work-order module")
            elif target is None:
                found.append(f"{where}: “{step.action}” cannot follow status {status}")
            elif not at <= step_at <= now:
                found.append(f"{where}: step “{step.action}” is not between the finding and now")
            elif not people.reaches(step.actor, grid):
                found.append(f"{where}: {step.actor} does not work in grid {grid.code}")
            elif step.action in PROBLEM_NOTE_REQUIRED and not _text(step.note, 1000):
                found.append(f"{where}: step “{step.action}” needs a note")
            else:
                status, at = target[0], step_at
                continue
            break
    return found


def _check_assignments(
    records: Sequence[AssignmentRecord],
    people: _People,
    tasks: dict[str, GuideTask],
    grids: dict[str, Region],
    now: datetime,
) -> list[str]:
    found: list[str] = []
    taken = set(
        GuideAssignment.objects.filter(task__code__in=list(tasks), grid__code__in=list(grids))
        .exclude(status=AssignmentStatus.CANCELLED)
        .values_list("task__code", "grid__code", "due_on")
    )
    for number, record in enumerate(records, start=1):
        where = f"assignment #{number}"
        grid = grids.get(record.grid)
        if record.task not in tasks or grid is None:
            found.append(f"{where}: no guide task {record.task} or no grid {record.grid}")
            continue
        if not people.reaches(record.assigned_by, grid) or _aware(record.assigned_at) > now:
            found.append(f"{where}: assigned in the past by someone of grid {grid.code}")
        if record.completed_by or record.completed_at is not None:
            done = record.completed_at
            if done is None or not people.reaches(record.completed_by, grid) or not _text(record.result, 2000):
                found.append(f"{where}: a completion needs who, when and what was done")
            elif not _aware(record.assigned_at) <= _aware(done) <= now:
                found.append(f"{where}: completed before it was given or in the future")
        key = (record.task, record.grid, record.due_on)
        if key in taken:
            found.append(f"{where}: {record.task} is already given to {record.grid} for {record.due_on}")
        taken.add(key)
    return found


# ---------------------------------------------------------------- writing rows straight into their tables


def _save(model: type[Model], objects: Sequence[Model]) -> None:
    """Unsaved instances straight into their table (`core.bulk`: COPY on PostgreSQL, one executemany on SQLite),
    ids reserved first unless they have theirs, so that rows written after can point at them."""
    missing = [obj for obj in objects if obj.pk is None]
    for obj, pk in zip(missing, bulk.new_ids(model, len(missing)), strict=True):
        obj.pk = pk
    now = timezone.now()
    stamped = [
        f.attname
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    for obj in objects:
        for name in stamped:
            if getattr(obj, name) is None:
                setattr(obj, name, now)
    bulk.write(model, objects, with_id=True)


# ---------------------------------------------------------------- writes


def _write_leaves(records: Sequence[LeaveRecord], people: _People) -> None:
    rows = []
    for record in records:
        grid = people.grid[record.worker]
        decided_by = people.users[record.decided_by]
        moment = timezone.make_aware(datetime.combine(record.starts_on, datetime.min.time()))
        leave = Leave(
            worker=people.users[record.worker],
            starts_on=record.starts_on,
            ends_on=record.ends_on,
            kind=record.kind,
            reason=record.reason.strip(),
            status=LeaveStatus.APPROVED,
            requested_by=people.users[record.worker],
            requested_at=moment - timedelta(days=1),
            decided_by=decided_by,
            decided_at=moment - timedelta(hours=12),
        )
        leave.place_in(grid)
        rows.append(leave)
    _save(Leave, rows)


def _covers(records: Sequence[PatrolRecord], people: _People) -> dict[int, list[tuple[Region, date, date, int]]]:
    """Approved leaves of the grids whose partner is a patrolling worker's grid: (grid, first, last day, worker)."""
    own = {people.grid[r.worker].pk for r in records}
    if not records:
        return {}
    first = min(timezone.localtime(_aware(r.started_at)).date() for r in records)
    last = max(timezone.localtime(_aware(r.ended_at)).date() for r in records)
    result: dict[int, list[tuple[Region, date, date, int]]] = {}
    for leave in Leave.objects.filter(
        status=LeaveStatus.APPROVED, grid__partner_id__in=sorted(own), starts_on__lte=last, ends_on__gte=first
    ).select_related("grid"):
        assert leave.grid.partner_id is not None
        result.setdefault(leave.grid.partner_id, []).append(
            (leave.grid, leave.starts_on, leave.ends_on, leave.worker_id)
        )
    return result


def _write_patrols(records: Sequence[PatrolRecord], people: _People) -> int:
    """Each worker's patrols analysed together (one track of several segments: the same rules, far fewer calls),
    then patrols, tracks and times in grid written in bulk."""
    covers = _covers(records, people)
    polygons: dict[int, shapely.Geometry] = {}
    by_worker: dict[str, list[tuple[datetime, int]]] = {}
    for position, record in enumerate(records):
        by_worker.setdefault(record.worker, []).append((_aware(record.started_at), position))
    patrols: list[Patrol | None] = [None] * len(records)
    ids = iter(bulk.new_ids(Patrol, len(records)))
    batches: list[Any] = []
    times: list[PatrolGridTime] = []
    total = 0
    now = timezone.now()
    for username, starts in by_worker.items():
        grid = people.grid[username]
        mine: list[Patrol] = []
        arrays: list[np.ndarray] = []
        for segment, (_start, position) in enumerate(sorted(starts)):
            record = records[position]
            patrol = Patrol(
                pk=next(ids),
                worker=people.users[username],
                status=PatrolStatus.CLOSED,
                started_at=_aware(record.started_at),
                ended_at=_aware(record.ended_at),
                end_reason=PatrolEnd.STOPPED,
            )
            patrol.place_in(grid)
            patrols[position] = patrol
            mine.append(patrol)
            array = np.asarray(record.points, dtype=np.float64).reshape(-1, 4)
            array = array[np.argsort(array[:, 0], kind="stable")]
            arrays.append(np.column_stack([array, np.full(len(array), segment)]))
            if len(array):
                ms = np.round(array[:, 0] * 1000)
                rows = np.column_stack([ms, array[:, 1].round(7), array[:, 2].round(7), array[:, 3].round(1)]).tolist()
                patrol.point_count = len(rows)
                patrol.last_point_at = datetime.fromtimestamp(rows[-1][0] / 1000, tz=UTC)
                total += len(rows)
                for number, first in enumerate(range(0, len(rows), HISTORY_BATCH), start=1):
                    chunk = rows[first : first + HISTORY_BATCH]
                    batches.append(
                        bulk.draft(
                            TrackBatch,
                            patrol_id=patrol.pk,
                            batch_id=f"history-{number}",
                            # history is never sent again: the digest only has to name the points
                            digest=hashlib.sha256(array[first : first + HISTORY_BATCH].tobytes()).hexdigest(),
                            points=chunk,
                            count=len(chunk),
                            first_at=datetime.fromtimestamp(chunk[0][0] / 1000, tz=UTC),
                            last_at=datetime.fromtimestamp(chunk[-1][0] / 1000, tz=UTC),
                            received_at=now,
                        )
                    )
        every = np.concatenate(arrays)
        track = analyse(
            np.round(every[:, 0] * 1000) / 1000.0,
            every[:, 1].round(7),
            every[:, 2].round(7),
            every[:, 3].round(1),
            rules.TRACK,
            segments=every[:, 4].astype(np.intp),
        )

        def counted(first: date, last: date, grid: Region = grid, worker: int = people.users[username].pk) -> Counted:
            result: Counted = [(grid, None)]
            for other, starts_on, ends_on, on_leave in covers.get(grid.pk, []):
                span = (min(ends_on, last) - max(starts_on, first)).days + 1
                if span > 0 and on_leave != worker:
                    result.append((other, {max(starts_on, first) + timedelta(days=i) for i in range(span)}))
            return result

        times.extend(figures(mine, track, counted, polygons))
    _save(Patrol, [p for p in patrols if p is not None])
    bulk.write(TrackBatch, batches, with_id=False)
    _save(PatrolGridTime, times)
    return total


# Points per stored batch: about a kilobyte of JSON, so that several batches share a database page (as the phone's
# uploads of a minute or two do) instead of one half-empty page each.
HISTORY_BATCH = 24


def _write_visits(records: Sequence[VisitRecord], people: _People, households: dict[int, tuple[int, Region]]) -> None:
    now = timezone.now()
    rows = []
    for record in records:
        grid = households[record.household_id][1]
        rows.append(
            bulk.draft(
                HomeVisit,
                household_id=record.household_id,
                visitor_id=people.users[record.visitor].pk,
                visited_at=_aware(record.visited_at),
                kind=record.kind,
                met=record.met,
                findings=record.findings.strip(),
                needs=record.needs.strip(),
                risks=record.risks.strip(),
                risk_level=record.risk_level,
                follow_up_on=record.follow_up_on,
                created_at=now,
                grid_id=grid.pk,
                region_path=grid.path,
            )
        )
    bulk.write(HomeVisit, rows, with_id=False)


def _write_logs(records: Sequence[LogRecord], people: _People) -> None:
    now = timezone.now()
    rows = []
    for record in records:
        grid = people.grid[record.worker]
        rows.append(
            bulk.draft(
                CommunityLog,
                worker_id=people.users[record.worker].pk,
                day=record.day,
                weather=record.weather,
                content=record.content.strip(),
                created_at=now,
                updated_at=now,
                grid_id=grid.pk,
                region_path=grid.path,
            )
        )
    bulk.write(CommunityLog, rows, with_id=False)


def _write_problems(records: Sequence[ProblemRecord], people: _People, grids: list[Region | None]) -> None:
    problems: list[FoundProblem] = []
    for record, grid in zip(records, grids, strict=True):
        assert grid is not None  # checked
        problem = FoundProblem(
            recorded_by=people.users[record.recorder],
            found_at=_aware(record.found_at),
            description=record.description.strip(),
            address=record.address.strip(),
            lon=record.lon,
            lat=record.lat,
            version=1 + len(record.steps),
        )
        problem.place_in(grid)
        status: str = ProblemStatus.OPEN
        for step in record.steps:
            status = PROBLEM_TRANSITIONS[status][step.action][0]
            if step.action in (ProblemAction.SOLVE_ON_SPOT, ProblemAction.RESOLVE, ProblemAction.DISMISS):
                problem.resolution = step.note.strip()
        problem.status = status
        problems.append(problem)
    _save(FoundProblem, problems)
    events: list[Any] = []
    for problem, record in zip(problems, records, strict=True):
        recorder = people.users[record.recorder].pk
        events.append(
            bulk.draft(
                ProblemEvent,
                problem_id=problem.pk,
                action="record",
                to_status=ProblemStatus.OPEN,
                actor_id=recorder,
                created_at=problem.found_at,
            )
        )
        status = ProblemStatus.OPEN
        for step in record.steps:
            target = PROBLEM_TRANSITIONS[status][step.action][0]
            events.append(
                bulk.draft(
                    ProblemEvent,
                    problem_id=problem.pk,
                    action=step.action,
                    from_status=status,
                    to_status=target,
                    actor_id=people.users[step.actor].pk,
                    note=step.note.strip(),
                    created_at=_aware(step.at),
                )
            )
            status = target
    bulk.write(ProblemEvent, events, with_id=False)


def _write_assignments(
    records: Sequence[AssignmentRecord], people: _People, tasks: dict[str, GuideTask], grids: dict[str, Region]
) -> None:
    rows = []
    for record in records:
        done = record.completed_at is not None
        assignment = GuideAssignment(
            task=tasks[record.task],
            due_on=record.due_on,
            status=AssignmentStatus.COMPLETED if done else AssignmentStatus.ASSIGNED,
            note=record.note.strip(),
            assigned_by=people.users[record.assigned_by],
            assigned_at=_aware(record.assigned_at),
            completed_by=people.users[record.completed_by] if done else None,
            completed_at=_aware(record.completed_at) if record.completed_at else None,
            result=record.result.strip(),
            version=2 if done else 1,
        )
        assignment.place_in(grids[record.grid])
        rows.append(assignment)
    _save(GuideAssignment, rows)


__all__ = [
    "AssignmentRecord",
    "HistoryRejected",
    "HistoryResult",
    "LeaveRecord",
    "LogRecord",
    "PatrolRecord",
    "ProblemRecord",
    "ProblemStep",
    "VisitRecord",
    "history_import",
]
