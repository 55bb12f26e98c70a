"""Grid work over JSON (/api/v1/gridwork): what the grid worker's phone pages and the community's pages use.

Every list is restricted to the caller's jurisdiction (and the grids they cover for a partner on leave); unknown and
out-of-reach records answer the same 404. docs/gridwork.md lists the endpoints; the OpenAPI file describes them.
"""

import base64
import binascii
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Header, Query, Router, Status
from ninja.errors import HttpError

from civicgrid.core.errors import ValidationError
from civicgrid.gridwork import rules, selectors, services
from civicgrid.gridwork.choices import PROBLEM_OPEN_STATUSES, AssignmentStatus
from civicgrid.gridwork.permissions import own_grids
from civicgrid.gridwork.schemas import (
    AssignIn,
    AssignmentActionIn,
    AssignmentOut,
    AssignmentPage,
    AssignmentQuery,
    BatchOut,
    CancelIn,
    CoverOut,
    DueQuery,
    DueVisitOut,
    FourHourOut,
    GuideCategoryOut,
    HoldIn,
    LeaveActionIn,
    LeaveIn,
    LeaveOut,
    LeavePage,
    LeaveQuery,
    LogIn,
    LogOut,
    LogPage,
    LogQuery,
    MeetingDetail,
    MeetingIn,
    MeetingOut,
    MeetingPage,
    MeetingQuery,
    PatrolDetail,
    PatrolOut,
    PatrolPage,
    PatrolQuery,
    PointsIn,
    ProblemActionIn,
    ProblemDetail,
    ProblemIn,
    ProblemPage,
    ProblemQuery,
    ReportQuery,
    StartIn,
    StopIn,
    TodayOut,
    VisitIn,
    VisitOut,
    VisitPage,
    VisitQuery,
    person_ref,
    region_ref,
)
from civicgrid.gridwork.track import VERDICT_NAMES
from civicgrid.regions.models import Region

router = Router(tags=["grid work"])


def _one[T](read: Callable[[], T], message: str) -> T:
    """A selector's single object, or the 404 that unknown and out-of-reach records share."""
    try:
        return read()
    except ObjectDoesNotExist as error:
        raise HttpError(404, message) from error


def _page(rows: QuerySet[Any], limit: int, offset: int) -> dict[str, Any]:
    # one row more than asked says whether there is a next page, without counting
    items = list(rows[offset : offset + limit + 1])
    return {"items": items[:limit], "next_offset": offset + limit if len(items) > limit else None}


def _under(rows: QuerySet[Any], code: str) -> QuerySet[Any]:
    """Narrow already restricted rows to a region's subtree (an unknown code leaves nothing)."""
    if not code:
        return rows
    region = Region.objects.filter(code=code).only("path").first()
    return rows.filter(region_path__startswith=region.path) if region else rows.none()


def _photos(encoded: list[str]) -> list[bytes]:
    photos = []
    for number, text in enumerate(encoded, start=1):
        try:
            photos.append(base64.b64decode(text.split(",", 1)[-1], validate=True))
        except (binascii.Error, ValueError) as error:
            message = _("第 %(n)s 张照片不是有效的 base64 编码。") % {"n": number}
            raise ValidationError(message, errors={"photos": [message]}) from error
    return photos


# ---------------------------------------------------------------- today


@router.get("/today", response=TodayOut, summary="网格员今日概览")
def today(request: HttpRequest) -> Any:
    """The grid worker's day: their grids (own and covered), the open patrol, time in grid so far, what is due."""
    actor = request.user
    day = timezone.localdate()
    own = {grid.pk for grid in own_grids(actor)}
    grids = selectors.my_grids(actor, on=day)
    assignments = (
        selectors.assignments(actor=actor)
        .filter(status=AssignmentStatus.ASSIGNED, grid__in=grids)
        .order_by("due_on", "id")[:20]
    )
    return {
        "day": day,
        "grids": [{"grid": region_ref(grid), "covering": grid.pk not in own} for grid in grids],
        "open_patrol": selectors.open_patrol(actor=actor),
        "seconds_in_grid": selectors.seconds_in_grid_on(worker=actor, day=day) if grids else 0,
        "daily_seconds": rules.DAILY_SECONDS,
        "visits_due": len(selectors.visits_due(actor=actor, today=day)) if grids else 0,
        "follow_ups_due": selectors.follow_ups_due(actor=actor, today=day).filter(grid__in=grids).count(),
        "open_problems": selectors.problems(actor=actor)
        .filter(status__in=PROBLEM_OPEN_STATUSES, grid__in=grids)
        .count(),
        "assignments": list(assignments),
        "log_written": selectors.my_log(actor=actor, day=day) is not None,
    }


