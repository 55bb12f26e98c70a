"""The figures of the linkage platform: the standard KPIs of digital urban management, by group and period.

One function, `summary`, computes every figure the page, the API and the Excel export show, in one SQL query with
conditional aggregates over the actor's work orders (`workorders.selectors.work_orders`, already restricted to their
jurisdiction). The definitions are in docs/figures.md; in short, each figure belongs to one of three cohorts, and
the timestamp that puts a work order into the period is the cohort's:

- reported cohort (上报时间 `reported_at` in the period): reported, registered, dispatched, solved on the spot,
  supervision;
- due cohort (处置时限 `handle_due_at` in the period and already passed; an order solved on the spot is due when it
  was closed): due, close rate, on-time close rate, overdue rate, handling rates, rework, extension and return rates;
- closed cohort (结案时间 `closed_at` in the period): closed, average handling time, satisfaction.

Each cohort's timestamp has an index, so PostgreSQL reads only the period's rows (a bitmap OR of three index scans).
A rate whose denominator is 0 is None ("—" on screen), never a division by zero.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Left, StrIndex, Substr, Trunc
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core.errors import ValidationError
from civicgrid.people.models import Department
from civicgrid.regions.choices import LEVEL_ORDER, Level
from civicgrid.regions.models import Region
from civicgrid.workorders import selectors as workorders
from civicgrid.workorders.choices import Source, Status, Supervision
from civicgrid.workorders.models import IncidentCategory, IncidentType, WorkOrder

MAX_DAYS = 3 * 366 + 1  # a longer range is a mistake, not a question anyone asks of a month-by-month report
MIN_DUE = 5  # a unit with fewer due work orders is listed but not ranked: one late order would be "0 %"
CLOSED = (Status.CLOSED, Status.RATED)
NOT_DUE = (Status.SUSPENDED, Status.VOIDED, Status.MERGED)  # suspension stops the clock; void and merge end it

GROUPS: dict[str, Any] = {
    "region": gettext_lazy("区域"),
    "department": gettext_lazy("承办部门"),
    "category": gettext_lazy("事件大类"),
    "type": gettext_lazy("事件小类"),
    "source": gettext_lazy("来源"),
}
INTERVALS: dict[str, Any] = {"day": gettext_lazy("按日"), "week": gettext_lazy("按周"), "month": gettext_lazy("按月")}


# ---------------------------------------------------------------- the period


@dataclass(frozen=True)
class Period:
    """Whole local days, both ends included."""

    start: date
    end: date

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(settings.TIME_ZONE)

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, self.zone)

    @property
    def end_at(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, self.zone)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return _("%(start)s 至 %(end)s") % {"start": f"{self.start:%Y-%m-%d}", "end": f"{self.end:%Y-%m-%d}"}


def period(start: date | None, end: date | None, *, today: date | None = None) -> Period:
    """The period asked for; the current month when nothing is given. Bad ranges raise a message a clerk can act on."""
    today = today or timezone.localdate()
    if start is None and end is None:
        start = today.replace(day=1)
        end = month_end(start)
    elif start is None:
        assert end is not None
        start = end.replace(day=1)
    elif end is None:
        end = month_end(start)
    if end < start:
        message = _("结束日期早于开始日期，请重新选择统计期间。")
        raise ValidationError(message, errors={"end": [message]})
    if (end - start).days + 1 > MAX_DAYS:
        message = _("统计期间最长 3 年，请缩短日期范围。")
        raise ValidationError(message, errors={"start": [message]})
    return Period(start, end)


def month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


# ---------------------------------------------------------------- what is counted


@dataclass
class Counts:
    """The counts behind every figure of one group (or of the whole). Rates are derived, never stored."""

    reported: int = 0
    registered: int = 0
    dispatched: int = 0
    solved_on_spot: int = 0
    supervised_yellow: int = 0
    supervised_red: int = 0
    due: int = 0
    due_closed: int = 0
    due_closed_on_time: int = 0
    due_handled: int = 0
    due_handled_on_time: int = 0
    due_rework: int = 0
    due_extended: int = 0
    due_returned: int = 0
    closed: int = 0
    timed: int = 0  # closed work orders with a dispatch and a handling time: the base of the average handling time
    handling_hours: float = 0.0  # their summed wall-clock hours from dispatch to handling feedback
    rated: int = 0
    satisfied: int = 0

    @property
    def due_overdue(self) -> int:
        return self.due - self.due_handled_on_time

    def add(self, other: "Counts") -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def value(self, key: str) -> float | int | None:
        return KPI_BY_KEY[key].value(self)


def _ratio(numerator: Callable[[Counts], float], denominator: str) -> Callable[[Counts], float | None]:
    def compute(counts: Counts) -> float | None:
        base = getattr(counts, denominator)
        return numerator(counts) / base if base else None

    return compute


@dataclass(frozen=True)
class Kpi:
    key: str
    label: Any  # lazy Chinese label
    kind: str  # "count", "rate" (0..1) or "hours"
    compute: Callable[[Counts], float | int | None]
    better: str = ""  # "high", "low" or "" (a count: no better or worse)
    denominator: str = ""  # the count whose size decides whether the unit may be ranked by this figure

    def value(self, counts: Counts) -> float | int | None:
        return self.compute(counts)


def _count(name: str) -> Callable[[Counts], int]:
    return lambda counts: getattr(counts, name)


KPIS: tuple[Kpi, ...] = (
    Kpi("reported", gettext_lazy("上报数"), "count", _count("reported")),
    Kpi("registered", gettext_lazy("立案数"), "count", _count("registered")),
    Kpi("dispatched", gettext_lazy("派遣数"), "count", _count("dispatched")),
    Kpi("closed", gettext_lazy("结案数"), "count", _count("closed")),
    Kpi("due", gettext_lazy("应结案数"), "count", _count("due")),
    Kpi("close_rate", gettext_lazy("结案率"), "rate", _ratio(_count("due_closed"), "due"), "high", "due"),
    Kpi(
        "on_time_close_rate",
        gettext_lazy("按期结案率"),
        "rate",
        _ratio(_count("due_closed_on_time"), "due"),
        "high",
        "due",
    ),
    Kpi("overdue_rate", gettext_lazy("超期率"), "rate", _ratio(_count("due_overdue"), "due"), "low", "due"),
    Kpi("handling_rate", gettext_lazy("处置率"), "rate", _ratio(_count("due_handled"), "due"), "high", "due"),
    Kpi(
        "on_time_handling_rate",
        gettext_lazy("按期处置率"),
        "rate",
        _ratio(_count("due_handled_on_time"), "due"),
        "high",
        "due",
    ),
    Kpi("rework_rate", gettext_lazy("返工率"), "rate", _ratio(_count("due_rework"), "due"), "low", "due"),
    Kpi("extension_rate", gettext_lazy("延期率"), "rate", _ratio(_count("due_extended"), "due"), "low", "due"),
    Kpi("return_rate", gettext_lazy("退回率"), "rate", _ratio(_count("due_returned"), "due"), "low", "due"),
    Kpi(
        "avg_handling_hours",
        gettext_lazy("平均处置时长(小时)"),
        "hours",
        _ratio(_count("handling_hours"), "timed"),
        "low",
        "timed",
    ),
    Kpi("satisfaction_rate", gettext_lazy("满意率"), "rate", _ratio(_count("satisfied"), "rated"), "high", "rated"),
    Kpi("on_spot_share", gettext_lazy("现场解决占比"), "rate", _ratio(_count("solved_on_spot"), "reported"), "", ""),
    Kpi("supervised_yellow", gettext_lazy("黄牌督办"), "count", _count("supervised_yellow")),
    Kpi("supervised_red", gettext_lazy("红牌督办"), "count", _count("supervised_red")),
)
KPI_BY_KEY: dict[str, Kpi] = {kpi.key: kpi for kpi in KPIS}

# Each figure's formula in words: the page's column titles and the export's definitions sheet (docs/figures.md has
# the full text). Shown as written; an English reader gets them from the translation catalogue.
FORMULAS: dict[str, Any] = {
    "reported": gettext_lazy("上报时间在期内的工单数（含不予立案、合并的）"),
    "registered": gettext_lazy("期内上报的工单中已立案的（含现场解决）"),
    "dispatched": gettext_lazy("期内上报的工单中已派遣、当前在派遣及以后环节的（不含现场解决）"),
    "closed": gettext_lazy("结案时间在期内的工单数"),
    "due": gettext_lazy("处置时限在期内且已到期的工单数，加期内现场解决的；不含挂起、不予立案、合并的"),
    "close_rate": gettext_lazy("应结案工单中已结案的 ÷ 应结案数"),
    "on_time_close_rate": gettext_lazy("应结案工单中在处置时限内处置并已结案的 ÷ 应结案数"),
    "overdue_rate": gettext_lazy("应结案工单中未在处置时限内处置的 ÷ 应结案数"),
    "handling_rate": gettext_lazy("应结案工单中已处置反馈的 ÷ 应结案数"),
    "on_time_handling_rate": gettext_lazy("应结案工单中在处置时限内处置反馈的 ÷ 应结案数"),
    "rework_rate": gettext_lazy("应结案工单中核查不通过返工过的 ÷ 应结案数"),
    "extension_rate": gettext_lazy("应结案工单中获准延期过的 ÷ 应结案数"),
    "return_rate": gettext_lazy("应结案工单中被承办单位退回过的 ÷ 应结案数"),
    "avg_handling_hours": gettext_lazy("期内结案工单从（最后一次）派遣到处置反馈的自然小时数的平均值"),
    "satisfaction_rate": gettext_lazy("期内结案且已评价的工单中评 4、5 星的 ÷ 已评价数"),
    "on_spot_share": gettext_lazy("期内上报的工单中现场解决的 ÷ 上报数"),
    "supervised_yellow": gettext_lazy("期内上报的工单中当前为黄牌督办的"),
    "supervised_red": gettext_lazy("期内上报的工单中当前为红牌督办的"),
    "composite": gettext_lazy(
        "按期结案率×40% + 结案率×30% + 满意率×20% + (1−返工率)×10%，满分 100；缺项按其余权重折算"
    ),
}

# The composite score (综合得分, 0-100): a weighted mean of the components the unit has a value for (a unit without
# ratings is scored on the other three, reweighted), so a missing figure neither helps nor hurts.
COMPOSITE_WEIGHTS: tuple[tuple[str, float, bool], ...] = (
    ("on_time_close_rate", 0.4, False),
    ("close_rate", 0.3, False),
    ("satisfaction_rate", 0.2, False),
    ("rework_rate", 0.1, True),  # True: lower is better, scored as 1 - rate
)


def composite(counts: Counts) -> float | None:
    if not counts.due:
        return None
    total = weight = 0.0
    for key, share, inverted in COMPOSITE_WEIGHTS:
        value = counts.value(key)
        if value is None:
            continue
        total += share * (1 - float(value) if inverted else float(value))
        weight += share
    return 100 * total / weight if weight else None


COMPOSITE = Kpi("composite", gettext_lazy("综合得分"), "score", composite, "high", "due")
RANKABLE: dict[str, Kpi] = {COMPOSITE.key: COMPOSITE} | {k.key: k for k in KPIS if k.better}


# ---------------------------------------------------------------- filters and grouping


@dataclass(frozen=True)
class Filters:
    """Narrowing within the region: by incident category or type (codes), source, department (code)."""

    category: str = ""
    incident_type: str = ""
    source: str = ""
    department: str = ""

    def apply(self, rows: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
        if self.category:
            rows = rows.filter(incident_type__category__code=self.category)
        if self.incident_type:
            rows = rows.filter(incident_type__code=self.incident_type)
        if self.source:
            rows = rows.filter(source=self.source)
        if self.department:
            rows = rows.filter(department__code=self.department)
        return rows

    def describe(self) -> list[tuple[str, str]]:
        """The filters in words, for the export's header and the audit row."""
        said: list[tuple[str, str]] = []
        if self.category:
            found = IncidentCategory.objects.filter(code=self.category).first()
            said.append((_("事件大类"), found.name if found else self.category))
        if self.incident_type:
            kind = IncidentType.objects.filter(code=self.incident_type).first()
            said.append((_("事件小类"), kind.name if kind else self.incident_type))
        if self.source:
            said.append((_("来源"), str(Source(self.source).label) if self.source in Source.values else self.source))
        if self.department:
            department = Department.objects.filter(code=self.department).first()
            said.append((_("承办部门"), department.name if department else self.department))
        return said

    def validate(self) -> None:
        problems: dict[str, list[str]] = {}
        if self.source and self.source not in Source.values:
            problems["source"] = [_("未知的来源：%(v)s。") % {"v": self.source}]
        if self.category and not IncidentCategory.objects.filter(code=self.category).exists():
            problems["category"] = [_("事件大类 %(v)s 不存在。") % {"v": self.category}]
        if self.incident_type and not IncidentType.objects.filter(code=self.incident_type).exists():
            problems["type"] = [_("事件类型 %(v)s 不存在。") % {"v": self.incident_type}]
        if self.department and not Department.objects.filter(code=self.department).exists():
            problems["department"] = [_("部门 %(v)s 不存在。") % {"v": self.department}]
        if problems:
            raise ValidationError("；".join(p for ps in problems.values() for p in ps), errors=problems)


