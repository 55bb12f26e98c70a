"""Command-centre pages: the figures (with the Excel export) and the live command map with one-click dispatch."""

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicgrid.command import export, figures, selectors, services
from civicgrid.command.forms import PRESETS, FiguresForm, MapForm
from civicgrid.command.permissions import can_command
from civicgrid.command.templatetags.command import format_value
from civicgrid.core.errors import DomainError, ValidationError
from civicgrid.core.templatetags.civicgrid import when
from civicgrid.regions import selectors as regions
from civicgrid.regions.choices import LEVEL_ORDER, Level
from civicgrid.regions.models import Region
from civicgrid.workorders import selectors as workorders
from civicgrid.workorders.choices import WAITING_FOR_DISPATCH, WAITING_FOR_HANDLER, Action
from civicgrid.workorders.models import WorkOrder

REFRESH_SECONDS = 15
NUMBER = re.compile(r"^[0-9A-Za-z-]{1,24}$")
CODE = re.compile(r"^[A-Za-z0-9_-]{0,32}$")
USERNAME = re.compile(r"^[\w.@+-]{0,150}$")
RANKING_CHART_ROWS = 15


def _require(request: HttpRequest) -> None:
    if not can_command(request.user):
        raise PermissionDenied


def _region(request: HttpRequest, code: str | None) -> Region | None:
    try:
        return selectors.region_for(actor=request.user, code=code or None)
    except Region.DoesNotExist as error:  # unknown and out-of-jurisdiction look the same
        raise Http404 from error


def _query(params: QueryDict, **changes: Any) -> str:
    """The current query string with some parameters changed (None drops one)."""
    query = params.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value not in (None, ""):
            query[name] = str(value)
    return query.urlencode()


def _hidden(params: QueryDict, *, keep_out: set[str]) -> list[tuple[str, str]]:
    """The current parameters as hidden fields of a form that sets the others."""
    return [(name, value) for name, values in params.lists() if name not in keep_out for value in values]


def _crumbs(request: HttpRequest, region: Region | None) -> list[Region]:
    if region is None:
        return []
    return [*regions.ancestors(actor=request.user, region=region), region]


def _levels_below(region: Region | None) -> list[tuple[str, str]]:
    if region is None or region.level == Level.GRID:
        return []
    index = LEVEL_ORDER.index(region.level)
    return [(level.value, str(level.label)) for level in LEVEL_ORDER[index + 1 :]]


def _catalogue() -> list[tuple[Any, list[Any]]]:
    grouped: dict[Any, list[Any]] = {}
    for kind in workorders.incident_types():
        grouped.setdefault(kind.category, []).append(kind)
    return list(grouped.items())


# ---------------------------------------------------------------- figures


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _require(request)
    return redirect("command:map")


@login_required
@require_GET
def figures_page(request: HttpRequest) -> HttpResponse:
    """The figures of the actor's region: KPI cards, the trend, sources, the grouped table and the ranking."""
    _require(request)
    form = FiguresForm(request.GET)
    swap = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "cmd-table"
    template = "command/figures.html#table" if swap else "command/figures.html"
    context: dict[str, Any] = {
        "form": form,
        "presets": PRESETS,
        "groups": figures.GROUPS,
        "intervals": figures.INTERVALS,
        "rankable": figures.RANKABLE,
        "kpis": figures.KPIS,
        "formulas": figures.FORMULAS,
        "categories": _catalogue(),
    }
    if not form.is_valid():
        context["problems"] = [e for errors in form.errors.values() for e in errors]
        return render(request, template, context, status=422)
    data = form.cleaned_data
    region = _region(request, data.get("region"))
    level = data.get("level") or None
    if level and level not in dict(_levels_below(region)):
        level = None
    filters = form.filters()
    try:
        result = figures.summary(
            request.user, data["start"], data["end"], data["group_by"], region=region, level=level, filters=filters
        )
        ranked = figures.ranking(result.rows, data["kpi"], min_due=data["min_due"])
        if not swap:
            buckets = figures.trend(
                request.user, data["start"], data["end"], data["interval"], region=region, filters=filters
            )
            sources = figures.by_source(request.user, result.period, region=region, filters=filters)
    except DomainError as error:
        context["problems"] = [error.message]
        return render(request, template, context, status=error.status)
    kpi = figures.RANKABLE[data["kpi"]]
    params = request.GET
    context.update(
        {
            "data": data,
            "result": result,
            "region": region,
            "level": level or (figures.child_level(region) if data["group_by"] == "region" else ""),
            "levels": [(value, label, "?" + _query(params, level=value)) for value, label in _levels_below(region)],
            "crumbs": [
                (crumb.name, "?" + _query(params, region=crumb.code, level=None) if crumb != region else "")
                for crumb in _crumbs(request, region)
            ],
            "hidden": _hidden(params, keep_out={"kpi", "min_due"}),
            "filter_hidden": _hidden(
                params, keep_out={"preset", "start", "end", "category", "type", "source", "department", "interval"}
            ),
            "ranked": ranked,
            "ranking_kpi": kpi,
            "ranking_chart": _ranking_chart(ranked, kpi),
            "departments": selectors.departments_serving(region),
            "tabs": [(key, label, "?" + _query(params, group_by=key)) for key, label in figures.GROUPS.items()],
            "drill": {row.code: "?" + _query(params, region=row.code, level=None) for row in result.rows if row.level},
            "export_url": reverse("command:figures_export") + "?" + _query(params),
            "query": _query(params),
            "map_url": reverse("command:map") + (f"?{urlencode({'region': region.code})}" if region else ""),
        }
    )
    if not swap:
        context["charts"] = _charts(buckets, sources, data["interval"])
        context["cards"] = _cards(result.total)
    return render(request, template, context)


