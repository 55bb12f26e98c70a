"""Shapes of grid work over JSON. Staff names appear (they are colleagues in the caller's jurisdiction); residents
appear only as households and, in the visits-due list, the care recipients' names the registry lets the caller read."""

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from civicgrid.gridwork import rules
from civicgrid.gridwork.choices import (
    AgendaOutcome,
    AssignmentAction,
    AssignmentStatus,
    DayState,
    Frequency,
    LeaveAction,
    LeaveReason,
    LeaveStatus,
    MeetingStatus,
    PatrolEnd,
    PatrolStatus,
    ProblemAction,
    ProblemStatus,
    RiskLevel,
    VisitKind,
)

BATCH_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,64}$"


class RegionRef(Schema):
    code: str
    name: str


class PersonRef(Schema):
    username: str
    name: str


def region_ref(region: Any) -> dict[str, str] | None:
    return {"code": region.code, "name": region.name} if region is not None else None


def person_ref(user: Any) -> dict[str, str] | None:
    return {"username": user.get_username(), "name": user.display_name} if user is not None else None


class Page(Schema):
    next_offset: int | None = Field(description="null on the last page (no total is counted)")


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=100_000)


# ---------------------------------------------------------------- patrols


class PatrolOut(Schema):
    id: int
    worker: PersonRef
    grid: RegionRef
    status: PatrolStatus
    status_label: str
    started_at: datetime
    ended_at: datetime | None
    end_reason: PatrolEnd | None
    point_count: int
    kept_count: int
    last_point_at: datetime | None
    distance_m: float
    seconds_in_grid: int
    tracked_seconds: int = Field(description="the counted intervals of the track, inside or outside the grid")
    verdicts: dict[str, int] = Field(description="points by what the analysis made of them: kept, poor_accuracy, …")

    @staticmethod
    def resolve_worker(patrol: Any) -> dict[str, str] | None:
        return person_ref(patrol.worker)

    @staticmethod
    def resolve_grid(patrol: Any) -> dict[str, str] | None:
        return region_ref(patrol.grid)

    @staticmethod
    def resolve_status_label(patrol: Any) -> str:
        return str(PatrolStatus(patrol.status).label)

    @staticmethod
    def resolve_end_reason(patrol: Any) -> str | None:
        return patrol.end_reason or None


class GridTimeOut(Schema):
    grid: RegionRef
    day: date
    seconds: int
    covering: bool = Field(description="time in a grid covered for an A/B partner on leave")


class PatrolDetail(PatrolOut):
    grid_times: list[GridTimeOut]

    @staticmethod
    def resolve_grid_times(patrol: Any) -> list[dict[str, Any]]:
        return [
            {"grid": region_ref(t.grid), "day": t.day, "seconds": t.seconds, "covering": t.covering}
            for t in patrol.grid_times.select_related("grid").order_by("day", "grid__code")
        ]


class PatrolPage(Page):
    items: list[PatrolOut]


class PatrolQuery(PageQuery):
    worker: str = Field("", max_length=150, description="a username")
    grid: str = Field("", max_length=15, description="a region code: its whole subtree")
    status: PatrolStatus | None = None
    date_from: date | None = None
    date_to: date | None = None


class PointIn(Schema):
    lat: float = Field(description="WGS-84 latitude")
    lon: float = Field(description="WGS-84 longitude")
    accuracy: float = Field(description="metres, as the phone's coords.accuracy says")
    at: datetime = Field(
        description="when the phone took the fix, ISO 8601 (new Date(position.timestamp).toISOString()); "
        "without an offset it is Beijing time"
    )


class PointsIn(Schema):
    batch_id: str = Field(
        ...,
        pattern=BATCH_ID_PATTERN,
        description="the phone's id of this batch (e.g. a UUID); sending it again adds nothing",
    )
    points: list[PointIn] = Field(..., description=f"at most {rules.MAX_BATCH_POINTS} points, in any order")


class BatchOut(Schema):
    batch_id: str
    accepted: int = Field(description="points added now (0 for a batch already received)")
    duplicate: bool
    patrol: PatrolOut


class StartIn(Schema):
    started_at: datetime | None = Field(None, description="when start was pressed, if sent late from the phone's queue")


class StopIn(Schema):
    ended_at: datetime | None = Field(None, description="when stop was pressed, if sent late from the phone's queue")


# ---------------------------------------------------------------- the 4-hour rule


class DayOut(Schema):
    day: date
    seconds: int
    state: DayState


class WorkerWeekOut(Schema):
    worker: PersonRef
    grid: RegionRef
    days: list[DayOut]
    seconds: int
    required_days: int
    met_days: int
    missed_days: int
    week_met: bool
    on_track: bool = Field(description="no required day missed so far")


