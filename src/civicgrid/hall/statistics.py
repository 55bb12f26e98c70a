"""Statistics of the service centres for their managers: per centre, counter, clerk, item, group or day, and the
monthly window-staff scores. Reads only, restricted to the centres the actor may read statistics of.

Every figure is a count or a sum (conditional COUNT/SUM grouped by one key; the total adds the groups up), so a
period's figures are the sum of its days'. Past days are rolled up once (`hall/rollup.py` keeps `DailyFigure`, a
row per centre, day and key, current as the days change); `figures` adds the stored rows of the days that are
rolled up and current to what it computes from the live rows for every other day (today, a day changed since the
last roll-up). The live aggregates read rows narrowed by centre and period through indexes that hold every column
the figures read, so PostgreSQL answers them from the index alone: (centre, day, ...) for tickets,
(centre, accepted_at, ...) for applications, (centre, created_at, ...) for ratings. The definitions and the score
formula are in docs/hall.md.
"""

import calendar as month_calendar
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import reduce
from typing import Any

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core.errors import NotFound, PermissionDenied, ValidationError
from civicgrid.hall import selectors
from civicgrid.hall.choices import ApplicationStatus, TicketStatus
from civicgrid.hall.models import (
    Application,
    Centre,
    Counter,
    DailyFigure,
    FigureDay,
    Rating,
    ServiceGroup,
    ServiceItem,
    Ticket,
)
from civicgrid.hall.permissions import may_read_statistics
from civicgrid.people.models import User

GROUPINGS = ("centre", "counter", "clerk", "item", "group", "day")
# the figures a row counts, by the kind of row that counts them (sums of a group's rows make the total)
TICKET_FIGURES = (
    "tickets",
    "served",
    "no_shows",
    "extended",
    "priority",
    "wait_sum",
    "wait_n",
    "handle_sum",
    "handle_n",
)
APPLICATION_FIGURES = (
    "applications",
    "decided",
    "due",
    "on_time",
    "overdue_open",
    "trips_counted",
    "one_trip",
    "processing_sum",
    "processing_n",
)
RATING_FIGURES = ("ratings", "score_sum", "satisfied")
COUNTED = TICKET_FIGURES + APPLICATION_FIGURES + RATING_FIGURES
MAX_DAYS = 400
RATING_PRIOR_WEIGHT = 5  # a clerk's average is pulled toward the centre's by this many ratings' worth
NEUTRAL_SCORE = 4.0  # the prior when the centre has no ratings at all in the month
GRADES = ((90, "优秀"), (80, "良好"), (60, "合格"), (0, "不合格"))


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Row:
    key: Any
    label: str
    tickets: int = 0
    served: int = 0
    no_shows: int = 0
    extended: int = 0
    priority: int = 0
    wait_sum: int = 0
    wait_n: int = 0
    handle_sum: int = 0
    handle_n: int = 0
    applications: int = 0
    decided: int = 0
    due: int = 0  # decided with a promised deadline, or still open and already overdue
    on_time: int = 0
    overdue_open: int = 0
    trips_counted: int = 0
    one_trip: int = 0
    processing_sum: int = 0
    processing_n: int = 0
    ratings: int = 0
    score_sum: int = 0
    satisfied: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.due)

    @property
    def one_trip_rate(self) -> float | None:
        return _rate(self.one_trip, self.trips_counted)

    @property
    def no_show_rate(self) -> float | None:
        return _rate(self.no_shows, self.tickets)

    @property
    def average_score(self) -> float | None:
        return self.score_sum / self.ratings if self.ratings else None

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.ratings)

    @property
    def wait_minutes(self) -> float | None:
        return round(self.wait_sum / self.wait_n / 60, 1) if self.wait_n else None

    @property
    def handle_minutes(self) -> float | None:
        return round(self.handle_sum / self.handle_n / 60, 1) if self.handle_n else None

    @property
    def processing_days(self) -> float | None:
        return round(self.processing_sum / self.processing_n / 86400, 1) if self.processing_n else None

    def add(self, other: "Row") -> None:
        """Add another row's counts and sums to this one's (the rates then follow from the sums)."""
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Statistics:
    start: date
    end: date
    by: str
    centres: list[Centre]
    rows: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=lambda: Row(key=None, label=_("合计")))


