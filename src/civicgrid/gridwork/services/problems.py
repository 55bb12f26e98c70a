"""Found problems and the grid council. A grid worker settles what they can on the spot; what needs coordinating goes
to the grid leader; what the leader cannot settle goes on the grid council's agenda; what the council cannot settle
goes up as a work order through the work-order module (source: patrol)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import shapely
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit, notifications
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.core.jurisdiction import jurisdiction_of
from civicgrid.core.notifications import Message
from civicgrid.gridwork import selectors
from civicgrid.gridwork.choices import (
    APPROVERS,
    OUTCOME_ACTIONS,
    PROBLEM_NOTE_REQUIRED,
    PROBLEM_TRANSITIONS,
    AgendaOutcome,
    MeetingStatus,
    Party,
    ProblemAction,
    ProblemStatus,
)
from civicgrid.gridwork.models import AgendaItem, CouncilMeeting, FoundProblem, ProblemEvent
from civicgrid.gridwork.permissions import is_active_staff, parties_at
from civicgrid.gridwork.services.common import check_transition, clean_text, people_of
from civicgrid.people.choices import Role
from civicgrid.regions import selectors as regions
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region

MAX_DESCRIPTION = 1000
MAX_NOTE = 1000


def _grid_of(actor: Any, *, grid_code: str | None, lon: float | None, lat: float | None, today: date) -> Region:
    """The grid of a new problem: where the point is, else the grid named, else the actor's own grid; it must be a
    grid the actor works in (own, covered, led, or of their community)."""
    grid: Region | None = None
    if lon is not None and lat is not None:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError(_("经纬度超出范围。"), errors={"location": [_("经纬度超出范围。")]})
        found = regions.grid_at(lon, lat)
        if found is None:
            message = _("该位置不在任何网格内，请重新定位或选择网格。")
            raise ValidationError(message, errors={"location": [message]})
        grid = Region.objects.get(pk=found.id)
    elif grid_code:
        grid = Region.objects.filter(code=grid_code, level=Level.GRID).first()
    else:
        mine = selectors.my_grids(actor, on=today)
        grid = mine[0] if mine else None
    if grid is None or not parties_at(actor, grid, on=today):
        message = _("该问题不在您负责的网格内（本网格、顶岗网格或所辖网格）。")
        raise ValidationError(message, errors={"grid": [message]})
    return grid


@dataclass(frozen=True)
class WorkOrderDetails:
    """What a work order needs beyond the problem itself."""

    incident_type_code: str | None = None
    photos: Sequence[bytes] = ()


@transaction.atomic
def problem_record(
    *,
    actor: Any,
    description: str,
    grid_code: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    address: str = "",
    found_at: datetime | None = None,
    action: str | None = None,
    note: str = "",
    work_order: WorkOrderDetails | None = None,
    client_key: str = "",
    today: date | None = None,
) -> FoundProblem:
    """Record a problem found in the grid and, if `action` is given, what was done about it straight away
    (solve_on_spot, pass_to_leader or raise_work_order). A retry with the same `client_key` returns the first."""
    today = today or timezone.localdate()
    if not is_active_staff(actor):
        raise PermissionDenied()
    client_key = (client_key or "").strip()[:64]
    if client_key:
        existing = FoundProblem.objects.filter(recorded_by=actor, client_key=client_key).first()
        if existing is not None:
            return existing
    description = clean_text(
        description, field="description", label=_("问题描述"), limit=MAX_DESCRIPTION, required=True
    )
    address = clean_text(address, field="address", label=_("地点"), limit=200, required=False)
    now = timezone.now()
    found = found_at or now
    if timezone.is_naive(found):
        found = timezone.make_aware(found, timezone.get_current_timezone())
    if found > now + timedelta(minutes=5) or found < now - timedelta(days=7):
        message = _("发现时间须在最近 7 天内，且不能晚于现在。")
        raise ValidationError(message, errors={"found_at": [message]})
    grid = _grid_of(actor, grid_code=grid_code, lon=lon, lat=lat, today=today)
    problem = FoundProblem(
        recorded_by=actor,
        found_at=found,
        description=description,
        address=address,
        lon=lon,
        lat=lat,
        client_key=client_key,
    )
    problem.place_in(grid)
    try:
        with transaction.atomic():
            problem.save()
    except IntegrityError as error:  # the same retry twice at once
        raise Conflict(_("该问题正在提交，请稍后刷新查看。")) from error
    ProblemEvent.objects.create(problem=problem, action="record", to_status=ProblemStatus.OPEN, actor=actor)
    audit.record(
        actor=actor,
        action="problem.record",
        obj=problem,
        after={"grid": grid.code, "description": description, "status": problem.status},
    )
    if action:
        _act(actor=actor, problem=problem, action=action, note=note, work_order=work_order, today=today)
    return problem


@transaction.atomic
def problem_act(
    *,
    actor: Any,
    problem_id: int,
    action: str,
    note: str = "",
    work_order: WorkOrderDetails | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> FoundProblem:
    """One step of the transition table on a found problem."""
    today = today or timezone.localdate()
    try:
        problem = (
            selectors.problems(actor=actor).select_for_update(of=("self",)).select_related("grid").get(pk=problem_id)
        )
    except FoundProblem.DoesNotExist as error:
        raise NotFound(_("没有找到该问题，或它不在您的管辖范围内。")) from error
    if expected_version is not None and expected_version != problem.version:
        raise Conflict(_("该问题已被他人处理，请刷新后查看。"))
    _act(actor=actor, problem=problem, action=action, note=note, work_order=work_order, today=today)
    return problem


def parties_of(actor: Any, problem: FoundProblem, *, on: date) -> set[str]:
    mine = parties_at(actor, problem.grid, on=on)
    if problem.recorded_by_id == getattr(actor, "pk", None):
        mine.add(Party.RECORDER)
    return mine


def allowed_actions(actor: Any, problem: FoundProblem, *, on: date | None = None) -> list[str]:
    mine = parties_of(actor, problem, on=on or timezone.localdate())
    return [action for action, (_t, parties) in PROBLEM_TRANSITIONS[problem.status].items() if mine & parties]


def _act(
    *,
    actor: Any,
    problem: FoundProblem,
    action: str,
    note: str,
    work_order: WorkOrderDetails | None,
    today: date,
) -> None:
    if action not in ProblemAction.values:
        raise ValidationError(_("未知的操作：%(action)s。") % {"action": action})
    target = check_transition(
        PROBLEM_TRANSITIONS,
        problem.status,
        action,
        parties_of(actor, problem, on=today),
        status_label=problem.get_status_display(),
        action_label=str(ProblemAction(action).label),
    )
    note = clean_text(note, field="note", label=_("处理说明"), limit=MAX_NOTE, required=action in PROBLEM_NOTE_REQUIRED)
    before = problem.status
    if action == ProblemAction.RAISE_WORK_ORDER:
        problem.work_order = _raise(actor, problem, note, work_order or WorkOrderDetails())
    if action in (ProblemAction.SOLVE_ON_SPOT, ProblemAction.RESOLVE, ProblemAction.DISMISS):
        problem.resolution = note
    problem.status = target
    problem.version += 1
    problem.save()
    ProblemEvent.objects.create(
        problem=problem, action=action, from_status=before, to_status=target, actor=actor, note=note
    )
    audit.record(
        actor=actor,
        action=f"problem.{action}",
        obj=problem,
        before={"status": before},
        after={"status": target, "note": note, "work_order": problem.work_order.number if problem.work_order else None},
    )
    if action == ProblemAction.PASS_TO_LEADER:
        notifications.to_staff(
            people_of(problem.grid, Role.GRID_LEADER),
            Message(subject=_("网格员提交待协调问题"), body=f"{problem.grid.name}：{problem.description[:80]}"),
        )
    elif action == ProblemAction.PUT_ON_AGENDA:
        meeting = selectors.next_meeting(problem.grid)
        if meeting is not None:
            _add_to_agenda(meeting, [problem])


def _raise(actor: Any, problem: FoundProblem, note: str, details: WorkOrderDetails) -> Any:
    """The work order for a problem, through the work-order module's own report service (source: patrol)."""
    from civicgrid.workorders import services as workorders
    from civicgrid.workorders.choices import Source

    description = problem.description + (f"\n{_('处理说明')}：{note}" if note else "")
    where: dict[str, Any]
    if problem.lon is not None and problem.lat is not None:
        where = {"lon": problem.lon, "lat": problem.lat}
    elif jurisdiction_of(actor).covers_path(problem.grid.path):
        where = {"grid_code": problem.grid.code}
    elif problem.grid.boundary:
        # a partner covering the grid reaches it only through the cover: place the order at a point of the grid
        inner = shapely.point_on_surface(shapely.geometry.shape(problem.grid.boundary))
        where = {"lon": inner.x, "lat": inner.y}
    else:
        message = _("请先在地图上标出问题位置，再上报为工单。")
        raise ValidationError(message, errors={"location": [message]})
    return workorders.report(
        actor=actor,
        description=description[:2000],
        source=Source.PATROL,
        incident_type_code=details.incident_type_code or None,
        address=problem.address or problem.grid.name,
        photos=list(details.photos),
        idempotency_key=f"gridwork-problem-{problem.pk}",
        **where,
    )