# ---------------------------------------------------------------- patrols

PATROL_NOT_FOUND = gettext_noop("没有找到这次巡查，或它不在您的管辖范围内。")


@router.post("/patrols", response={200: PatrolOut, 201: PatrolOut}, summary="开始巡查", url_name="gridwork_patrols")
def patrol_start(
    request: HttpRequest,
    payload: StartIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=64),
) -> Any:
    """Start a patrol of the caller's own grid. One open patrol per worker (a second start: 409 naming the open one
    in `errors.open_patrol`). A retry with the same `Idempotency-Key` answers 200 with the patrol already started.
    `started_at` is for a start pressed while the phone was offline (within 16 hours)."""
    patrol, created = services.patrol_start(
        actor=request.user, start_key=idempotency_key or "", started_at=payload.started_at
    )
    return Status(201 if created else 200, patrol)


@router.get("/patrols", response=PatrolPage, summary="巡查记录")
def patrol_list(request: HttpRequest, query: Query[PatrolQuery]) -> Any:
    rows = _under(selectors.patrols(actor=request.user), query.grid)
    if query.worker:
        rows = rows.filter(worker__username=query.worker)
    if query.status:
        rows = rows.filter(status=query.status)
    if query.date_from:
        rows = rows.filter(started_at__date__gte=query.date_from)
    if query.date_to:
        rows = rows.filter(started_at__date__lte=query.date_to)
    return _page(rows.order_by("-started_at", "-id"), query.limit, query.offset)


@router.get("/patrols/current", response=PatrolOut, summary="进行中的巡查")
def patrol_current(request: HttpRequest) -> Any:
    patrol = selectors.open_patrol(actor=request.user)
    if patrol is None:
        raise HttpError(404, _("当前没有进行中的巡查。"))
    return patrol


@router.get("/patrols/{patrol_id}", response=PatrolDetail, summary="巡查详情")
def patrol_detail(request: HttpRequest, patrol_id: int) -> Any:
    return _one(lambda: selectors.patrol(actor=request.user, patrol_id=patrol_id), _(PATROL_NOT_FOUND))


@router.get(
    "/patrols/{patrol_id}/track",
    response=dict[str, Any],
    summary="巡查轨迹（GeoJSON）",
    url_name="gridwork_patrol_track",
)
def patrol_track(request: HttpRequest, patrol_id: int) -> Any:
    """The track as a GeoJSON FeatureCollection for a map: each stretch of walking is a LineString (kind "stretch"),
    the points set aside by the rules a MultiPoint per reason (kind "discarded"), the grids counted (kind "grid")."""
    patrol = _one(lambda: selectors.patrol(actor=request.user, patrol_id=patrol_id), _(PATROL_NOT_FOUND))
    track = services.track_of(patrol)
    features: list[dict[str, Any]] = []
    grids = {patrol.grid_id: patrol.grid}
    for row in patrol.grid_times.select_related("grid"):
        grids.setdefault(row.grid_id, row.grid)
    for grid in grids.values():
        if grid.boundary:
            features.append(grid.geojson_feature(kind="grid", covering=grid.pk != patrol.grid_id))
    for piece in track.pieces():
        coordinates = [[float(track.lons[i]), float(track.lats[i])] for i in piece]
        start, end = float(track.times[piece[0]]), float(track.times[piece[-1]])
        geometry = (
            {"type": "LineString", "coordinates": coordinates}
            if len(coordinates) > 1
            else {"type": "Point", "coordinates": coordinates[0]}
        )
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"kind": "stretch", "from": start, "to": end, "points": len(coordinates)},
            }
        )
    for code, name in enumerate(VERDICT_NAMES):
        if code == 0:
            continue
        where = [i for i in range(len(track.verdicts)) if track.verdicts[i] == code]
        if where:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "MultiPoint",
                        "coordinates": [[float(track.lons[i]), float(track.lats[i])] for i in where],
                    },
                    "properties": {"kind": "discarded", "reason": name, "points": len(where)},
                }
            )
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {"patrol": patrol.pk, "distance_m": patrol.distance_m, "seconds_in_grid": patrol.seconds_in_grid},
    }


