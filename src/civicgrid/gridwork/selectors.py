"""Reads of grid work, always restricted to the actor's jurisdiction, plus the grids they cover for a partner on leave.

`covered_grids(actor, on=day)` is the one place that says which grids an A/B partner covers on a day; the registry's
jurisdiction uses it so that the partner may see and edit the covered grid's files during the leave.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from civicgrid.core.calendar import calendar
from civicgrid.core.jurisdiction import jurisdiction_of, restrict
from civicgrid.gridwork import rules, visit_rules
from civicgrid.gridwork.choices import DayState, LeaveStatus, MeetingStatus, PatrolStatus
from civicgrid.gridwork.models import (
    CommunityLog,
    CouncilMeeting,
    FoundProblem,
    GuideAssignment,
    GuideCategory,
    GuideTask,
    HomeVisit,
    Leave,
    Patrol,
    PatrolGridTime,
)
from civicgrid.gridwork.permissions import SUPERVISOR_ROLES, is_active_staff, own_grids
from civicgrid.people.choices import Role
from civicgrid.people.models import Post
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region

# ---------------------------------------------------------------- A/B cover


def approved_leaves_on(day: date) -> QuerySet[Leave]:
    return Leave.objects.filter(status=LeaveStatus.APPROVED, starts_on__lte=day, ends_on__gte=day)


def covered_grid_ids(actor: Any, *, on: date | None = None) -> frozenset[int]:
    """Ids of the grids the actor covers on day `on` (today by default): grids whose A/B partner is a grid where
    the actor is the grid worker, and whose own worker has an approved leave that day. Not cached: a leave approved
    a moment ago hands the grid over at once."""
    if not is_active_staff(actor):
        return frozenset()
    mine = [grid.pk for grid in own_grids(actor)]
    if not mine:
        return frozenset()
    rows = (
        approved_leaves_on(on or timezone.localdate())
        .filter(grid__partner_id__in=mine)
        .exclude(worker=actor)  # one's own leave hands one's grid away, not to oneself
        .values_list("grid_id", flat=True)
    )
    return frozenset(rows)


def covered_grids(actor: Any, *, on: date | None = None) -> QuerySet[Region]:
    """The grids the actor covers on day `on` (today by default) for an A/B partner on approved leave."""
    return Region.objects.filter(pk__in=sorted(covered_grid_ids(actor, on=on)), level=Level.GRID).order_by("code")


def my_grids(actor: Any, *, on: date | None = None) -> list[Region]:
    """Where the actor works as a grid worker on day `on`: their own grids, then the grids they cover."""
    own = own_grids(actor)
    covered = list(covered_grids(actor, on=on).exclude(pk__in=[g.pk for g in own]))
    return own + covered


def _reach[M: Any](actor: Any, queryset: QuerySet[M], *, on: date | None = None) -> QuerySet[M]:
    """Rows of the actor's jurisdiction, plus the rows of the grids they cover on day `on` (today by default)."""
    visible = restrict(actor, queryset)
    covered = covered_grid_ids(actor, on=on)
    if covered:
        paths = list(Region.objects.filter(pk__in=covered).values_list("path", flat=True))
        visible = visible | queryset.filter(region_path__in=paths)
    return visible


def _own_or_supervised[M: Any](actor: Any, queryset: QuerySet[M], owner: str) -> QuerySet[M]:
    """Personal records of staff (tracks, logs): one's own, and those in the jurisdiction of a supervising post."""
    reach = jurisdiction_of(actor)
    if reach.everything:
        return queryset
    if not is_active_staff(actor):
        return queryset.none()
    condition = Q(**{owner: actor.pk})
    for post in actor.active_posts():
        if post.role in SUPERVISOR_ROLES and post.region is not None:
            condition |= Q(region_path__startswith=post.region.path)
    return queryset.filter(condition)


# ---------------------------------------------------------------- patrols


def patrols(*, actor: Any) -> QuerySet[Patrol]:
    """Patrols the actor may see: their own, and those of the grids they supervise (tracks show where a member of
    staff was: other grid workers and assistants do not see them)."""
    return _own_or_supervised(actor, Patrol.objects.select_related("worker", "grid"), "worker_id")


def patrol(*, actor: Any, patrol_id: int) -> Patrol:
    """One patrol the actor may see; Patrol.DoesNotExist otherwise."""
    return patrols(actor=actor).get(pk=patrol_id)


def open_patrol(*, actor: Any) -> Patrol | None:
    if not is_active_staff(actor):
        return None
    return Patrol.objects.filter(worker=actor, status=PatrolStatus.OPEN).select_related("grid").first()


