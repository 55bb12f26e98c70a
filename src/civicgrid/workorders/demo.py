"""Work orders in the demo district: calendar, catalogue, handlers and officers on duty, and months of history.

The history is planned order by order on a `history.Timeline` (the same replay `history_import` checks with), so
each step happens at a plausible time against the working-day deadlines, and the background sweep's overdue marks,
red supervision and auto-escalation appear where the sweep would have put them. Everything is then written by
`history.history_import` in one batch; a few reports of the last minutes go through `services.report` and
`services.act` like any live report. Running the demo again finds the orders and adds none.
"""

import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import shapely
import yaml
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from faker import Faker

from civicgrid.core import calendar as working_calendar
from civicgrid.core import services as core_services
from civicgrid.demo.hooks import DemoContext, register
from civicgrid.people import services as people
from civicgrid.people.choices import Role
from civicgrid.people.models import Department, Post, User
from civicgrid.regions.choices import Level
from civicgrid.regions.geo import GridRef
from civicgrid.regions.models import Region
from civicgrid.workorders import history, services
from civicgrid.workorders.choices import (
    ESCALATION,
    OPEN_STATUSES,
    TRANSITIONS,
    WAITING_FOR_DISPATCH,
    WAITING_FOR_HANDLER,
    Action,
    LimitUnit,
    Source,
    Status,
    Supervision,
)
from civicgrid.workorders.models import IncidentType, WorkOrder

HISTORY_DAYS = 182
ORDERS = {"district": 4200, "small": 320}
FRESH_REPORTS = {"district": 12, "small": 4}
DESK_HANDLERS = {"district": 2, "small": 1}  # besides the one the base district gives each department
BUSY_FIELD_DEPARTMENTS = ("police", "city_management")  # two officers per street at district scale
WORKDAY_HOURS = 7.5  # 08:30-12:00 and 13:30-17:30
SWEEP_LAG = (1, 5)  # minutes after a deadline before the five-minute sweep notices it


@register("workorders")
def load_workorders(context: DemoContext) -> str:
    started = time.monotonic()
    district = context.district
    today = timezone.localdate()
    years = sorted({today.year - 1, today.year, today.year + 1} & set(core_services.known_years()))
    core_services.calendar_load_years(actor=None, years=years)
    working_calendar.invalidate()
    if not IncidentType.objects.exists():  # never reload over an administrator's edits of the responsibility list
        services.incident_types_load(actor=None, path=Path(settings.DATA_DIR) / "incident_types.yaml")
    added = _add_staff(context)
    staff = Staff.of(district)
    on_duty = _report_positions(context, staff)
    existing = WorkOrder.objects.filter(region_path__startswith=district.path).count()
    if existing:
        return f"已有 {existing:,} 件工单，未重复生成；外勤人员 {on_duty} 人在岗并已更新位置"
    planner = Planner(context, staff)
    records = planner.plan()
    result = history.history_import(actor=None, records=records)
    fresh = _fresh_reports(context, staff, planner)
    statuses = "、".join(f"{Status(s).label} {n:,}" for s, n in sorted(result.statuses.items(), key=lambda p: -p[1]))
    return (
        f"历史工单 {result.count:,} 件（{statuses}），新上报 {fresh} 件；新增承办人员 {added} 人，"
        f"外勤人员 {on_duty} 人在岗；用时 {time.monotonic() - started:.1f} 秒"
    )


# ---------------------------------------------------------------- people


def _field_departments() -> list[str]:
    keys = IncidentType.objects.filter(field_dispatch=True).exclude(department_key="")
    return sorted(set(keys.values_list("department_key", flat=True)))


def _add_staff(context: DemoContext) -> int:
    """More handlers per department, and field officers of the field departments in every street."""
    district = context.district
    departments = list(Department.objects.filter(region=district, is_active=True).order_by("code"))
    if not departments:
        return 0
    key = departments[0].code.removeprefix(f"{district.code}-")
    if User.objects.filter(username=f"dept.{key}.2").exists():
        return 0  # added by an earlier run
    fake = Faker("zh_CN")
    fake.seed_instance(context.seed + 3)
    rows: list[people.StaffRow] = []

    def add(username: str, department: str, region: str = "") -> None:
        rows.append(
            people.StaffRow(
                f"{username}#{len(rows) + 1}",
                username,
                fake.name(),
                Role.DEPARTMENT_HANDLER,
                region,
                department,
                phone=fake.phone_number(),
                title=_title(region),
            )
        )

    for department in departments:
        key = department.code.removeprefix(f"{district.code}-")
        for n in range(2, 2 + DESK_HANDLERS[context.scale]):
            add(f"dept.{key}.{n}", department.code)
    streets = Region.objects.filter(parent=district, level=Level.STREET).order_by("code")
    by_key = {d.code.removeprefix(f"{district.code}-"): d for d in departments}
    for key in _field_departments():
        if key not in by_key:
            continue
        for street in streets:
            add(f"dept.{key}.s{street.code[-3:]}", by_key[key].code, street.code)
            if context.scale == "district" and key in BUSY_FIELD_DEPARTMENTS:
                add(f"dept.{key}.s{street.code[-3:]}b", by_key[key].code, street.code)
    return people.staff_import(actor=None, rows=rows, password=context.password)


