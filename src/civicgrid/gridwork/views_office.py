"""The grid-work pages of the community: the weekly 4-hour report, the grid council's agenda and meetings, guide
tasks given to grids, the guide itself, and leave with its A/B cover."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicgrid.core.errors import DomainError
from civicgrid.core.views import page_of, query_without_page
from civicgrid.gridwork import selectors, services
from civicgrid.gridwork.choices import (
    AssignmentStatus,
    LeaveStatus,
    MeetingStatus,
    ProblemStatus,
)
from civicgrid.gridwork.forms import (
    OUTCOMES,
    AssignForm,
    AssignmentActionForm,
    CancelForm,
    HoldForm,
    LeaveActionForm,
    LeaveForm,
    MeetingForm,
    first_error,
)
from civicgrid.gridwork.models import CouncilMeeting, GuideAssignment
from civicgrid.gridwork.permissions import own_grids
from civicgrid.gridwork.views import date_param, is_supervisor, one
from civicgrid.people.choices import Role
from civicgrid.people.permissions import holds_role
from civicgrid.regions import selectors as regions
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region

APPROVER_ROLES: set[str] = {Role.GRID_LEADER, Role.COMMUNITY_HEAD}
MAX_WORKER_ROWS = 60


def _grids(actor: Any) -> list[Region]:
    return list(regions.regions(actor=actor).filter(level=Level.GRID).select_related("parent").order_by("code"))


def _grids_where(actor: Any, roles: set[str] | set[Role]) -> list[Region]:
    """The grids of the actor's jurisdiction where they hold one of `roles` (at the grid or above it)."""
    return [grid for grid in _grids(actor) if holds_role(actor, roles, at=grid)]


# ---------------------------------------------------------------- the 4-hour rule


@login_required
@require_GET
def four_hours(request: HttpRequest) -> HttpResponse:
    """Which grid workers met the 4-hour rule this week (or the week asked), per community of the jurisdiction."""
    user: Any = request.user
    today = timezone.localdate()
    week = date_param(request.GET.get("week", "")) or today
    if abs((week - today).days) > 3660:
        week = today
    communities = list(regions.regions(actor=user).filter(level=Level.COMMUNITY).order_by("code"))
    code = request.GET.get("region", "").strip()[:15]
    region = next((c for c in communities if c.code == code), None)
    report = selectors.four_hour_report(actor=user, week_start=week, region=region, today=today)
    covered = [
        (grid_week.grid, day["day"], day["covered_by"], day["seconds"])
        for grid_week in report.grids
        for day in grid_week.days
        if day["covered_by"] is not None
    ]
    return render(
        request,
        "gridwork/four_hours.html",
        {
            "report": report,
            "region": region,
            "communities": communities if len(communities) > 1 else [],
            "previous": report.week_start - timedelta(days=7),
            "next": report.week_start + timedelta(days=7) if report.week_start + timedelta(days=7) <= today else None,
            "met": sum(1 for w in report.workers if w.week_met),
            "covered": covered,
            # a whole street or district is read by community first; one community's workers one by one
            "show_workers": region is not None or len(report.workers) <= MAX_WORKER_ROWS,
        },
    )


# ---------------------------------------------------------------- the grid council


@login_required
@require_GET
def council(request: HttpRequest) -> HttpResponse:
    """The grid council's agenda: what grid leaders could not settle, grid by grid, and the meetings planned."""
    user: Any = request.user
    waiting = (
        selectors.problems(actor=user)
        .filter(status=ProblemStatus.ON_AGENDA)
        .select_related("grid")
        .order_by("grid__code", "found_at")
    )
    by_grid: dict[Region, list[Any]] = {}
    for problem in waiting:
        by_grid.setdefault(problem.grid, []).append(problem)
    meetings = selectors.meetings(actor=user).order_by("-scheduled_at", "-id")
    planned = meetings.filter(status=MeetingStatus.PLANNED).prefetch_related("items")
    return render(
        request,
        "gridwork/council.html",
        {
            "agenda": list(by_grid.items()),
            "planned": planned,
            "page": page_of(request, meetings.exclude(status=MeetingStatus.PLANNED), size=20),
            "query": query_without_page(request),
            "plan_grids": _grids_where(user, APPROVER_ROLES),
            "form": MeetingForm(),
        },
    )