def seconds_in_grid_on(*, worker: Any, day: date) -> int:
    """What the worker has counted toward the 4-hour rule on `day` (own and covered grids)."""
    total = PatrolGridTime.objects.filter(worker=worker, day=day).aggregate(s=Sum("seconds"))["s"]
    return int(total or 0)


# ---------------------------------------------------------------- the 4-hour rule


def workers_meeting_the_rule(*, actor: Any, day: date) -> int:
    """How many grid workers of the actor's grids have counted the day's hours already on `day`."""
    grids = restrict(actor, Region.objects.filter(level=Level.GRID)).values("pk")
    workers = Post.objects.filter(region_id__in=grids, role=Role.GRID_WORKER, is_active=True).values("user_id")
    return (
        PatrolGridTime.objects.filter(day=day, worker_id__in=workers)
        .values("worker_id")
        .annotate(total=Sum("seconds"))
        .filter(total__gte=rules.DAILY_SECONDS)
        .count()
    )


@dataclass
class WorkerWeek:
    worker: Any
    grid: Region
    days: list[dict[str, Any]] = field(default_factory=list)  # {day, seconds, state}
    required_days: int = 0
    met_days: int = 0
    missed_days: int = 0
    seconds: int = 0

    @property
    def week_met(self) -> bool:
        """Every required day of the week met (a week still running is not met before its last required day)."""
        return self.met_days == self.required_days

    @property
    def on_track(self) -> bool:
        return self.missed_days == 0


@dataclass
class GridWeek:
    grid: Region
    worker: Any
    days: list[dict[str, Any]] = field(default_factory=list)  # {day, seconds, covered_by, met}
    seconds: int = 0


@dataclass
class CommunityWeek:
    community: Region
    workers: int = 0
    met: int = 0
    on_track: int = 0
    seconds: int = 0

    @property
    def share_met(self) -> float:
        return round(self.met / self.workers, 4) if self.workers else 0.0


@dataclass
class FourHourReport:
    week_start: date
    days: list[date]
    daily_seconds: int
    workers: list[WorkerWeek]
    grids: list[GridWeek]
    communities: list[CommunityWeek]


