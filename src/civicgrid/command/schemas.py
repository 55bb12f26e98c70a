"""The figures over JSON: the same numbers as the page and the export. Rates are fractions (0.123 = 12.3 %), null
when their denominator is 0; hours are wall-clock hours."""

from dataclasses import fields
from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from civicgrid.command import figures
from civicgrid.core.schemas import Day

Interval = Literal["day", "week", "month"]
GroupBy = Literal["region", "department", "category", "type", "source"]
LevelName = Literal["city", "district", "street", "community", "grid"]
RankKpi = Literal[
    "composite",
    "close_rate",
    "on_time_close_rate",
    "overdue_rate",
    "handling_rate",
    "on_time_handling_rate",
    "rework_rate",
    "extension_rate",
    "return_rate",
    "avg_handling_hours",
    "satisfaction_rate",
]
CODE = r"^[A-Za-z0-9_-]+$"
SourceName = Literal["patrol", "resident", "hotline", "assistant", "evaluation", "app"]


class FiguresQuery(Schema):
    start: Day | None = Field(None, description="first day (local), default: the first of this month")
    end: Day | None = Field(None, description="last day (local, included), default: the end of start's month")
    # codes are letters, digits, "-" and "_": anything else (a NUL byte, say) is refused here, not by the database
    region: str | None = Field(
        None, max_length=15, pattern=r"^\d+$", description="region code; default: the caller's own region"
    )
    category: str | None = Field(None, max_length=8, pattern=CODE, description="incident category code")
    type: str | None = Field(None, max_length=12, pattern=CODE, description="incident type code")
    source: SourceName | None = None
    department: str | None = Field(None, max_length=32, pattern=CODE, description="department code")

    def filters(self) -> figures.Filters:
        return figures.Filters(
            category=self.category or "",
            incident_type=self.type or "",
            source=self.source or "",
            department=self.department or "",
        )


class PeriodOut(Schema):
    start: date
    end: date


class RegionRef(Schema):
    code: str
    name: str
    level: str


class FiguresOut(Schema):
    reported: int
    registered: int
    dispatched: int
    closed: int
    due: int
    close_rate: float | None
    on_time_close_rate: float | None
    overdue_rate: float | None
    handling_rate: float | None
    on_time_handling_rate: float | None
    rework_rate: float | None
    extension_rate: float | None
    return_rate: float | None
    avg_handling_hours: float | None
    satisfaction_rate: float | None
    on_spot_share: float | None
    supervised_yellow: int
    supervised_red: int
    composite: float | None = Field(description="综合得分 0-100")


class CountsOut(Schema):
    reported: int
    registered: int
    dispatched: int
    solved_on_spot: int
    supervised_yellow: int
    supervised_red: int
    due: int
    due_closed: int
    due_closed_on_time: int
    due_handled: int
    due_handled_on_time: int
    due_rework: int
    due_extended: int
    due_returned: int
    closed: int
    timed: int
    handling_hours: float
    rated: int
    satisfied: int


class RowOut(Schema):
    key: str = Field(description="region code, department code, category or type code, source; empty: none")
    label: str
    level: str = Field("", description="a region row's level")
    figures: FiguresOut
    counts: CountsOut


class TotalOut(Schema):
    figures: FiguresOut
    counts: CountsOut


class SummaryOut(Schema):
    period: PeriodOut
    region: RegionRef | None
    group_by: GroupBy
    level: str
    filters: dict[str, str]
    computed_at: datetime
    total: TotalOut
    rows: list[RowOut]


class RankedOut(Schema):
    rank: int | None = Field(description="null: not ranked (too few due orders, or no value)")
    key: str
    label: str
    value: float | None
    due: int


class RankingOut(Schema):
    period: PeriodOut
    region: RegionRef | None
    by: GroupBy
    level: str
    kpi: RankKpi
    kpi_label: str
    better: Literal["high", "low"]
    min_due: int
    items: list[RankedOut]


class BucketOut(Schema):
    start: date
    reported: int
    closed: int
    due: int
    due_closed: int
    due_closed_on_time: int
    close_rate: float | None
    on_time_close_rate: float | None


class TrendOut(Schema):
    period: PeriodOut
    region: RegionRef | None
    interval: Literal["day", "week", "month"]
    buckets: list[BucketOut]


def _rounded(value: float | int | None, kind: str) -> float | int | None:
    if value is None or kind == "count":
        return value
    return round(float(value), 4 if kind == "rate" else 2)


def figures_of(counts: figures.Counts) -> dict[str, Any]:
    values: dict[str, Any] = {kpi.key: _rounded(kpi.value(counts), kpi.kind) for kpi in figures.KPIS}
    values["composite"] = _rounded(figures.composite(counts), "score")
    return values


def counts_of(counts: figures.Counts) -> dict[str, Any]:
    values = {item.name: getattr(counts, item.name) for item in fields(counts)}
    values["handling_hours"] = round(values["handling_hours"], 2)
    return values


def region_ref(region: Any) -> dict[str, str] | None:
    return {"code": region.code, "name": region.name, "level": region.level} if region is not None else None