def readable_centres(*, actor: Any, centre_code: str | None = None) -> list[Centre]:
    """The centres whose statistics the actor may read (manager, street officer, district administrator)."""
    visible = selectors.centres(actor=actor)
    if centre_code:
        found = visible.filter(code=centre_code).first()
        if found is None:
            raise NotFound(_("没有找到该服务中心，或它不在您的管辖范围内。"))
        if not may_read_statistics(actor, found):
            raise PermissionDenied(_("只有服务中心主任、街道干部和区级管理员可以查看统计。"))
        return [found]
    readable = [c for c in visible if may_read_statistics(actor, c)]
    if not readable and visible.exists():
        raise PermissionDenied(_("只有服务中心主任、街道干部和区级管理员可以查看统计。"))
    return readable


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise ValidationError(_("结束日期不能早于开始日期。"))
    if (end - start).days > MAX_DAYS:
        raise ValidationError(_("统计区间不能超过 %(n)s 天。") % {"n": MAX_DAYS})
    zone = timezone.get_current_timezone()
    return datetime.combine(start, time.min, zone), datetime.combine(end + timedelta(days=1), time.min, zone)


def ticket_figures() -> dict[str, Any]:
    done = Q(status=TicketStatus.DONE)
    return {
        "f_tickets": Count("id"),
        "f_served": Count("id", filter=done),
        "f_no_shows": Count("id", filter=Q(status=TicketStatus.NO_SHOW)),
        "f_extended": Count("id", filter=Q(extended=True)),
        "f_priority": Count("id", filter=~Q(priority_reason="")),
        "f_wait_sum": Sum("wait_seconds"),
        "f_wait_n": Count("wait_seconds"),
        "f_handle_sum": Sum("handle_seconds", filter=done),
        "f_handle_n": Count("handle_seconds", filter=done),
    }


def application_figures() -> dict[str, Any]:
    decided = Q(decided_at__isnull=False)
    deadline = Q(due_at__isnull=False)
    counted = Q(superseded=False) & ~(Q(status=ApplicationStatus.WITHDRAWN) & Q(notice_issued=False))
    return {
        "f_applications": Count("id"),
        "f_decided": Count("id", filter=decided),
        "f_due": Count("id", filter=(decided & deadline) | Q(decided_at__isnull=True, is_overdue=True)),
        "f_on_time": Count("id", filter=decided & deadline & Q(decided_on_time=True)),
        "f_overdue_open": Count("id", filter=Q(decided_at__isnull=True, is_overdue=True)),
        "f_trips_counted": Count("id", filter=counted),
        "f_one_trip": Count(
            "id",
            filter=counted & Q(notice_issued=False, previous__isnull=True) & ~Q(status=ApplicationStatus.WITHDRAWN),
        ),
        "f_processing_sum": Sum("processing_seconds", filter=decided),
        "f_processing_n": Count("processing_seconds", filter=decided),
    }


def rating_figures() -> dict[str, Any]:
    return {"f_ratings": Count("id"), "f_score_sum": Sum("score"), "f_satisfied": Count("id", filter=Q(score__gte=4))}


def figures_of(values: Mapping[str, Any]) -> dict[str, int]:
    """Annotations carry an f_ prefix (plain names could clash with the models' own fields); sums of nothing are 0."""
    return {name[2:]: int(value or 0) for name, value in values.items() if name.startswith("f_")}


def _add_to(row: Row, values: Mapping[str, Any]) -> None:
    for name, value in figures_of(values).items():
        setattr(row, name, getattr(row, name) + value)


def _merge(rows: dict[Any, Row], key: Any, values: Mapping[str, Any]) -> None:
    _add_to(rows.setdefault(key, Row(key=key, label="")), values)