@router.post("/patrols/{patrol_id}/points", response=BatchOut, summary="上传轨迹点（批次）")
def patrol_points(request: HttpRequest, patrol_id: int, payload: PointsIn) -> Any:
    """One batch of track points from the phone (its own patrol only). All or nothing: a point from before the patrol
    or from the future, out of range, or far from the grid refuses the whole batch (422, every bad point named; do
    not retry it). The same `batch_id` again adds nothing (`duplicate`: true). Late batches in any order are fine."""
    result = services.patrol_points_add(
        actor=request.user,
        patrol_id=patrol_id,
        batch_id=payload.batch_id,
        points=[services.Point(at=p.at, lon=p.lon, lat=p.lat, accuracy=p.accuracy) for p in payload.points],
    )
    return {
        "batch_id": result.batch_id,
        "accepted": result.accepted,
        "duplicate": result.duplicate,
        "patrol": result.patrol,
    }


@router.post("/patrols/{patrol_id}/stop", response=PatrolOut, summary="结束巡查")
def patrol_stop(request: HttpRequest, patrol_id: int, payload: StopIn) -> Any:
    return services.patrol_stop(actor=request.user, patrol_id=patrol_id, ended_at=payload.ended_at)


# ---------------------------------------------------------------- the 4-hour rule


@router.get("/reports/four-hours", response=FourHourOut, summary="4小时在格工作制（周报）")
def four_hours(request: HttpRequest, query: Query[ReportQuery]) -> Any:
    """The week's time in grid per worker, grid and community: who met the 4-hour rule on every required day."""
    region = None
    if query.region:
        region = Region.objects.filter(code=query.region).first()
        if region is None:
            raise HttpError(404, _("没有找到该区域。"))
    week = query.week or timezone.localdate()
    if abs((week - timezone.localdate()).days) > 3660:
        raise ValidationError(_("只能查询十年以内的周报。"))
    report = selectors.four_hour_report(actor=request.user, week_start=week, region=region)
    return {
        "week_start": report.week_start,
        "days": report.days,
        "daily_seconds": report.daily_seconds,
        "workers": [
            {
                "worker": person_ref(w.worker),
                "grid": region_ref(w.grid),
                "days": w.days,
                "seconds": w.seconds,
                "required_days": w.required_days,
                "met_days": w.met_days,
                "missed_days": w.missed_days,
                "week_met": w.week_met,
                "on_track": w.on_track,
            }
            for w in report.workers
        ],
        "grids": [
            {
                "grid": region_ref(g.grid),
                "worker": person_ref(g.worker),
                "days": [{**d, "covered_by": person_ref(d["covered_by"])} for d in g.days],
                "seconds": g.seconds,
            }
            for g in report.grids
        ],
        "communities": [
            {
                "community": region_ref(c.community),
                "workers": c.workers,
                "met": c.met,
                "on_track": c.on_track,
                "share_met": c.share_met,
                "seconds": c.seconds,
            }
            for c in report.communities
        ],
    }


# ---------------------------------------------------------------- leave and cover

LEAVE_NOT_FOUND = gettext_noop("没有找到该请假记录，或它不在您的管辖范围内。")


@router.get("/leaves", response=LeavePage, summary="请假记录")
def leave_list(request: HttpRequest, query: Query[LeaveQuery]) -> Any:
    rows = selectors.leaves(actor=request.user)
    if query.status:
        rows = rows.filter(status=query.status)
    if query.worker:
        rows = rows.filter(worker__username=query.worker)
    if query.on:
        rows = rows.filter(starts_on__lte=query.on, ends_on__gte=query.on)
    return _page(rows.order_by("-starts_on", "-id"), query.limit, query.offset)