def path_prefix(root_path: str, depth: int) -> Combinable:
    """The path of the region `depth` levels below the root that holds each work order's grid, as SQL.

    region_path is /city/district/street/community/grid/; the segment after the root's prefix ends at the next "/",
    found with StrIndex (instr / strpos), so codes of any length group correctly on SQLite and PostgreSQL.
    """
    length: Combinable = Value(len(root_path))
    for _level in range(depth):
        length = length + StrIndex(Substr("region_path", length + 1), Value("/"))
    return Left("region_path", length)  # type: ignore[arg-type]  # an expression is fine: Left resolves it


def region_depth(root: Region | None, level: str) -> int:
    """How many levels `level` lies below the root (the root's children: 1)."""
    root_index = LEVEL_ORDER.index(root.level) if root is not None else -1
    return LEVEL_ORDER.index(level) - root_index


def child_level(root: Region | None) -> str:
    if root is None:
        return LEVEL_ORDER[0]
    index = LEVEL_ORDER.index(root.level)
    return LEVEL_ORDER[min(index + 1, len(LEVEL_ORDER) - 1)]


def _group_key(group_by: str, root: Region | None, level: str | None) -> Any:
    if group_by == "region":
        target = level or child_level(root)
        if target == Level.GRID:
            return F("region_path")  # work orders lie in grids: the grid's path is the order's own
        if root is not None and root.level == Level.GRID:
            return Value(root.path)
        return path_prefix(root.path if root else "/", region_depth(root, target))
    return {
        "department": F("department_id"),
        "category": F("incident_type__category_id"),
        "type": F("incident_type_id"),
        "source": F("source"),
    }[group_by]


