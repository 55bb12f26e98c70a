"""Service centres in the demo district: a centre in every street with 4-6 counters and opening hours, the default
catalogue, window clerks at the counters, station clerks and back-office handlers, and weeks of history.

The history is simulated day by day and centre by centre: residents arrive over the day (a morning and an
afternoon peak, a quiet lunch, Monday busiest, evening and Saturday service where the centre offers it), take
tickets, wait until a counter serving their group is free, and are served: a consultation, or applications that
are completed on the spot, forwarded to the back office (reviewed and decided on the working-day calendar, some
late and marked overdue), or met with a one-time notice the resident answers on a later visit. Results are picked
up or delivered home by the grid worker; most served residents rate the service, mostly 4-5 stars, fewer after a
long wait. Everything is written by `history.history_import` in one batch, and the statistics' roll-up is built at
once. Running the demo again finds the tickets and adds none.
"""

import math
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from itertools import accumulate
from typing import Any

from django.db.models import Q
from django.utils import timezone
from faker import Faker
from stdnum.cn import ric

from civicgrid.core import calendar as working_calendar
from civicgrid.core import services as core_services
from civicgrid.core.models import CalendarDay
from civicgrid.demo.hooks import DemoContext, register
from civicgrid.hall import history, hours, rollup, services
from civicgrid.hall.choices import (
    ApplicationStatus,
    Mode,
    PriorityReason,
    ProofKind,
    RatingReason,
    TicketSource,
)
from civicgrid.hall.models import Centre, Counter, ServiceGroup, ServiceItem, Ticket
from civicgrid.people import services as people
from civicgrid.people.choices import Role
from civicgrid.people.models import Post, User
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region

HISTORY_DAYS = {"district": 21, "small": 14}
# tickets on an ordinary Wednesday: a base per centre and more per community of the street
VISITS = {"district": (36, 3.2), "small": (22, 1.4)}
WEEKDAY = (1.25, 1.05, 1.0, 0.95, 0.85, 0.7, 0.6)  # Monday busiest; weekend service is extended hours only
# Counters in the order a centre opens them (a street with more communities opens more): (name, groups served).
COUNTERS = (
    ("综合窗口", ()),
    ("综合窗口", ()),
    ("社保就业窗口", ("A",)),
    ("为老助残窗口", ("C",)),
    ("社会救助窗口", ("B",)),
    ("综合窗口", ()),
)
EXTENDED = (
    {"1": [["17:30", "19:00"]], "5": [["09:00", "12:00"]]},
    {"3": [["17:30", "19:00"]], "5": [["09:00", "11:30"]]},
    {"1": [["17:30", "18:30"]], "3": [["17:30", "18:30"]]},
)
GROUPS = {"A": 0.32, "B": 0.18, "C": 0.24, "D": 0.14, "E": 0.12}
GROUP_LETTERS = list(GROUPS)
GROUP_WEIGHTS = list(accumulate(GROUPS.values()))
NAMES = 3000
AREAS = ("320106", "320106", "320106", "320102", "320104", "320105", "320113", "340104")
CONSULTATION = 0.18  # served visits that produce no application (questions, forms, advice)
SECOND_ITEM = 0.06
INCOMPLETE = 0.12  # new applications missing a required material: a one-time notice
RETURNS = 0.82  # residents who come back with what the notice listed
APPOINTMENT = 0.08
NO_SHOW = 0.03
HOME = {"C": 0.35, "*": 0.12}  # results delivered home by the grid worker
LATE = 0.08  # forwarded applications decided after the promised deadline
REJECTED = 0.05
RATED = 0.66
STATION_PER_DAY = (0, 2)  # applications filed remotely by a community station each working day
STAFF_AWAY = 0.25  # a counter's clerk away for the day (leave, training, back-office duty)
RETURNING_RESIDENT = 0.3  # applications by a resident who applied for something else before