@router.post("/leaves", response={201: LeaveOut}, summary="登记请假")
def leave_create(request: HttpRequest, payload: LeaveIn) -> Any:
    """A grid worker asks for leave (approval pending); a grid leader or community head records one for a worker
    of their grid (`worker`), approved at once."""
    leave = services.leave_request(
        actor=request.user,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        kind=payload.kind,
        reason=payload.reason,
        worker_username=payload.worker,
    )
    return Status(201, selectors.leaves(actor=request.user).get(pk=leave.pk))


@router.get("/leaves/{leave_id}", response=LeaveOut, summary="请假详情")
def leave_detail(request: HttpRequest, leave_id: int) -> Any:
    return _one(lambda: selectors.leave(actor=request.user, leave_id=leave_id), _(LEAVE_NOT_FOUND))


@router.post("/leaves/{leave_id}/actions", response=LeaveOut, summary="审批或撤销请假")
def leave_action(request: HttpRequest, leave_id: int, payload: LeaveActionIn) -> Any:
    services.leave_act(actor=request.user, leave_id=leave_id, action=payload.action, note=payload.note)
    return selectors.leave(actor=request.user, leave_id=leave_id)


@router.get("/covered-grids", response=list[CoverOut], summary="AB岗顶岗网格")
def covered(request: HttpRequest, on: date | None = None) -> Any:
    """The grids the caller covers on day `on` (today by default) for an A/B partner on approved leave."""
    day = on or timezone.localdate()
    grids = list(selectors.covered_grids(request.user, on=day))
    leaves = selectors.approved_leaves_on(day).filter(grid__in=grids).select_related("worker", "grid")
    return [
        {
            "grid": region_ref(leave.grid),
            "worker_on_leave": person_ref(leave.worker),
            "starts_on": leave.starts_on,
            "ends_on": leave.ends_on,
        }
        for leave in leaves
    ]


# ---------------------------------------------------------------- home visits


@router.get("/visits", response=VisitPage, summary="入户走访记录")
def visit_list(request: HttpRequest, query: Query[VisitQuery]) -> Any:
    rows = _under(selectors.visits(actor=request.user), query.grid)
    if query.household:
        rows = rows.filter(household_id=query.household)
    if query.date_from:
        rows = rows.filter(visited_at__date__gte=query.date_from)
    if query.date_to:
        rows = rows.filter(visited_at__date__lte=query.date_to)
    return _page(rows.order_by("-visited_at", "-id"), query.limit, query.offset)


@router.post("/visits", response={201: VisitOut}, summary="登记入户走访")
def visit_create(
    request: HttpRequest,
    payload: VisitIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=64),
) -> Any:
    visit = services.visit_record(
        actor=request.user,
        household_id=payload.household_id,
        findings=payload.findings,
        kind=payload.kind,
        met=payload.met,
        needs=payload.needs,
        risks=payload.risks,
        risk_level=payload.risk_level,
        follow_up_on=payload.follow_up_on,
        visited_at=payload.visited_at,
        client_key=idempotency_key or "",
    )
    return Status(201, visit)


@router.get("/visits/due", response=list[DueVisitOut], summary="待走访关爱对象")
def visits_due(request: HttpRequest, query: Query[DueQuery]) -> Any:
    """Households with a care recipient not visited for longer than data/home_visits.yaml allows (at most 500)."""
    grid = None
    if query.grid:
        grid = Region.objects.filter(code=query.grid).first()
        if grid is None:
            return []
    return selectors.visits_due(actor=request.user, grid=grid)


@router.get("/visits/follow-ups", response=list[VisitOut], summary="到期回访")
def follow_ups(request: HttpRequest) -> Any:
    return list(selectors.follow_ups_due(actor=request.user)[:500])


@router.get("/visits/{visit_id}", response=VisitOut, summary="走访详情")
def visit_detail(request: HttpRequest, visit_id: int) -> Any:
    return _one(lambda: selectors.visits(actor=request.user).get(pk=visit_id), _("没有找到该走访记录。"))


# ---------------------------------------------------------------- community log


@router.get("/logs", response=LogPage, summary="民情日记")
def log_list(request: HttpRequest, query: Query[LogQuery]) -> Any:
    rows = _under(selectors.community_logs(actor=request.user), query.grid)
    if query.worker:
        rows = rows.filter(worker__username=query.worker)
    if query.date_from:
        rows = rows.filter(day__gte=query.date_from)
    if query.date_to:
        rows = rows.filter(day__lte=query.date_to)
    return _page(rows.order_by("-day", "-id"), query.limit, query.offset)