def statistics(
    *, actor: Any, start: date, end: date, by: str = "counter", centre_code: str | None = None
) -> Statistics:
    """Tickets, waiting and handling times, applications on time, one-trip share, ratings: grouped by `by`."""
    if by not in GROUPINGS:
        raise ValidationError(_("统计维度应为：%(names)s。") % {"names": "、".join(GROUPINGS)})
    _bounds(start, end)
    centres = readable_centres(actor=actor, centre_code=centre_code)
    result = Statistics(start=start, end=end, by=by, centres=centres)
    rows, total = figures([c.pk for c in centres], start, end, by)
    total.label = _("合计")
    labels = _labels(by, rows.keys())
    for row in rows.values():
        row.label = labels.get(row.key, str(row.key))
    result.rows = sorted(rows.values(), key=lambda r: str(r.label) if by != "day" else str(r.key))
    result.total = total
    return result


def figures(
    centre_ids: Sequence[int], start: date, end: date, by: str, *, stored: bool = True
) -> tuple[dict[Any, Row], Row]:
    """The centres' figures from `start` to `end` grouped by `by`, and their total (which also counts what has no
    key in the grouping: tickets never called, applications filed at a station, tickets by item).

    Days rolled up and current are summed from `DailyFigure`; every other day is computed from the live rows.
    With `stored=False` everything is computed live (the tests compare the two; they must be equal).
    """
    rows: dict[Any, Row] = {}
    total = Row(key=None, label="")
    live: dict[int, list[tuple[date, date]]] = {centre_id: [(start, end)] for centre_id in centre_ids}
    # stored days are local days of the default time zone; a reader in another zone gets everything live
    if stored and centre_ids and timezone.get_current_timezone_name() == timezone.get_default_timezone_name():
        current: dict[int, set[date]] = {}
        rolled = FigureDay.objects.filter(
            centre_id__in=centre_ids, day__range=(start, end), version=F("rolled_version")
        ).values_list("centre_id", "day")
        for centre_id, day in rolled:
            current.setdefault(centre_id, set()).add(day)
        if current:
            _add_stored(rows, total, current, by)
            period = set(_days(start, end))
            live = {c: _ranges(period - current.get(c, set())) for c in centre_ids}
            live = {c: ranges for c, ranges in live.items() if ranges}
    if live:
        _add_live(rows, total, live, by)
    rows.pop(None, None)
    return rows, total


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) ranges."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _where(per_centre: dict[int, list[tuple[date, date]]], field: str, *, moments: bool = False) -> Q:
    """Rows of the given centres and days: centres sharing the same days share one condition (usually all do)."""
    by_ranges: dict[tuple[tuple[date, date], ...], list[int]] = {}
    for centre_id, ranges in per_centre.items():
        by_ranges.setdefault(tuple(ranges), []).append(centre_id)
    zone = timezone.get_current_timezone()
    terms = []
    for day_ranges, centre_ids in by_ranges.items():
        days = []
        for first, last in day_ranges:
            if moments:
                begin = datetime.combine(first, time.min, zone)
                finish = datetime.combine(last + timedelta(days=1), time.min, zone)
                days.append(Q(**{f"{field}__gte": begin, f"{field}__lt": finish}))
            else:
                days.append(Q(**{f"{field}__range": (first, last)}))
        terms.append(Q(centre_id__in=sorted(centre_ids)) & reduce(operator.or_, days))
    return reduce(operator.or_, terms)


def _sums(names: Iterable[str]) -> dict[str, Any]:
    return {f"f_{name}": Sum(name) for name in names}


def _add_stored(rows: dict[Any, Row], total: Row, current: dict[int, set[date]], by: str) -> None:
    """Add the rolled-up days' stored figures to the rows and the total."""
    stored = DailyFigure.objects.filter(_where({c: _ranges(days) for c, days in current.items()}, "day"))
    everything = _sums(COUNTED)
    if by in ("centre", "day"):
        key = "key" if by == "centre" else "day"
        for values in stored.filter(dimension="centre").values(key).annotate(**everything).order_by():
            _merge(rows, values[key], values)
            _add_to(total, values)
        return
    _add_to(total, stored.filter(dimension="centre").aggregate(**everything))
    if by == "group":
        # tickets and ratings by their own group; applications by their item's group as the catalogue has it now
        for values in stored.filter(dimension="group").values("key").annotate(**everything).order_by():
            _merge(rows, values["key"], values)
        groups = dict(ServiceItem.objects.values_list("pk", "group_id"))
        items = stored.filter(dimension="item").values("key").annotate(**_sums(APPLICATION_FIGURES)).order_by()
        for values in items:
            _merge(rows, groups.get(values["key"]), values)
        return
    for values in stored.filter(dimension=by).values("key").annotate(**everything).order_by():
        _merge(rows, values["key"], values)