def _cards(total: figures.Counts) -> list[tuple[str, str, str, str]]:
    """(key, label, value, formula) of the KPI cards, most looked-at first."""
    keys = (
        "reported",
        "registered",
        "dispatched",
        "closed",
        "due",
        "close_rate",
        "on_time_close_rate",
        "overdue_rate",
        "satisfaction_rate",
        "avg_handling_hours",
        "rework_rate",
        "extension_rate",
        "return_rate",
        "on_spot_share",
        "supervised_yellow",
        "supervised_red",
    )
    cards = []
    for key in keys:
        kpi = figures.KPI_BY_KEY[key]
        cards.append((key, str(kpi.label), format_value(kpi.value(total), kpi.kind), str(figures.FORMULAS[key])))
    return cards


def _percent(value: float | None) -> float | None:
    return round(value * 100, 1) if value is not None else None


def _charts(buckets: list[figures.Bucket], sources: list[tuple[str, str, int]], interval: str) -> dict[str, Any]:
    label = {"day": "%m-%d", "week": "%m-%d", "month": "%Y-%m"}[interval]
    return {
        "trend": {
            "labels": [
                _("%(day)s起") % {"day": bucket.start.strftime(label)}
                if interval == "week"
                else bucket.start.strftime(label)
                for bucket in buckets
            ],
            "reported": [bucket.reported for bucket in buckets],
            "closed": [bucket.closed for bucket in buckets],
            "due": [bucket.due for bucket in buckets],
            "closeRate": [_percent(bucket.close_rate) for bucket in buckets],
            "names": {
                "reported": _("上报数"),
                "closed": _("结案数"),
                "due": _("应结案数"),
                "closeRate": _("结案率"),
            },
        },
        "sources": [{"name": name, "value": count} for _value, name, count in sources],
        "empty": _("本期没有数据"),
    }


def _ranking_chart(ranked: list[figures.Ranked], kpi: figures.Kpi) -> dict[str, Any]:
    shown = [item for item in ranked if item.rank is not None][:RANKING_CHART_ROWS]
    scale = 100 if kpi.kind == "rate" else 1
    return {
        "name": str(kpi.label),
        "unit": "%" if kpi.kind == "rate" else "",
        "labels": [f"{item.rank}. {item.row.label}" for item in shown],
        "values": [round(float(item.value) * scale, 1) for item in shown if item.value is not None],
        "empty": _("没有达到排名条件的单位"),
    }


def _region_label(region: Region | None) -> str:
    return region.name if region is not None else _("全部")