# ---------------------------------------------------------------- the cohorts and the one query


def cohorts(window: Period, now: datetime) -> tuple[Q, Q, Q]:
    """The reported, due and closed cohorts of the period, as conditions on a work order's own row."""
    start, end = window.start_at, window.end_at
    reported = Q(reported_at__gte=start, reported_at__lt=end)
    # due: the handling deadline (as it stands after extensions and suspensions) fell in the period and has passed;
    # an order solved on the spot never had one and is due at the moment it was closed
    due = (
        Q(handle_due_at__gte=start, handle_due_at__lt=min(end, now))
        | Q(solved_on_spot=True, handle_due_at__isnull=True, closed_at__gte=start, closed_at__lt=end)
    ) & ~Q(status__in=NOT_DUE)
    closed = Q(closed_at__gte=start, closed_at__lt=end)
    return reported, due, closed


def within(window: Period, now: datetime) -> Q:
    """Rows in any cohort, as three plain index ranges (an order solved on the spot and due is also closed in the
    period), so the planner reads each timestamp's index and estimates the rows well."""
    start, end = window.start_at, window.end_at
    return (
        Q(reported_at__gte=start, reported_at__lt=end)
        | Q(handle_due_at__gte=start, handle_due_at__lt=min(end, now))
        | Q(closed_at__gte=start, closed_at__lt=end)
    )


