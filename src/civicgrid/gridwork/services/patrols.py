"""Patrols: start, points uploaded in batches by the phone, stop; and the figures the track gives (rules in track.py).

The worker's phone keeps points while the network is down and sends them later, so batches arrive late, twice, or
out of order: a batch is identified by the phone's batch id (a retry adds nothing), points are sorted by time when
the track is analysed, and a closed patrol still takes the points of its own time span.
"""

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from civicgrid.gridwork import rules
from civicgrid.gridwork.choices import LeaveStatus, PatrolEnd, PatrolStatus
from civicgrid.gridwork.models import Leave, Patrol, PatrolGridTime, TrackBatch
from civicgrid.gridwork.permissions import own_grids
from civicgrid.gridwork.track import VERDICT_NAMES, Track, analyse, bounds_to_days, seconds_inside
from civicgrid.regions.models import Region

BATCH_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")
MAX_LISTED_PROBLEMS = 10
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Point:
    at: datetime
    lon: float
    lat: float
    accuracy: float


@dataclass(frozen=True)
class BatchResult:
    patrol: Patrol
    batch_id: str
    accepted: int
    duplicate: bool


def _moment(value: datetime) -> datetime:
    """Aware; a time without an offset is Beijing time, as the phones and the history import write it."""
    return value if timezone.is_aware(value) else timezone.make_aware(value, timezone.get_current_timezone())


def _local(value: datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}"


# ---------------------------------------------------------------- start and stop


@transaction.atomic
def patrol_start(
    *, actor: Any, start_key: str = "", started_at: datetime | None = None, now: datetime | None = None
) -> tuple[Patrol, bool]:
    """Start a patrol of the actor's own grid. `started_at` is when start was pressed, if the phone was offline and
    sends it late from its queue. A retry with the same `start_key` answers with the patrol the first call started
    (and False: nothing new). A patrol left open past the longest patrol is closed first."""
    now = now or timezone.now()
    grids = own_grids(actor)
    if not grids:
        raise PermissionDenied(_("只有在岗的网格员可以开始巡查。"))
    start_key = (start_key or "").strip()[:64]
    if start_key:
        existing = Patrol.objects.filter(worker=actor, start_key=start_key).select_related("grid").first()
        if existing is not None:
            return existing, False
    started = _moment(started_at) if started_at else now
    if started > now + timedelta(seconds=rules.CLOCK_SKEW_SECONDS):
        message = _("开始时间不能晚于现在（请检查手机时间）。")
        raise ValidationError(message, errors={"started_at": [message]})
    if started < now - timedelta(hours=rules.MAX_PATROL_HOURS):
        message = _("开始时间须在 %(n)s 小时以内。") % {"n": rules.MAX_PATROL_HOURS}
        raise ValidationError(message, errors={"started_at": [message]})
    current = Patrol.objects.select_for_update().filter(worker=actor, status=PatrolStatus.OPEN).first()
    if current is not None:
        if now - current.started_at < timedelta(hours=rules.MAX_PATROL_HOURS):
            raise Conflict(
                _("您已有一次巡查正在进行（%(time)s 开始），请先结束它。") % {"time": _local(current.started_at)},
                errors={"open_patrol": [str(current.pk)]},
            )
        _close(
            actor=None, patrol=current, ended_at=current.last_point_at or current.started_at, how=PatrolEnd.AUTO_CLOSED
        )
    overlap = Patrol.objects.filter(worker=actor, ended_at__gt=started).aggregate(end=Max("ended_at"))["end"]
    if overlap is not None:  # two patrols of one worker never overlap, or their time would count twice
        message = _("开始时间早于上一次巡查的结束时间（%(time)s）。") % {"time": _local(overlap)}
        raise ValidationError(message, errors={"started_at": [message]})
    patrol = Patrol(worker=actor, started_at=started, start_key=start_key)
    patrol.place_in(grids[0])
    try:
        with transaction.atomic():
            patrol.save()
    except IntegrityError as error:  # a second start at the same instant: the first one is the patrol
        raise Conflict(_("您已有一次巡查正在进行，请刷新后继续。")) from error
    audit.record(actor=actor, action="patrol.start", obj=patrol, after={"grid": patrol.grid.code, "at": started})
    return patrol, True