class GridDayOut(Schema):
    day: date
    seconds: int
    met: bool
    covered_by: PersonRef | None


class GridWeekOut(Schema):
    grid: RegionRef
    worker: PersonRef | None
    days: list[GridDayOut]
    seconds: int


class CommunityWeekOut(Schema):
    community: RegionRef
    workers: int
    met: int
    on_track: int
    share_met: float
    seconds: int


class FourHourOut(Schema):
    week_start: date
    days: list[date]
    daily_seconds: int
    workers: list[WorkerWeekOut]
    grids: list[GridWeekOut]
    communities: list[CommunityWeekOut]


class ReportQuery(Schema):
    week: date | None = Field(None, description="any day of the week (Monday to Sunday); this week by default")
    region: str = Field("", max_length=15, description="a region code: only its grids")


# ---------------------------------------------------------------- leave


class LeaveIn(Schema):
    starts_on: date
    ends_on: date
    kind: LeaveReason
    reason: str = Field(..., max_length=2000)
    worker: str = Field(
        "", max_length=150, description="a grid worker's username, when a grid leader or community head records it"
    )


class LeaveOut(Schema):
    id: int
    worker: PersonRef
    grid: RegionRef
    covered_by_grid: RegionRef | None = Field(description="the A/B partner grid whose worker covers")
    starts_on: date
    ends_on: date
    kind: LeaveReason
    kind_label: str
    reason: str
    status: LeaveStatus
    status_label: str
    requested_by: PersonRef
    decided_by: PersonRef | None
    decided_at: datetime | None
    decision_note: str

    @staticmethod
    def resolve_worker(leave: Any) -> dict[str, str] | None:
        return person_ref(leave.worker)

    @staticmethod
    def resolve_grid(leave: Any) -> dict[str, str] | None:
        return region_ref(leave.grid)

    @staticmethod
    def resolve_covered_by_grid(leave: Any) -> dict[str, str] | None:
        return region_ref(leave.grid.partner)

    @staticmethod
    def resolve_kind_label(leave: Any) -> str:
        return str(LeaveReason(leave.kind).label)

    @staticmethod
    def resolve_status_label(leave: Any) -> str:
        return str(LeaveStatus(leave.status).label)

    @staticmethod
    def resolve_requested_by(leave: Any) -> dict[str, str] | None:
        return person_ref(leave.requested_by)

    @staticmethod
    def resolve_decided_by(leave: Any) -> dict[str, str] | None:
        return person_ref(leave.decided_by)


class LeavePage(Page):
    items: list[LeaveOut]


class LeaveQuery(PageQuery):
    status: LeaveStatus | None = None
    worker: str = Field("", max_length=150)
    on: date | None = Field(None, description="only leaves running on this day")


class LeaveActionIn(Schema):
    action: LeaveAction
    note: str = Field("", max_length=2000)


class CoverOut(Schema):
    """A grid the caller covers on the day asked, and whose leave it is."""

    grid: RegionRef
    worker_on_leave: PersonRef
    starts_on: date
    ends_on: date


# ---------------------------------------------------------------- home visits


class VisitIn(Schema):
    household_id: int
    findings: str = Field(..., max_length=20000)
    kind: VisitKind = VisitKind.ROUTINE
    met: bool = Field(True, description="the household was met (not just a note on the door)")
    needs: str = Field("", max_length=20000)
    risks: str = Field("", max_length=20000)
    risk_level: RiskLevel = RiskLevel.NONE
    follow_up_on: date | None = None
    visited_at: datetime | None = Field(None, description="when, if recorded later (within 7 days)")


class HouseholdRef(Schema):
    id: int
    address: str
    grid: RegionRef


def household_ref(household: Any) -> dict[str, Any]:
    return {"id": household.pk, "address": household.address, "grid": region_ref(household.grid)}


class VisitOut(Schema):
    id: int
    household: HouseholdRef
    grid: RegionRef
    visitor: PersonRef
    visited_at: datetime
    kind: VisitKind
    kind_label: str
    met: bool
    findings: str
    needs: str
    risks: str
    risk_level: RiskLevel
    follow_up_on: date | None

    @staticmethod
    def resolve_household(visit: Any) -> dict[str, Any]:
        return household_ref(visit.household)

    @staticmethod
    def resolve_grid(visit: Any) -> dict[str, str] | None:
        return region_ref(visit.grid)

    @staticmethod
    def resolve_visitor(visit: Any) -> dict[str, str] | None:
        return person_ref(visit.visitor)

    @staticmethod
    def resolve_kind_label(visit: Any) -> str:
        return str(VisitKind(visit.kind).label)


class VisitPage(Page):
    items: list[VisitOut]