@login_required
@require_GET
def figures_export(request: HttpRequest) -> HttpResponse:
    """The table on screen as an Excel workbook; the export is written to the audit log."""
    _require(request)
    form = FiguresForm(request.GET)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("command:figures")
    data = form.cleaned_data
    region = _region(request, data.get("region"))
    level = data.get("level") or None
    if level and level not in dict(_levels_below(region)):
        level = None
    try:
        result = figures.summary(
            request.user,
            data["start"],
            data["end"],
            data["group_by"],
            region=region,
            level=level,
            filters=form.filters(),
        )
        ranked = figures.ranking(result.rows, data["kpi"], min_due=data["min_due"])
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("command:figures")
    user: Any = request.user
    now = timezone.now()
    title = _("%(region)s 工单指标（按%(group)s）") % {
        "region": _region_label(region),
        "group": figures.GROUPS[data["group_by"]],
    }
    content = export.workbook(
        result,
        title=title,
        region_label=f"{_region_label(region)}{f'（{region.code}）' if region else ''}",
        exported_by=f"{user.display_name}（{user.get_username()}）",
        exported_at=now,
        ranked=ranked,
    )
    services.figures_export_record(
        actor=user,
        region_path=region.path if region else "",
        period=str(result.period),
        group_by=data["group_by"],
        filters={name: value for name, value in result.filters.describe()},
        rows=len(result.rows),
    )
    name = f"{_('工单指标')}-{_region_label(region)}-{result.period.start:%Y%m%d}-{result.period.end:%Y%m%d}.xlsx"
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- the command map


def _map_form(request: HttpRequest) -> MapForm:
    form = MapForm(request.GET)
    if not form.is_valid():
        # a hand-edited address: drop what is wrong, keep the rest, and say so
        for name in list(form.errors):
            form.cleaned_data.pop(name, None)
    return form


@login_required
@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = _map_form(request)
    region = _region(request, form.cleaned_data.get("region"))
    problems = [e for errors in form.errors.values() for e in errors]
    config = {
        "liveUrl": reverse("command:map_live"),
        # the smallest region holding two streets of one officer is not theirs to browse: then no grid layer
        "gridsUrl": reverse("regions:grids_geojson", args=[region.code])
        if region and regions.regions(actor=request.user).filter(pk=region.pk).exists()
        else "",
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "lon": region.centre_lon if region else None,
        "lat": region.centre_lat if region else None,
        "refreshSeconds": REFRESH_SECONDS,
        # the script's words, translated here: static files carry no language
        "text": {
            "shown": _("显示 %(shown)s 件，共 %(total)s 件"),
            "updated": _("每 %(s)s 秒自动刷新 · 更新于 %(at)s") % {"s": REFRESH_SECONDS, "at": "%(at)s"},
            "failed": _("刷新失败，稍后自动重试。"),
            "loading": _("加载中…"),
            "empty": _("没有符合条件的工单。"),
            "dispatching": _("正在派遣…"),
            "gridTip": _("%(name)s：未办结 %(n)s 件"),
            "overdue": _("超期"),
            "officerBadge": _("勤"),
        },
    }
    crumbs = _crumbs(request, region)
    return render(
        request,
        "command/map.html",
        {
            "form": form,
            "region": region,
            "crumbs": crumbs,
            "subregions": selectors.subregions(actor=request.user, region=region) if region else [],
            "parent": crumbs[-2] if len(crumbs) > 1 else None,
            "situation": selectors.situation(actor=request.user, region=region),
            "categories": _catalogue(),
            "map_config": config,
            "problems": problems,
            "figures_url": reverse("command:figures") + (f"?{urlencode({'region': region.code})}" if region else ""),
        },
        status=422 if problems else 200,
    )


def _age(then: datetime, now: datetime) -> str:
    """How long ago, as people say it: 刚刚, 5 分钟前, 2 日前."""
    if (now - then).total_seconds() < 60:
        return _("刚刚")
    return _("%(age)s前") % {"age": timesince(then, now, depth=1)}


def _deadline(order: WorkOrder) -> tuple[str, str]:
    if order.status in WAITING_FOR_DISPATCH and order.dispatch_due_at:
        return _("派遣时限"), when(order.dispatch_due_at)
    if order.status in WAITING_FOR_HANDLER and order.handle_due_at:
        return _("处置时限"), when(order.handle_due_at)
    return "", ""


def _feature(order: WorkOrder, *, queued: bool, now: datetime) -> dict[str, Any]:
    """A marker: what and where, how old, how urgent. No reporter, no description, no phone."""
    due_label, due_at = _deadline(order)
    kind = order.incident_type
    return {
        "type": "Feature",
        "id": order.number,
        "geometry": {"type": "Point", "coordinates": [order.lon, order.lat]},
        "properties": {
            "number": order.number,
            "version": order.version,
            "kind": kind.name if kind else _("待分类"),
            "category": kind.category.name if kind else "",
            "status": order.status,
            "statusLabel": order.get_status_display(),
            "level": order.get_level_display(),
            "source": order.get_source_display(),
            "place": order.address or order.region.name,
            "grid": order.region.name,
            "reportedAt": when(order.reported_at),
            "age": _age(order.reported_at, now),
            "dueLabel": due_label,
            "dueAt": due_at,
            "overdue": order.is_overdue,
            "supervision": order.supervision,
            "supervisionLabel": order.get_supervision_display() if order.supervision else "",
            "queued": queued,
            "popupUrl": reverse("command:map_order", args=[order.number]),
        },
    }


