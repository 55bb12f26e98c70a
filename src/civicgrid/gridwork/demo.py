"""Grid work in the demo district: the grid work guide, a month of patrols with GPS tracks for every grid worker,
leave with the A/B partner covering, home visits to the households the registry holds (care recipients at the
intervals of data/home_visits.yaml), community logs, found problems in every state, guide tasks given to grids;
then, through the live services, a few problems raised as work orders, grid council meetings, leave waiting for
approval and patrols under way right now.

The past is written in one go by `services.history_import` (checked like any import); the present goes through the
same services a phone uses. Deterministic for a seed and a day. Running it again finds the patrols and adds nothing.
Without households (the registry's demo step not loaded) there are simply no home visits.
"""

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import yaml
from django.utils import timezone

from civicgrid.core.calendar import calendar
from civicgrid.demo.hooks import DemoContext, register
from civicgrid.gridwork import services, visit_rules
from civicgrid.gridwork.choices import AgendaOutcome, LeaveReason, ProblemAction, ProblemStatus, RiskLevel, VisitKind
from civicgrid.gridwork.models import FoundProblem, GuideTask, Patrol
from civicgrid.gridwork.services.history import (
    AssignmentRecord,
    LeaveRecord,
    LogRecord,
    PatrolRecord,
    ProblemRecord,
    ProblemStep,
    VisitRecord,
    history_import,
)
from civicgrid.people.choices import Role
from civicgrid.people.models import Post, User
from civicgrid.regions.models import Region

DAYS = {"district": 30, "small": 10}
SPACING = {"district": 280.0, "small": 120.0}  # seconds between a history track's points (the gap rule: 300)
WORK_ORDERS = {"district": 26, "small": 3}
OPEN_PATROLS = {"district": 40, "small": 2}
COUNCILS = {"district": 40, "small": 3}  # grids whose council meets or is called live (the rest wait)
MAX_VISITS_PER_WORKER = 80
M_PER_DEGREE = 111_195.0


def words() -> dict[str, Any]:
    return yaml.safe_load((Path(__file__).parent / "demo_words.yaml").read_text(encoding="utf-8"))


@dataclass
class Grid:
    region: Region
    worker: str
    leader: str
    head: str
    polygon: shapely.Geometry
    pool: np.ndarray  # points inside, (n, 2) lon/lat
    route: np.ndarray  # the worker's round: a closed walk through the pool, (m, 2) lon/lat
    route_m: np.ndarray  # metres from the round's start to each of its corners
    households: list[int] = field(default_factory=list)
    care: list[tuple[int, int]] = field(default_factory=list)  # (household, visiting interval in days)


@dataclass
class Plan:
    leaves: list[LeaveRecord] = field(default_factory=list)
    patrols: list[PatrolRecord] = field(default_factory=list)
    visits: list[VisitRecord] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    problems: list[ProblemRecord] = field(default_factory=list)
    assignments: list[AssignmentRecord] = field(default_factory=list)


@register("gridwork")
def load_gridwork(context: DemoContext) -> str:
    started = time.monotonic()
    if not GuideTask.objects.exists():
        services.guide_load(actor=None)
    district = context.district
    existing = Patrol.objects.filter(region_path__startswith=district.path).count()
    if existing:
        return f"已有 {existing:,} 次巡查，未重复生成"
    planner = Planner(context)
    plan = planner.plan()
    result = history_import(
        actor=None,
        leaves=plan.leaves,
        patrols=plan.patrols,
        visits=plan.visits,
        logs=plan.logs,
        problems=plan.problems,
        assignments=plan.assignments,
        now=planner.now,
    )
    live = planner.live()
    return (
        f"巡查 {result.patrols:,} 次（轨迹点 {result.points:,} 个），请假 {result.leaves} 条（AB岗顶岗计入），"
        f"入户走访 {result.visits:,} 次，民情日记 {result.logs:,} 篇，发现问题 {result.problems:,} 件，"
        f"网格工作任务 {result.assignments:,} 项；{live}；用时 {time.monotonic() - started:.1f} 秒"
    )