HANDLING_TIME = ExpressionWrapper(F("handled_at") - F("dispatched_at"), output_field=DurationField())


# What is counted of each group's orders, whatever their cohort; `FOLD` says which cohort each count belongs to.
# The names carry a prefix: an aggregate named like a field (solved_on_spot) would shadow it in the filters.
TIMED = Q(solved_on_spot=False, dispatched_at__isnull=False, handled_at__isnull=False)
MEASURES: dict[str, Any] = {
    "n_all": Count("pk"),
    "n_registered": Count("pk", filter=Q(registered_at__isnull=False)),
    "n_dispatched": Count("pk", filter=Q(dispatched_at__isnull=False, solved_on_spot=False)),
    "n_on_spot": Count("pk", filter=Q(solved_on_spot=True)),
    "n_yellow": Count("pk", filter=Q(supervision=Supervision.YELLOW)),
    "n_red": Count("pk", filter=Q(supervision=Supervision.RED)),
    "n_closed": Count("pk", filter=Q(status__in=CLOSED)),
    "n_closed_on_time": Count("pk", filter=Q(status__in=CLOSED, closed_on_time=True)),
    "n_handled": Count("pk", filter=Q(handled_at__isnull=False)),
    "n_handled_on_time": Count("pk", filter=Q(handled_on_time=True)),
    "n_rework": Count("pk", filter=Q(rework_count__gt=0)),
    "n_extended": Count("pk", filter=Q(extension_count__gt=0)),
    "n_returned": Count("pk", filter=Q(return_count__gt=0)),
    "n_timed": Count("pk", filter=TIMED),
    "n_handling_time": Sum(HANDLING_TIME, filter=TIMED),
    "n_rated": Count("pk", filter=Q(rating__isnull=False)),
    "n_satisfied": Count("pk", filter=Q(rating__gte=4)),
}
FOLD: dict[str, tuple[str, str]] = {
    "reported": ("in_reported", "n_all"),
    "registered": ("in_reported", "n_registered"),
    "dispatched": ("in_reported", "n_dispatched"),
    "solved_on_spot": ("in_reported", "n_on_spot"),
    "supervised_yellow": ("in_reported", "n_yellow"),
    "supervised_red": ("in_reported", "n_red"),
    "due": ("in_due", "n_all"),
    "due_closed": ("in_due", "n_closed"),
    "due_closed_on_time": ("in_due", "n_closed_on_time"),
    "due_handled": ("in_due", "n_handled"),
    "due_handled_on_time": ("in_due", "n_handled_on_time"),
    "due_rework": ("in_due", "n_rework"),
    "due_extended": ("in_due", "n_extended"),
    "due_returned": ("in_due", "n_returned"),
    "closed": ("in_closed", "n_all"),
    "timed": ("in_closed", "n_timed"),
    "rated": ("in_closed", "n_rated"),
    "satisfied": ("in_closed", "n_satisfied"),
}