@login_required
@require_GET
def map_live(request: HttpRequest) -> JsonResponse:
    """Everything the map redraws every 15 seconds: markers, grid counts, officers, the situation."""
    _require(request)
    form = _map_form(request)
    region = _region(request, form.cleaned_data.get("region"))
    filters = form.filters()
    now = timezone.now()
    orders, total = selectors.map_orders(actor=request.user, region=region, filters=filters, now=now)
    waiting = selectors.queued(actor=request.user, ids=[o.pk for o in orders if o.status in WAITING_FOR_DISPATCH])
    officers = selectors.officers_on_duty(actor=request.user, region=region, now=now)
    body = {
        "orders": {
            "type": "FeatureCollection",
            "features": [_feature(o, queued=o.pk in waiting, now=now) for o in orders],
        },
        "total": total,
        "shown": len(orders),
        "grids": selectors.open_per_grid(actor=request.user, region=region, filters=filters, now=now),
        "officers": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                    "properties": {
                        "label": selectors.officer_label(p),
                        "age": _age(p.reported_at, now),
                    },
                }
                for p in officers
            ],
        },
        "situation": {**selectors.situation(actor=request.user, region=region), "officers": len(officers)},
        "at": when(now, True),
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    return response


def _order(request: HttpRequest, number: str) -> WorkOrder:
    if not NUMBER.match(number):  # a NUL byte or worse never reaches the database
        raise Http404
    try:
        return workorders.work_order(actor=request.user, number=number)
    except WorkOrder.DoesNotExist as error:
        raise Http404 from error


@login_required
@require_GET
def map_order(request: HttpRequest, number: str) -> HttpResponse:
    """A marker's popup: the order at a glance and, when it waits in the actor's queue, one-click dispatch."""
    _require(request)
    order = _order(request, number)
    queued = order.status in WAITING_FOR_DISPATCH and bool(selectors.queued(actor=request.user, ids=[order.pk]))
    suggestion = workorders.suggest_handler(order) if queued else None
    due_label, due_at = _deadline(order)
    return render(
        request,
        "command/_popup.html",
        {
            "order": order,
            "queued": queued,
            "suggestion": suggestion,
            "due_label": due_label,
            "due_at": due_at,
            "age": _age(order.reported_at, timezone.now()),
        },
    )


@login_required
@require_POST
def map_dispatch(request: HttpRequest, number: str) -> HttpResponse:
    """Dispatch from the popup: JSON for the map's script, a message and the map again without it."""
    _require(request)
    order = _order(request, number)
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        version = int(request.POST.get("expected_version", "0"))
    except ValueError:
        version = 0
    department = request.POST.get("department_code", "").strip()
    assignee = request.POST.get("assignee", "").strip()
    try:
        if not (CODE.match(department) and USERNAME.match(assignee)):
            raise ValidationError(_("承办部门或承办人不正确，请刷新地图后再派遣。"))
        order = services.map_dispatch(
            actor=request.user,
            work_order_id=order.pk,
            expected_version=version,
            department_code=department,
            assignee=assignee,
        )
    except DomainError as error:
        if wants_json:
            return JsonResponse({"ok": False, "message": error.message}, status=error.status)
        messages.error(request, error.message)
        return redirect(reverse("command:map") + "?" + _query(QueryDict(request.POST.get("filters", ""))))
    to = order.assignee.display_name if order.assignee else (order.department.name if order.department else "")
    message = _("已派遣 %(n)s 给 %(to)s。") % {"n": order.number, "to": to}
    if wants_json:
        return JsonResponse(
            {
                "ok": True,
                "message": message,
                "number": order.number,
                "status": order.status,
                "statusLabel": order.get_status_display(),
                "action": str(Action.DISPATCH.label),
            },
            json_dumps_params={"ensure_ascii": False},
        )
    messages.success(request, message)
    return redirect(reverse("command:map") + "?" + _query(QueryDict(request.POST.get("filters", ""))))
