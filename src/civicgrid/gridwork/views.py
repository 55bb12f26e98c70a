"""The grid worker's phone pages: today, the patrol (its points go through the JSON API, queued while offline),
patrol records with their tracks, home visits, the community log, found problems. The pages of those who supervise
grid work (the weekly report, the council, tasks, leave) are in views_office.py.

Every read goes through a selector restricted to the user's jurisdiction (and the grids they cover for a partner on
leave); an object outside it answers 404 like an unknown one. Every write goes through a service; a refusal is shown
on the form or as a message, and nothing is written."""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicgrid.core.errors import DomainError, NotFound
from civicgrid.core.views import page_of, query_without_page
from civicgrid.gridwork import rules, selectors, services
from civicgrid.gridwork.choices import (
    PROBLEM_OPEN_STATUSES,
    AssignmentStatus,
    PatrolStatus,
    ProblemAction,
    ProblemStatus,
)
from civicgrid.gridwork.forms import (
    FIRST_ACTIONS,
    LogForm,
    ProblemActionForm,
    ProblemForm,
    VisitForm,
    first_error,
)
from civicgrid.gridwork.models import Patrol
from civicgrid.gridwork.permissions import SUPERVISOR_ROLES, own_grids
from civicgrid.people.permissions import holds_role
from civicgrid.regions import selectors as regions
from civicgrid.regions.models import Region

LIST_SHORT = 5


def grids_map(grids: list[Region], *, covered: set[int] | frozenset[int] = frozenset()) -> dict[str, Any]:
    """The map's settings and the grids' boundaries, embedded in the page (no second request)."""
    return {
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "grids": {
            "type": "FeatureCollection",
            "features": [grid.geojson_feature(covering=grid.pk in covered) for grid in grids if grid.boundary],
        },
    }


def one(read: Any) -> Any:
    """A selector's single object, or the 404 that unknown and out-of-reach objects share."""
    try:
        return read()
    except ObjectDoesNotExist as error:
        raise Http404 from error