TICKET_KEYS = {"centre": "centre_id", "counter": "counter_id", "clerk": "clerk_id", "group": "group_id", "day": "day"}
APPLICATION_KEYS = {
    "centre": "centre_id",
    "counter": "counter_id",
    "clerk": "first_contact_id",
    "item": "item_id",
    "group": "item__group_id",
    "day": "local_day",
}
RATING_KEYS = {
    "centre": "centre_id",
    "counter": "counter_id",
    "clerk": "clerk_id",
    "item": "application__item_id",
    "group": "ticket__group_id",
    "day": "local_day",
}


def _add_live(rows: dict[Any, Row], total: Row, live: dict[int, list[tuple[date, date]]], by: str) -> None:
    """Add the figures computed from the live rows of the given centres and days to the rows and the total."""
    found: dict[Any, Row] = {}
    zone = timezone.get_current_timezone()
    ticket_rows = Ticket.objects.filter(_where(live, "day"))
    application_rows = Application.objects.filter(_where(live, "accepted_at", moments=True))
    rating_rows = Rating.objects.filter(_where(live, "created_at", moments=True))
    if by in TICKET_KEYS:
        key = TICKET_KEYS[by]
        for values in ticket_rows.values(key).annotate(**ticket_figures()).order_by():
            _merge(found, values.pop(key), values)
    else:  # tickets carry no item: by item they count in the total only
        _merge(found, None, ticket_rows.aggregate(**ticket_figures()))
    key = APPLICATION_KEYS[by]
    apps = (
        application_rows.annotate(local_day=TruncDate("accepted_at", tzinfo=zone)) if by == "day" else application_rows
    )
    for values in apps.values(key).annotate(**application_figures()).order_by():
        _merge(found, values.pop(key), values)
    key = RATING_KEYS[by]
    rates = rating_rows.annotate(local_day=TruncDate("created_at", tzinfo=zone)) if by == "day" else rating_rows
    for values in rates.values(key).annotate(**rating_figures()).order_by():
        _merge(found, values.pop(key), values)
    # the total adds every group, including tickets never called (no counter, no clerk) and station applications
    for row in found.values():
        total.add(row)
        rows.setdefault(row.key, Row(key=row.key, label="")).add(row)


def _labels(by: str, keys: Iterable[Any]) -> dict[Any, str]:
    keys = [k for k in keys if k is not None]
    if by == "centre":
        return {c.pk: c.name for c in Centre.objects.filter(pk__in=keys)}
    if by == "counter":
        return {
            c.pk: f"{c.centre.name} {c.number}号窗口（{c.name}）"
            for c in Counter.objects.filter(pk__in=keys).select_related("centre")
        }
    if by == "clerk":
        return {u.pk: u.display_name for u in User.objects.filter(pk__in=keys)}
    if by == "item":
        return {i.pk: f"{i.code} {i.name}" for i in ServiceItem.objects.filter(pk__in=keys)}
    if by == "group":
        return {g.pk: f"{g.code} {g.name}" for g in ServiceGroup.objects.filter(pk__in=keys)}
    return {k: k.isoformat() if hasattr(k, "isoformat") else str(k) for k in keys}


# ---------------------------------------------------------------- monthly window-staff scores


@dataclass
class Score:
    clerk: User
    workload: int
    applications: int
    consultations: int  # served tickets that produced no application
    on_time_rate: float
    one_trip_rate: float
    ratings: int
    average_score: float | None
    adjusted_score: float
    quantity_points: float
    quality_points: float
    rating_points: float
    total: float
    grade: str
    rank: int = 0


@dataclass
class Scores:
    centre: Centre
    month: date
    mean_workload: float
    centre_average_score: float | None
    rows: list[Score] = field(default_factory=list)


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first.replace(day=month_calendar.monthrange(first.year, first.month)[1])