@register("hall")
def load_hall(context: DemoContext) -> str:
    started = time.monotonic()
    today = timezone.localdate()
    years = sorted({today.year - 1, today.year, today.year + 1} & set(core_services.known_years()))
    missing = [y for y in years if not CalendarDay.objects.filter(date__year=y).exists()]
    if missing:
        core_services.calendar_load_years(actor=None, years=missing)
        working_calendar.invalidate()
    if not ServiceItem.objects.exists():  # never reload over an administrator's edits of the catalogue
        services.catalogue_load(actor=None, path=services.default_catalogue_path())
    added = _add_staff(context)
    halls = _open_centres(context)
    ids = [h.centre.pk for h in halls]
    existing = Ticket.objects.filter(centre_id__in=ids).count()
    if existing:
        rolled = rollup.refresh(centre_ids=ids)
        return f"已有 {existing:,} 张排队号，未重复生成；统计汇总补算 {rolled.days} 天"
    planner = Planner(context, halls)
    tickets, applications = planner.plan()
    result = history.history_import(actor=None, tickets=tickets, applications=applications)
    rolled = rollup.refresh(centre_ids=ids)
    signed = _sign_in(halls)
    statuses = sorted(result.application_statuses.items(), key=lambda p: -p[1])
    states = "、".join(f"{ApplicationStatus(s).label} {n:,}" for s, n in statuses)
    return (
        f"服务中心 {len(halls)} 个、窗口 {sum(len(h.counters) for h in halls)} 个（新增工作人员 {added} 人）；"
        f"近 {HISTORY_DAYS[context.scale]} 天排队号 {len(result.tickets):,} 张、评价 {result.ratings:,} 条、"
        f"办件 {len(result.applications):,} 件（{states}），一次性告知 {result.notices}、送达任务 "
        f"{result.deliveries}；统计汇总 {rolled.days} 天；在岗窗口 {signed} 个；"
        f"用时 {time.monotonic() - started:.1f} 秒"
    )


# ---------------------------------------------------------------- centres, counters and the people at them


@dataclass
class Hall:
    centre: Centre
    street: Region
    counters: list[Counter]
    groups: dict[int, frozenset[str]]  # counter id -> group letters it serves (empty: all)
    clerks: dict[int, str]  # counter id -> the clerk who works there
    station: str | None  # the community station's clerk
    back_office: list[str]
    manager: str
    grids: list[Region]
    size: int  # communities of the street


def _streets(district: Region) -> list[Region]:
    return list(Region.objects.filter(parent=district, level=Level.STREET).order_by("code"))


def _counter_count(communities: int) -> int:
    return 6 if communities >= 10 else 5 if communities >= 7 else 4