def _own_patrol_for_update(actor: Any, patrol_id: int) -> Patrol:
    """The actor's own patrol, locked: nobody else adds points to it or ends it (others' answer: not found)."""
    try:
        return (
            Patrol.objects.select_for_update(of=("self",)).select_related("grid").get(pk=patrol_id, worker_id=actor.pk)
        )
    except Patrol.DoesNotExist as error:
        raise NotFound(_("没有找到这次巡查，或它不是您的巡查。")) from error


@transaction.atomic
def patrol_stop(*, actor: Any, patrol_id: int, ended_at: datetime | None = None, now: datetime | None = None) -> Patrol:
    """End the patrol. `ended_at` is when the worker pressed stop, if the phone sends it late from its queue.
    Stopping a patrol that has already ended changes nothing (a retried stop)."""
    now = now or timezone.now()
    patrol = _own_patrol_for_update(actor, patrol_id)
    if patrol.status == PatrolStatus.CLOSED:
        return patrol
    ended = _moment(ended_at) if ended_at else now
    if ended > now + timedelta(seconds=rules.CLOCK_SKEW_SECONDS):
        raise ValidationError(_("结束时间不能晚于现在。"), errors={"ended_at": [_("结束时间不能晚于现在。")]})
    if ended < patrol.started_at:
        message = _("结束时间不能早于巡查开始时间（%(time)s）。") % {"time": _local(patrol.started_at)}
        raise ValidationError(message, errors={"ended_at": [message]})
    _close(actor=actor, patrol=patrol, ended_at=min(ended, now), how=PatrolEnd.STOPPED)
    return patrol


def _close(*, actor: Any, patrol: Patrol, ended_at: datetime, how: str) -> None:
    # points already in (sent late by the queue) may lie after the moment stop was pressed: the track wins
    if patrol.last_point_at and patrol.last_point_at > ended_at:
        ended_at = patrol.last_point_at
    patrol.status = PatrolStatus.CLOSED
    patrol.ended_at = ended_at
    patrol.end_reason = how
    _recompute(patrol)
    patrol.save()
    audit.record(
        actor=actor,
        action="patrol.stop" if how == PatrolEnd.STOPPED else "patrol.auto_close",
        obj=patrol,
        after={
            "ended_at": ended_at,
            "distance_m": round(patrol.distance_m),
            "seconds_in_grid": patrol.seconds_in_grid,
            "points": patrol.point_count,
        },
    )


# ---------------------------------------------------------------- points


def _check_batch_id(batch_id: str) -> str:
    batch_id = (batch_id or "").strip()
    if not batch_id or len(batch_id) > 64 or not set(batch_id) <= BATCH_ID_CHARS:
        message = _("批次编号须为 1–64 位字母、数字或 - _ . : 。")
        raise ValidationError(message, errors={"batch_id": [message]})
    return batch_id


def grid_centre(grid: Region) -> tuple[float, float] | None:
    if grid.centre_lon is not None and grid.centre_lat is not None:
        return grid.centre_lon, grid.centre_lat
    if grid.boundary:
        centre = shapely.geometry.shape(grid.boundary).centroid
        return centre.x, centre.y
    return None