@router.get("/logs/{day}", response=LogOut, summary="我的某日民情日记")
def log_of_day(request: HttpRequest, day: date) -> Any:
    return _one(
        lambda: selectors.community_logs(actor=request.user).get(worker_id=request.user.pk, day=day),
        _("这一天还没有写民情日记。"),
    )


@router.put("/logs/{day}", response={200: LogOut, 201: LogOut}, summary="写民情日记")
def log_write(request: HttpRequest, day: date, payload: LogIn) -> Any:
    """Write or rewrite one's log for today or yesterday."""
    log, created = services.log_write(actor=request.user, day=day, content=payload.content, weather=payload.weather)
    return Status(201 if created else 200, log)


# ---------------------------------------------------------------- found problems

PROBLEM_NOT_FOUND = gettext_noop("没有找到该问题，或它不在您的管辖范围内。")


def _problem_detail(request: HttpRequest, problem_id: int) -> Any:
    problem = _one(lambda: selectors.problem(actor=request.user, problem_id=problem_id), _(PROBLEM_NOT_FOUND))
    problem.allowed = services.allowed_actions(request.user, problem)  # type: ignore[attr-defined]  # for .actions
    return problem


@router.get("/problems", response=ProblemPage, summary="发现问题")
def problem_list(request: HttpRequest, query: Query[ProblemQuery]) -> Any:
    rows = _under(selectors.problems(actor=request.user), query.grid)
    if query.status:
        rows = rows.filter(status=query.status)
    if query.open:
        rows = rows.filter(status__in=PROBLEM_OPEN_STATUSES)
    return _page(rows.order_by("-found_at", "-id"), query.limit, query.offset)


@router.post("/problems", response={201: ProblemDetail}, summary="登记发现的问题")
def problem_create(
    request: HttpRequest,
    payload: ProblemIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=64),
) -> Any:
    """Record a problem and, with `action`, what was done at once: solved on the spot (with `note`), passed to the
    grid leader, or raised as a work order (`incident_type`, `photos`)."""
    problem = services.problem_record(
        actor=request.user,
        description=payload.description,
        grid_code=payload.grid_code,
        lon=payload.lon,
        lat=payload.lat,
        address=payload.address,
        found_at=payload.found_at,
        action=payload.action,
        note=payload.note,
        work_order=services.WorkOrderDetails(incident_type_code=payload.incident_type, photos=_photos(payload.photos)),
        client_key=idempotency_key or "",
    )
    return Status(201, _problem_detail(request, problem.pk))


@router.get("/problems/{problem_id}", response=ProblemDetail, summary="问题详情")
def problem_detail(request: HttpRequest, problem_id: int) -> Any:
    return _problem_detail(request, problem_id)


@router.post("/problems/{problem_id}/actions", response=ProblemDetail, summary="处置问题")
def problem_action(request: HttpRequest, problem_id: int, payload: ProblemActionIn) -> Any:
    _one(lambda: selectors.problem(actor=request.user, problem_id=problem_id), _(PROBLEM_NOT_FOUND))
    services.problem_act(
        actor=request.user,
        problem_id=problem_id,
        action=payload.action,
        note=payload.note,
        expected_version=payload.expected_version,
        work_order=services.WorkOrderDetails(incident_type_code=payload.incident_type, photos=_photos(payload.photos)),
    )
    return _problem_detail(request, problem_id)


# ---------------------------------------------------------------- the grid council

MEETING_NOT_FOUND = gettext_noop("没有找到该议事会，或它不在您的管辖范围内。")


@router.get("/council-meetings", response=MeetingPage, summary="网格议事会")
def meeting_list(request: HttpRequest, query: Query[MeetingQuery]) -> Any:
    rows = _under(selectors.meetings(actor=request.user), query.grid)
    if query.status:
        rows = rows.filter(status=query.status)
    return _page(rows.order_by("-scheduled_at", "-id"), query.limit, query.offset)