def _add_staff(context: DemoContext) -> int:
    """Clerks for every counter (the base district has three per street) and a clerk at one community station."""
    fake = Faker("zh_CN")
    fake.seed_instance(context.seed + 4)
    rows: list[people.StaffRow] = []
    usernames: set[str] = set()
    for street in _streets(context.district):
        s = street.code[-3:]
        communities = list(Region.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code"))
        for n in range(4, _counter_count(len(communities)) + 1):
            rows.append(
                people.StaffRow(
                    f"s{s}.clerk{n}",
                    f"s{s}.clerk{n}",
                    fake.name(),
                    Role.WINDOW_CLERK,
                    street.code,
                    phone=fake.phone_number(),
                )
            )
        if communities:
            rows.append(
                people.StaffRow(
                    f"s{s}.station",
                    f"s{s}.station",  # named after the street, so the street's own clerks sort first
                    fake.name(),
                    Role.WINDOW_CLERK,
                    communities[0].code,
                    phone=fake.phone_number(),
                    title="社区工作站代办员",
                )
            )
    usernames = {r.username for r in rows}
    taken = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    rows = [r for r in rows if r.username not in taken]
    return people.staff_import(actor=None, rows=rows, password=context.password) if rows else 0


def _road(street: Region) -> str:
    name = street.name.removesuffix("街道").removesuffix("镇")
    return name if name.endswith(("路", "街", "巷", "道")) else f"{name}路"


def _open_centres(context: DemoContext) -> list[Hall]:
    """A centre for every street, with its counters (created once; a second run finds them)."""
    rng = context.rng("hall:centres")
    halls = []
    usernames = {
        u.username: u
        for u in User.objects.filter(
            posts__is_active=True, posts__region__path__startswith=context.district.path
        ).distinct()
    }
    for index, street in enumerate(_streets(context.district)):
        s = street.code[-3:]
        communities = list(Region.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code"))
        centre = Centre.objects.filter(street=street).order_by("code").first()
        if centre is None:
            centre = services.centre_create(
                actor=None,
                street_code=street.code,
                address=f"南京市鼓楼区{_road(street)}{rng.randint(8, 260)}号",
                phone=f"025-8{rng.randint(3000000, 6999999)}",
                extended_hours=EXTENDED[index % len(EXTENDED)],
            )
            for number, (name, groups) in enumerate(COUNTERS[: _counter_count(len(communities))], start=1):
                services.counter_create(
                    actor=None, centre_code=centre.code, number=number, name=name, groups=list(groups)
                )
        counters = list(Counter.objects.filter(centre=centre, is_active=True).prefetch_related("groups"))
        clerks = {c.pk: f"s{s}.clerk{n}" for n, c in enumerate(counters, start=1) if f"s{s}.clerk{n}" in usernames}
        station = f"s{s}.station" if communities else None
        halls.append(
            Hall(
                centre=centre,
                street=street,
                counters=[c for c in counters if c.pk in clerks],
                groups={c.pk: frozenset(g.code for g in c.groups.all()) for c in counters},
                clerks=clerks,
                station=station if station in usernames else None,
                back_office=sorted(n for n in usernames if n.startswith(f"s{s}.backoffice")),
                manager=f"s{s}.manager",
                grids=list(
                    Region.objects.filter(level=Level.GRID, path__startswith=street.path, grid_kind="comprehensive")
                    .order_by("code")
                    .only("id", "code", "path")
                ),
                size=len(communities),
            )
        )
    return halls


def _sign_in(halls: list[Hall]) -> int:
    """Clerks at their counters when a centre is open now (or still serving after closing)."""
    now = timezone.now()
    signed = 0
    users = {u.username: u for u in User.objects.filter(username__in={n for h in halls for n in h.clerks.values()})}
    for hall in halls:
        busy = Ticket.objects.filter(centre=hall.centre, day=timezone.localdate(now), status__in=["called", "serving"])
        if hours.period_at(hall.centre, now) is None and not busy.exists():
            continue
        for counter in hall.counters:
            clerk = users.get(hall.clerks[counter.pk])
            if clerk is not None and counter.clerk_id is None:
                clerk.forget_posts()
                services.counter_sign_in(actor=clerk, counter_id=counter.pk)
                signed += 1
    return signed


# ---------------------------------------------------------------- the simulated weeks

Record = dict[str, Any]  # a ticket or application record as `history.history_import` takes it


@dataclass
class Visit:
    """A resident at the centre: when they took the ticket, what for, and what came of it."""

    issued: datetime
    queued: datetime
    group: str
    centre: str = ""
    ready: datetime | None = None  # when a counter may call it (after a transfer: once it was transferred)
    source: str = TicketSource.KIOSK
    priority: str = ""
    returning: dict[str, Any] | None = None  # the application record whose notice this visit answers
    key: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)
    target: int | None = None  # a counter it was transferred to
    transferred: bool = False
    done: bool = False


@dataclass
class Desk:
    counter: Counter
    number: int
    clerk: str
    groups: frozenset[str]
    free: datetime


def _lognormal(rng: random.Random, median_minutes: float, sigma: float = 0.45) -> timedelta:
    return timedelta(minutes=median_minutes * math.exp(rng.gauss(0, sigma)))


PEAKS = ((8.5, 1.1), (9, 1.3), (10, 1.2), (11, 0.8), (12, 0.45), (13.5, 0.9), (14.5, 1.0), (15.5, 0.8))


def _intensity(hour: float, extended: bool) -> float:
    """How many residents arrive at a time of day, relative to the morning peak: a crowd before opening and after
    lunch, a busy morning, a quiet end of the day."""
    if extended:
        return 0.6 if hour < 12 else 0.35
    for until, weight in PEAKS:
        if hour < until:
            return weight
    return 0.4


class Planner:
    """Plans weeks of the district's centres, as records `history.history_import` accepts."""

    def __init__(self, context: DemoContext, halls: list[Hall]) -> None:
        self.context = context
        self.halls = halls
        self.rng = context.rng("hall:history")
        fake = Faker("zh_CN")
        fake.seed_instance(context.seed + 5)
        self.names = [fake.name() for _ in range(NAMES)]  # a pool: Faker per resident costs more than the rest
        self.now = timezone.now()
        self.calendar = working_calendar.calendar()
        self.groups = {g.code: g for g in ServiceGroup.objects.all()}
        items = list(ServiceItem.objects.filter(is_active=True).select_related("group").prefetch_related("materials"))
        self.items: dict[str, list[ServiceItem]] = {}
        for item in sorted(items, key=lambda i: i.code):
            self.items.setdefault(item.group.code, []).append(item)
        self.item_weights = {
            group: list(accumulate(1 / (n + 1) ** 0.8 for n in range(len(members))))
            for group, members in self.items.items()
        }
        self.materials = {i.code: [(m.code, m.required) for m in i.materials.all()] for i in items}
        self.by_code = {i.code: i for i in items}
        self.departments = {
            key: list(
                Post.objects.filter(role=Role.DEPARTMENT_HANDLER, department__code=f"{context.district.code}-{key}")
                .filter(Q(region__isnull=True))
                .values_list("user__username", flat=True)
                .order_by("user__username")
            )
            for key in {i.department_key for i in items if i.department_key}
        }
        self.workers = dict(
            Post.objects.filter(role=Role.GRID_WORKER, is_active=True, region__path__startswith=context.district.path)
            .values_list("region__code", "user__username")
            .order_by("id")
        )
        self.proxies = sorted(self.workers.values())
        self.tickets: list[dict[str, Any]] = []
        self.applications: list[dict[str, Any]] = []
        self.returns: dict[tuple[int, date], list[Visit]] = {}
        self.serial = 0
        self.residents: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.shown: set[str] = set()  # the turns every demo shows, whatever chance decides
        self.volume = 1.0  # the benchmark asks for busier centres

    # -- the whole history

    def plan(
        self, first: date | None = None, last: date | None = None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Tickets and applications from `first` to `last` (by default the scale's weeks up to now)."""
        today = timezone.localdate(self.now)
        last = min(last or today, today)
        first = first or today - timedelta(days=HISTORY_DAYS[self.context.scale])
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            for hall in self.halls:
                self._day(hall, day)
        applications = []
        for record in self.applications:
            # what has happened by now: a later step (a decision, a pick-up) has not happened yet
            record["events"] = [e for e in record["events"] if e["at"] <= self.now]
            del record["_missing"]
            if record["events"]:
                applications.append(record)
        return self.tickets, applications

    def _key(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial:06d}"

    # -- one centre's day

    def _day(self, hall: Hall, day: date) -> None:
        periods = hours.periods_on(hall.centre, day)
        if not periods:
            return
        rng = self.rng
        cutoff = timedelta(minutes=hall.centre.ticket_cutoff_minutes)
        bins: list[tuple[datetime, float]] = []
        for period in periods:
            start = hours.at(day, period.start) - timedelta(minutes=hours.EARLY_TICKET_MINUTES)
            end = hours.at(day, period.end) - cutoff
            while start < end:
                local = timezone.localtime(start)
                bins.append((start, _intensity(local.hour + local.minute / 60, period.extended)))
                start += timedelta(minutes=5)
        base, per_community = VISITS[self.context.scale]
        expected = (base + per_community * hall.size) * WEEKDAY[day.weekday()] * self.volume
        weight = sum(w for _start, w in bins) / 72.0  # an ordinary working day's bins weigh about 72
        count = max(0, round(rng.gauss(expected * min(weight, 1.0), math.sqrt(expected) * 0.6)))
        visits = [
            self._visit(hall, start, periods)
            for start in rng.choices([start for start, _w in bins], weights=[w for _s, w in bins], k=count)
        ]
        visits += self.returns.pop((hall.centre.pk, day), [])
        visits = [v for v in visits if v.issued <= self.now]
        visits.sort(key=lambda v: (v.queued, v.issued))
        self._serve(hall, day, periods, visits)
        if day.weekday() < 5 and hall.station:
            for _ in range(rng.randint(*STATION_PER_DAY)):
                self._station_application(hall, day)

    def _visit(self, hall: Hall, slot: datetime, periods: list[hours.Period]) -> Visit:
        rng = self.rng
        issued = slot + timedelta(seconds=rng.randint(0, 299))
        group = rng.choices(GROUP_LETTERS, cum_weights=GROUP_WEIGHTS)[0]
        visit = Visit(issued=issued, queued=issued, group=group)
        chance = rng.random()
        if group == "C" and chance < 0.3:
            visit.priority = PriorityReason.ELDERLY
        elif group == "C" and chance < 0.36:
            visit.priority = PriorityReason.DISABLED
        elif chance < 0.02:
            visit.priority = rng.choice((PriorityReason.ELDERLY, PriorityReason.PREGNANT, PriorityReason.MILITARY))
        elif rng.random() < APPOINTMENT:
            # checked in up to an hour early: it queues from its slot's start (slots of 30 minutes)
            local = timezone.localtime(issued)
            minutes = (local.minute // 30 + 1) * 30
            slot_start = local.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=minutes)
            if any(hours.at(local.date(), p.start) <= slot_start < hours.at(local.date(), p.end) for p in periods):
                visit.source = TicketSource.APPOINTMENT
                visit.queued = slot_start
        return visit

    def _serve(self, hall: Hall, day: date, periods: list[hours.Period], visits: list[Visit]) -> None:
        """Counters call the waiting in order (transferred here, priority, then by queue time) until all are seen."""
        rng = self.rng
        windows = []  # (calling from, calling until, tickets issued before)
        for k, period in enumerate(periods):
            start, end = hours.at(day, period.start), hours.at(day, period.end)
            nxt = hours.at(day, periods[k + 1].start) if k + 1 < len(periods) else end + timedelta(minutes=90)
            windows.append((start, nxt, end))
        # a clerk on leave or training now and then: the first two counters are always open
        desks = [
            Desk(c, c.number, hall.clerks[c.pk], hall.groups.get(c.pk, frozenset()), windows[0][0])
            for n, c in enumerate(hall.counters)
            if n < 2 or rng.random() > STAFF_AWAY
        ]
        for visit in visits:
            visit.key = self._key("T")
            visit.centre = hall.centre.code
            visit.ready = visit.queued
            visit.steps = [{"action": "issue", "at": visit.issued}]
            if visit.source == TicketSource.APPOINTMENT:
                visit.steps[0]["queued_at"] = visit.queued
        pending = list(visits)
        while pending and desks:
            desk = min(desks, key=lambda d: d.free)
            if desk.free > self.now:
                break  # nobody can be called before now: the rest are waiting
            window = next((w for w in windows if w[0] <= desk.free < w[1]), None)
            if window is None:
                if desk.free < windows[0][0]:
                    desk.free = windows[0][0]
                    continue
                desks.remove(desk)  # the day is over for this counter
                continue
            _opens, closes, issued_before = window
            mine = [
                v
                for v in pending
                if v.issued < issued_before
                and (v.target == desk.counter.pk or (v.target is None and (not desk.groups or v.group in desk.groups)))
            ]
            ready = [v for v in mine if (v.ready or v.queued) <= desk.free]
            if not ready:
                later = [v.ready or v.queued for v in mine if (v.ready or v.queued) > desk.free]
                desk.free = min(later) if later and min(later) < closes else closes
                continue
            visit = min(ready, key=lambda v: (v.target != desk.counter.pk, not v.priority, v.queued, v.issued))
            pending.remove(visit)
            desk.free = self._call(hall, desk, visit, desks)
            if visit.target is not None and not visit.done:
                pending.append(visit)  # transferred: it waits for the other counter
        if day < timezone.localdate(self.now):
            # whoever was still waiting at the end of the day: the night's sweep cancels the ticket
            midnight = hours.at(day + timedelta(days=1), clock.min)
            for visit in pending:
                swept = midnight + timedelta(minutes=rng.randint(1, 9))
                visit.steps.append({"action": "cancel", "at": swept, "by": "system"})
        for visit in visits:
            self._close(visit)

    def _call(self, hall: Hall, desk: Desk, visit: Visit, desks: list[Desk]) -> datetime:
        """One call at a counter; returns when the counter is free again."""
        rng = self.rng
        at = max(desk.free, visit.queued)
        clerk = desk.clerk
        steps = visit.steps
        steps.append({"action": "call", "at": at, "actor": clerk, "counter": desk.number})
        visit.target = None
        wait = (at - visit.queued).total_seconds() / 60
        if rng.random() < 0.04:
            at += timedelta(seconds=rng.randint(40, 90))
            steps.append({"action": "recall", "at": at, "actor": clerk})
        if rng.random() < NO_SHOW + (0.05 if wait > 40 else 0):
            at += timedelta(seconds=rng.randint(90, 180))
            steps.append({"action": "no_show", "at": at, "actor": clerk})
            visit.done = True
            return at
        at += timedelta(seconds=rng.randint(20, 60))
        steps.append({"action": "start", "at": at, "actor": clerk})
        others = [d for d in desks if d is not desk and (not d.groups or visit.group in d.groups)]
        if not visit.transferred and others and rng.random() < 0.01:
            at += timedelta(minutes=rng.uniform(1, 3))
            other = rng.choice(others)
            steps.append({"action": "transfer", "at": at, "actor": clerk, "to_counter": other.number})
            visit.transferred, visit.target, visit.ready = True, other.counter.pk, at
            return at + timedelta(seconds=30)
        finish = self._business(hall, desk, visit, at, wait)
        steps.append({"action": "finish", "at": finish, "actor": clerk})
        visit.done = True
        if rng.random() < RATED:
            rated = finish + timedelta(seconds=rng.randint(8, 90))
            visit_rating = self._rating(rng, wait, bool(visit.returning))
            visit_rating["at"] = rated
            steps.append({"rating": visit_rating})
        return finish + timedelta(seconds=rng.randint(30, 180))  # the file put away, the next call

    def _close(self, visit: Visit) -> None:
        """The ticket record: the steps up to now (a later step has not happened yet)."""
        steps = [s for s in visit.steps if "action" in s and s["at"] <= self.now]
        ratings = [s["rating"] for s in visit.steps if "rating" in s and s["rating"]["at"] <= self.now]
        record: dict[str, Any] = {
            "key": visit.key,
            "centre": "",
            "group": visit.group,
            "source": visit.source,
            "priority_reason": visit.priority,
            "events": steps,
        }
        record["centre"] = visit.centre
        if ratings and steps[-1]["action"] == "finish":
            record["rating"] = ratings[0]
        self.tickets.append(record)

    # -- what the resident came for

    def _business(self, hall: Hall, desk: Desk, visit: Visit, started: datetime, wait: float) -> datetime:
        """The applications of one service at a counter; returns when the service finished."""
        rng = self.rng
        at = started + timedelta(seconds=rng.randint(20, 60))
        if visit.returning is not None:
            record = visit.returning
            supplement = {
                "action": "supplement",
                "at": at,
                "actor": desk.clerk,
                "counter": desk.number,
                "materials": record["_missing"],
            }
            record["events"].append(supplement)
            finish = at + _lognormal(rng, 7)
            self._decide(hall, record, at + timedelta(minutes=2), finish, desk.clerk)
            return finish
        if rng.random() < CONSULTATION:
            return at + _lognormal(rng, 4)
        count = 2 if rng.random() < SECOND_ITEM else 1
        finish = at
        for _n in range(count):
            item = self._item(visit.group)
            record, complete = self._accept(hall, item, at, desk.clerk, desk.number, visit)
            if not complete:
                finish = at + _lognormal(rng, 6)
                record["events"].append(
                    {"action": "issue_notice", "at": at + timedelta(minutes=rng.uniform(1, 3)), "actor": desk.clerk}
                )
                self._plan_return(hall, record, visit, finish)
            else:
                finish = at + _lognormal(rng, 9 if item.mode == Mode.ON_THE_SPOT else 13)
                self._decide(hall, record, at + timedelta(minutes=rng.uniform(2, 4)), finish, desk.clerk)
            at = finish + timedelta(seconds=30)
        return finish

    def _item(self, group: str) -> ServiceItem:
        """Items of a group: the first of the catalogue (the everyday ones) much more often than the last."""
        items = self.items[group]
        return self.rng.choices(items, cum_weights=self.item_weights[group])[0]

    def _resident(self, group: str, street: str = "") -> dict[str, Any]:
        """A resident of the age an item's group serves; some come for a second item another day."""
        rng = self.rng
        pool = self.residents.setdefault((street, group), [])
        if street and pool and rng.random() < RETURNING_RESIDENT:
            return dict(rng.choice(pool))
        today = timezone.localdate(self.now)
        age = {"A": (22, 62), "B": (30, 78), "C": (62, 96), "D": (24, 45), "E": (28, 70)}[group]
        birth = today - timedelta(days=rng.randint(age[0] * 365 + 30, age[1] * 365 - 30))
        body = f"{rng.choice(AREAS)}{birth:%Y%m%d}{rng.randint(10, 999):03d}"
        resident = {
            "applicant_name": rng.choice(self.names),
            "id_number": body + ric.calc_check_digit(body + "0"),
            "phone": f"1{rng.choice((3, 5, 7, 8, 9))}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
        }
        if street:
            pool.append(resident)
        return resident

    def _accept(
        self, hall: Hall, item: ServiceItem, at: datetime, clerk: str, counter: int | None, visit: Visit | None
    ) -> tuple[dict[str, Any], bool]:
        rng = self.rng
        group = item.group.code
        materials = self.materials[item.code]
        brought = [code for code, _required in materials]
        complete = True
        required = [code for code, needed in materials if needed]
        if visit is not None and required and rng.random() < INCOMPLETE:
            missing = rng.sample(required, min(len(required), rng.choice((1, 1, 2))))
            brought = [c for c in brought if c not in missing]
            complete = False
        else:
            missing = []
        record: dict[str, Any] = {
            "key": self._key("A"),
            "centre": hall.centre.code,
            "item": item.code,
            **self._resident(group, hall.street.code),
            "materials": brought,
            "events": [{"action": "accept", "at": at, "actor": clerk}],
            "_missing": missing,
        }
        if counter is not None:
            record["events"][0]["counter"] = counter
        if visit is not None:
            record["ticket"] = visit.key
        proxy_only = not item.resident_allowed
        if item.proxy_allowed and (proxy_only or (group == "C" and rng.random() < 0.12)):
            if not proxy_only and self.proxies and rng.random() < 0.25:  # a grid worker for an elderly resident
                record["proxy"] = {
                    "relation": "grid_worker",
                    "username": rng.choice(self.proxies),
                    "consent_method": rng.choice(("in_person", "phone")),
                    "consent_note": "老人行动不便，由网格员代为办理。",
                }
            else:
                proxy = self._resident("A")
                record["proxy"] = {
                    "relation": "relative",
                    "name": proxy["applicant_name"],
                    "id_number": proxy["id_number"],
                    "phone": proxy["phone"],
                    "consent_method": rng.choice(("written", "written", "in_person", "video")),
                }
        if item.mode == Mode.FORWARDED and rng.random() < HOME.get(group, HOME["*"]) and hall.grids:
            grid = rng.choice(hall.grids)
            record["result_delivery"] = "home"
            record["grid"] = grid.code
            building, floor, door = rng.randint(1, 12), rng.randint(1, 18), rng.randint(1, 4)
            record["address"] = f"{_road(hall.street)}{rng.randint(1, 120)}号{building}栋{floor}0{door}室"
        self.applications.append(record)
        return record, complete

    def _plan_return(self, hall: Hall, record: dict[str, Any], visit: Visit, notice_at: datetime) -> None:
        """The resident comes back with what the notice listed, or the application is withdrawn in the end."""
        rng = self.rng
        withdrawn = self.calendar.add_working_hours(notice_at, rng.uniform(45, 80)).at  # after about two weeks
        showcase = "withdrawn" not in self.shown and withdrawn < self.now
        if rng.random() < RETURNS and not showcase:
            day = timezone.localdate(notice_at)
            for _attempt in range(20):
                day += timedelta(days=rng.choice((1, 1, 2, 3, 4, 6, 8)))
                periods = hours.periods_on(hall.centre, day)
                if periods:
                    break
            else:
                return
            regular = [p for p in periods if not p.extended] or periods
            period = rng.choice(regular)
            start = hours.at(day, period.start)
            span = (hours.at(day, period.end) - start).total_seconds() - 20 * 60
            issued = start + timedelta(seconds=rng.uniform(0, max(span, 60)))
            back = Visit(issued=issued, queued=issued, group=visit.group, priority=visit.priority, returning=record)
            self.returns.setdefault((hall.centre.pk, day), []).append(back)
            return
        self.shown.add("withdrawn")
        record["events"].append(
            {
                "action": "withdraw",
                "at": withdrawn,
                "actor": hall.manager,
                "note": "居民逾期未补齐材料，经电话联系本人同意撤回。",
            }
        )

    def _decide(self, hall: Hall, record: dict[str, Any], at: datetime, finish: datetime, clerk: str) -> None:
        """On the spot: completed (or refused) and handed over at once. Forwarded: the back office decides later."""
        rng = self.rng
        item = self.by_code[record["item"]]
        events = record["events"]
        if item.mode == Mode.ON_THE_SPOT:
            at = min(at, finish - timedelta(seconds=40))
            if rng.random() < 0.03:
                events.append({"action": "reject", "at": at, "actor": clerk, "note": rng.choice(WORDS["refusals"])})
            else:
                events.append({"action": "complete_on_spot", "at": at, "actor": clerk})
            events.append({"action": "hand_over", "at": finish - timedelta(seconds=20), "actor": clerk})
            return
        events.append({"action": "forward", "at": min(at, finish - timedelta(seconds=30)), "actor": clerk})
        forwarded = events[-1]["at"]
        due = self.calendar.add_working_days(forwarded, item.time_limit_days).at
        limit = item.time_limit_days * 7.5
        reviewer = self._reviewer(hall, item)
        review = self.calendar.add_working_hours(forwarded, rng.uniform(0.3, min(10, limit * 0.3))).at
        events.append({"action": "start_review", "at": review, "actor": reviewer})
        # chance decides, but every demo shows a late decision and an application still overdue now
        showcase = ""
        if "late" not in self.shown and due + timedelta(days=3) < self.now:
            showcase = "late"
        elif "overdue" not in self.shown and due + timedelta(hours=2) < self.now:
            showcase = "overdue"
        late = bool(showcase) or rng.random() < LATE
        share = rng.uniform(1.05, 1.5) if late else rng.betavariate(2.5, 2) * 0.95
        if showcase == "late":
            share = 1.08
        decided = self.calendar.add_working_hours(forwarded, max(limit * share, 1.0)).at
        decided = max(decided, review + timedelta(minutes=20))
        if showcase == "overdue":
            decided = max(decided, self.now + timedelta(days=2))  # still in review
        if showcase and decided > due and (showcase == "overdue" or decided < self.now):
            self.shown.add(showcase)
        if decided > due:
            events.append({"action": "mark_overdue", "at": due + timedelta(minutes=rng.randint(1, 5)), "by": "system"})
        rejected = rng.random() < REJECTED
        if rejected:
            events.append(
                {"action": "reject", "at": decided, "actor": reviewer, "note": rng.choice(WORDS["rejections"])}
            )
        else:
            events.append(
                {"action": "complete", "at": decided, "actor": reviewer, "note": "经审核符合条件，准予办理。"}
            )
        if record.get("result_delivery") == "home":
            worker = self.workers.get(record["grid"])
            if worker:
                delivered = self.calendar.add_working_hours(decided, rng.uniform(2, 16)).at
                kind = ProofKind.SIGNATURE if rng.random() < 0.7 else ProofKind.PHOTO
                events.append(
                    {"action": "deliver", "at": delivered, "actor": worker, "proof_kind": kind, "note": "已送达本人。"}
                )
        elif rejected and "rejected" not in self.shown:
            self.shown.add("rejected")  # the written decision waits at the counter
        elif rng.random() < 0.93:
            picked = self.calendar.add_working_hours(decided, rng.uniform(3, 40)).at
            events.append({"action": "hand_over", "at": picked, "actor": rng.choice(list(hall.clerks.values()))})
        events.sort(key=lambda e: e["at"])

    def _reviewer(self, hall: Hall, item: ServiceItem) -> str:
        department = self.departments.get(item.department_key) or []
        if department and (self.rng.random() < 0.3 or not hall.back_office):
            return self.rng.choice(department)
        return self.rng.choice(hall.back_office)

    def _station_application(self, hall: Hall, day: date) -> None:
        """A community station files an application remotely for a resident who cannot come (远程帮办)."""
        rng = self.rng
        items = [i for g in ("B", "C") for i in self.items[g] if i.mode == Mode.FORWARDED and i.resident_allowed]
        item = rng.choice(items)
        at = self.calendar.add_working_hours(hours.at(day, clock(8, 30)), rng.uniform(0.2, 6.5)).at
        if at > self.now or timezone.localdate(at) != day:
            return
        record, _complete = self._accept(hall, item, at, hall.station or "", None, None)
        self._decide(
            hall, record, at + timedelta(minutes=rng.uniform(5, 15)), at + timedelta(minutes=20), hall.station or ""
        )

    def _rating(self, rng: random.Random, wait: float, returned: bool) -> dict[str, Any]:
        weights = (72, 20, 5, 2, 1) if wait < 20 else (55, 28, 10, 5, 2) if wait < 45 else (35, 30, 18, 10, 7)
        score = rng.choices((5, 4, 3, 2, 1), weights=weights)[0]
        if score >= 4:
            praise = [RatingReason.FRIENDLY, RatingReason.EFFICIENT, RatingReason.CLEAR]
            if not returned:
                praise.append(RatingReason.ONE_TRIP)
            reasons = rng.sample(praise, rng.choice((0, 1, 1, 2)))
        else:
            complaints = [RatingReason.UNSKILLED, RatingReason.TOO_MANY_MATERIALS, RatingReason.FACILITIES]
            if wait > 20:
                complaints += [RatingReason.LONG_WAIT] * 3
            if score <= 2:
                complaints.append(RatingReason.UNFRIENDLY)
            reasons = sorted(set(rng.sample(complaints, rng.choice((1, 1, 2)))))
        comment = rng.choice(WORDS["comments"][score]) if rng.random() < 0.15 else ""
        return {"score": score, "reasons": [str(r) for r in reasons], "comment": comment}


WORDS: dict[str, Any] = {
    "refusals": [
        "申请人年龄未达到办理条件。",
        "申请人户籍不在本区，请到户籍所在地办理。",
        "已在有效期内办理过，无需重复办理。",
    ],
    "rejections": [
        "经审核，家庭人均月收入高于本市最低生活保障标准，不符合申请条件。",
        "经入户调查，申请人家庭财产状况不符合规定。",
        "申请人已享受同类补贴，不能重复享受。",
        "经核对，申请人户籍不在本区，请到户籍所在地申请。",
    ],
    "comments": {
        5: ["工作人员很耐心，一次就办好了。", "服务热情，讲解清楚。", "办事效率高，点赞！", "窗口阿姨很细心，谢谢。"],
        4: ["总体不错，就是人有点多。", "办得挺快的。", "讲得比较清楚。"],
        3: ["等的时间有点长。", "材料要求希望提前在网上说明。"],
        2: ["排队太久了，窗口开得少。", "来回跑了两趟。"],
        1: ["等了一个多小时，体验很差。", "工作人员态度不好。"],
    },
}