# ---------------------------------------------------------------- the grid council


def _add_to_agenda(meeting: CouncilMeeting, problems: Sequence[FoundProblem]) -> int:
    position = meeting.items.count()
    added = 0
    for problem in problems:
        if meeting.items.filter(problem=problem).exists():
            continue
        position += 1
        AgendaItem.objects.create(meeting=meeting, problem=problem, position=position)
        added += 1
    return added


def _meeting_grid(actor: Any, grid_code: str, today: date) -> Region:
    grid = Region.objects.filter(code=grid_code, level=Level.GRID).first()
    if grid is None or not parties_at(actor, grid, on=today) & APPROVERS:
        raise NotFound(_("没有找到该网格，或您不是它的网格长或社区负责人。"))
    return grid


@transaction.atomic
def meeting_plan(
    *, actor: Any, grid_code: str, scheduled_at: datetime, place: str, today: date | None = None
) -> CouncilMeeting:
    """Plan a grid council meeting; its agenda is every problem of the grid waiting for the council."""
    today = today or timezone.localdate()
    grid = _meeting_grid(actor, grid_code, today)
    place = clean_text(place, field="place", label=_("地点"), limit=100, required=True)
    if timezone.is_naive(scheduled_at):
        scheduled_at = timezone.make_aware(scheduled_at, timezone.get_current_timezone())
    now = timezone.now()
    if scheduled_at < now - timedelta(days=1) or scheduled_at > now + timedelta(days=180):
        message = _("召开时间须在昨天到半年以内。")
        raise ValidationError(message, errors={"scheduled_at": [message]})
    meeting = CouncilMeeting(scheduled_at=scheduled_at, place=place, convened_by=actor)
    meeting.place_in(grid)
    meeting.save()
    waiting = list(
        FoundProblem.objects.select_for_update()
        .filter(grid=grid, status=ProblemStatus.ON_AGENDA)
        .exclude(agenda_items__meeting__status=MeetingStatus.PLANNED)
        .order_by("found_at", "id")
    )
    added = _add_to_agenda(meeting, waiting)
    audit.record(
        actor=actor,
        action="council.plan",
        obj=meeting,
        after={"grid": grid.code, "scheduled_at": scheduled_at, "place": place, "items": added},
    )
    return meeting