def _fold(counts: Counts, row: dict[str, Any]) -> None:
    """Add one (group, cohort membership) row of the query to the group's counts."""
    for name, (cohort, measure) in FOLD.items():
        if row[cohort]:
            setattr(counts, name, getattr(counts, name) + (row[measure] or 0))
    if row["in_closed"] and row["n_handling_time"]:
        counts.handling_hours += row["n_handling_time"].total_seconds() / 3600


def scoped(actor: Any, root: Region | None, filters: Filters) -> QuerySet[WorkOrder]:
    """The actor's work orders in the root region's subtree, narrowed by the filters."""
    rows = workorders.work_orders(actor=actor)
    if root is not None:
        rows = rows.filter(region_path__startswith=root.path)
    return filters.apply(rows)


@dataclass
class Row:
    key: Any
    label: str
    counts: Counts
    code: str = ""  # a region's or a department's code, an incident category's or type's code, a source's value
    level: str = ""  # for region rows: their level, so the page links the drill-down

    def value(self, key: str) -> float | int | None:
        return COMPOSITE.value(self.counts) if key == COMPOSITE.key else self.counts.value(key)


@dataclass
class Summary:
    period: Period
    root: Region | None
    group_by: str
    filters: Filters
    level: str = ""
    rows: list[Row] = field(default_factory=list)
    total: Counts = field(default_factory=Counts)
    computed_at: datetime = field(default_factory=timezone.now)