def _title(region: str) -> str:
    return "外勤执法队员" if region else "内勤承办员"


@dataclass
class Staff:
    """Who holds which post in the district, by place: the people a history's steps are taken by."""

    users: dict[str, User] = field(default_factory=dict)
    operators: dict[str, list[str]] = field(default_factory=dict)  # street code -> usernames
    officers: dict[str, list[str]] = field(default_factory=dict)
    district_operators: list[str] = field(default_factory=list)
    district_admins: list[str] = field(default_factory=list)
    heads: dict[str, str] = field(default_factory=dict)  # community code -> username
    workers: dict[str, str] = field(default_factory=dict)  # grid code -> username
    leaders: dict[str, str] = field(default_factory=dict)
    assistants: dict[str, list[str]] = field(default_factory=dict)
    desk: dict[str, list[str]] = field(default_factory=dict)  # department code -> usernames
    field: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (department code, street) -> usernames

    @classmethod
    def of(cls, district: Region) -> "Staff":
        staff = cls()
        posts = list(
            Post.objects.filter(is_active=True, user__is_active=True)
            .filter(Q(region__path__startswith=district.path) | Q(department__region=district))
            .values_list("user__username", "role", "region__code", "region__level", "department__code")
            .order_by("user__username")
        )
        for username, role, region, level, department in posts:
            if role == Role.OPERATOR and level == Level.STREET:
                staff.operators.setdefault(region, []).append(username)
            elif role == Role.OPERATOR and level == Level.DISTRICT:
                staff.district_operators.append(username)
            elif role == Role.DISTRICT_ADMIN and level == Level.DISTRICT:
                staff.district_admins.append(username)
            elif role == Role.STREET_OFFICER:
                staff.officers.setdefault(region, []).append(username)
            elif role == Role.COMMUNITY_HEAD:
                staff.heads.setdefault(region, username)
            elif role == Role.GRID_WORKER:
                staff.workers[region] = username
            elif role == Role.GRID_LEADER:
                staff.leaders[region] = username
            elif role == Role.GRID_ASSISTANT:
                staff.assistants.setdefault(region, []).append(username)
            elif role == Role.DEPARTMENT_HANDLER and department:
                if region:
                    staff.field.setdefault((department, region), []).append(username)
                else:
                    staff.desk.setdefault(department, []).append(username)
        names = {p[0] for p in posts}
        staff.users = {u.username: u for u in User.objects.filter(username__in=names)}
        return staff