@login_required
@require_POST
def council_plan(request: HttpRequest) -> HttpResponse:
    form = MeetingForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("gridwork:council")
    data = form.cleaned_data
    try:
        meeting = services.meeting_plan(
            actor=request.user, grid_code=data["grid_code"], scheduled_at=data["scheduled_at"], place=data["place"]
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("gridwork:council")
    messages.success(request, _("议事会已安排，议题 %(n)s 项。") % {"n": meeting.items.count()})
    return redirect("gridwork:meeting", meeting_id=meeting.pk)


def _meeting(request: HttpRequest, meeting_id: int) -> CouncilMeeting:
    return one(lambda: selectors.meeting(actor=request.user, meeting_id=meeting_id))


@login_required
@require_GET
def meeting(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = _meeting(request, meeting_id)
    items = found.items.select_related("problem", "problem__recorded_by").order_by("position")
    may_hold = found.status == MeetingStatus.PLANNED and holds_role(request.user, APPROVER_ROLES, at=found.grid)
    return render(
        request,
        "gridwork/meeting.html",
        {"meeting": found, "items": items, "may_hold": may_hold, "outcomes": OUTCOMES, "form": HoldForm()},
    )


@login_required
@require_POST
def meeting_hold(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = _meeting(request, meeting_id)
    form = HoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("gridwork:meeting", meeting_id=found.pk)
    decisions = [
        services.Decision(
            problem_id=item.problem_id,
            outcome=request.POST.get(f"outcome_{item.problem_id}", "")[:12],
            decision=request.POST.get(f"decision_{item.problem_id}", "")[:1000],
            incident_type_code=request.POST.get(f"type_{item.problem_id}", "")[:12] or None,
        )
        for item in found.items.all()
    ]
    try:
        services.meeting_hold(
            actor=request.user,
            meeting_id=found.pk,
            minutes=form.cleaned_data["minutes"],
            attendees=form.cleaned_data["attendees"],
            decisions=decisions,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("议事结果已记录。"))
    return redirect("gridwork:meeting", meeting_id=found.pk)


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = _meeting(request, meeting_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
    else:
        try:
            services.meeting_cancel(actor=request.user, meeting_id=found.pk, note=form.cleaned_data["note"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("议事会已取消，议题留待下次议事会。"))
    return redirect("gridwork:meeting", meeting_id=found.pk)


# ---------------------------------------------------------------- guide tasks given to grids

TASK_TABS = ("mine", "open", "overdue", "done", "all")


@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    """Guide tasks: the grid worker's to do; the community head gives them to grids and checks them."""
    user: Any = request.user
    today = timezone.localdate()
    heads = _grids_where(user, {Role.COMMUNITY_HEAD})
    choices = [(grid.code, grid.name) for grid in heads]
    form = AssignForm(request.POST or None, grid_choices=choices, initial={"task_code": request.GET.get("task", "")})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = services.assignment_create(
                    actor=user,
                    task_code=data["task_code"],
                    grid_codes=data["grids"],
                    due_on=data["due_on"],
                    note=data["note"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("已布置给 %(n)s 个网格。") % {"n": len(made)})
                return redirect(f"{request.path}?tab=open")
        else:
            messages.error(request, first_error(form))
    worker = bool(selectors.my_grids(user, on=today))
    tab = request.GET.get("tab") or ("mine" if worker else "open")
    tab = tab if tab in TASK_TABS else "open"
    rows = selectors.assignments(actor=user)
    if tab == "mine":
        rows = rows.filter(status=AssignmentStatus.ASSIGNED, grid__in=selectors.my_grids(user, on=today))
    elif tab == "open":
        rows = rows.filter(status=AssignmentStatus.ASSIGNED)
    elif tab == "overdue":
        rows = rows.filter(status=AssignmentStatus.ASSIGNED, due_on__lt=today)
    elif tab == "done":
        rows = rows.filter(status=AssignmentStatus.COMPLETED).order_by("-completed_at")
    rows = rows.order_by("-completed_at", "-id") if tab == "done" else rows.order_by("due_on", "id")
    return render(
        request,
        "gridwork/tasks.html",
        {
            "tab": tab,
            "worker": worker,
            "today": today,
            "page": page_of(request, rows),
            "query": query_without_page(request),
            "form": form if heads else None,
            "guide": selectors.guide() if heads else [],
        },
        status=422 if form.errors else 200,
    )


def _one_assignment(request: HttpRequest, assignment_id: int) -> GuideAssignment:
    return one(lambda: selectors.assignment(actor=request.user, assignment_id=assignment_id))


@login_required
@require_GET
def task_detail(request: HttpRequest, assignment_id: int) -> HttpResponse:
    found = _one_assignment(request, assignment_id)
    user: Any = request.user
    worker = found.grid_id in {grid.pk for grid in selectors.my_grids(user)}
    head = holds_role(user, {Role.COMMUNITY_HEAD}, at=found.grid)
    return render(
        request,
        "gridwork/task_detail.html",
        {
            "assignment": found,
            "may_complete": worker and found.status == AssignmentStatus.ASSIGNED,
            "may_reopen": head and found.status == AssignmentStatus.COMPLETED,
            "may_cancel": head and found.status == AssignmentStatus.ASSIGNED,
            "overdue": found.status == AssignmentStatus.ASSIGNED and found.due_on < timezone.localdate(),
        },
    )


@login_required
@require_POST
def task_act(request: HttpRequest, assignment_id: int) -> HttpResponse:
    found = _one_assignment(request, assignment_id)
    form = AssignmentActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("gridwork:task_detail", assignment_id=found.pk)
    data = form.cleaned_data
    try:
        done = services.assignment_act(
            actor=request.user,
            assignment_id=found.pk,
            action=data["action"],
            note=data["note"],
            expected_version=data["version"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("任务状态：%(status)s。") % {"status": done.get_status_display()})
    return redirect("gridwork:task_detail", assignment_id=found.pk)


@login_required
@require_GET
def guide(request: HttpRequest) -> HttpResponse:
    """The grid work guide: 6 categories, 54 sub-categories, 160 tasks with service content and standard."""
    return render(
        request,
        "gridwork/guide.html",
        {
            "guide": selectors.guide(),
            "tasks": selectors.guide_tasks().count(),
            "may_assign": holds_role(request.user, {Role.COMMUNITY_HEAD}),
        },
    )


# ---------------------------------------------------------------- leave and A/B cover


@login_required
def leaves(request: HttpRequest) -> HttpResponse:
    """A grid worker asks for leave; the grid leader or community head decides (or records one for a worker); the
    partner sees which grid they cover and until when."""
    user: Any = request.user
    today = timezone.localdate()
    form = LeaveForm(request.POST or None, initial={"starts_on": today, "ends_on": today})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.leave_request(
                    actor=user,
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    kind=data["kind"],
                    reason=data["reason"],
                    worker_username=data["worker"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("请假已登记。"))
                return redirect("gridwork:leaves")
        else:
            messages.error(request, first_error(form))
    rows = selectors.leaves(actor=user).order_by("-starts_on", "-id")
    deciding = _grids_where(user, APPROVER_ROLES)
    return render(
        request,
        "gridwork/leaves.html",
        {
            "form": form,
            "worker": bool(own_grids(user)),
            "approver": bool(deciding),
            "to_decide": rows.filter(status=LeaveStatus.REQUESTED, grid__in=deciding) if deciding else [],
            "covering": selectors.approved_leaves_on(today)
            .filter(grid__in=selectors.covered_grids(user, on=today))
            .select_related("grid", "worker"),
            "page": page_of(request, rows, size=20),
            "query": query_without_page(request),
            "supervisor": is_supervisor(user),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def leave_act(request: HttpRequest, leave_id: int) -> HttpResponse:
    found = one(lambda: selectors.leave(actor=request.user, leave_id=leave_id))
    form = LeaveActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
    else:
        try:
            done = services.leave_act(
                actor=request.user,
                leave_id=found.pk,
                action=form.cleaned_data["action"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("请假：%(status)s。") % {"status": done.get_status_display()})
    return redirect("gridwork:leaves")