@router.post("/council-meetings", response={201: MeetingDetail}, summary="召集网格议事会")
def meeting_create(request: HttpRequest, payload: MeetingIn) -> Any:
    """Plan a meeting; its agenda is every problem of the grid put on the council's agenda and not yet decided."""
    meeting = services.meeting_plan(
        actor=request.user, grid_code=payload.grid_code, scheduled_at=payload.scheduled_at, place=payload.place
    )
    return Status(201, selectors.meeting(actor=request.user, meeting_id=meeting.pk))


@router.get("/council-meetings/{meeting_id}", response=MeetingDetail, summary="议事会详情")
def meeting_detail(request: HttpRequest, meeting_id: int) -> Any:
    return _one(lambda: selectors.meeting(actor=request.user, meeting_id=meeting_id), _(MEETING_NOT_FOUND))


@router.post("/council-meetings/{meeting_id}/hold", response=MeetingDetail, summary="记录议事结果")
def meeting_hold(request: HttpRequest, meeting_id: int, payload: HoldIn) -> Any:
    """The minutes, who attended, and a decision for every agenda item: resolved, dismissed (both with a decision),
    work_order (raised through the work-order module) or deferred (stays for the next meeting)."""
    services.meeting_hold(
        actor=request.user,
        meeting_id=meeting_id,
        minutes=payload.minutes,
        attendees=payload.attendees,
        decisions=[
            services.Decision(
                problem_id=d.problem_id, outcome=d.outcome, decision=d.decision, incident_type_code=d.incident_type
            )
            for d in payload.decisions
        ],
    )
    return selectors.meeting(actor=request.user, meeting_id=meeting_id)


@router.post("/council-meetings/{meeting_id}/cancel", response=MeetingOut, summary="取消议事会")
def meeting_cancel(request: HttpRequest, meeting_id: int, payload: CancelIn) -> Any:
    return services.meeting_cancel(actor=request.user, meeting_id=meeting_id, note=payload.note)


# ---------------------------------------------------------------- the grid work guide


@router.get("/guide", response=list[GuideCategoryOut], summary="网格工作指南")
def guide(request: HttpRequest) -> Any:
    """The 6 categories, their sub-categories and tasks with service content and standard."""
    return list(selectors.guide())


ASSIGNMENT_NOT_FOUND = gettext_noop("没有找到该任务，或它不在您的管辖范围内。")


@router.get("/guide/assignments", response=AssignmentPage, summary="网格工作任务")
def assignment_list(request: HttpRequest, query: Query[AssignmentQuery]) -> Any:
    rows = _under(selectors.assignments(actor=request.user), query.grid)
    if query.status:
        rows = rows.filter(status=query.status)
    if query.due_before:
        rows = rows.filter(due_on__lte=query.due_before)
    return _page(rows.order_by("due_on", "id"), query.limit, query.offset)


@router.post("/guide/assignments", response={201: list[AssignmentOut]}, summary="布置网格工作任务")
def assignment_create(request: HttpRequest, payload: AssignIn) -> Any:
    """The community head gives a guide task to grids (a community's code: all its grids) with a due date. Grids
    that already have it for that date are left as they are; the answer lists the new assignments."""
    made = services.assignment_create(
        actor=request.user,
        task_code=payload.task_code,
        grid_codes=payload.grid_codes,
        due_on=payload.due_on,
        note=payload.note,
    )
    return Status(201, list(selectors.assignments(actor=request.user).filter(pk__in=[a.pk for a in made])))


@router.get("/guide/assignments/{assignment_id}", response=AssignmentOut, summary="任务详情")
def assignment_detail(request: HttpRequest, assignment_id: int) -> Any:
    return _one(lambda: selectors.assignment(actor=request.user, assignment_id=assignment_id), _(ASSIGNMENT_NOT_FOUND))


@router.post("/guide/assignments/{assignment_id}/actions", response=AssignmentOut, summary="完成、退回或取消任务")
def assignment_action(request: HttpRequest, assignment_id: int, payload: AssignmentActionIn) -> Any:
    services.assignment_act(
        actor=request.user,
        assignment_id=assignment_id,
        action=payload.action,
        note=payload.note,
        expected_version=payload.expected_version,
    )
    return selectors.assignment(actor=request.user, assignment_id=assignment_id)