class VisitQuery(PageQuery):
    household: int | None = None
    grid: str = Field("", max_length=15, description="a region code: its whole subtree")
    date_from: date | None = None
    date_to: date | None = None


class RecipientOut(Schema):
    name: str
    tags: list[str]


class DueVisitOut(Schema):
    household: HouseholdRef
    recipients: list[RecipientOut]
    every_days: int
    why: str
    last_visited_at: datetime | None
    due_on: date
    overdue_days: int

    @staticmethod
    def resolve_household(item: Any) -> dict[str, Any]:
        return household_ref(item.household)


class DueQuery(Schema):
    grid: str = Field("", max_length=15, description="one grid's code")


# ---------------------------------------------------------------- community log


class LogIn(Schema):
    content: str = Field(..., max_length=20000)
    weather: str = Field("", max_length=100)


class LogOut(Schema):
    id: int
    worker: PersonRef
    grid: RegionRef
    day: date
    weather: str
    content: str
    updated_at: datetime

    @staticmethod
    def resolve_worker(log: Any) -> dict[str, str] | None:
        return person_ref(log.worker)

    @staticmethod
    def resolve_grid(log: Any) -> dict[str, str] | None:
        return region_ref(log.grid)


class LogPage(Page):
    items: list[LogOut]


class LogQuery(PageQuery):
    worker: str = Field("", max_length=150)
    grid: str = Field("", max_length=15)
    date_from: date | None = None
    date_to: date | None = None


# ---------------------------------------------------------------- found problems and the grid council


PHOTO_NOTE = "base64 of JPEG, PNG, WebP, GIF or BMP, at most 6; used when the problem is raised as a work order"


class ProblemIn(Schema):
    description: str = Field(..., max_length=20000)
    grid_code: str | None = Field(None, max_length=15, description="when there is no point: the grid")
    lon: float | None = None
    lat: float | None = None
    address: str = Field("", max_length=400)
    found_at: datetime | None = None
    action: ProblemAction | None = Field(
        None, description="what was done at once: solve_on_spot, pass_to_leader or raise_work_order"
    )
    note: str = Field("", max_length=5000)
    incident_type: str | None = Field(None, max_length=12, description="for raise_work_order: a work-order type")
    photos: list[str] = Field(default_factory=list, max_length=6, description=PHOTO_NOTE)


class ProblemActionIn(Schema):
    action: ProblemAction
    note: str = Field("", max_length=5000)
    expected_version: int | None = None
    incident_type: str | None = Field(None, max_length=12)
    photos: list[str] = Field(default_factory=list, max_length=6, description=PHOTO_NOTE)


class ProblemEventOut(Schema):
    action: str
    action_label: str
    from_status: str
    to_status: ProblemStatus
    actor: PersonRef | None
    note: str
    at: datetime

    @staticmethod
    def resolve_actor(event: Any) -> dict[str, str] | None:
        return person_ref(event.actor)

    @staticmethod
    def resolve_at(event: Any) -> datetime:
        return event.created_at


class ProblemOut(Schema):
    id: int
    grid: RegionRef
    recorded_by: PersonRef
    found_at: datetime
    description: str
    address: str
    lon: float | None
    lat: float | None
    status: ProblemStatus
    status_label: str
    resolution: str
    work_order: str | None = Field(description="the work order's number, once raised")
    version: int

    @staticmethod
    def resolve_grid(problem: Any) -> dict[str, str] | None:
        return region_ref(problem.grid)

    @staticmethod
    def resolve_recorded_by(problem: Any) -> dict[str, str] | None:
        return person_ref(problem.recorded_by)

    @staticmethod
    def resolve_status_label(problem: Any) -> str:
        return str(ProblemStatus(problem.status).label)

    @staticmethod
    def resolve_work_order(problem: Any) -> str | None:
        return problem.work_order.number if problem.work_order_id else None


class ProblemDetail(ProblemOut):
    events: list[ProblemEventOut]
    actions: list[ProblemAction] = Field(description="what the caller may do now")

    @staticmethod
    def resolve_events(problem: Any) -> list[Any]:
        return list(problem.events.select_related("actor"))

    @staticmethod
    def resolve_actions(problem: Any) -> list[str]:
        return getattr(problem, "allowed", [])


class ProblemPage(Page):
    items: list[ProblemOut]


class ProblemQuery(PageQuery):
    status: ProblemStatus | None = None
    open: bool = Field(False, description="only problems still being dealt with")
    grid: str = Field("", max_length=15)


class MeetingIn(Schema):
    grid_code: str = Field(..., max_length=15)
    scheduled_at: datetime
    place: str = Field(..., max_length=400)


class AgendaItemOut(Schema):
    position: int
    problem: ProblemOut
    outcome: AgendaOutcome | None
    decision: str

    @staticmethod
    def resolve_outcome(item: Any) -> str | None:
        return item.outcome or None