def _report_positions(context: DemoContext, staff: Staff) -> int:
    """Field officers (and a few grid workers on patrol) tell where they are, through the officers' service."""
    rng = context.rng("workorders:positions")
    grids = _grids(context.district)
    by_street: dict[str, list[Grid]] = {}
    for grid in grids:
        by_street.setdefault(grid.street_code, []).append(grid)
    on_duty = 0
    for (_department, street), usernames in sorted(staff.field.items()):
        for username in usernames:
            place = rng.choice(by_street.get(street) or grids)
            lon, lat = place.points(rng, 1)[0]
            duty = rng.random() < 0.85
            services.position_report(actor=_fresh(staff.users[username]), lon=lon, lat=lat, on_duty=duty)
            on_duty += duty
    patrolling = sorted(staff.workers.items())
    for grid_code, username in rng.sample(patrolling, max(1, len(patrolling) // 10)) if patrolling else []:
        found = next((g for g in grids if g.code == grid_code), None)
        if found is not None:
            lon, lat = found.points(rng, 1)[0]
            services.position_report(actor=_fresh(staff.users[username]), lon=lon, lat=lat, on_duty=True)
    return on_duty


def _pick(rng: random.Random, names: list[str] | None) -> str | None:
    return rng.choice(names) if names else None


def _fresh(user: User) -> User:
    user.forget_posts()
    return user


# ---------------------------------------------------------------- places


@dataclass
class Grid:
    ref: GridRef
    code: str
    street_code: str
    street: str
    community_code: str
    community: str
    shape: shapely.Geometry
    weight: float
    pool: list[tuple[float, float]] = field(default_factory=list)

    def points(self, rng: random.Random, n: int) -> list[tuple[float, float]]:
        """`n` random points strictly inside the grid (rejection sampling in its bounding box)."""
        minx, miny, maxx, maxy = self.shape.bounds
        while len(self.pool) < n:
            # rounded first (a record keeps 6 decimals, ~0.1 m), then tested: a point at the edge stays inside
            xs = [round(rng.uniform(minx, maxx), 6) for _ in range(64)]
            ys = [round(rng.uniform(miny, maxy), 6) for _ in range(64)]
            inside = shapely.contains_xy(self.shape, xs, ys)
            self.pool.extend((x, y) for x, y, ok in zip(xs, ys, inside, strict=True) if ok)
        taken, self.pool = self.pool[:n], self.pool[n:]
        return taken

    @property
    def place(self) -> str:
        name = self.community.removesuffix("社区").removesuffix("村")
        return name or self.community


def _grids(district: Region) -> list[Grid]:
    rows = Region.objects.filter(level=Level.GRID, path__startswith=district.path, boundary__isnull=False)
    names = dict(
        Region.objects.filter(path__startswith=district.path).exclude(level=Level.GRID).values_list("code", "name")
    )
    rng = random.Random(f"{district.code}:grids")
    grids = []
    for pk, code, path, boundary in rows.order_by("code").values_list("id", "code", "path", "boundary"):
        codes = path.strip("/").split("/")
        street, community = codes[2], codes[3]
        grids.append(
            Grid(
                ref=GridRef(pk, code, path),
                code=code,
                street_code=street,
                street=names.get(street, ""),
                community_code=community,
                community=names.get(community, ""),
                shape=shapely.geometry.shape(boundary),
                weight=rng.lognormvariate(0, 0.6),  # some grids (markets, old estates) see far more than others
            )
        )
    return grids


# ---------------------------------------------------------------- planning the history


@dataclass
class Planned:
    timeline: history.Timeline
    record: dict[str, Any]
    grid: Grid
    resident: bool


ROAD_ENDINGS = ("路", "街", "巷", "大道", "大街")
ESTATE_ENDINGS = ("新村", "村", "里", "苑", "园", "小区", "绿洲", "段", "城", "坊")


def _road(place: str) -> str:
    """A road named after a community: its own name when it is one, else a road of the place's first syllables."""
    return place if place.endswith(ROAD_ENDINGS) else f"{place[:2]}路"


class Planner:
    """Plans months of work orders, each as a record `history_import` accepts."""

    def __init__(self, context: DemoContext, staff: Staff) -> None:
        self.context = context
        self.rng = context.rng("workorders:history")
        self.staff = staff
        self.now = timezone.now()
        self.calendar = working_calendar.calendar()
        self.grids = _grids(context.district)
        self.grid_weights = [g.weight for g in self.grids]
        self.types = {t.code: t for t in IncidentType.objects.filter(is_active=True).select_related("category")}
        self.type_codes = sorted(self.types)
        self.type_weights = [TYPE_WEIGHTS.get(code, 1.0) for code in self.type_codes]
        self.departments = {
            d.code: d for d in Department.objects.filter(region=context.district).select_related("region")
        }
        self.lookup = history.Lookup(
            types=dict(self.types), departments=dict(self.departments), users=staff.users, now=self.now
        )
        self.district = context.district.code
        self.serial = 0
        self.refused = 0  # steps the plan made that the replay refused (the order then stopped where it was)
        self.places: dict[str, list[str]] = {}  # street code -> its communities' place names, for crossings
        for grid in self.grids:
            places = self.places.setdefault(grid.street_code, [])
            if grid.place not in places:
                places.append(grid.place)

    # -- the whole history

    def plan(self) -> list[dict[str, Any]]:
        count = ORDERS[self.context.scale]
        moments = sorted(self._report_moment() for _ in range(count))
        planned = [self._order(moment) for moment in moments]
        planned += self._duplicates([p for p in planned if p.resident or p.record["source"] == Source.HOTLINE])
        planned += self._showcases(planned)
        return [p.record for p in planned]

    def _showcases(self, planned: list[Planned]) -> list[Planned]:
        """Orders scripted to stand in each state a district always has some of, where chance left none.

        Chance and the clock (the history is planned back from the present moment) decide how many orders are
        open and where; the map, the queues and the figures should show every state on any day the demo is made.
        """
        rng, wanted = self.rng, SHOWCASE_MINIMUM[self.context.scale]
        kinds = [
            k
            for k in self.types.values()
            if k.department_key and not k.auto_dispatch and not k.auto_escalate and k.handle_unit == LimitUnit.DAYS
        ]
        present = Counter(p.timeline.status for p in planned)
        extra: list[Planned] = []
        goals: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
            (status, force, halt) for status, force, halt in SHOWCASES if present[status] < wanted
        ]
        if not any(p.timeline.order.extension_pending_days for p in planned):
            goals.append(("extension", ("extension",), (Action.GRANT_EXTENSION, Action.REFUSE_EXTENSION)))
        for goal, force, halt in goals:
            for attempt in range(wanted + 3):
                days_ago = rng.uniform(1, 4) + 2 * attempt
                at = min(
                    self.work(self.now - timedelta(days=days_ago), rng.uniform(0, 3)), self.now - timedelta(hours=1)
                )
                made = self._order(at, kind=rng.choice(kinds), script=(frozenset(force), frozenset(halt)))
                extra.append(made)
                if goal == "extension":
                    if made.timeline.order.extension_pending_days:
                        break
                elif sum(1 for p in extra if p.timeline.status == goal) + present[goal] >= wanted:
                    break
        if not present[Status.MERGED]:
            at = self.work(self.now - timedelta(days=rng.uniform(4, 8)), rng.uniform(0, 3))
            first = self._order(at, kind=rng.choice(kinds), script=(frozenset(), frozenset({Action.HANDLE})))
            extra += [
                first,
                self._order(at + timedelta(minutes=40), kind=first.timeline.order.incident_type, near=first),
            ]
        return extra

    def _report_moment(self) -> datetime:
        """A day in the past months (a little busier lately, quieter at weekends) and an hour of the day."""
        rng = self.rng
        while True:
            back = HISTORY_DAYS * (1 - math.sqrt(rng.random()) * 0.85 - rng.random() * 0.15)
            day = timezone.localdate(self.now) - timedelta(days=int(back))
            if day.weekday() < 5 or rng.random() < 0.7:
                break
        hour = rng.choices(range(24), weights=HOURS)[0]
        moment = timezone.make_aware(datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60)))
        if moment > self.now - timedelta(minutes=20):
            moment = self.now - timedelta(minutes=rng.randint(20, 600))
        return moment

    # -- one order

    def _order(
        self,
        at: datetime,
        *,
        kind: IncidentType | None = None,
        near: Planned | None = None,
        script: tuple[frozenset[str], frozenset[str]] | None = None,
    ) -> Planned:
        rng = self.rng
        kind = kind or self.types[rng.choices(self.type_codes, weights=self.type_weights)[0]]
        if near is not None:
            grid = near.grid
            lon = round(near.record["lon"] + rng.uniform(-0.0006, 0.0006), 6)
            lat = round(near.record["lat"] + rng.uniform(-0.0005, 0.0005), 6)
            if not shapely.contains_xy(grid.shape, lon, lat):
                lon, lat = near.record["lon"], near.record["lat"]
        else:
            grid = rng.choices(self.grids, weights=self.grid_weights)[0]
            lon, lat = grid.points(rng, 1)[0]
        source = self._source(kind, near)
        resident = source in (Source.RESIDENT, Source.APP) or (source == Source.HOTLINE and rng.random() < 0.5)
        reporter = None if resident else self._reporter(source, grid)
        if reporter is None:
            resident = True
        texts = WORDS["descriptions"].get(kind.code) or WORDS["descriptions"]["9901"]
        words = self._words(grid)
        description = rng.choice(texts).format(**words)
        address = rng.choice(WORDS["addresses"]).format(**words)
        self.serial += 1
        key = f"demo-{self.context.seed}-{self.serial:06d}"
        record: dict[str, Any] = {
            "key": key,
            "incident_type": kind.code,
            "description": description,
            "address": address,
            "source": source,
            "lon": lon,
            "lat": lat,
        }
        if source in (Source.RESIDENT, Source.HOTLINE, Source.APP) and rng.random() < 0.75:
            record["reporter_name"] = rng.choice(WORDS["surnames"]) + rng.choice(("先生", "女士", "师傅", "阿姨"))
            record["reporter_phone"] = "1" + rng.choice(WORDS["phone_prefixes"]) + f"{rng.randrange(10**8):08d}"
        timeline = history.Timeline(
            lookup=self.lookup,
            grid=grid.ref,
            kind=kind,
            description=description,
            source=source,
            lon=lon,
            lat=lat,
            address=address,
            key=key,
        )
        planned = Planned(timeline, record, grid, resident)
        run = Run(self, planned)
        if script is not None:
            run.scripted, (run.force, run.halt) = True, script
        run.step(Action.REPORT, at, by="resident" if resident else "staff", actor=reporter)
        if near is not None:
            run.merge_into(near)
        else:
            run.life(kind, source, reporter)
        run.sweep(self.now)
        record["events"] = run.steps
        record["status"] = timeline.status
        return planned

    def _source(self, kind: IncidentType, near: Planned | None) -> str:
        rng = self.rng
        if near is not None:
            return rng.choice((Source.RESIDENT, Source.HOTLINE, Source.RESIDENT, Source.APP))
        if kind.handling_level == Level.GRID:
            return rng.choices(SOURCES, weights=(62, 18, 6, 12, 1, 1))[0]
        return rng.choices(SOURCES, weights=(30, 34, 22, 7, 2, 5))[0]

    def _reporter(self, source: str, grid: Grid) -> str | None:
        staff = self.staff
        if source == Source.PATROL:
            return staff.workers.get(grid.code) or staff.leaders.get(grid.code)
        if source == Source.ASSISTANT:
            return _pick(self.rng, staff.assistants.get(grid.code))
        if source == Source.HOTLINE:
            return _pick(self.rng, staff.operators.get(grid.street_code) or staff.district_operators)
        if source == Source.EVALUATION:
            return _pick(self.rng, staff.officers.get(grid.street_code))
        return None

    def _words(self, grid: Grid) -> dict[str, Any]:
        rng = self.rng
        others = [p for p in self.places[grid.street_code] if p != grid.place] or [grid.place]
        estate = grid.place
        if not estate.endswith(ESTATE_ENDINGS):
            estate = (estate[:-1] if estate.endswith(ROAD_ENDINGS) else estate) + rng.choice(WORDS["estate_suffixes"])
        return {
            "street": grid.street,
            "community": grid.community,
            "road": _road(grid.place),
            "road2": _road(rng.choice(others)),
            "no": rng.randint(1, 260),
            "estate": estate,
            "bld": rng.randint(1, 32),
            "unit": rng.randint(1, 4),
            "floor": rng.randint(2, 18),
            "n": rng.randint(2, 9),
            "shop": rng.choice(WORDS["shops"]),
            "time": rng.choice(WORDS["times"]),
        }

    def _duplicates(self, candidates: list[Planned]) -> list[Planned]:
        """A few reports of what someone else had reported hours before nearby: merged into the first one."""
        rng = self.rng
        chosen = rng.sample(candidates, min(len(candidates), max(2, len(candidates) * 3 // 100)))
        duplicates = []
        for first in sorted(chosen, key=lambda p: p.timeline.order.reported_at):
            at = first.timeline.order.reported_at + timedelta(minutes=rng.randint(25, 360))
            if at > self.now - timedelta(minutes=30):
                continue
            kind = first.timeline.order.incident_type
            assert kind is not None
            duplicate = self._order(at, kind=kind, near=first)
            duplicates.append(duplicate)
        return duplicates

    # -- who acts

    def dispatcher(self, planned: Planned) -> str | None:
        """Who registers and dispatches at the order's current level (None: nobody holds that post here)."""
        level, grid, staff = planned.timeline.order.level, planned.grid, self.staff
        if level == Level.GRID:
            return staff.workers.get(grid.code) or staff.leaders.get(grid.code)
        if level == Level.COMMUNITY:
            return staff.heads.get(grid.community_code)
        if level == Level.STREET:
            operators = staff.operators.get(grid.street_code, [])
            officers = staff.officers.get(grid.street_code, [])
            if operators and (self.rng.random() < 0.8 or not officers):
                return self.rng.choice(operators)
            return self.rng.choice(officers) if officers else None
        if level == Level.DISTRICT:
            return _pick(self.rng, staff.district_operators or staff.district_admins)
        return None  # the demo has no city command centre

    def owner(self, planned: Planned, level: str) -> str | None:
        """Who handles a type without a department, by the level of the responsibility list."""
        grid, staff = planned.grid, self.staff
        if level == Level.GRID:
            return staff.workers.get(grid.code)
        if level == Level.COMMUNITY:
            return staff.heads.get(grid.community_code)
        if level == Level.STREET:
            return next(iter(staff.officers.get(grid.street_code, [])), None)
        return next(iter(staff.district_admins), None)

    def target(self, planned: Planned, department_key: str | None = None) -> dict[str, str]:
        """Where a dispatch sends the order: the department of the type (its officer in the street for field
        types), or the level's own staff."""
        kind = planned.timeline.order.incident_type
        assert kind is not None
        key = department_key if department_key is not None else kind.department_key
        if key:
            code = f"{self.district}-{key}"
            if code not in self.departments:
                return {}
            officers = self.staff.field.get((code, planned.grid.street_code), [])
            if officers and (kind.field_dispatch or department_key) and self.rng.random() < 0.9:
                return {"department": key, "assignee": self.rng.choice(officers)}
            return {"department": key}
        owner = self.owner(planned, kind.handling_level)
        return {"assignee": owner} if owner else {}

    def handler(self, planned: Planned) -> str | None:
        order = planned.timeline.order
        if order.assignee is not None:
            return order.assignee.username
        if order.department is not None:
            return _pick(self.rng, self.staff.desk.get(order.department.code))
        return None

    def verifier(self, planned: Planned) -> tuple[str, str | None]:
        grid = planned.grid
        if planned.resident and self.rng.random() < 0.3:
            return "resident", None
        worker = self.staff.workers.get(grid.code) or self.staff.leaders.get(grid.code)
        return ("staff", worker) if worker else ("resident", None) if planned.resident else ("staff", None)

    # -- time

    def work(self, start: datetime, hours: float) -> datetime:
        """`hours` of office time after `start` (as people at desks act), plus a few seconds of jitter."""
        at = self.calendar.add_working_hours(start, max(hours, 0.02)).at
        return at + timedelta(seconds=self.rng.randint(0, 59))

    def awake(self, start: datetime, hours: float) -> datetime:
        """`hours` of wall-clock time after `start`, moved into 08:00-21:00 (when residents answer and rate)."""
        at = timezone.localtime(start + timedelta(hours=hours))
        if at.hour < 8:
            at = at.replace(hour=8, minute=self.rng.randrange(60))
        elif at.hour >= 21:
            at = (at + timedelta(days=1)).replace(hour=8, minute=self.rng.randrange(60))
        return at


class Run:
    """One order's history as it unfolds: steps at planned times, with the sweep's marks in between."""

    def __init__(self, planner: Planner, planned: Planned) -> None:
        self.planner = planner
        self.planned = planned
        self.timeline = planned.timeline
        self.rng = planner.rng
        self.steps: list[dict[str, Any]] = []
        self.stopped = False  # the next step lies in the future: the order stays as it is now
        # a scripted run (a showcase of one status) takes the forced turns only and halts before the named steps
        self.scripted = False
        self.force: frozenset[str] = frozenset()
        self.halt: frozenset[str] = frozenset()
        # now and then somebody sits on an order for days: it goes overdue, then red
        self.stall = self.rng.choice(STALLS) if self.rng.random() < 0.025 else None

    def chance(self, turn: str, probability: float) -> bool:
        """Whether the order takes this turn of its life (always the forced ones, only those when scripted)."""
        if turn in self.force:
            return True
        return not self.scripted and self.rng.random() < probability

    # -- steps

    def step(self, action: str, at: datetime, *, by: str = "staff", actor: Any = None, **params: Any) -> bool:
        """Take a step at `at` unless that is still to come; the sweep's own steps come first where due."""
        if self.stopped or action in self.halt:
            self.stopped = True
            return False
        if action == self.stall and not self.scripted:
            at += timedelta(days=self.rng.uniform(2, 12))
            self.stall = None
        self.sweep(min(at, self.planner.now))
        if at > self.planner.now:
            self.stopped = True
            return False
        if action not in (Action.REPORT, Action.SOLVE_ON_SPOT) and action not in TRANSITIONS[self.timeline.status]:
            return False  # the sweep got there first (an escalation registers the order): the step is moot
        if action == Action.SUPERVISE and self.timeline.order.supervision:
            return False  # the sweep's yellow card came first
        if callable(actor):
            actor = actor()  # chosen after the sweep: an escalation changes who dispatches
        if by == "staff" and not actor:
            return False  # nobody holds that post in this district: the order waits where it is
        last = self.timeline.last_at
        at = max(at, last) if last else at
        step: dict[str, Any] = {"action": action, "at": at, **params}
        if by != "staff":
            step["by"] = by
        else:
            step["actor"] = actor
        try:
            self.timeline.apply(step)
        except history.StepRefused:
            # the sweep changed the order meanwhile in a way the plan did not foresee (a yellow card before the
            # supervisor's own): the order stays as it is, which is a state the district could be in
            self.stopped = True
            self.planner.refused += 1
            return False
        self.steps.append(step)
        return True

    def sweep(self, until: datetime) -> None:
        """What the five-minute sweep would have done up to `until`: overdue, auto-escalation, red supervision."""
        calendar = self.planner.calendar
        for _ in range(6):
            order = self.timeline.order
            kind = order.incident_type
            lag = timedelta(minutes=self.rng.randint(*SWEEP_LAG))
            if order.status in WAITING_FOR_DISPATCH and not order.is_overdue and order.dispatch_due_at:
                at = order.dispatch_due_at + lag
                if at >= until:
                    return
                escalate = kind is not None and kind.auto_escalate and order.level in ESCALATION
                if escalate:
                    self._system(Action.ESCALATE, at, "超过派遣时限未派遣，系统自动上报上级。")
                else:
                    self._system(Action.MARK_OVERDUE, at, "超过派遣时限。")
                continue
            if order.status in WAITING_FOR_HANDLER and not order.is_overdue and order.handle_due_at:
                at = order.handle_due_at + lag
                if at >= until:
                    return
                self._system(Action.MARK_OVERDUE, at, "超过处置时限。")
                continue
            due = order.handle_due_at if order.status in WAITING_FOR_HANDLER else order.dispatch_due_at
            waiting = order.status in WAITING_FOR_HANDLER or order.status in WAITING_FOR_DISPATCH
            if waiting and order.is_overdue and order.supervision == Supervision.YELLOW and due is not None:
                at = calendar.add_working_days(due, 1).at + lag
                if at >= until:
                    return
                self._system(Action.SUPERVISE, at, "超期超过一个工作日，系统红牌督办。", supervision=Supervision.RED)
                continue
            return

    def _system(self, action: str, at: datetime, note: str, **params: Any) -> None:
        last = self.timeline.last_at
        at = max(at, last) if last else at
        step = {"action": action, "at": at, "by": "system", "note": note, **params}
        self.timeline.apply(step)
        self.steps.append(step)

    def dispatcher(self) -> str | None:
        return self.planner.dispatcher(self.planned)  # whoever holds the order's level when the step is taken

    def handler(self) -> str | None:
        return self.planner.handler(self.planned)

    # -- the life of an order

    def merge_into(self, first: Planned) -> None:
        at = self.planner.work(self.timeline.order.reported_at, self.rng.uniform(0.05, 0.6))
        if first.timeline.status_at(at) in OPEN_STATUSES:
            self.step(
                Action.MERGE,
                at,
                actor=self.dispatcher,
                into=first.record["key"],
                note="与已受理工单重复，合并办理。",
            )
        else:
            self.step(Action.VOID, at, actor=self.dispatcher, note=WORDS["void_duplicate"])

    def life(self, kind: IncidentType, source: str, reporter: str | None) -> None:
        rng, planner, order = self.rng, self.planner, self.timeline.order
        reported = order.reported_at
        on_patrol = reporter and source in (Source.PATROL, Source.ASSISTANT)
        if on_patrol and kind.handling_level in (Level.GRID, Level.COMMUNITY) and self.chance("solve", 0.4):
            self.step(Action.SOLVE_ON_SPOT, reported, actor=reporter)
            return
        limit = float(kind.dispatch_hours)
        late = self.chance("late_dispatch", 0.05)
        delay = limit * (rng.uniform(1.3, 3.5) if late else rng.uniform(0.05, 0.85))
        if kind.auto_dispatch and not late:
            at = reported + timedelta(seconds=rng.randint(20, 150))
            self.dispatch(at, by="system")
        else:
            at = planner.work(reported, delay)
            if late and kind.auto_escalate and order.dispatch_due_at:
                # the sweep escalates it at the deadline; the level above then acts within its own limit
                at = planner.work(order.dispatch_due_at, limit * rng.uniform(0.1, 0.8))
            if self.chance("void", 0.045):
                self.step(Action.VOID, at, actor=self.dispatcher, note=rng.choice(WORDS["voids"]))
                return
            if self.chance("register", 0.3):
                self.step(Action.REGISTER, planner.work(reported, delay * 0.4), actor=self.dispatcher)
            escalable = order.level in (Level.GRID, Level.COMMUNITY, Level.STREET)
            if not late and kind.department_key and escalable and self.chance("escalate", 0.06):
                note = rng.choice(WORDS["escalations"][order.level])
                if self.step(Action.ESCALATE, at, actor=self.dispatcher, note=note):
                    at = planner.work(at, limit * rng.uniform(0.1, 0.8))
            self.dispatch(at)
        self.handle_to_close()
        closed = order.closed_at
        if closed is None or self.stopped:
            return
        self.rate(closed, reporter)

    def dispatch(self, at: datetime, *, by: str = "staff", department: str | None = None) -> bool:
        target = self.planner.target(self.planned, department)
        if not target:
            return False
        actor = None if by == "system" else (self.dispatcher)
        return self.step(Action.DISPATCH, at, by=by, actor=actor, **target)

    def handle_to_close(self) -> None:
        rng, planner, order = self.rng, self.planner, self.timeline.order
        if self.stopped or order.status != Status.DISPATCHED:
            return
        kind = order.incident_type
        assert kind is not None
        dispatched = order.dispatched_at
        assert dispatched is not None
        sign_limit = float(kind.sign_hours)
        sign_delay = sign_limit * (rng.uniform(1.2, 3) if self.chance("late_sign", 0.05) else rng.uniform(0.05, 0.8))
        if order.department is not None and self.chance("return", 0.04):
            # dispatched to the wrong department: it goes back, and out again elsewhere
            at = planner.work(dispatched, rng.uniform(0.2, 2))
            if not self.step(Action.RETURN, at, actor=self.handler, note=rng.choice(WORDS["returns"])):
                return
            other = rng.choice([k for k in ("housing", "city_management", "transport") if k != kind.department_key])
            if not self.dispatch(planner.work(at, rng.uniform(0.3, 2)), department=other):
                return
            dispatched = order.dispatched_at
            assert dispatched is not None
        signed = planner.work(dispatched, sign_delay)
        if not self.step(Action.SIGN, signed, actor=self.handler):
            return
        handler = order.assignee.username if order.assignee else None
        total = float(kind.handle_limit) * (WORKDAY_HOURS if kind.handle_unit == LimitUnit.DAYS else 1)
        late = self.chance("late_handle", 0.07)
        share = rng.uniform(1.05, 2.3) if late else rng.betavariate(2, 3) * 0.95
        handled = planner.work(signed, max(0.1, total * share))
        recent = signed > planner.now - timedelta(days=3)
        if self.chance("extension", 0.25 if recent else 0.05) and total >= 4:
            asked = planner.work(signed, total * rng.uniform(0.2, 0.6))
            days = rng.randint(2, 5)
            if not self.step(
                Action.REQUEST_EXTENSION, asked, actor=handler, days=days, note=rng.choice(WORDS["extensions"])
            ):
                return
            decided = planner.work(asked, rng.uniform(0.3, 4)) + (timedelta(days=2) if recent else timedelta())
            if self.chance("grant", 0.82):
                if not self.step(Action.GRANT_EXTENSION, decided, actor=self.dispatcher):
                    return
                handled = planner.work(decided, total * rng.uniform(0.2, 0.9))
            elif not self.step(
                Action.REFUSE_EXTENSION,
                decided,
                actor=self.dispatcher,
                note="时限内可以完成，请抓紧处置。",
            ):
                return
        if self.chance("supervise", 0.02) and not order.supervision:
            at = planner.work(signed, total * 0.3)
            officer = _pick(rng, planner.staff.officers.get(self.planned.grid.street_code))
            self.step(
                Action.SUPERVISE, at, actor=officer, supervision=Supervision.YELLOW, note=rng.choice(WORDS["urges"])
            )
        if self.chance("suspend", 0.015):
            at = planner.work(signed, min(total * 0.3, 6))
            if not self.step(Action.SUSPEND, at, actor=self.dispatcher, note=rng.choice(WORDS["suspends"])):
                return
            resumed = planner.work(at, rng.uniform(6, 40))
            if not self.step(Action.RESUME, resumed, actor=self.dispatcher):
                return
            handled = max(handled, planner.work(resumed, total * rng.uniform(0.1, 0.5)))
        category = kind.category.code
        for attempt in range(2):
            note = rng.choice(WORDS["handled"].get(category) or WORDS["handled"]["*"])
            if not self.step(Action.HANDLE, handled, actor=handler or (self.handler), note=note):
                return
            by, verifier = planner.verifier(self.planned)
            at = (
                planner.awake(handled, rng.uniform(1, 20))
                if by == "resident"
                else planner.work(handled, rng.uniform(0.3, 5))
            )
            if attempt == 0 and self.chance("rework", 0.06):
                if not self.step(Action.VERIFY_FAIL, at, by=by, actor=verifier, note=rng.choice(WORDS["reworks"])):
                    return
                handled = planner.work(at, rng.uniform(2, 14))
                continue
            self.step(Action.VERIFY_PASS, at, by=by, actor=verifier)
            return

    def rate(self, closed: datetime, reporter: str | None) -> None:
        rng, planner, order = self.rng, self.planner, self.timeline.order
        if not self.chance("rate", 0.85 if self.planned.resident else 0.7):
            return  # nobody rated it
        on_time = bool(order.closed_on_time)
        rating = rng.choices((5, 4, 3, 2, 1), weights=(66, 24, 6, 3, 1) if on_time else (30, 34, 20, 10, 6))[0]
        at = planner.awake(closed, rng.uniform(0.5, 60))
        by, actor = ("resident", None) if self.planned.resident else ("staff", reporter)
        comment = rng.choice(WORDS["comments"][rating]) if rng.random() < 0.5 else ""
        if not self.step(Action.RATE, at, by=by, actor=actor, rating=rating, comment=comment):
            return
        if rating > 2 or not self.planned.resident or not self.chance("reopen", 0.5):
            return
        # unhappy, the resident asks for it to be done again within the window
        reopened = planner.awake(at, rng.uniform(1, 48))
        if not order.closed_at or reopened - order.closed_at >= timedelta(days=settings.WORK_ORDER_REOPEN_DAYS):
            return
        if not self.step(Action.REOPEN, reopened, by="resident", note=rng.choice(WORDS["reopens"])):
            return
        if self.dispatch(planner.work(reopened, rng.uniform(0.2, 1))):
            self.handle_to_close()
        if order.closed_at and not self.stopped and rng.random() < 0.7:
            again = planner.awake(order.closed_at, rng.uniform(1, 30))
            self.step(Action.RATE, again, by="resident", rating=rng.choice((3, 4, 4, 5)))


# ---------------------------------------------------------------- a few reports right now, live


def _fresh_reports(context: DemoContext, staff: Staff, planner: Planner) -> int:
    """Reports of the last minutes through the live services, some waiting in the queues, some dispatched."""
    rng = context.rng("workorders:fresh")
    made = 0
    codes = [c for c in ("0401", "0701", "0201", "1002", "0303", "0703", "0502", "0102") if c in planner.types]
    for n in range(FRESH_REPORTS[context.scale]):
        grid = rng.choices(planner.grids, weights=planner.grid_weights)[0]
        kind = planner.types[codes[n % len(codes)]] if codes else None
        if kind is None:
            break
        lon, lat = grid.points(rng, 1)[0]
        words = planner._words(grid)
        worker = staff.users.get(staff.workers.get(grid.code, ""))
        patrol = worker is not None and kind.handling_level == Level.GRID
        order = services.report(
            actor=_fresh(worker) if patrol and worker else None,
            description=rng.choice(WORDS["descriptions"][kind.code]).format(**words),
            source=Source.PATROL if patrol else Source.RESIDENT,
            lon=lon,
            lat=lat,
            incident_type_code=kind.code,
            address=rng.choice(WORDS["addresses"]).format(**words),
        )
        made += 1
        operators = staff.operators.get(grid.street_code)
        if n % 3 == 0 and order.level == Level.STREET and operators and not kind.auto_dispatch:
            operator = _fresh(staff.users[operators[0]])
            services.act(actor=operator, work_order_id=order.pk, action=Action.DISPATCH)
    return made


# ---------------------------------------------------------------- words

# Statuses every demo district shows, and how a scripted order gets to stand in each: (turns forced, halted before).
SHOWCASES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (Status.REPORTED, (), (Action.REGISTER, Action.DISPATCH, Action.VOID, Action.ESCALATE, Action.MERGE)),
    (Status.REGISTERED, ("register",), (Action.DISPATCH, Action.VOID, Action.ESCALATE, Action.MERGE)),
    (Status.DISPATCHED, (), (Action.SIGN, Action.RETURN)),
    (Status.SIGNED, (), (Action.HANDLE,)),
    (Status.HANDLED, (), (Action.VERIFY_PASS, Action.VERIFY_FAIL)),
    (Status.SUSPENDED, ("suspend",), (Action.RESUME,)),
    (Status.VOIDED, ("void",), ()),
)
SHOWCASE_MINIMUM = {"district": 3, "small": 1}
STALLS = (Action.DISPATCH, Action.SIGN, Action.HANDLE, Action.VERIFY_PASS)
SOURCES = (Source.PATROL, Source.RESIDENT, Source.HOTLINE, Source.ASSISTANT, Source.EVALUATION, Source.APP)
# Reports by hour of day: few at night, a morning and an evening peak.
HOURS = (1, 1, 0.5, 0.5, 0.5, 1, 3, 6, 10, 12, 12, 10, 6, 8, 10, 11, 10, 9, 8, 7, 6, 5, 3, 2)
TYPE_WEIGHTS = {
    "0401": 10, "0701": 8, "0703": 7, "0402": 6, "0902": 6, "1002": 6, "0705": 6, "0502": 5, "0303": 5, "0201": 5,
    "0903": 5, "0501": 4, "0302": 4, "0601": 4, "0704": 4, "1101": 4, "0603": 3, "0702": 3, "1102": 3, "1103": 3,
    "1001": 3, "1003": 3, "0102": 3, "0301": 3, "0304": 3, "0305": 3, "0203": 2, "0204": 2, "0901": 2, "0801": 2,
    "1201": 2, "0403": 2, "1204": 2, "1205": 2, "1302": 2, "1401": 2, "1402": 2, "0202": 2, "0503": 2, "0602": 2,
    "9901": 2,
}  # fmt: skip
WORDS: dict[str, Any] = yaml.safe_load((Path(__file__).with_name("demo_words.yaml")).read_text(encoding="utf-8"))