class Planner:
    def __init__(self, context: DemoContext) -> None:
        self.context = context
        self.rng = context.rng("gridwork")
        self.np_rng = np.random.default_rng(self.rng.randrange(2**32))
        self.words = words()
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone()
        self.today = timezone.localdate(self.now)
        self.spacing = SPACING.get(context.scale, SPACING["district"])
        working = calendar()
        days = DAYS.get(context.scale, DAYS["district"])
        self.days = [self.today - timedelta(days=n) for n in range(days, -1, -1)]
        self.working = [day for day in self.days if working.is_working_day(day)]
        self.grids = self._grids()
        self.partner_of = {g.region.pk: g.region.partner_id for g in self.grids.values()}
        self.plan_ = Plan()
        self.live_workers: set[str] = set()

    # ---------------------------------------------------------------- the district's grids and people

    def _grids(self) -> dict[int, Grid]:
        district = self.context.district
        posts: dict[tuple[int, str], str] = {}
        for region_id, role, username in Post.objects.filter(
            is_active=True,
            region__path__startswith=district.path,
            role__in=[Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_HEAD],
        ).values_list("region_id", "role", "user__username"):
            assert region_id is not None
            posts.setdefault((region_id, role), username)
        grids: dict[int, Grid] = {}
        for region in Region.objects.filter(path__startswith=district.path, level="grid").order_by("code"):
            worker = posts.get((region.pk, Role.GRID_WORKER))
            if worker is None or not region.boundary or region.parent_id is None:
                continue
            polygon = shapely.geometry.shape(region.boundary)
            pool = self._inside(polygon)
            route, route_m = self._round(polygon, pool)
            grids[region.pk] = Grid(
                region=region,
                worker=worker,
                leader=posts.get((region.pk, Role.GRID_LEADER), ""),
                head=posts.get((region.parent_id, Role.COMMUNITY_HEAD), ""),
                polygon=polygon,
                pool=pool,
                route=route,
                route_m=route_m,
            )
        self._households(grids)
        return grids

    def _inside(self, polygon: shapely.Geometry, count: int = 24) -> np.ndarray:
        """Points inside the grid to walk between (a grid's interior, not its edge)."""
        inner = polygon.buffer(-0.0003) if polygon.area > 4e-7 else polygon
        area = inner if not inner.is_empty else polygon
        minx, miny, maxx, maxy = area.bounds
        found: list[np.ndarray] = []
        while sum(len(f) for f in found) < count:
            xs = self.np_rng.uniform(minx, maxx, count * 3)
            ys = self.np_rng.uniform(miny, maxy, count * 3)
            keep = shapely.contains_xy(area, xs, ys)
            found.append(np.column_stack([xs[keep], ys[keep]]))
        return np.concatenate(found)[:count]

    def _round(self, polygon: shapely.Geometry, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The worker's usual round: the pool's points in turn around the grid's centre, closed back to the start."""
        centre = polygon.centroid
        order = np.argsort(np.arctan2(pool[:, 1] - centre.y, pool[:, 0] - centre.x))
        corners = pool[order].copy()
        if self.np_rng.random() < 0.3:  # some rounds pass the shop across the road, outside the grid
            out = int(self.np_rng.integers(len(corners)))
            corners[out] += (corners[out] - [centre.x, centre.y]) * 1.6
        corners = np.vstack([corners, corners[:1]])
        lat_scale = M_PER_DEGREE * math.cos(math.radians(centre.y))
        steps = np.hypot(np.diff(corners[:, 0]) * lat_scale, np.diff(corners[:, 1]) * M_PER_DEGREE)
        return corners, np.concatenate([[0.0], np.cumsum(steps)])

    def _households(self, grids: dict[int, Grid]) -> None:
        """The registry's active households per grid, and which hold a care recipient due for visits how often."""
        from civicgrid.registry.choices import CodeList, HouseholdStatus, ResidentStatus
        from civicgrid.registry.models import Household, ResidentTag

        for household, grid in Household.objects.filter(
            grid_id__in=list(grids), status=HouseholdStatus.ACTIVE
        ).values_list("pk", "grid_id"):
            grids[grid].households.append(household)
        visit_rules_ = visit_rules.visit_rules()
        tags: dict[int, tuple[int, int, set[str]]] = {}
        for resident, household, grid, code in ResidentTag.objects.filter(
            code__list=CodeList.CARE_TAG,
            resident__status=ResidentStatus.ACTIVE,
            resident__household__grid_id__in=list(grids),
            resident__household__status=HouseholdStatus.ACTIVE,
        ).values_list("resident_id", "resident__household_id", "resident__household__grid_id", "code__code"):
            tags.setdefault(resident, (household, grid, set()))[2].add(code)
        interval: dict[tuple[int, int], int] = {}
        for household, grid, codes in tags.values():
            rule = visit_rules.interval_for(codes, visit_rules_)
            if rule is not None:
                key = (grid, household)
                interval[key] = min(interval.get(key, 999), rule[0])
        for (grid, household), days in sorted(interval.items()):
            grids[grid].care.append((household, days))

    # ---------------------------------------------------------------- the past month

    def plan(self) -> Plan:
        self._open_patrols_now()
        on_leave = self._leaves()
        cover: dict[tuple[int, date], Grid] = {}  # (covering worker's grid, day) -> the grid covered
        for (grid_id, day), grid in on_leave.items():
            partner = self.partner_of.get(grid_id)
            if partner in self.grids:
                cover[(partner, day)] = grid
        for grid in self.grids.values():
            diligence = self.rng.choices([0.95, 0.85, 0.65], weights=[6, 3, 1])[0]
            for day in self.working:
                if (grid.region.pk, day) in on_leave or (day == self.today and grid.worker in self.live_workers):
                    continue
                covering = cover.get((grid.region.pk, day))
                if covering is None and self.rng.random() > diligence + 0.04:
                    continue  # a day missed (covering a partner's grid is never skipped)
                hours = min(max(self.rng.gauss(4.6 if diligence > 0.9 else 4.1, 0.45), 1.0), 6.5)
                self._day(grid, day, hours, covering)
            self._visits(grid)
            self._assignments(grid)
        return self.plan_

    def _leaves(self) -> dict[tuple[int, date], Grid]:
        days: dict[tuple[int, date], Grid] = {}
        past = [day for day in self.working if day < self.today]
        paired = [g for g in self.grids.values() if g.leader and g.region.partner_id in self.grids]
        for number, grid in enumerate(paired):
            # about one worker in 25 took leave this month (at least one, so the cover shows)
            if len(past) < 5 or (number and self.rng.random() > 0.04):
                continue
            first = self.rng.randrange(0, len(past) - 3)
            span = past[first : first + self.rng.randint(1, 3)]
            self.plan_.leaves.append(
                LeaveRecord(
                    worker=grid.worker,
                    starts_on=span[0],
                    ends_on=span[-1],
                    kind=self.rng.choice([LeaveReason.SICK, LeaveReason.PERSONAL, LeaveReason.ANNUAL]),
                    reason=self.rng.choice(["身体不适", "家中有事", "陪老人看病", "休年假"]),
                    decided_by=grid.leader,
                )
            )
            for day in span:
                days[(grid.region.pk, day)] = grid
        return days

    def _day(self, grid: Grid, day: date, hours: float, covering: Grid | None) -> None:
        zone = self.zone
        split = self.rng.random() < 0.1
        parts = [(8.0 + self.rng.random() * 1.2, hours * (0.6 if split else 1.0))]
        if split:
            parts.append((14.0 + self.rng.random() * 0.6, hours * 0.4))
        tracks: list[np.ndarray] = []
        for number, (start_hour, length) in enumerate(parts):
            start = datetime.combine(day, datetime.min.time(), zone) + timedelta(hours=start_hour)
            extra = covering if covering is not None and number == len(parts) - 1 else None
            end = start + timedelta(hours=length + (1.6 if extra else 0))
            if end > self.now - timedelta(minutes=5):
                if start > self.now - timedelta(minutes=40):
                    continue
                end = self.now - timedelta(minutes=5)
            points = self._track(grid, start, end, extra)
            tracks.append(points)
            self.plan_.patrols.append(PatrolRecord(worker=grid.worker, started_at=start, ended_at=end, points=points))
        if not tracks:
            return
        if self.rng.random() < 0.55:
            self._log(grid, day)
        if self.rng.random() < 0.3:
            self._problem(grid, day, tracks[0])

    def _track(self, grid: Grid, start: datetime, end: datetime, covering: Grid | None) -> np.ndarray:
        """The worker's round walked from a random corner at 0.6-0.9 m/s on average (stops included), the last
        1.6 hours on the covered grid's round when covering; sampled every `spacing` seconds with GPS noise, a few
        poor fixes and the odd jump. Rows of [time, lon, lat, accuracy]."""
        t0, t1 = start.timestamp(), end.timestamp()
        base = np.arange(t0, t1, self.spacing)
        times = np.clip(base + self.np_rng.uniform(-8, 8, len(base)), t0, t1)
        n = len(times)
        switch = t1 - 1.6 * 3600 if covering is not None else t1
        lon = np.empty(n)
        lat = np.empty(n)
        for round_, mask, since in (
            (grid, times <= switch, t0),
            (covering, times > switch, switch),
        ):
            if round_ is None or not mask.any():
                continue
            length = float(round_.route_m[-1])
            walked = (self.np_rng.uniform(0, length) + self.np_rng.uniform(0.6, 0.9) * (times[mask] - since)) % length
            lon[mask] = np.interp(walked, round_.route_m, round_.route[:, 0])
            lat[mask] = np.interp(walked, round_.route_m, round_.route[:, 1])
        lat_scale = M_PER_DEGREE * math.cos(math.radians(float(lat[0]) if n else 32.0))
        lon += self.np_rng.normal(0, 3.0, n) / lat_scale
        lat += self.np_rng.normal(0, 3.0, n) / M_PER_DEGREE
        accuracy = np.clip(self.np_rng.lognormal(math.log(9), 0.45, n), 3, 45)
        poor = self.np_rng.random(n) < 0.02
        accuracy[poor] = self.np_rng.uniform(60, 180, int(poor.sum()))
        lon[poor] += self.np_rng.normal(0, 80, int(poor.sum())) / lat_scale
        lat[self.np_rng.random(n) < 0.004] += 0.008  # the odd jump
        return np.column_stack([times, lon.round(6), lat.round(6), accuracy.round(1)])  # 6 decimals: 10 cm

    def _log(self, grid: Grid, day: date) -> None:
        log = self.words["log"]
        place = f"{grid.region.name}{self.rng.randint(1, 30)}号楼"
        middle = self.rng.sample(log["middle"], self.rng.randint(1, 3))
        text = "".join(
            [self.rng.choice(log["opening"]).format(place=place)]
            + [line.format(n=self.rng.randint(1, 5)) for line in middle]
            + [self.rng.choice(log["closing"])]
        )
        self.plan_.logs.append(
            LogRecord(worker=grid.worker, day=day, content=text, weather=self.rng.choice(self.words["weather"]))
        )

    def _problem(self, grid: Grid, day: date, track: np.ndarray) -> None:
        kind = self.rng.choice(self.words["problems"])
        moment = float(track[self.rng.randrange(len(track)), 0])
        found = datetime.fromtimestamp(moment, tz=self.zone)
        where = grid.pool[self.rng.randrange(len(grid.pool))]
        age = (self.today - day).days
        roll = self.rng.random()
        steps: list[ProblemStep] = []
        later = min(found + timedelta(minutes=self.rng.randint(5, 40)), self.now - timedelta(minutes=1))
        leader = grid.leader
        if age <= 2 and roll < 0.35:
            pass  # recorded, not yet dealt with: the live demo raises some as work orders
        elif roll < 0.6 or not leader:
            steps = [ProblemStep(ProblemAction.SOLVE_ON_SPOT, later, grid.worker, kind["spot"])]
        else:
            steps = [ProblemStep(ProblemAction.PASS_TO_LEADER, later, grid.worker)]
            decided = later + timedelta(days=self.rng.randint(1, 4))
            roll = self.rng.random()
            if decided > self.now - timedelta(minutes=1) or (age <= 3 and roll < 0.4):
                pass  # still with the leader
            elif roll < 0.7:
                steps.append(ProblemStep(ProblemAction.RESOLVE, decided, leader, kind["resolve"]))
            elif roll < 0.8:
                note = self.rng.choice(self.words["dismiss_notes"])
                steps.append(ProblemStep(ProblemAction.DISMISS, decided, leader, note))
            else:
                note = self.rng.choice(self.words["agenda_notes"])
                steps.append(ProblemStep(ProblemAction.PUT_ON_AGENDA, decided, leader, note))
        self.plan_.problems.append(
            ProblemRecord(
                recorder=grid.worker,
                found_at=found,
                description=kind["description"],
                lon=round(float(where[0]), 6),
                lat=round(float(where[1]), 6),
                address=f"{grid.region.name}{self.rng.randint(1, 30)}号楼附近",
                steps=steps,
            )
        )

    def _visit_time(self, day: date) -> datetime:
        working = calendar()
        while not working.is_working_day(day) and day > self.days[0]:
            day -= timedelta(days=1)
        moment = datetime.combine(day, datetime.min.time(), self.zone) + timedelta(hours=self.rng.uniform(9, 17))
        return min(moment, self.now - timedelta(minutes=10))

    def _visits(self, grid: Grid) -> None:
        """Care households at their intervals (most up to date, some behind, a few never visited), then ordinary
        households until the worker's month is full."""
        texts = self.words["visit"]
        made = 0
        start = self.days[0]
        for household, every in grid.care:
            roll = self.rng.random()
            if roll < 0.1:
                continue  # never visited: first on the worker's list
            last = self.rng.uniform(0.1, 0.9) * every if roll < 0.85 else self.rng.uniform(1.1, 1.8) * every
            day = self.today - timedelta(days=int(last))
            while day >= start and made < MAX_VISITS_PER_WORKER:
                self._visit(grid, household, day, VisitKind.CARE, texts["care"])
                made += 1
                day -= timedelta(days=every)
        routine = [h for h in grid.households if h not in dict(grid.care)]
        count = min(len(routine), max(MAX_VISITS_PER_WORKER - made, 0), int(len(self.working) * 0.6))
        for household in self.rng.sample(routine, count):
            day = self.rng.choice(self.days)
            kind = self.rng.choice([VisitKind.ROUTINE, VisitKind.ROUTINE, VisitKind.COLLECTION])
            self._visit(grid, household, day, kind, texts["routine"])

    def _visit(self, grid: Grid, household: int, day: date, kind: str, texts: dict[str, list[str]]) -> None:
        at = self._visit_time(day)
        risks = self.rng.choice(texts["risks"])
        level = (
            self.rng.choice([RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.MEDIUM, RiskLevel.HIGH])
            if risks
            else RiskLevel.NONE
        )
        follow = timezone.localtime(at).date() + timedelta(days=self.rng.randint(3, 14)) if risks else None
        self.plan_.visits.append(
            VisitRecord(
                visitor=grid.worker,
                household_id=household,
                visited_at=at,
                kind=kind,
                met=self.rng.random() > 0.08,
                findings=self.rng.choice(texts["findings"]),
                needs=self.rng.choice(texts["needs"]),
                risks=risks,
                risk_level=level,
                follow_up_on=follow,
            )
        )

    def _assignments(self, grid: Grid) -> None:
        """Guide tasks the community head gave: two earlier this month (mostly done), one current."""
        if not grid.head:
            return
        codes = self.words["assigned_tasks"]
        zone = self.zone
        offset = grid.region.parent_id or 0
        for back, due_after, done_share in ((25, 6, 0.85), (12, 5, 0.8), (3, 10, 0.3)):
            given = datetime.combine(self.today - timedelta(days=back), datetime.min.time(), zone) + timedelta(hours=9)
            code = codes[(offset + back) % len(codes)]
            due = given.date() + timedelta(days=due_after)
            done = self.rng.random() < done_share
            finished = min(given + timedelta(days=self.rng.uniform(0.5, due_after)), self.now - timedelta(hours=1))
            result = self.rng.choice(self.words["task_results"]).format(n=self.rng.randint(8, 60))
            self.plan_.assignments.append(
                AssignmentRecord(
                    task=code,
                    grid=grid.region.code,
                    due_on=due,
                    assigned_by=grid.head,
                    assigned_at=given,
                    completed_by=grid.worker if done else "",
                    completed_at=finished if done else None,
                    result=result if done else "",
                )
            )

    # ---------------------------------------------------------------- the present, through the live services

    def _open_patrols_now(self) -> None:
        """Which workers are out on patrol right now (in working hours): their patrols are started live later."""
        local = timezone.localtime(self.now)
        if not (8.5 <= local.hour + local.minute / 60 <= 17.5) or not calendar().is_working_day(self.today):
            return
        count = OPEN_PATROLS.get(self.context.scale, 0)
        chosen = self.rng.sample(sorted(self.grids.values(), key=lambda g: g.region.code), min(count, len(self.grids)))
        self.live_workers = {grid.worker for grid in chosen}

    def live(self) -> str:
        users = {u.username: u for u in User.objects.filter(username__in=self._live_names())}
        patrols = self._live_patrols(users)
        orders = self._live_work_orders(users)
        meetings = self._live_councils(users)
        asked = self._live_leave(users)
        return f"正在巡查 {patrols} 人，转工单 {orders} 件，议事会 {meetings} 次，待审批请假 {asked} 条"

    def _live_names(self) -> set[str]:
        return {name for g in self.grids.values() for name in (g.worker, g.leader, g.head) if name}

    def _live_patrols(self, users: dict[str, Any]) -> int:
        started = 0
        for grid in self.grids.values():
            if grid.worker not in self.live_workers:
                continue
            begin = self.now - timedelta(minutes=self.rng.randint(25, 90))
            points = self._track(grid, begin, self.now - timedelta(seconds=20), None)
            patrol, _created = services.patrol_start(actor=users[grid.worker], started_at=begin, now=self.now)
            services.patrol_points_add(
                actor=users[grid.worker],
                patrol_id=patrol.pk,
                batch_id="demo-1",
                points=[
                    services.Point(at=datetime.fromtimestamp(t, tz=self.zone), lon=x, lat=y, accuracy=a)
                    for t, x, y, a in points.tolist()
                ],
                now=self.now,
            )
            started += 1
        return started

    def _live_work_orders(self, users: dict[str, Any]) -> int:
        from civicgrid.workorders import selectors as workorders

        waiting = list(
            FoundProblem.objects.filter(
                region_path__startswith=self.context.district.path,
                status=ProblemStatus.OPEN,
                found_at__gte=self.now - timedelta(days=3),
            )
            .select_related("recorded_by")
            .order_by("found_at", "id")
        )
        raised = 0
        for problem in self.rng.sample(waiting, min(len(waiting), WORK_ORDERS.get(self.context.scale, 0))):
            kind = workorders.classify(problem.description)
            services.problem_act(
                actor=users.get(problem.recorded_by.username, problem.recorded_by),
                problem_id=problem.pk,
                action=ProblemAction.RAISE_WORK_ORDER,
                work_order=services.WorkOrderDetails(incident_type_code=kind.code if kind else None),
            )
            raised += 1
        return raised

    def _live_councils(self, users: dict[str, Any]) -> int:
        """Some grids with problems on the council's agenda call a meeting; about a third of those met this morning."""
        on_agenda = Counter(
            FoundProblem.objects.filter(
                region_path__startswith=self.context.district.path, status=ProblemStatus.ON_AGENDA
            ).values_list("grid_id", flat=True)
        )
        decisions = self.words["council_decisions"]
        held = 0
        grids = sorted(on_agenda)
        for grid_id in self.rng.sample(grids, min(len(grids), COUNCILS.get(self.context.scale, 0))):
            grid = self.grids.get(grid_id)
            if grid is None or grid.leader not in users:
                continue
            leader = users[grid.leader]
            place = f"{grid.region.parent.name if grid.region.parent else ''}议事厅"
            if self.rng.random() < 0.35:
                meeting = services.meeting_plan(
                    actor=leader, grid_code=grid.region.code, scheduled_at=self.now - timedelta(hours=3), place=place
                )
                items = list(meeting.items.all())
                services.meeting_hold(
                    actor=leader,
                    meeting_id=meeting.pk,
                    minutes="；".join(self.rng.choice(decisions) for _ in items) or "议题已讨论",
                    attendees="网格长、网格员、居民代表 6 人、物业、社区民警",
                    decisions=[
                        services.Decision(
                            problem_id=item.problem_id,
                            outcome=AgendaOutcome.RESOLVED if n % 3 != 2 else AgendaOutcome.DEFERRED,
                            decision=self.rng.choice(decisions),
                        )
                        for n, item in enumerate(items)
                    ],
                )
                held += 1
            services.meeting_plan(
                actor=leader,
                grid_code=grid.region.code,
                scheduled_at=self.now + timedelta(days=self.rng.randint(2, 9)),
                place=place,
            )
            held += 1
        return held

    def _live_leave(self, users: dict[str, Any]) -> int:
        streets = sorted({g.region.path.split("/")[3] for g in self.grids.values()})
        asked = 0
        grids = sorted(self.grids.values(), key=lambda g: g.region.code)
        for street in streets[::2] or streets:
            grid = next((g for g in grids if g.region.path.split("/")[3] == street and g.worker in users), None)
            if grid is None:
                continue
            starts = self.today + timedelta(days=self.rng.randint(2, 6))
            services.leave_request(
                actor=users[grid.worker],
                starts_on=starts,
                ends_on=starts + timedelta(days=self.rng.randint(0, 2)),
                kind=LeaveReason.PERSONAL,
                reason=self.rng.choice(["孩子家长会", "陪老人复查", "处理家事"]),
            )
            asked += 1
        return asked