def _planned_meeting_for_update(actor: Any, meeting_id: int, today: date) -> CouncilMeeting:
    try:
        meeting = selectors.meetings(actor=actor).select_for_update(of=("self",)).get(pk=meeting_id)
    except CouncilMeeting.DoesNotExist as error:
        raise NotFound(_("没有找到该议事会，或它不在您的管辖范围内。")) from error
    if not parties_at(actor, meeting.grid, on=today) & APPROVERS:
        raise PermissionDenied(_("只有本网格的网格长或社区负责人可以主持网格议事会。"))
    if meeting.status != MeetingStatus.PLANNED:
        raise TransitionNotAllowed(
            _("该议事会状态为“%(status)s”，不能再更改。") % {"status": meeting.get_status_display()}
        )
    return meeting


@dataclass(frozen=True)
class Decision:
    problem_id: int
    outcome: str
    decision: str = ""
    incident_type_code: str | None = None


@transaction.atomic
def meeting_hold(
    *,
    actor: Any,
    meeting_id: int,
    minutes: str,
    attendees: str,
    decisions: Sequence[Decision],
    today: date | None = None,
) -> CouncilMeeting:
    """Record that the council met: the minutes, who came, and a decision for every item on the agenda. A resolved
    or dismissed item closes its problem; "work order" raises one; "deferred" leaves it for the next meeting."""
    today = today or timezone.localdate()
    meeting = _planned_meeting_for_update(actor, meeting_id, today)
    minutes = clean_text(minutes, field="minutes", label=_("会议纪要"), limit=5000, required=True)
    attendees = clean_text(attendees, field="attendees", label=_("参会人员"), limit=500, required=True)
    items = {item.problem_id: item for item in meeting.items.select_related("problem", "problem__grid")}
    given = {d.problem_id: d for d in decisions}
    problems: list[str] = []
    unknown = sorted(set(given) - set(items))
    if unknown:
        problems.append(_("议题中没有这些问题：%(ids)s。") % {"ids": "、".join(f"#{i}" for i in unknown)})
    missing = [f"#{pid}" for pid in items if pid not in given or not given[pid].outcome]
    if missing:
        problems.append(_("以下议题还没有议定结果：%(ids)s。") % {"ids": "、".join(missing)})
    for decision in given.values():
        if decision.outcome and decision.outcome not in AgendaOutcome.values:
            problems.append(_("#%(id)s 的议定结果无效。") % {"id": decision.problem_id})
        elif decision.outcome in (AgendaOutcome.RESOLVED, AgendaOutcome.DISMISSED) and not decision.decision.strip():
            problems.append(_("#%(id)s 需要写明议定意见。") % {"id": decision.problem_id})
    if problems:
        raise ValidationError("".join(problems), errors={"decisions": problems})
    for problem_id, item in items.items():
        decision = given[problem_id]
        item.outcome = decision.outcome
        item.decision = clean_text(
            decision.decision, field="decision", label=_("议定意见"), limit=MAX_NOTE, required=False
        )
        item.save(update_fields=["outcome", "decision"])
        action = OUTCOME_ACTIONS.get(decision.outcome)
        if action is None:
            continue  # deferred: stays on the agenda for the next meeting
        problem = FoundProblem.objects.select_for_update(of=("self",)).select_related("grid").get(pk=problem_id)
        if problem.status != ProblemStatus.ON_AGENDA:
            continue  # settled some other way since it was put on the agenda
        _act(
            actor=actor,
            problem=problem,
            action=action,
            note=item.decision or _("网格议事会议定"),
            work_order=WorkOrderDetails(incident_type_code=decision.incident_type_code),
            today=today,
        )
    meeting.status = MeetingStatus.HELD
    meeting.held_at = timezone.now()
    meeting.minutes = minutes
    meeting.attendees = attendees
    meeting.save()
    audit.record(
        actor=actor,
        action="council.hold",
        obj=meeting,
        before={"status": MeetingStatus.PLANNED},
        after={"status": meeting.status, "outcomes": {str(k): v.outcome for k, v in given.items()}},
    )
    return meeting


@transaction.atomic
def meeting_cancel(*, actor: Any, meeting_id: int, note: str, today: date | None = None) -> CouncilMeeting:
    """Call a planned meeting off; its problems stay on the agenda and go to the next meeting planned."""
    today = today or timezone.localdate()
    meeting = _planned_meeting_for_update(actor, meeting_id, today)
    note = clean_text(note, field="note", label=_("取消原因"), limit=500, required=True)
    meeting.status = MeetingStatus.CANCELLED
    meeting.minutes = note
    meeting.save()
    audit.record(
        actor=actor,
        action="council.cancel",
        obj=meeting,
        before={"status": MeetingStatus.PLANNED},
        after={"status": meeting.status, "note": note},
    )
    return meeting
