"""Figures of the linkage platform over JSON: summary, ranking and trend, with the page's own computation."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError

from civicgrid.command import figures, selectors
from civicgrid.command.permissions import require_command
from civicgrid.command.schemas import (
    FiguresQuery,
    GroupBy,
    Interval,
    LevelName,
    RankingOut,
    RankKpi,
    SummaryOut,
    TrendOut,
    counts_of,
    figures_of,
    region_ref,
)
from civicgrid.regions.models import Region

router = Router(tags=["figures"])
ERRORS = {403: dict, 404: dict, 422: dict}


def _region(request: HttpRequest, code: str | None) -> Region | None:
    require_command(request.user)
    try:
        return selectors.region_for(actor=request.user, code=code)
    except Region.DoesNotExist as error:
        raise HttpError(404, _("区域不存在，或不在您的管辖范围内。")) from error


def _summary(request: HttpRequest, query: FiguresQuery, group_by: str, level: str | None) -> figures.Summary:
    region = _region(request, query.region)
    return figures.summary(
        request.user, query.start, query.end, group_by, region=region, level=level, filters=query.filters()
    )


def _key(row: figures.Row) -> str:
    return row.code or ("" if row.key is None else str(row.key))


@router.get("/summary", response={200: SummaryOut, **ERRORS}, summary="工单指标汇总")
def summary(
    request: HttpRequest,
    query: Query[FiguresQuery],
    group_by: GroupBy = "region",
    level: LevelName | None = None,
) -> Any:
    """Every figure of the period, per group (the region's children or `level` below it, department, incident
    category or type, source) and for the whole. Definitions: docs/figures.md."""
    result = _summary(request, query, group_by, level)
    return {
        "period": {"start": result.period.start, "end": result.period.end},
        "region": region_ref(result.root),
        "group_by": result.group_by,
        "level": result.level,
        "filters": dict(result.filters.describe()),
        "computed_at": result.computed_at,
        "total": {"figures": figures_of(result.total), "counts": counts_of(result.total)},
        "rows": [
            {
                "key": _key(row),
                "label": row.label,
                "level": row.level,
                "figures": figures_of(row.counts),
                "counts": counts_of(row.counts),
            }
            for row in result.rows
        ],
    }


@router.get("/ranking", response={200: RankingOut, **ERRORS}, summary="排名")
def ranking(
    request: HttpRequest,
    query: Query[FiguresQuery],
    by: GroupBy = "region",
    level: LevelName | None = None,
    kpi: RankKpi = "composite",
    min_due: int = Query(figures.MIN_DUE, ge=1, le=1000, description="rank only units with this many due orders"),
) -> Any:
    """Units ranked by one figure or the composite score; ties (at one decimal) share a rank; units below
    `min_due` follow unranked (rank null)."""
    result = _summary(request, query, by, level)
    figure = figures.RANKABLE[kpi]
    return {
        "period": {"start": result.period.start, "end": result.period.end},
        "region": region_ref(result.root),
        "by": by,
        "level": result.level,
        "kpi": kpi,
        "kpi_label": str(figure.label),
        "better": figure.better,
        "min_due": min_due,
        "items": [
            {
                "rank": item.rank,
                "key": _key(item.row),
                "label": item.row.label,
                "value": None if item.value is None else round(float(item.value), 4),
                "due": item.row.counts.due,
            }
            for item in figures.ranking(result.rows, kpi, min_due=min_due)
        ],
    }


@router.get("/trend", response={200: TrendOut, **ERRORS}, summary="趋势")
def trend(request: HttpRequest, query: Query[FiguresQuery], interval: Interval = "month") -> Any:
    """Reported, closed and due work orders and the close rates per day (up to a year), week or month."""
    region = _region(request, query.region)
    buckets = figures.trend(request.user, query.start, query.end, interval, region=region, filters=query.filters())
    window = figures.period(query.start, query.end)
    return {
        "period": {"start": window.start, "end": window.end},
        "region": region_ref(region),
        "interval": interval,
        "buckets": [
            {
                "start": b.start,
                "reported": b.reported,
                "closed": b.closed,
                "due": b.due,
                "due_closed": b.due_closed,
                "due_closed_on_time": b.due_closed_on_time,
                "close_rate": None if b.close_rate is None else round(b.close_rate, 4),
                "on_time_close_rate": None if b.on_time_close_rate is None else round(b.on_time_close_rate, 4),
            }
            for b in buckets
        ],
    }