def is_supervisor(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or holds_role(user, SUPERVISOR_ROLES)


# ---------------------------------------------------------------- today


@login_required
@require_GET
def today(request: HttpRequest) -> HttpResponse:
    """A grid worker's day at a glance; for those who supervise, their jurisdiction's grid work today."""
    user: Any = request.user
    day = timezone.localdate()
    if not own_grids(user):
        return _overview(request, day)
    grids = selectors.my_grids(user, on=day)
    covered = selectors.covered_grid_ids(user, on=day)
    from civicgrid.hall import selectors as hall
    from civicgrid.workorders import selectors as workorders
    from civicgrid.workorders.choices import OPEN_STATUSES

    own = [grid for grid in grids if grid.pk not in covered]
    orders = (
        workorders.work_orders(actor=user)
        .filter(region__in=own, status__in=OPEN_STATUSES)
        .select_related("incident_type")
        .order_by("-reported_at")
    )
    tasks = (
        selectors.assignments(actor=user)
        .filter(status=AssignmentStatus.ASSIGNED, grid__in=grids)
        .order_by("due_on", "id")
    )
    due = selectors.visits_due(actor=user, today=day)
    deliveries = hall.my_deliveries(actor=user)
    context = {
        "day": day,
        "grids": grids,
        "covered": covered,
        "patrol": selectors.open_patrol(actor=user),
        "seconds": selectors.seconds_in_grid_on(worker=user, day=day),
        "daily_seconds": rules.DAILY_SECONDS,
        "due": due[:LIST_SHORT],
        "due_count": len(due),
        "follow_ups": selectors.follow_ups_due(actor=user, today=day).count(),
        "deliveries": deliveries[:LIST_SHORT],
        "delivery_count": deliveries.count(),
        "orders": orders[:LIST_SHORT],
        "order_count": orders.count(),
        "tasks": tasks[:LIST_SHORT],
        "task_count": tasks.count(),
        "problems": selectors.problems(actor=user).filter(status__in=PROBLEM_OPEN_STATUSES, grid__in=grids).count(),
        "log_written": selectors.my_log(actor=user, day=day) is not None,
        "map_config": grids_map(grids, covered=covered),
    }
    return render(request, "gridwork/today.html", context)


def _overview(request: HttpRequest, day: date) -> HttpResponse:
    """Counts only (one query each), so the page stays quick for a whole district: the lists are one click away."""
    user: Any = request.user
    if not is_supervisor(user):
        message = _("网格工作页面供网格员、网格长和社区、街道、区的负责人使用。")
        return render(request, "gridwork/forbidden.html", {"message": message}, status=403)
    patrols = selectors.patrols(actor=user)
    problems = selectors.problems(actor=user)
    figures = [
        (
            _("今日巡查"),
            patrols.filter(started_at__date=day).count(),
            reverse("gridwork:patrols") + f"?date_from={day}",
        ),
        (_("正在巡查"), patrols.filter(status=PatrolStatus.OPEN).count(), reverse("gridwork:patrols")),
        (
            _("今日在格满 4 小时的网格员"),
            selectors.workers_meeting_the_rule(actor=user, day=day),
            reverse("gridwork:four_hours"),
        ),
        (
            _("待网格长协调"),
            problems.filter(status=ProblemStatus.WITH_LEADER).count(),
            reverse("gridwork:problems") + "?tab=leader",
        ),
        (
            _("待议事会议定"),
            problems.filter(status=ProblemStatus.ON_AGENDA).count(),
            reverse("gridwork:council"),
        ),
        (
            _("逾期未完成的任务"),
            selectors.assignments(actor=user).filter(status=AssignmentStatus.ASSIGNED, due_on__lt=day).count(),
            reverse("gridwork:tasks") + "?tab=overdue",
        ),
    ]
    return render(request, "gridwork/overview.html", {"day": day, "figures": figures})


# ---------------------------------------------------------------- patrols


@login_required
@require_GET
def patrol(request: HttpRequest) -> HttpResponse:
    """The live patrol: the phone reports positions while the page is open, queued in the browser while offline."""
    user: Any = request.user
    day = timezone.localdate()
    grids = selectors.my_grids(user, on=day)
    if not grids:
        return render(request, "gridwork/forbidden.html", {"message": _("只有在岗的网格员可以巡查。")}, status=403)
    current = selectors.open_patrol(actor=user)
    config = {
        **grids_map(grids, covered=selectors.covered_grid_ids(user, on=day)),
        "user": user.pk,
        "csrf": get_token(request),
        "api": reverse("api:gridwork_patrols"),
        "detailUrl": reverse("gridwork:patrol_detail", args=[0]),
        "patrol": current.pk if current else None,
        "startedAt": current.started_at.isoformat() if current else None,
        "patrolSeconds": current.seconds_in_grid if current else 0,
        "secondsToday": selectors.seconds_in_grid_on(worker=user, day=day),
        "dailySeconds": rules.DAILY_SECONDS,
        "maxAccuracy": rules.TRACK.max_accuracy_m,
        "batchPoints": 200,
    }
    return render(
        request,
        "gridwork/patrol.html",
        {"config": config, "texts": _patrol_texts(), "grids": grids, "current": current},
    )


def _patrol_texts() -> dict[str, str]:
    """What the patrol script says, in the page's language."""
    return {
        "stop": _("结束巡查"),
        "stopping": _("正在结束……"),
        "ready": _("准备就绪，点“开始巡查”后将记录轨迹。"),
        "synced": _("巡查中，轨迹已全部上传。"),
        "sending": _("巡查中，%(n)s 个点待上传……"),
        "offline": _("网络已断开：%(n)s 个点保存在手机上，恢复网络后自动上传。"),
        "error": _("上传失败。"),
        "login": _("登录已过期，请重新登录后继续（轨迹仍保存在手机上）。"),
        "noGeolocation": _("此浏览器不能定位，无法记录轨迹。"),
        "geoError": _("定位失败："),
        "confirmStop": _("确定结束本次巡查吗？"),
        "hours": _("%(h)d小时%(m)02d分"),
        "minutes": _("%(m)d分"),
        "seconds": _("%(s)d秒"),
    }


def _patrol_rows(request: HttpRequest) -> tuple[QuerySet[Patrol], dict[str, str]]:
    rows = selectors.patrols(actor=request.user)
    filters = {key: request.GET.get(key, "").strip()[:150] for key in ("grid", "worker", "date_from", "date_to")}
    if filters["grid"]:
        region = regions.regions(actor=request.user).filter(code=filters["grid"]).only("path").first()
        rows = rows.filter(region_path__startswith=region.path) if region else rows.none()
    if filters["worker"]:
        rows = rows.filter(Q(worker__username=filters["worker"]) | Q(worker__full_name=filters["worker"]))
    for key, lookup in (("date_from", "started_at__date__gte"), ("date_to", "started_at__date__lte")):
        value = date_param(filters[key])
        if value:
            rows = rows.filter(**{lookup: value})
    return rows.order_by("-started_at", "-id"), filters


def date_param(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@login_required
@require_GET
def patrols(request: HttpRequest) -> HttpResponse:
    """Patrol records: one's own, and for those who supervise, every patrol of their grids."""
    rows, filters = _patrol_rows(request)
    return render(
        request,
        "gridwork/patrols.html",
        {
            "page": page_of(request, rows),
            "filters": filters,
            "query": query_without_page(request),
            "supervisor": is_supervisor(request.user),
        },
    )


@login_required
@require_GET
def patrol_detail(request: HttpRequest, patrol_id: int) -> HttpResponse:
    found = one(lambda: selectors.patrol(actor=request.user, patrol_id=patrol_id))
    config = {
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "trackUrl": reverse("api:gridwork_patrol_track", args=[found.pk]),
    }
    return render(
        request,
        "gridwork/patrol_detail.html",
        {
            "patrol": found,
            "times": found.grid_times.select_related("grid").order_by("day", "grid__code"),
            "discarded": {k: v for k, v in (found.verdicts or {}).items() if k != "kept" and v},
            "open": found.status == PatrolStatus.OPEN,
            "mine": found.worker_id == request.user.pk,
            "gap": round(rules.TRACK.max_gap_seconds / 60),
            "config": config,
        },
    )


# ---------------------------------------------------------------- home visits


@login_required
@require_GET
def visits(request: HttpRequest) -> HttpResponse:
    """Visits due (care recipients not visited for too long), follow-ups due, visits recorded, and a search for any
    household of one's grids to visit."""
    user: Any = request.user
    tab = request.GET.get("tab", "due")
    context: dict[str, Any] = {"tab": tab}
    if tab == "follow_ups":
        context["page"] = page_of(request, selectors.follow_ups_due(actor=user))
    elif tab == "recorded":
        context["page"] = page_of(request, selectors.visits(actor=user).order_by("-visited_at", "-id"))
    else:
        context["tab"] = "due"
        context["page"] = page_of(request, selectors.visits_due(actor=user))
    context["query"] = query_without_page(request)
    context["q"] = request.GET.get("q", "").strip()[:50]
    if context["q"]:
        from civicgrid.registry import selectors as registry

        context["households"] = registry.households(actor=user, q=context["q"])[:20]
    return render(request, "gridwork/visits.html", context)


def _household(request: HttpRequest, household_id: int) -> Any:
    """A household of the registry the user may see (their grids, and a grid covered for a partner), else 404."""
    from civicgrid.registry import selectors as registry

    try:
        return registry.household(actor=request.user, household_id=household_id)
    except NotFound as error:
        raise Http404 from error


def _members(request: HttpRequest, household: Any) -> list[tuple[Any, list[Any]]]:
    """The household's residents with their categories and care tags (names masked on the page)."""
    from civicgrid.registry import selectors as registry

    people = list(registry.residents(actor=request.user, household_id=household.pk))
    tags = registry.tags_of(people)
    return [(person, tags.get(person.pk, [])) for person in people]


@login_required
def visit_new(request: HttpRequest, household_id: int) -> HttpResponse:
    household = _household(request, household_id)
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.visit_record(
                actor=request.user,
                household_id=household.pk,
                findings=data["findings"],
                kind=data["kind"],
                met=data["met"],
                needs=data["needs"],
                risks=data["risks"],
                risk_level=data["risk_level"],
                follow_up_on=data["follow_up_on"],
                client_key=data.get("key") or "",
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("走访已登记。"))
            return redirect("gridwork:visit_detail", visit_id=visit.pk)
    history = selectors.visits(actor=request.user).filter(household=household).order_by("-visited_at")[:10]
    status = 422 if form.errors else 200
    return render(
        request,
        "gridwork/visit_new.html",
        {
            "household": household,
            "members": _members(request, household),
            "form": form,
            "history": history,
            "key": _key(),
        },
        status=status,
    )


def _key() -> str:
    import secrets

    return secrets.token_urlsafe(16)


@login_required
@require_GET
def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = one(lambda: selectors.visits(actor=request.user).get(pk=visit_id))
    return render(request, "gridwork/visit_detail.html", {"visit": visit})


# ---------------------------------------------------------------- community log


@login_required
def log(request: HttpRequest) -> HttpResponse:
    """Write today's (or yesterday's) community log; read one's own log book (supervisors: their workers')."""
    user: Any = request.user
    day = timezone.localdate()
    writer = bool(selectors.my_grids(user, on=day))
    form = LogForm(request.POST or None, initial={"day": day})
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, first_error(form))
        else:
            data = form.cleaned_data
            try:
                _entry, created = services.log_write(
                    actor=user, day=data["day"], content=data["content"], weather=data["weather"]
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("民情日记已保存。") if created else _("民情日记已更新。"))
                return redirect("gridwork:log")
    if request.method == "GET" and writer:
        todays = selectors.my_log(actor=user, day=day)
        if todays is not None:
            form = LogForm(initial={"day": day, "weather": todays.weather, "content": todays.content})
    rows = selectors.community_logs(actor=user).order_by("-day", "-id")
    return render(
        request,
        "gridwork/log.html",
        {
            "form": form,
            "writer": writer,
            "day": day,
            "yesterday": day - timedelta(days=1),
            "page": page_of(request, rows, size=20),
            "query": query_without_page(request),
        },
        status=422 if form.errors else 200,
    )


# ---------------------------------------------------------------- found problems

PROBLEM_TABS = {
    "open": PROBLEM_OPEN_STATUSES,
    "leader": (ProblemStatus.WITH_LEADER,),
    "agenda": (ProblemStatus.ON_AGENDA,),
}


@login_required
@require_GET
def problems(request: HttpRequest) -> HttpResponse:
    rows = selectors.problems(actor=request.user)
    tab = request.GET.get("tab", "open")
    if tab in PROBLEM_TABS:
        rows = rows.filter(status__in=PROBLEM_TABS[tab])
    else:
        tab = "all"
    return render(
        request,
        "gridwork/problems.html",
        {
            "tab": tab,
            "page": page_of(request, rows.order_by("-found_at", "-id")),
            "query": query_without_page(request),
            "may_record": bool(own_grids(request.user)) or holds_role(request.user, SUPERVISOR_ROLES),
        },
    )


def _incident_types() -> list[tuple[str, list[Any]]]:
    from civicgrid.workorders import selectors as workorders

    groups: dict[str, list[Any]] = {}
    for kind in workorders.incident_types().select_related("category"):
        groups.setdefault(kind.category.name, []).append(kind)
    return list(groups.items())


@login_required
def problem_new(request: HttpRequest) -> HttpResponse:
    """Record a problem found in the grid, and what was done about it at once."""
    form = ProblemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        photos = [upload.read() for upload in request.FILES.getlist("photos")[:6]]
        try:
            found = services.problem_record(
                actor=request.user,
                description=data["description"],
                address=data["address"],
                lon=data["lon"],
                lat=data["lat"],
                grid_code=data["grid_code"] or None,
                action=data["action"] or None,
                note=data["note"],
                work_order=services.WorkOrderDetails(incident_type_code=data["incident_type"] or None, photos=photos),
                client_key=data.get("key") or "",
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("问题已登记：%(status)s。") % {"status": found.get_status_display()})
            return redirect("gridwork:problem_detail", problem_id=found.pk)
    grids = selectors.my_grids(request.user)
    if not grids and not is_supervisor(request.user):
        return render(
            request, "gridwork/forbidden.html", {"message": _("只有网格员和网格长可以登记发现的问题。")}, status=403
        )
    return render(
        request,
        "gridwork/problem_new.html",
        {
            "form": form,
            "grids": grids,
            "actions": FIRST_ACTIONS,
            "categories": _incident_types(),
            "key": _key(),
            "map_config": grids_map(grids),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def problem_detail(request: HttpRequest, problem_id: int) -> HttpResponse:
    found = one(lambda: selectors.problem(actor=request.user, problem_id=problem_id))
    allowed = [(action, ProblemAction(action).label) for action in services.allowed_actions(request.user, found)]
    return render(
        request,
        "gridwork/problem_detail.html",
        {
            "problem": found,
            "events": found.events.select_related("actor"),
            "allowed": allowed,
            "categories": _incident_types() if ProblemAction.RAISE_WORK_ORDER in dict(allowed) else [],
            "agenda": found.agenda_items.select_related("meeting").order_by("-meeting__scheduled_at"),
        },
    )


@login_required
@require_POST
def problem_act(request: HttpRequest, problem_id: int) -> HttpResponse:
    found = one(lambda: selectors.problem(actor=request.user, problem_id=problem_id))
    form = ProblemActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("gridwork:problem_detail", problem_id=found.pk)
    data = form.cleaned_data
    photos = [upload.read() for upload in request.FILES.getlist("photos")[:6]]
    try:
        done = services.problem_act(
            actor=request.user,
            problem_id=found.pk,
            action=data["action"],
            note=data["note"],
            expected_version=data["version"],
            work_order=services.WorkOrderDetails(incident_type_code=data["incident_type"] or None, photos=photos),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已处理：%(status)s。") % {"status": done.get_status_display()})
    return redirect("gridwork:problem_detail", problem_id=found.pk)