def week_of(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


def four_hour_report(
    *, actor: Any, week_start: date, region: Region | None = None, today: date | None = None
) -> FourHourReport:
    """The 4-hour rule for one week (Monday to Sunday), per worker, per grid and per community, for the grids in
    the actor's jurisdiction (within `region` if given). Time covered for a partner counts for the covered grid and
    for the covering worker's own day; a worker's leave days are not required of them."""
    today = today or timezone.localdate()
    week_start = week_of(week_start)
    days = [week_start + timedelta(days=i) for i in range(7)]
    week_end = days[-1]
    grids_qs = restrict(actor, Region.objects.filter(level=Level.GRID)).select_related("parent")
    if region is not None:
        grids_qs = grids_qs.filter(path__startswith=region.path)
    grids = list(grids_qs.order_by("code"))
    by_id = {g.pk: g for g in grids}
    posts = list(
        Post.objects.filter(region_id__in=list(by_id), role=Role.GRID_WORKER, is_active=True)
        .select_related("user")
        .order_by("region__code")
    )
    worker_ids = [p.user_id for p in posts]
    per_worker_day: dict[tuple[int, date], int] = {}
    for worker_id, day, seconds in (
        PatrolGridTime.objects.filter(worker_id__in=worker_ids, day__range=(week_start, week_end))
        .values("worker_id", "day")
        .annotate(s=Sum("seconds"))
        .values_list("worker_id", "day", "s")
    ):
        per_worker_day[(worker_id, day)] = int(seconds or 0)
    per_grid_day: dict[tuple[int, date], int] = {}
    for grid_id, day, seconds in (
        PatrolGridTime.objects.filter(grid_id__in=list(by_id), day__range=(week_start, week_end))
        .values("grid_id", "day")
        .annotate(s=Sum("seconds"))
        .values_list("grid_id", "day", "s")
    ):
        per_grid_day[(grid_id, day)] = int(seconds or 0)
    leaves = list(
        Leave.objects.filter(
            status=LeaveStatus.APPROVED, starts_on__lte=week_end, ends_on__gte=week_start, grid_id__in=list(by_id)
        ).values("worker_id", "grid_id", "starts_on", "ends_on")
    )
    on_leave = {
        (leave["worker_id"], day) for leave in leaves for day in days if leave["starts_on"] <= day <= leave["ends_on"]
    }
    grid_on_leave = {
        (leave["grid_id"], day) for leave in leaves for day in days if leave["starts_on"] <= day <= leave["ends_on"]
    }
    working = calendar()
    daily = rules.DAILY_SECONDS

    workers: list[WorkerWeek] = []
    worker_of_grid: dict[int, Any] = {}
    for post in posts:
        assert post.region_id is not None  # filtered on region_id above
        grid = by_id[post.region_id]
        worker_of_grid[grid.pk] = post.user
        week = WorkerWeek(worker=post.user, grid=grid)
        for day in days:
            seconds = per_worker_day.get((post.user_id, day), 0)
            if day > today:
                state = DayState.FUTURE
            elif (post.user_id, day) in on_leave:
                state = DayState.LEAVE
            elif not working.is_working_day(day):
                state = DayState.REST
            elif seconds >= daily:
                state = DayState.MET
            elif day == today:
                state = DayState.PENDING
            else:
                state = DayState.MISSED
            required = working.is_working_day(day) and (post.user_id, day) not in on_leave
            week.required_days += required
            week.met_days += required and seconds >= daily
            week.missed_days += state == DayState.MISSED
            week.seconds += seconds
            week.days.append({"day": day, "seconds": seconds, "state": state})
        workers.append(week)

    partner_worker = {
        p.region_id: p.user
        for p in Post.objects.filter(
            region_id__in=[g.partner_id for g in grids if g.partner_id], role=Role.GRID_WORKER, is_active=True
        ).select_related("user")
    }
    grid_rows: list[GridWeek] = []
    for grid in grids:
        row = GridWeek(grid=grid, worker=worker_of_grid.get(grid.pk))
        for day in days:
            seconds = per_grid_day.get((grid.pk, day), 0)
            covering = partner_worker.get(grid.partner_id) if (grid.pk, day) in grid_on_leave else None
            row.days.append({"day": day, "seconds": seconds, "covered_by": covering, "met": seconds >= daily})
            row.seconds += seconds
        grid_rows.append(row)

    communities: dict[int, CommunityWeek] = {}
    for week in workers:
        community = week.grid.parent
        if community is None:
            continue
        summary = communities.setdefault(community.pk, CommunityWeek(community=community))
        summary.workers += 1
        summary.met += week.week_met
        summary.on_track += week.on_track
        summary.seconds += week.seconds
    return FourHourReport(
        week_start=week_start,
        days=days,
        daily_seconds=daily,
        workers=workers,
        grids=grid_rows,
        communities=sorted(communities.values(), key=lambda c: c.community.code),
    )


# ---------------------------------------------------------------- leave


def leaves(*, actor: Any) -> QuerySet[Leave]:
    """Leaves of the grids in the actor's jurisdiction, the actor's own, and those of grids the actor's grid is the
    A/B partner of (the covering worker needs to know when they are on)."""
    base = Leave.objects.select_related("worker", "grid", "grid__partner", "decided_by", "requested_by")
    visible = restrict(actor, base)
    if is_active_staff(actor):
        mine = [g.pk for g in own_grids(actor)]
        visible = visible | base.filter(Q(worker=actor) | Q(grid__partner_id__in=mine))
    return visible


def leave(*, actor: Any, leave_id: int) -> Leave:
    return leaves(actor=actor).get(pk=leave_id)


# ---------------------------------------------------------------- community log


def community_logs(*, actor: Any) -> QuerySet[CommunityLog]:
    return _own_or_supervised(actor, CommunityLog.objects.select_related("worker", "grid"), "worker_id")


def my_log(*, actor: Any, day: date) -> CommunityLog | None:
    """The actor's own log of `day`, if written."""
    return community_logs(actor=actor).filter(worker_id=getattr(actor, "pk", None), day=day).first()


# ---------------------------------------------------------------- found problems and the grid council


def problems(*, actor: Any) -> QuerySet[FoundProblem]:
    return _reach(actor, FoundProblem.objects.select_related("grid", "recorded_by", "work_order"))


def problem(*, actor: Any, problem_id: int) -> FoundProblem:
    return problems(actor=actor).get(pk=problem_id)


def meetings(*, actor: Any) -> QuerySet[CouncilMeeting]:
    return _reach(actor, CouncilMeeting.objects.select_related("grid", "convened_by"))


def meeting(*, actor: Any, meeting_id: int) -> CouncilMeeting:
    return meetings(actor=actor).prefetch_related("items__problem").get(pk=meeting_id)


def next_meeting(grid: Region) -> CouncilMeeting | None:
    return CouncilMeeting.objects.filter(grid=grid, status=MeetingStatus.PLANNED).order_by("scheduled_at", "id").first()


# ---------------------------------------------------------------- the grid work guide


def guide() -> QuerySet[GuideCategory]:
    """The guide as a tree (reference data: everyone may read it)."""
    from django.db.models import Prefetch

    return GuideCategory.objects.prefetch_related(
        "subcategories", Prefetch("subcategories__tasks", queryset=GuideTask.objects.filter(is_active=True))
    )


def guide_tasks() -> QuerySet[GuideTask]:
    return GuideTask.objects.filter(is_active=True)


def guide_task(*, code: str) -> GuideTask:
    return GuideTask.objects.select_related("subcategory__category").get(code=code, is_active=True)


def assignments(*, actor: Any) -> QuerySet[GuideAssignment]:
    return _reach(
        actor,
        GuideAssignment.objects.select_related("task", "task__subcategory", "grid", "assigned_by", "completed_by"),
    )


def assignment(*, actor: Any, assignment_id: int) -> GuideAssignment:
    return assignments(actor=actor).get(pk=assignment_id)


# ---------------------------------------------------------------- home visits


def visits(*, actor: Any) -> QuerySet[HomeVisit]:
    return _reach(actor, HomeVisit.objects.select_related("household", "grid", "visitor"))


@dataclass
class DueVisit:
    """A household with a care recipient not visited for longer than the rules allow."""

    household: Any
    recipients: list[dict[str, Any]]  # {name, tags: [tag names]}
    every_days: int
    why: str
    last_visited_at: Any
    due_on: date
    overdue_days: int


def visits_due(
    *, actor: Any, today: date | None = None, grid: Region | None = None, limit: int = 500
) -> list[DueVisit]:
    """Households of the actor's reach (the registry's read policy, with grids covered for a partner) holding a care
    recipient whom the rules of data/home_visits.yaml say is due: never visited, or visited longer ago than the
    shortest interval of their care tags. Never-visited first, then the most overdue."""
    from civicgrid.registry import policy
    from civicgrid.registry.choices import CodeList, HouseholdStatus, ResidentStatus
    from civicgrid.registry.models import Household, ResidentTag

    today = today or timezone.localdate()
    rules = visit_rules.visit_rules()
    households = policy.visible(actor, Household.objects.filter(status=HouseholdStatus.ACTIVE))
    if grid is not None:
        households = households.filter(grid=grid)
    rows = ResidentTag.objects.filter(
        code__list=CodeList.CARE_TAG,
        code__code__in=sorted(visit_rules.all_tags(rules)),
        resident__status=ResidentStatus.ACTIVE,
        resident__household__in=households.values("pk"),
    ).values_list("resident__household_id", "resident_id", "resident__name", "code__code", "code__name")
    people: dict[int, dict[str, Any]] = {}
    for household_id, resident_id, name, code, label in rows:
        person = people.setdefault(resident_id, {"household": household_id, "name": name, "codes": set(), "tags": []})
        person["codes"].add(code)
        person["tags"].append(label)
    need: dict[int, tuple[int, str]] = {}
    recipients: dict[int, list[dict[str, Any]]] = {}
    for person in people.values():
        rule = visit_rules.interval_for(person["codes"], rules)
        if rule is None:
            continue
        household_id = person["household"]
        recipients.setdefault(household_id, []).append({"name": person["name"], "tags": sorted(person["tags"])})
        if household_id not in need or rule[0] < need[household_id][0]:
            need[household_id] = rule
    last = dict(
        HomeVisit.objects.filter(household_id__in=list(need))
        .values("household_id")
        .annotate(last=Max("visited_at"))
        .values_list("household_id", "last")
    )
    due: list[DueVisit] = []
    for household_id, (every, why) in need.items():
        visited = last.get(household_id)
        due_on = timezone.localtime(visited).date() + timedelta(days=every) if visited else today
        if due_on > today:
            continue
        due.append(
            DueVisit(
                household=household_id,
                recipients=recipients[household_id],
                every_days=every,
                why=why,
                last_visited_at=visited,
                due_on=due_on,
                overdue_days=(today - due_on).days,
            )
        )
    due.sort(key=lambda d: (d.last_visited_at is not None, -d.overdue_days, d.household))
    due = due[:limit]
    found = {h.pk: h for h in Household.objects.filter(pk__in=[d.household for d in due]).select_related("grid")}
    for item in due:
        item.household = found[item.household]
    return due


def follow_ups_due(*, actor: Any, today: date | None = None) -> QuerySet[HomeVisit]:
    """Visits whose follow-up date has come, with no later visit of the same household since."""
    today = today or timezone.localdate()
    later = HomeVisit.objects.filter(household_id=OuterRef("household_id"), visited_at__gt=OuterRef("visited_at"))
    return (
        visits(actor=actor)
        .filter(follow_up_on__isnull=False, follow_up_on__lte=today)
        .exclude(Exists(later))
        .order_by("follow_up_on", "id")
    )