class MeetingOut(Schema):
    id: int
    grid: RegionRef
    scheduled_at: datetime
    place: str
    status: MeetingStatus
    status_label: str
    convened_by: PersonRef
    attendees: str
    minutes: str
    held_at: datetime | None

    @staticmethod
    def resolve_grid(meeting: Any) -> dict[str, str] | None:
        return region_ref(meeting.grid)

    @staticmethod
    def resolve_status_label(meeting: Any) -> str:
        return str(MeetingStatus(meeting.status).label)

    @staticmethod
    def resolve_convened_by(meeting: Any) -> dict[str, str] | None:
        return person_ref(meeting.convened_by)


class MeetingDetail(MeetingOut):
    items: list[AgendaItemOut]

    @staticmethod
    def resolve_items(meeting: Any) -> list[Any]:
        return list(meeting.items.select_related("problem", "problem__grid", "problem__recorded_by").all())


class MeetingPage(Page):
    items: list[MeetingOut]


class MeetingQuery(PageQuery):
    status: MeetingStatus | None = None
    grid: str = Field("", max_length=15)


class DecisionIn(Schema):
    problem_id: int
    outcome: AgendaOutcome
    decision: str = Field("", max_length=5000)
    incident_type: str | None = Field(None, max_length=12, description="for outcome work_order")


class HoldIn(Schema):
    minutes: str = Field(..., max_length=50000)
    attendees: str = Field(..., max_length=2000)
    decisions: list[DecisionIn] = Field(..., max_length=200)


class CancelIn(Schema):
    note: str = Field(..., max_length=2000)


# ---------------------------------------------------------------- the grid work guide


class GuideTaskOut(Schema):
    code: str
    name: str
    content: str
    standard: str
    frequency: Frequency
    frequency_label: str

    @staticmethod
    def resolve_frequency_label(task: Any) -> str:
        return str(Frequency(task.frequency).label)


class GuideSubcategoryOut(Schema):
    code: str
    name: str
    tasks: list[GuideTaskOut]

    @staticmethod
    def resolve_tasks(sub: Any) -> list[Any]:
        return list(sub.tasks.all())


class GuideCategoryOut(Schema):
    code: str
    name: str
    subcategories: list[GuideSubcategoryOut]

    @staticmethod
    def resolve_subcategories(category: Any) -> list[Any]:
        return list(category.subcategories.all())


class AssignIn(Schema):
    task_code: str = Field(..., max_length=6)
    grid_codes: list[str] = Field(
        ..., min_length=1, max_length=500, description="grid codes, or a community's code for all its grids"
    )
    due_on: date
    note: str = Field("", max_length=2000)


class TaskRef(Schema):
    code: str
    name: str
    standard: str


class AssignmentOut(Schema):
    id: int
    task: TaskRef
    grid: RegionRef
    due_on: date
    status: AssignmentStatus
    status_label: str
    overdue: bool
    note: str
    assigned_by: PersonRef
    assigned_at: datetime
    completed_by: PersonRef | None
    completed_at: datetime | None
    result: str
    version: int

    @staticmethod
    def resolve_grid(assignment: Any) -> dict[str, str] | None:
        return region_ref(assignment.grid)

    @staticmethod
    def resolve_status_label(assignment: Any) -> str:
        return str(AssignmentStatus(assignment.status).label)

    @staticmethod
    def resolve_overdue(assignment: Any) -> bool:
        from django.utils import timezone

        return assignment.status == AssignmentStatus.ASSIGNED and assignment.due_on < timezone.localdate()

    @staticmethod
    def resolve_assigned_by(assignment: Any) -> dict[str, str] | None:
        return person_ref(assignment.assigned_by)

    @staticmethod
    def resolve_completed_by(assignment: Any) -> dict[str, str] | None:
        return person_ref(assignment.completed_by)


class AssignmentPage(Page):
    items: list[AssignmentOut]


class AssignmentQuery(PageQuery):
    status: AssignmentStatus | None = None
    grid: str = Field("", max_length=15)
    due_before: date | None = None


class AssignmentActionIn(Schema):
    action: AssignmentAction
    note: str = Field("", max_length=5000)
    expected_version: int | None = None


# ---------------------------------------------------------------- today


class MyGridOut(Schema):
    grid: RegionRef
    covering: bool = Field(description="covered today for an A/B partner on leave")


class TodayOut(Schema):
    """What a grid worker's phone shows first."""

    day: date
    grids: list[MyGridOut]
    open_patrol: PatrolOut | None
    seconds_in_grid: int
    daily_seconds: int
    visits_due: int
    follow_ups_due: int
    open_problems: int
    assignments: list[AssignmentOut]
    log_written: bool