def km_from(lon0: float, lat0: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Great-circle distances in km (haversine) from one point to many."""
    p0, p1 = math.radians(lat0), np.radians(lats)
    dp, dl = p1 - p0, np.radians(lons - lon0)
    h = np.sin(dp / 2) ** 2 + math.cos(p0) * np.cos(p1) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def _point_problems(patrol: Patrol, points: Sequence[Point], now: datetime) -> list[str]:
    """Every point checked against the patrol: its time span, the clock, and the distance from its grid."""
    skew = timedelta(seconds=rules.CLOCK_SKEW_SECONDS)
    earliest = patrol.started_at - skew
    latest = min(now + skew, patrol.started_at + timedelta(hours=rules.MAX_PATROL_HOURS))
    if patrol.ended_at is not None:
        latest = min(latest, patrol.ended_at + skew)
    problems: list[str] = []
    for number, point in enumerate(points, start=1):
        at = _moment(point.at)
        if at > now + skew:
            problems.append(
                _("第 %(n)s 个点的时间 %(at)s 晚于现在（请检查手机时间）。") % {"n": number, "at": _local(at)}
            )
        elif at < earliest:
            problems.append(
                _("第 %(n)s 个点的时间 %(at)s 早于巡查开始（%(start)s）。")
                % {"n": number, "at": _local(at), "start": _local(patrol.started_at)}
            )
        elif at > latest:
            problems.append(_("第 %(n)s 个点的时间 %(at)s 晚于本次巡查的时间范围。") % {"n": number, "at": _local(at)})
        if not (math.isfinite(point.accuracy) and 0 <= point.accuracy <= 100_000):
            problems.append(_("第 %(n)s 个点的定位精度不是有效的米数。") % {"n": number})
        if not (
            math.isfinite(point.lon)
            and math.isfinite(point.lat)
            and -180 <= point.lon <= 180
            and -90 <= point.lat <= 90
        ):
            problems.append(_("第 %(n)s 个点的经纬度超出范围。") % {"n": number})
    centre = grid_centre(patrol.grid)
    if centre is not None and not problems:
        far = km_from(centre[0], centre[1], np.array([p.lon for p in points]), np.array([p.lat for p in points]))
        for position in np.flatnonzero(far > rules.MAX_KM_FROM_GRID)[:MAX_LISTED_PROBLEMS]:
            problems.append(
                _("第 %(n)s 个点距离网格 %(km).0f 公里，不可能是巡查位置（经纬度是否写反？）。")
                % {"n": int(position) + 1, "km": float(far[position])}
            )
    return problems


def _rows(points: Sequence[Point]) -> list[list[float]]:
    """The batch as stored: [epoch_ms, lon, lat, accuracy] by time (coordinates to 1e-7 degrees, about 1 cm)."""
    rows = [
        [int(_moment(p.at).timestamp() * 1000), round(p.lon, 7), round(p.lat, 7), round(float(p.accuracy), 1)]
        for p in points
    ]
    rows.sort(key=lambda row: row[0])
    return rows


def patrol_points_add(
    *, actor: Any, patrol_id: int, batch_id: str, points: Sequence[Point], now: datetime | None = None
) -> BatchResult:
    """Add one batch of track points to the actor's patrol: all of it or, on any bad point, none of it.

    A batch id seen before with the same points answers `duplicate` and adds nothing; with other points it is a
    conflict (the phone reused an id). The patrol's figures are brought up to date in the same transaction.
    """
    now = now or timezone.now()
    batch_id = _check_batch_id(batch_id)
    if not points:
        raise ValidationError(_("批次中没有轨迹点。"), errors={"points": [_("批次中没有轨迹点。")]})
    if len(points) > rules.MAX_BATCH_POINTS:
        message = _("一个批次最多 %(max)s 个点（收到 %(n)s 个），请分批上传。") % {
            "max": rules.MAX_BATCH_POINTS,
            "n": len(points),
        }
        raise ValidationError(message, errors={"points": [message]})
    rows = _rows(points)
    digest = hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()
    with transaction.atomic():
        patrol = _own_patrol_for_update(actor, patrol_id)
        seen = patrol.batches.filter(batch_id=batch_id).values_list("digest", flat=True).first()
        if seen is not None:
            if seen != digest:
                raise Conflict(
                    _("批次编号 %(id)s 已用于另一组轨迹点，请换一个编号。") % {"id": batch_id},
                    errors={"batch_id": [batch_id]},
                )
            return BatchResult(patrol=patrol, batch_id=batch_id, accepted=0, duplicate=True)
        problems = _point_problems(patrol, points, now)
        if problems:
            shown = problems[:MAX_LISTED_PROBLEMS]
            more = len(problems) - len(shown)
            message = (
                _("轨迹点有误，本批次未保存：")
                + "；".join(shown)
                + (_("；另有 %(n)s 处错误。") % {"n": more} if more else "")
            )
            raise ValidationError(message, errors={"points": shown})
        if patrol.point_count + len(rows) > rules.MAX_PATROL_POINTS:
            message = _("本次巡查的轨迹点已达上限（%(max)s 个），请结束后重新开始巡查。") % {
                "max": rules.MAX_PATROL_POINTS
            }
            raise ValidationError(message, errors={"points": [message]})
        first_at = datetime.fromtimestamp(rows[0][0] / 1000, tz=UTC)
        last_at = datetime.fromtimestamp(rows[-1][0] / 1000, tz=UTC)
        TrackBatch.objects.create(
            patrol=patrol,
            batch_id=batch_id,
            digest=digest,
            points=rows,
            count=len(rows),
            first_at=first_at,
            last_at=last_at,
        )
        # no audit row per batch: the batch itself is the append-only, timestamped record of what the phone sent
        patrol.point_count += len(rows)
        if patrol.last_point_at is None or last_at > patrol.last_point_at:
            patrol.last_point_at = last_at
        if patrol.ended_at is not None and last_at > patrol.ended_at:
            patrol.ended_at = last_at
        _recompute(patrol)
        patrol.save()
        if patrol.status == PatrolStatus.OPEN and now - last_at < timedelta(minutes=2):
            _report_position(actor, rows[-1])
    return BatchResult(patrol=patrol, batch_id=batch_id, accepted=len(rows), duplicate=False)


def _report_position(actor: Any, row: list[float]) -> None:
    """A fresh point of an open patrol is also the worker's latest position, for nearest-officer dispatch."""
    from civicgrid.workorders.services import position_report

    position_report(actor=actor, lon=row[1], lat=row[2], on_duty=True)


# ---------------------------------------------------------------- the figures


def track_of(patrol: Patrol) -> Track:
    """The patrol's whole track after the rules of track.py."""
    chunks = [batch for batch in patrol.batches.values_list("points", flat=True)]
    rows = np.array([row for chunk in chunks for row in chunk], dtype=np.float64).reshape(-1, 4)
    return analyse(rows[:, 0] / 1000.0, rows[:, 1], rows[:, 2], rows[:, 3], rules.TRACK)


def _day_starts(first: date, last: date) -> tuple[list[date], np.ndarray]:
    zone = timezone.get_current_timezone()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    starts = np.array([datetime.combine(day, datetime.min.time(), zone).timestamp() for day in days])
    return days, starts


def _polygon(grid: Region) -> shapely.Geometry | None:
    if not grid.boundary:
        return None
    polygon = shapely.geometry.shape(grid.boundary)
    shapely.prepare(polygon)
    return polygon


Counted = list[tuple[Region, set[date] | None]]


def figures(
    patrols: Sequence[Patrol],
    track: Track,
    counted_for: Callable[[date, date], Counted],
    polygons: dict[int, shapely.Geometry] | None = None,
) -> list[PatrolGridTime]:
    """Set the patrols' distance and counts from their track (segment k of the track is patrols[k], all of one
    worker and own grid) and return (unsaved) their time per grid and day: the own grid every day, and each grid
    `counted_for(first day, last day)` names on the days it names (a grid covered for a partner on leave).
    `polygons` caches the grids' boundaries when many patrols are counted at once."""
    count = len(patrols)
    walked = track.per_segment(track.walked, count)
    tracked = track.per_segment(np.where(track.counted, track.interval_seconds, 0.0), count)
    kept = np.bincount(track.segments[track.kept], minlength=count)
    verdicts = np.bincount(
        track.segments * len(VERDICT_NAMES) + track.verdicts, minlength=count * len(VERDICT_NAMES)
    ).reshape(count, len(VERDICT_NAMES))
    now = timezone.now()
    for k, patrol in enumerate(patrols):
        patrol.kept_count = int(kept[k])
        patrol.distance_m = round(float(walked[k]), 1)
        patrol.tracked_seconds = round(float(tracked[k]))
        patrol.verdicts = {name: int(verdicts[k, code]) for code, name in enumerate(VERDICT_NAMES)}
        patrol.computed_at = now
        patrol.seconds_in_grid = 0
    rows: list[PatrolGridTime] = []
    if len(track.kept) >= 2:
        kept_times = track.times[track.kept]
        first = timezone.localtime(datetime.fromtimestamp(kept_times[0], tz=UTC)).date()
        last = timezone.localtime(datetime.fromtimestamp(kept_times[-1], tz=UTC)).date()
        days, starts = _day_starts(first, last)
        cell = track.segments[track.kept[:-1]] * len(days) + bounds_to_days(track, starts)
        for grid, covered_days in counted_for(first, last):
            polygon = polygons.get(grid.pk) if polygons is not None else None
            if polygon is None:
                polygon = _polygon(grid)
                if polygons is not None:
                    polygons[grid.pk] = polygon
            if polygon is None:
                continue
            seconds = np.bincount(cell, weights=seconds_inside(track, polygon), minlength=count * len(days))
            for k, position in zip(*np.nonzero(seconds.reshape(count, len(days)) > 0.5), strict=True):
                day = days[position]
                if covered_days is not None and day not in covered_days:
                    continue
                patrol = patrols[k]
                row = PatrolGridTime(
                    patrol=patrol,
                    worker_id=patrol.worker_id,
                    day=day,
                    seconds=round(float(seconds[k * len(days) + position])),
                    covering=covered_days is not None,
                )
                row.place_in(grid)
                rows.append(row)
                patrol.seconds_in_grid += row.seconds
    return rows


def _recompute(patrol: Patrol) -> None:
    """Distance, time in grid per grid and day (own grid, and a grid covered for a partner on leave that day)."""
    rows = figures([patrol], track_of(patrol), lambda first, last: _grids_counted(patrol, first, last))
    PatrolGridTime.objects.filter(patrol=patrol).delete()
    PatrolGridTime.objects.bulk_create(rows)


def _grids_counted(patrol: Patrol, first: date, last: date) -> list[tuple[Region, set[date] | None]]:
    """The patrol's own grid (every day), then each grid it covered and on which days: grids whose A/B partner is
    the patrol's grid and whose worker (not this one) had an approved leave on those days."""
    result: list[tuple[Region, set[date] | None]] = [(patrol.grid, None)]
    covered: dict[int, tuple[Region, set[date]]] = {}
    leaves = (
        Leave.objects.filter(
            status=LeaveStatus.APPROVED, grid__partner_id=patrol.grid_id, starts_on__lte=last, ends_on__gte=first
        )
        .exclude(worker_id=patrol.worker_id)
        .select_related("grid")
    )
    for leave in leaves:
        _grid, days = covered.setdefault(leave.grid_id, (leave.grid, set()))
        day = max(first, leave.starts_on)
        while day <= min(last, leave.ends_on):
            days.add(day)
            day += timedelta(days=1)
    result.extend((grid, days) for grid, days in covered.values())
    return result


def patrols_recompute_for_leave(*, leave: Leave) -> int:
    """After a leave is approved or withdrawn, the partner's patrols of those days are counted again."""
    if not leave.grid.partner_id:
        return 0
    zone = timezone.get_current_timezone()
    start = datetime.combine(leave.starts_on, datetime.min.time(), zone)
    end = datetime.combine(leave.ends_on + timedelta(days=1), datetime.min.time(), zone)
    affected = Patrol.objects.select_for_update(of=("self",)).filter(
        grid_id=leave.grid.partner_id, started_at__lt=end, last_point_at__gte=start
    )
    count = 0
    for patrol in affected.select_related("grid"):
        _recompute(patrol)
        patrol.save()
        count += 1
    return count