def grade_of(total: float) -> str:
    return next(name for floor, name in GRADES if total >= floor)


def window_scores(*, actor: Any, centre_code: str, month: date) -> Scores:
    """The month's score of every window clerk who worked at the centre: quantity 40, quality 30, ratings 30."""
    (centre,) = readable_centres(actor=actor, centre_code=centre_code)
    first, last = month_bounds(month)
    begin, finish = _bounds(first, last)
    applications = Application.objects.filter(centre=centre, accepted_at__gte=begin, accepted_at__lt=finish)
    per_clerk: dict[int, dict[str, Any]] = {
        row["first_contact_id"]: figures_of(dict(row))
        for row in applications.values("first_contact_id").annotate(**application_figures()).order_by()
    }
    consultations = dict(
        Ticket.objects.filter(centre=centre, day__range=(first, last), status=TicketStatus.DONE, clerk__isnull=False)
        .filter(~Exists(Application.objects.filter(ticket=OuterRef("pk"))))
        .values_list("clerk_id")
        .annotate(n=Count("id"))
        .values_list("clerk_id", "n")
    )
    ratings = Rating.objects.filter(centre=centre, created_at__gte=begin, created_at__lt=finish)
    rated: dict[int, dict[str, Any]] = {
        row["clerk_id"]: dict(row)
        for row in ratings.filter(clerk__isnull=False)
        .values("clerk_id")
        .annotate(n=Count("id"), s=Sum("score"))
        .order_by()
    }
    centre_average = ratings.aggregate(avg=Avg("score"))["avg"]
    prior = float(centre_average) if centre_average is not None else NEUTRAL_SCORE
    clerk_ids = set(per_clerk) | set(consultations) | set(rated)
    workloads = {c: int(per_clerk.get(c, {}).get("applications", 0)) + int(consultations.get(c, 0)) for c in clerk_ids}
    busy = [w for w in workloads.values() if w > 0]
    mean = sum(busy) / len(busy) if busy else 0.0
    result = Scores(centre=centre, month=first, mean_workload=round(mean, 1), centre_average_score=centre_average)
    users = {u.pk: u for u in User.objects.filter(pk__in=clerk_ids)}
    for clerk_id in clerk_ids:
        figures = per_clerk.get(clerk_id, {})
        on_time = _rate(int(figures.get("on_time", 0)), int(figures.get("due", 0)))
        one_trip = _rate(int(figures.get("one_trip", 0)), int(figures.get("trips_counted", 0)))
        n = int(rated.get(clerk_id, {}).get("n", 0))
        total_score = int(rated.get(clerk_id, {}).get("s") or 0)
        adjusted = (total_score + RATING_PRIOR_WEIGHT * prior) / (n + RATING_PRIOR_WEIGHT)
        workload = workloads[clerk_id]
        quantity = 40 * min(1.0, workload / mean) if mean else 0.0
        quality = 15 * (1.0 if on_time is None else on_time) + 15 * (1.0 if one_trip is None else one_trip)
        rating_points = 30 * (adjusted - 1) / 4
        total = round(quantity + quality + rating_points, 1)
        result.rows.append(
            Score(
                clerk=users[clerk_id],
                workload=workload,
                applications=int(figures.get("applications", 0)),
                consultations=int(consultations.get(clerk_id, 0)),
                on_time_rate=1.0 if on_time is None else on_time,
                one_trip_rate=1.0 if one_trip is None else one_trip,
                ratings=n,
                average_score=total_score / n if n else None,
                adjusted_score=round(adjusted, 2),
                quantity_points=round(quantity, 1),
                quality_points=round(quality, 1),
                rating_points=round(rating_points, 1),
                total=total,
                grade=grade_of(total),
            )
        )
    result.rows.sort(key=lambda s: (-s.total, s.clerk.username))
    for position, score in enumerate(result.rows, start=1):
        # equal totals share a rank (competition ranking: 1, 2, 2, 4)
        previous = result.rows[position - 2] if position > 1 else None
        score.rank = previous.rank if previous is not None and previous.total == score.total else position
    return result