def summary(
    actor: Any,
    start: date | None,
    end: date | None,
    group_by: str = "region",
    *,
    region: Region | None = None,
    level: str | None = None,
    filters: Filters | None = None,
    now: datetime | None = None,
) -> Summary:
    """Every figure of the period for the actor's work orders in `region`, one row per group, and the whole.

    group_by: region (the region's children, or `level` below it), department, category, type or source.
    One query: the period's rows (in any of the three cohorts), grouped, with a conditional count per measure.
    """
    if group_by not in GROUPS:
        raise ValidationError(_("未知的分组方式：%(g)s。") % {"g": group_by})
    grid_itself = region is not None and region.level == Level.GRID and level == Level.GRID
    if level is not None and not grid_itself and (level not in LEVEL_ORDER or region_depth(region, level) < 1):
        raise ValidationError(_("该区域下没有“%(l)s”这一级。") % {"l": level})
    filters = filters or Filters()
    filters.validate()
    window = period(start, end)
    now = now or timezone.now()
    reported, due, closed = cohorts(window, now)
    # one pass over the period's rows: grouped by the group and by which cohorts the row is in, so each cohort's
    # condition is evaluated once per row (not again in every aggregate's FILTER); Python adds the cohorts up
    grouped = (
        scoped(actor, region, filters)
        .filter(within(window, now))
        .order_by()
        .values(
            group=_group_key(group_by, region, level),
            in_reported=ExpressionWrapper(reported, output_field=BooleanField()),
            in_due=ExpressionWrapper(due, output_field=BooleanField()),
            in_closed=ExpressionWrapper(closed, output_field=BooleanField()),
        )
        .annotate(**MEASURES)
        .order_by()
    )
    by_key: dict[Any, Counts] = {}
    for row in grouped:
        _fold(by_key.setdefault(row["group"], Counts()), dict(row))
    result = Summary(period=window, root=region, group_by=group_by, filters=filters, level=level or "")
    for counts in by_key.values():
        result.total.add(counts)
    result.rows = _label(group_by, by_key, actor)
    return result


def _label(group_by: str, by_key: dict[Any, Counts], actor: Any) -> list[Row]:
    """Names for the groups' keys, in the order an office expects: division codes, catalogue order."""
    if group_by == "region":
        regions = {r.path: r for r in Region.objects.filter(path__in=[k for k in by_key if k])}
        rows = []
        for key, counts in by_key.items():
            region = regions.get(key)
            label = region.name if region else _("（未知区域）")
            rows.append(Row(key, label, counts, region.code if region else "", region.level if region else ""))
        return sorted(rows, key=lambda row: str(row.key))
    if group_by == "department":
        departments = {d.pk: d for d in Department.objects.filter(pk__in=[k for k in by_key if k])}
        rows = [
            Row(
                key,
                departments[key].name if key in departments else _("无承办部门（网格、社区自办或尚未派遣）"),
                counts,
                departments[key].code if key in departments else "",
            )
            for key, counts in by_key.items()
        ]
        return sorted(rows, key=lambda row: (row.key is None, row.code))
    if group_by == "category":
        categories = {c.pk: c for c in IncidentCategory.objects.filter(pk__in=[k for k in by_key if k])}
        rows = [
            Row(key, categories[key].name if key in categories else _("待分类"), counts, _code(categories.get(key)))
            for key, counts in by_key.items()
        ]
        order = {c.pk: (c.sort, c.code) for c in categories.values()}
        return sorted(rows, key=lambda row: (row.key is None, order.get(row.key, (0, ""))))
    if group_by == "type":
        kinds = {t.pk: t for t in IncidentType.objects.filter(pk__in=[k for k in by_key if k])}
        rows = [
            Row(key, kinds[key].name if key in kinds else _("待分类"), counts, _code(kinds.get(key)))
            for key, counts in by_key.items()
        ]
        return sorted(rows, key=lambda row: (row.key is None, row.code))
    sources = list(Source.values)
    rows = [
        Row(key, str(Source(key).label) if key in Source.values else key, counts, key) for key, counts in by_key.items()
    ]
    return sorted(rows, key=lambda row: sources.index(row.key) if row.key in sources else len(sources))


def _code(obj: Any) -> str:
    return obj.code if obj is not None else ""


# ---------------------------------------------------------------- rankings


@dataclass
class Ranked:
    row: Row
    value: float | int | None
    rank: int | None  # None: not ranked (too few due orders, or no value)


def ranking(rows: Iterable[Row], kpi: str = COMPOSITE.key, *, min_due: int = MIN_DUE) -> list[Ranked]:
    """Rank the rows by one figure (or the composite). Ties as shown (one decimal) share a rank: 1, 2, 2, 4.

    A unit is ranked only when the figure's own denominator (due orders for most, ratings for satisfaction,
    timed orders for the handling time) reaches `min_due`; the others follow, unranked, so nobody is first or
    last on one or two orders.
    """
    if kpi not in RANKABLE:
        raise ValidationError(_("不能按“%(k)s”排名。") % {"k": kpi})
    figure = RANKABLE[kpi]
    ranked: list[Ranked] = []
    unranked: list[Ranked] = []
    for row in rows:
        value = row.value(kpi)
        base = getattr(row.counts, figure.denominator) if figure.denominator else 0
        if value is None or base < min_due or row.key is None:  # "no department", "unclassified": not a unit
            unranked.append(Ranked(row, value, None))
        else:
            ranked.append(Ranked(row, value, None))
    sign = -1 if figure.better == "high" else 1

    def shown(value: Any) -> float:
        # the precision the page shows: 12.3 % or 12.3 hours or a score of 87.5
        return round(float(value) * (100 if figure.kind == "rate" else 1), 1)

    ranked.sort(key=lambda r: (sign * shown(r.value), -r.row.counts.due, r.row.code or str(r.row.key)))
    previous: float | None = None
    for position, item in enumerate(ranked, start=1):
        current = shown(item.value)
        item.rank = ranked[position - 2].rank if previous is not None and current == previous else position
        previous = current
    unranked.sort(key=lambda r: (-r.row.counts.due, r.row.code or str(r.row.key)))
    return ranked + unranked


# ---------------------------------------------------------------- trend


@dataclass
class Bucket:
    start: date
    reported: int = 0
    closed: int = 0
    due: int = 0
    due_closed: int = 0
    due_closed_on_time: int = 0

    @property
    def close_rate(self) -> float | None:
        return self.due_closed / self.due if self.due else None

    @property
    def on_time_close_rate(self) -> float | None:
        return self.due_closed_on_time / self.due if self.due else None


def bucket_starts(window: Period, interval: str) -> list[date]:
    starts: list[date] = []
    if interval == "day":
        day = window.start
        while day <= window.end:
            starts.append(day)
            day += timedelta(days=1)
    elif interval == "week":
        day = window.start - timedelta(days=window.start.weekday())
        while day <= window.end:
            starts.append(day)
            day += timedelta(days=7)
    else:
        day = window.start.replace(day=1)
        while day <= window.end:
            starts.append(day)
            day = month_end(day) + timedelta(days=1)
    return starts


def trend(
    actor: Any,
    start: date | None,
    end: date | None,
    interval: str = "month",
    *,
    region: Region | None = None,
    filters: Filters | None = None,
    now: datetime | None = None,
) -> list[Bucket]:
    """Reported, closed and due orders (and the close rates) per day, week or month, in one query."""
    if interval not in INTERVALS:
        raise ValidationError(_("未知的时间粒度：%(i)s。") % {"i": interval})
    window = period(start, end)
    if interval == "day" and window.days > 366:
        raise ValidationError(_("按日的趋势最长一年，请按周或按月查看。"))
    filters = filters or Filters()
    filters.validate()
    now = now or timezone.now()
    zone = window.zone
    today = timezone.localdate(now)
    # no bucket for days still ahead: nothing can have been reported then, and a row of zeros reads as a collapse
    buckets = {day: Bucket(day) for day in bucket_starts(window, interval) if day <= today}
    reported, due, closed = cohorts(window, now)

    def stamp(condition: Q, field_or_expression: Any) -> Case:
        # the row's bucket in this cohort, or NULL when it is not in the cohort
        truncated = Trunc(field_or_expression, interval, tzinfo=zone, output_field=DateTimeField())
        return Case(When(condition, then=truncated), default=None, output_field=DateTimeField())

    # one pass, as in `summary`: grouped by the row's bucket in each cohort (most orders are reported, due and closed
    # in the same or the next bucket, so there are few groups), and Python adds each cohort's counts to its bucket
    grouped = (
        scoped(actor, region, filters)
        .filter(within(window, now))
        .order_by()
        .values(
            r_bucket=stamp(reported, "reported_at"),
            d_bucket=stamp(due, Coalesce("handle_due_at", "closed_at")),
            c_bucket=stamp(closed, "closed_at"),
        )
        .annotate(
            n_all=Count("pk"),
            n_closed=Count("pk", filter=Q(status__in=CLOSED)),
            n_closed_on_time=Count("pk", filter=Q(status__in=CLOSED, closed_on_time=True)),
        )
        .order_by()
    )

    def bucket_of(moment: datetime) -> Bucket:
        # PostgreSQL hands the truncated local time back naive from inside the CASE; SQLite as an aware one
        day = moment.date() if timezone.is_naive(moment) else timezone.localtime(moment, zone).date()
        return buckets.setdefault(day, Bucket(day))  # a week starting before the period, say

    for row in grouped:
        if row["r_bucket"] is not None:
            bucket_of(row["r_bucket"]).reported += row["n_all"]
        if row["c_bucket"] is not None:
            bucket_of(row["c_bucket"]).closed += row["n_all"]
        if row["d_bucket"] is not None:
            bucket = bucket_of(row["d_bucket"])
            bucket.due += row["n_all"]
            bucket.due_closed += row["n_closed"]
            bucket.due_closed_on_time += row["n_closed_on_time"]
    return [buckets[day] for day in sorted(buckets)]


def by_source(actor: Any, window: Period, *, region: Region | None, filters: Filters) -> list[tuple[str, str, int]]:
    """Reported work orders per source (the pie): one small query on the reported cohort."""
    reported, _due, _closed = cohorts(window, timezone.now())
    grouped = {
        row["source"]: row["n"]
        for row in scoped(actor, region, filters).filter(reported).order_by().values("source").annotate(n=Count("pk"))
    }
    return [(value, str(label), grouped[value]) for value, label in Source.choices if grouped.get(value)]
