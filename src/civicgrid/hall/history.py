"""Historical tickets, applications and ratings in bulk: a district moving its service centres from an old queueing
and case system, and the demo's past weeks.

The services stamp every step with the present moment; a history already happened. `history_import` takes records
that carry their whole timelines and replays each through the transition tables (`TICKET_TRANSITIONS`,
`APPLICATION_TRANSITIONS`): every step must be allowed from the status it finds and taken by a party the table
names. It works out what the services would have recorded (waits and handling times, the promised deadline on the
working-day calendar, on-time flags, visit counts, one-time notices, delivery tasks for the grid worker, the rating's
clerk and application) and writes everything in one transaction: rows in bulk (COPY on PostgreSQL), ticket and
application numbers taken from the live sequences in blocks (a kiosk issuing today's next ticket continues after
them, so they never collide), one audit row for the batch, and the statistics' roll-up marks of every day touched.
Every record is checked first; one bad record rejects the whole batch, and every problem is listed.

A ticket record (a dict):

    {"key": "T-0001",                          # names the ticket within the batch (applications refer to it)
     "centre": "32010600101", "group": "A", "source": "kiosk",      # kiosk | appointment | desk
     "priority_reason": "",                    # optional: elderly | disabled | pregnant | military
     "status": "done",                         # optional: checked against where the timeline leads
     "events": [
        {"action": "issue", "at": "2026-11-02T09:03:11+08:00"},     # "queued_at": an appointment's slot start
        {"action": "call", "at": "…", "actor": "s001.clerk2", "counter": 2},
        {"action": "start", "at": "…", "actor": "s001.clerk2"},
        {"action": "finish", "at": "…", "actor": "s001.clerk2"}],
     "rating": {"at": "…", "score": 5, "reasons": ["friendly"], "comment": ""}}       # optional

An application record:

    {"key": "A-0001", "centre": "32010600101", "item": "0201", "ticket": "T-0001",   # the ticket is optional
     "applicant_name": "王秀英", "id_number": "…", "phone": "…",
     "address": "…", "grid": "320106001003001", "result_delivery": "home",         # or pick_up (the default)
     "materials": ["01", "02"],                # brought at acceptance
     "proxy": {"relation": "relative", "name": "…", "id_number": "…", "phone": "…", "consent_method": "written"},
     "status": "delivered",
     "events": [
        {"action": "accept", "at": "…", "actor": "s001.clerk2"},
        {"action": "issue_notice", "at": "…", "actor": "s001.clerk2"},
        {"action": "supplement", "at": "…", "actor": "s001.clerk1", "materials": ["03"], "counter": 1},
        {"action": "forward", "at": "…", "actor": "s001.clerk1"},
        {"action": "start_review", "at": "…", "actor": "s001.backoffice1"},
        {"action": "mark_overdue", "at": "…", "by": "system"},
        {"action": "complete", "at": "…", "actor": "s001.backoffice1", "note": "…"},
        {"action": "deliver", "at": "…", "actor": "g001003001.worker", "proof_kind": "signature"}]}

`by` is "staff" (the default: `actor` names the user) or "system" (the background sweep). Times are ISO 8601
strings or aware datetimes; without an offset they are Beijing time. Staff steps of a ticket happen on its day (the
sweep closes what a day left open, the day after). A delivery keeps the kind of its proof, not the image (that stays
in the old system). Record keys link records within a batch; they are not stored, so importing a batch twice
imports it twice (the demo checks for its own history first).
"""

from collections import Counter as Tally
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from civicgrid.core import audit, bulk
from civicgrid.core.calendar import calendar
from civicgrid.core.errors import ValidationError
from civicgrid.core.identity import MAX_AGE, Identity, age, check_id_number, check_name, check_phone
from civicgrid.hall import hours, rollup
from civicgrid.hall.choices import (
    APPLICATION_TRANSITIONS,
    BACK_OFFICE_ROLES,
    CLERK_ROLES,
    DELIVERER_ROLES,
    DEPARTMENT_REVIEW_ROLES,
    MANAGER_ROLES,
    OPEN_TICKET_STATUSES,
    REASON_REQUIRED,
    SAME,
    SERVED_TICKET_STATUSES,
    TICKET_TRANSITIONS,
    ApplicationAction,
    ApplicationStatus,
    Channel,
    DeliveryStatus,
    Mode,
    Outcome,
    Party,
    PriorityReason,
    ProofKind,
    ResultDelivery,
    TicketAction,
    TicketParty,
    TicketSource,
    TicketStatus,
)
from civicgrid.hall.choices import RatingReason as Reason
from civicgrid.hall.models import (
    Application,
    ApplicationEvent,
    Centre,
    Counter,
    Delivery,
    Notice,
    Rating,
    ServiceGroup,
    ServiceItem,
    Ticket,
    TicketEvent,
)
from civicgrid.hall.permissions import holds_at_path, station_of
from civicgrid.hall.services.applications import MAX_NOTE, Proxy, _check_proxy
from civicgrid.people.choices import Role
from civicgrid.people.models import Department, Post, User
from civicgrid.people.permissions import require_administrator_or_system
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region

# the enums' .values is rebuilt on every call: too slow in a loop
TICKET_ACTIONS = frozenset(TicketAction.values)
APPLICATION_ACTIONS = frozenset(ApplicationAction.values)
SOURCES = frozenset(TicketSource.values)
PRIORITIES = frozenset(PriorityReason.values)
CHANNELS = frozenset(Channel.values)
DELIVERIES = frozenset(ResultDelivery.values)
PROOFS = frozenset(ProofKind.values)
REASONS = frozenset(Reason.values)
TICKET_FIELDS = frozenset({"key", "centre", "group", "source", "priority_reason", "status", "events", "rating"})
APPLICATION_FIELDS = frozenset(
    {
        "key",
        "centre",
        "item",
        "ticket",
        "channel",
        "applicant_name",
        "id_number",
        "phone",
        "address",
        "grid",
        "result_delivery",
        "materials",
        "proxy",
        "status",
        "events",
    }
)
STEP_FIELDS = frozenset({"action", "at", "actor", "by", "note"})
TICKET_PARAMS: dict[str, frozenset[str]] = {
    TicketAction.ISSUE: frozenset({"queued_at"}),
    TicketAction.CALL: frozenset({"counter"}),
    TicketAction.TRANSFER: frozenset({"to_counter"}),
}
APPLICATION_PARAMS: dict[str, frozenset[str]] = {
    ApplicationAction.ACCEPT: frozenset({"counter"}),
    ApplicationAction.ISSUE_NOTICE: frozenset({"materials"}),
    ApplicationAction.SUPPLEMENT: frozenset({"materials", "counter"}),
    ApplicationAction.DELIVER: frozenset({"proof_kind"}),
}
RATING_FIELDS = frozenset({"at", "score", "reasons", "comment"})
MAX_REASONS = 5
ZONE = timezone.get_default_timezone()


class HistoryRejected(ValidationError):
    """At least one record is bad: nothing was imported; `rows` names every problem with its record."""

    def __init__(self, rows: Sequence[str]) -> None:
        self.rows = list(rows)
        super().__init__(_("服务中心历史记录有 %(n)s 处错误，未导入任何记录。") % {"n": len(self.rows)})


class StepRefused(Exception):
    """A record or one step of it could not have happened; the message says why."""


@dataclass(frozen=True)
class HistoryResult:
    tickets: dict[str, int]  # record key -> ticket id
    applications: dict[str, str]  # record key -> application number
    ratings: int
    notices: int
    deliveries: int
    ticket_statuses: dict[str, int]
    application_statuses: dict[str, int]


# ---------------------------------------------------------------- what a batch refers to


@dataclass
class Lookup:
    """The centres, counters, groups, items, staff, grids and departments a batch names, each loaded once."""

    centres: dict[str, Centre] = field(default_factory=dict)
    counters: dict[tuple[int, int], Counter] = field(default_factory=dict)  # (centre id, number)
    serves: dict[int, frozenset[int]] = field(default_factory=dict)  # counter id -> group ids (empty: all)
    numbers: dict[int, int] = field(default_factory=dict)  # counter id -> its number
    groups: dict[str, ServiceGroup] = field(default_factory=dict)
    items: dict[str, ServiceItem] = field(default_factory=dict)
    materials: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # item id -> its materials
    not_offered: dict[int, frozenset[int]] = field(default_factory=dict)  # centre id -> item ids
    users: dict[str, User] = field(default_factory=dict)
    grids: dict[str, Region] = field(default_factory=dict)
    workers: dict[int, User] = field(default_factory=dict)  # grid id -> its grid worker
    departments: dict[str, Department] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: timezone.now())  # looked up when called (tests move the clock)
    identities: dict[str, Identity | ValidationError] = field(default_factory=dict)
    places: set[tuple[str, str]] = field(default_factory=set)  # (place code, birth year) of numbers found valid
    windows: dict[tuple[int, date], list[tuple[datetime, datetime, bool]]] = field(default_factory=dict)
    # translated once per batch: gettext costs more than a replayed step
    labels: dict[str, str] = field(default_factory=lambda: {"applicant": _("申请人"), "name": _("申请人姓名")})
    held: dict[tuple[int, frozenset[str], str], bool] = field(default_factory=dict)
    stations: dict[tuple[int, int], Region | None] = field(default_factory=dict)

    @classmethod
    def for_records(cls, tickets: Sequence[Any], applications: Sequence[Any]) -> "Lookup":
        centre_codes: set[str] = set()
        usernames: set[str] = set()
        grid_codes: set[str] = set()
        for record in [*tickets, *applications]:
            if not isinstance(record, Mapping):
                continue
            centre_codes.add(str(record.get("centre") or ""))
            if record.get("grid"):
                grid_codes.add(str(record["grid"]))
            proxy = record.get("proxy")
            if isinstance(proxy, Mapping) and proxy.get("username"):
                usernames.add(str(proxy["username"]))
            steps = record.get("events")
            for step in steps if isinstance(steps, list) else []:
                if isinstance(step, Mapping) and step.get("actor"):
                    usernames.add(str(step["actor"]))
        lookup = cls()
        lookup.centres = {c.code: c for c in Centre.objects.filter(code__in=centre_codes).select_related("street")}
        centre_ids = [c.pk for c in lookup.centres.values()]
        for counter in Counter.objects.filter(centre_id__in=centre_ids).prefetch_related("groups"):
            lookup.counters[(counter.centre_id, counter.number)] = counter
            lookup.serves[counter.pk] = frozenset(g.pk for g in counter.groups.all())
            lookup.numbers[counter.pk] = counter.number
        for centre in lookup.centres.values():
            lookup.not_offered[centre.pk] = frozenset(centre.not_offered.values_list("pk", flat=True))
        lookup.groups = {g.code: g for g in ServiceGroup.objects.all()}
        # retired items stay valid for history: an old application keeps the item it had
        items = ServiceItem.objects.select_related("group").prefetch_related("materials")
        for item in items:
            lookup.items[item.code] = item
            lookup.materials[item.pk] = [
                {
                    "code": m.code,
                    "name": m.name,
                    "copies": m.copies,
                    "source_note": m.source_note,
                    "required": m.required,
                }
                for m in sorted(item.materials.all(), key=lambda m: m.code)
            ]
        posts = Post.objects.filter(is_active=True).select_related("region", "department", "department__region")
        users = User.objects.filter(username__in=usernames, is_active=True).prefetch_related(
            # fills the cache that User.active_posts() reads
            Prefetch("posts", queryset=posts, to_attr="_active_posts")  # type: ignore[no-redef]
        )
        lookup.users = {u.username: u for u in users}
        grids = Region.objects.filter(code__in=grid_codes, level=Level.GRID)
        lookup.grids = {g.code: g for g in grids}
        wanted = {g.pk for g in lookup.grids.values()} | {g.partner_id for g in lookup.grids.values() if g.partner_id}
        workers = (
            Post.objects.filter(region_id__in=wanted, role=Role.GRID_WORKER, is_active=True, user__is_active=True)
            .select_related("user")
            .order_by("id")
        )
        for post in workers:
            if post.region_id is not None:
                lookup.workers.setdefault(post.region_id, post.user)
        lookup.departments = {d.code: d for d in Department.objects.filter(is_active=True)}
        return lookup

    def holds(self, actor: User, roles: frozenset[str], path: str) -> bool:
        """`permissions.holds_at_path`, asked once per person, roles and place in a batch."""
        key = (actor.pk, roles, path)
        found = self.held.get(key)
        if found is None:
            found = self.held[key] = holds_at_path(actor, roles, path)
        return found

    def station(self, actor: User, centre: Centre) -> Region | None:
        key = (actor.pk, centre.pk)
        if key not in self.stations:
            self.stations[key] = station_of(actor, centre)
        return self.stations[key]

    def identity(self, number: Any, whose: str) -> Identity:
        """A checked identity number (`identity.check_id_number`), with what costs most asked once per batch.

        Looking the place code up is most of the check; once a number of a place and birth year has passed it in
        full, another number of the same place and year needs only the rest: digits, the check character, a real
        birth date of a living person. Anything unusual takes the full check (and its message).
        """
        key = str(number or "").strip().upper()
        found = self.identities.get(key)
        if found is None:
            found = self._quick_identity(key)
        if found is None:
            try:
                found = check_id_number(key, whose=whose)
                self.places.add((key[:6], key[6:10]))
            except ValidationError as error:
                found = error
        self.identities[key] = found
        if isinstance(found, ValidationError):
            raise found
        return found

    def _quick_identity(self, key: str) -> Identity | None:
        if len(key) != 18 or not key[:17].isdigit() or (key[:6], key[6:10]) not in self.places:
            return None
        try:
            if ric.calc_check_digit(key) != key[17]:
                return None
            birth = ric.get_birth_date(key)
        except stdnum_errors.ValidationError:
            return None
        if birth > self.now.date() or age(birth, self.now.date()) > MAX_AGE:
            return None
        return Identity(key, birth, "M" if int(key[16]) % 2 else "F")

    def windows_on(self, centre: Centre, day: date) -> list[tuple[datetime, datetime, bool]]:
        """The centre's periods of a day as (tickets from, period end, extended), worked out once per day."""
        found = self.windows.get((centre.pk, day))
        if found is None:
            early = timedelta(minutes=hours.EARLY_TICKET_MINUTES)
            found = self.windows[(centre.pk, day)] = [
                (datetime.combine(day, p.start, ZONE) - early, datetime.combine(day, p.end, ZONE), p.extended)
                for p in hours.periods_on(centre, day)
            ]
        return found


def _as_time(value: Any, what: str = "at") -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise StepRefused(_("时间“%(value)s”不是 ISO 8601 格式。") % {"value": value[:40]}) from None
    else:
        raise StepRefused(_("缺少时间（%(name)s）。") % {"name": what})
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _show(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _day(moment: datetime) -> date:
    # the default zone held once: asking Django for the current zone costs more than the rest of a step
    return moment.astimezone(ZONE).date()


def _unknown(step: Mapping[str, Any], allowed: frozenset[str], label: Any) -> None:
    unknown = set(step) - allowed
    if unknown:
        raise StepRefused(
            _("“%(action)s”不接受这些字段：%(names)s。")
            % {"action": label, "names": "、".join(sorted(map(str, unknown)))}
        )


def _who(step: Mapping[str, Any], lookup: Lookup) -> tuple[str, User | None]:
    by = str(step.get("by") or "staff")
    if by not in ("staff", "system"):
        raise StepRefused(_("by 只能是 staff 或 system。"))
    if by == "system":
        if step.get("actor"):
            raise StepRefused(_("系统的步骤不能指定 actor。"))
        return by, None
    username = str(step.get("actor") or "")
    actor = lookup.users.get(username)
    if actor is None:
        raise StepRefused(_("没有用户名为“%(name)s”的在岗工作人员。") % {"name": username[:40] or "—"})
    return by, actor


def _note(step: Mapping[str, Any], required: bool) -> str:
    note = str(step.get("note") or "").strip()
    if required and not note:
        raise StepRefused(_("须填写原因（note）。"))
    if len(note) > MAX_NOTE:
        raise StepRefused(_("说明不能超过 %(n)s 个字。") % {"n": MAX_NOTE})
    return note


# ---------------------------------------------------------------- a ticket's timeline


@dataclass(slots=True)
class TicketStep:
    action: str
    at: datetime
    actor: User | None
    counter_id: int | None
    data: dict[str, Any]


class TicketTimeline:
    """A ticket built step by step from its history through `TICKET_TRANSITIONS`."""

    def __init__(self, *, lookup: Lookup, centre: Centre, group: ServiceGroup, source: str, priority: str) -> None:
        self.lookup = lookup
        self.centre = centre
        self.group = group
        self.ticket = bulk.draft(
            Ticket, centre_id=centre.pk, group_id=group.pk, source=source, priority_reason=priority, status="", number=0
        )
        self.steps: list[TicketStep] = []
        self.holders: list[tuple[datetime, datetime | None, int, int | None]] = []  # clerk at a counter: from, to
        self.rating: Any = None  # a draft Rating
        self.rated_application: ApplicationTimeline | None = None
        self.applications: list[ApplicationTimeline] = []

    @property
    def status(self) -> str:
        return self.ticket.status

    def holder_at(self, moment: datetime) -> tuple[int, int | None] | None:
        """(clerk id, counter id) of whoever had the ticket at their counter at `moment`, if anyone."""
        for start, end, clerk_id, counter_id in self.holders:
            if start <= moment and (end is None or moment <= end):
                return clerk_id, counter_id
        return None

    def apply(self, step: Mapping[str, Any]) -> None:
        action = str(step.get("action") or "")
        if action not in TICKET_ACTIONS:
            raise StepRefused(_("未知的操作“%(action)s”。") % {"action": action[:30]})
        _unknown(step, STEP_FIELDS | TICKET_PARAMS.get(action, frozenset()), TicketAction(action).label)
        at = _as_time(step.get("at"))
        if at > self.lookup.now:
            raise StepRefused(_("时间 %(at)s 晚于现在：历史记录只能包含已经发生的步骤。") % {"at": _show(at)})
        if self.steps and at < self.steps[-1].at:
            raise StepRefused(
                _("时间 %(at)s 早于上一步（%(before)s），步骤须按时间先后排列。")
                % {"at": _show(at), "before": _show(self.steps[-1].at)}
            )
        if action == TicketAction.ISSUE:
            self._issue(at, step)
            return
        by, actor = _who(step, self.lookup)
        if not self.steps:
            raise StepRefused(_("第一步必须是“取号”。"))
        if by == "staff" and _day(at) != self.ticket.day:
            raise StepRefused(_("工作人员只能在取号当天（%(day)s）操作该号。") % {"day": self.ticket.day})
        allowed = TICKET_TRANSITIONS[self.status].get(action)
        if allowed is None:
            raise StepRefused(
                _("当前状态为“%(status)s”，不能“%(action)s”。")
                % {"status": TicketStatus(self.status).label, "action": TicketAction(action).label}
            )
        target, parties = allowed
        counter = self._counter(step.get("counter"), "counter") if action == TicketAction.CALL else None
        mine = self._parties(by, actor, action, counter)
        if not mine & parties:
            names = "、".join(str(TicketParty(p).label) for p in sorted(parties))
            raise StepRefused(
                _("只有%(parties)s可以“%(action)s”。") % {"parties": names, "action": TicketAction(action).label}
            )
        self._effect(action, at, actor, counter, step)
        self.ticket.status = self.status if target == SAME else target

    def _issue(self, at: datetime, step: Mapping[str, Any]) -> None:
        if self.steps:
            raise StepRefused(_("“取号”只能是第一步。"))
        if step.get("by") == "system" or step.get("actor"):
            raise StepRefused(_("取号不指定操作人。"))
        queued = _as_time(step["queued_at"], "queued_at") if step.get("queued_at") else at
        if queued < at or _day(queued) != _day(at):
            raise StepRefused(_("排队起点（queued_at）应在取号之后的当天。"))
        ticket = self.ticket
        ticket.day = _day(at)
        ticket.issued_at = at
        ticket.queued_at = queued
        ticket.status = TicketStatus.WAITING
        ticket.extended = self._extended(queued)
        self.steps.append(TicketStep(TicketAction.ISSUE, at, None, None, {}))

    def _extended(self, moment: datetime) -> bool:
        """Whether a ticket queuing at `moment` belongs to an extended-hours period (from half an hour before a
        period starts to its end)."""
        for opens, ends, extended in self.lookup.windows_on(self.centre, _day(moment)):
            if opens <= moment < ends:
                return extended
        return False

    def _counter(self, number: Any, name: str) -> Counter:
        counter = self.lookup.counters.get((self.centre.pk, number)) if isinstance(number, int) else None
        if counter is None:
            raise StepRefused(_("%(centre)s没有 %(n)s 号窗口。") % {"centre": self.centre.name, "n": number})
        return counter

    def _parties(self, by: str, actor: User | None, action: str, counter: Counter | None) -> set[str]:
        if by == "system":
            return {TicketParty.SYSTEM}
        assert actor is not None
        parties: set[str] = set()
        clerk = self.lookup.holds(actor, CLERK_ROLES, self.centre.region_path)
        if clerk:
            parties.add(TicketParty.CENTRE_CLERK)
        if self.lookup.holds(actor, MANAGER_ROLES, self.centre.region_path):
            parties.add(TicketParty.MANAGER)
        if action == TicketAction.CALL:
            # the clerk at a counter serving the ticket's group (or the counter it was transferred to)
            served = self.lookup.serves.get(counter.pk, frozenset()) if counter else frozenset()
            target = self.ticket.target_counter_id
            if target is not None and counter is not None and counter.pk != target:
                raise StepRefused(_("该号已转至其他窗口，只能由该窗口叫号。"))
            if counter is not None and served and self.group.pk not in served and target != counter.pk:
                raise StepRefused(_("%(counter)s不受理该分组的业务。") % {"counter": counter})
            if clerk:
                parties.add(TicketParty.COUNTER_CLERK)
        elif self.ticket.clerk_id is not None and self.ticket.clerk_id == actor.pk:
            parties.add(TicketParty.COUNTER_CLERK)
        return parties

    def _close_holder(self, at: datetime) -> None:
        if self.holders and self.holders[-1][1] is None:
            start, _end, clerk_id, counter_id = self.holders[-1]
            self.holders[-1] = (start, at, clerk_id, counter_id)

    def _effect(self, action: str, at: datetime, actor: User | None, counter: Counter | None, step: Any) -> None:
        ticket = self.ticket
        data: dict[str, Any] = {}
        event_counter = ticket.counter_id
        if action == TicketAction.CALL:
            assert counter is not None and actor is not None
            ticket.counter_id, ticket.clerk_id, ticket.target_counter_id = counter.pk, actor.pk, None
            ticket.called_at = at
            if ticket.wait_seconds is None:
                ticket.wait_seconds = max(int((at - ticket.queued_at).total_seconds()), 0)
            event_counter = counter.pk
            self.holders.append((at, None, actor.pk, counter.pk))
        elif action == TicketAction.RECALL:
            ticket.recall_count += 1
        elif action == TicketAction.START:
            ticket.served_at = at
        elif action == TicketAction.FINISH:
            ticket.finished_at = at
            if ticket.called_at is not None and _day(at) == ticket.day:
                ticket.handle_seconds = max(int((at - ticket.called_at).total_seconds()), 0)
            self._close_holder(at)
        elif action in (TicketAction.NO_SHOW, TicketAction.CANCEL):
            ticket.finished_at = at
            self._close_holder(at)
        elif action == TicketAction.TRANSFER:
            to = self._counter(step["to_counter"], "to_counter") if step.get("to_counter") is not None else None
            if to is not None and to.pk == ticket.counter_id:
                raise StepRefused(_("不能转到本窗口。"))
            data = {"from": self.lookup.numbers.get(ticket.counter_id or 0), "to": to.number if to else None}
            ticket.transfer_count += 1
            ticket.target_counter_id = to.pk if to else None
            ticket.counter_id = ticket.clerk_id = None
            ticket.called_at = ticket.served_at = None
            event_counter = to.pk if to else None
            self._close_holder(at)
        elif action == TicketAction.REQUEUE:
            ticket.queued_at = at
            ticket.counter_id = ticket.clerk_id = ticket.target_counter_id = None
            ticket.called_at = ticket.finished_at = None
        ticket.version += 1
        self.steps.append(TicketStep(action, at, actor, event_counter, data))

    def rate(self, rating: Any) -> None:
        """The resident's rating on the counter's pad: a served ticket, once, after it was taken up."""
        if not isinstance(rating, Mapping):
            raise StepRefused(_("rating 须是一个对象。"))
        _unknown(rating, RATING_FIELDS, _("评价"))
        at = _as_time(rating.get("at"))
        score = rating.get("score")
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise StepRefused(_("评分应为 1 到 5。"))
        reasons = rating.get("reasons") or []
        if (
            not isinstance(reasons, list)
            or len(reasons) > MAX_REASONS
            or any(r not in REASONS for r in reasons)
            or len(set(reasons)) != len(reasons)
        ):
            raise StepRefused(_("评价标签无效。"))
        comment = str(rating.get("comment") or "").strip()
        if len(comment) > 200:
            raise StepRefused(_("评价意见不超过 200 字。"))
        ticket = self.ticket
        if ticket.status not in SERVED_TICKET_STATUSES or ticket.served_at is None or ticket.counter_id is None:
            raise StepRefused(
                _("该号没有办理（%(status)s），不能评价。") % {"status": TicketStatus(ticket.status).label}
            )
        if at < ticket.served_at or at > self.lookup.now:
            raise StepRefused(_("评价时间应在开始办理之后、现在之前。"))
        self.rating = bulk.draft(
            Rating,
            centre_id=ticket.centre_id,
            counter_id=ticket.counter_id,
            clerk_id=ticket.clerk_id,
            score=score,
            reasons=list(reasons),
            comment=comment,
            created_at=at,
        )


# ---------------------------------------------------------------- an application's timeline


@dataclass(slots=True)
class ApplicationStep:
    action: str
    from_status: str
    to_status: str
    actor: User | None
    note: str
    data: dict[str, Any]
    at: datetime


class ApplicationTimeline:
    """An application built step by step from its history through `APPLICATION_TRANSITIONS`."""

    def __init__(
        self, *, lookup: Lookup, centre: Centre, item: ServiceItem, application: Any, grid: Region | None
    ) -> None:
        self.lookup = lookup
        self.centre = centre
        self.item = item
        self.application = application  # a draft Application
        self.grid = grid
        self.steps: list[ApplicationStep] = []
        self.notices: list[Any] = []  # draft Notices
        self.delivery: Any = None  # a draft Delivery
        self.ticket: TicketTimeline | None = None

    @property
    def status(self) -> str:
        return self.application.status

    @property
    def missing(self) -> list[dict[str, Any]]:
        return [m for m in self.application.materials if m.get("required") and not m.get("provided")]

    def apply(self, step: Mapping[str, Any]) -> None:
        action = str(step.get("action") or "")
        if action not in APPLICATION_ACTIONS:
            raise StepRefused(_("未知的操作“%(action)s”。") % {"action": action[:30]})
        _unknown(step, STEP_FIELDS | APPLICATION_PARAMS.get(action, frozenset()), ApplicationAction(action).label)
        at = _as_time(step.get("at"))
        if at > self.lookup.now:
            raise StepRefused(_("时间 %(at)s 晚于现在：历史记录只能包含已经发生的步骤。") % {"at": _show(at)})
        if self.steps and at < self.steps[-1].at:
            raise StepRefused(
                _("时间 %(at)s 早于上一步（%(before)s），步骤须按时间先后排列。")
                % {"at": _show(at), "before": _show(self.steps[-1].at)}
            )
        by, actor = _who(step, self.lookup)
        note = _note(step, action in REASON_REQUIRED)
        if action == ApplicationAction.ACCEPT:
            self._accept(at, actor, step)
            return
        if not self.steps:
            raise StepRefused(_("第一步必须是“受理”。"))
        allowed = APPLICATION_TRANSITIONS[self.status].get(action)
        if allowed is None:
            raise StepRefused(
                _("当前状态为“%(status)s”，不能“%(action)s”。")
                % {"status": ApplicationStatus(self.status).label, "action": ApplicationAction(action).label}
            )
        target, parties = allowed
        if not self._parties(by, actor) & parties:
            names = "、".join(str(Party(p).label) for p in sorted(parties))
            raise StepRefused(
                _("只有%(parties)s可以“%(action)s”。") % {"parties": names, "action": ApplicationAction(action).label}
            )
        before = self.status
        data = EFFECTS[ApplicationAction(action)](self, at=at, actor=actor, note=note, step=step) or {}
        application = self.application
        application.status = before if target == SAME else target
        application.version += 1
        self.steps.append(ApplicationStep(action, before, application.status, actor, note, data, at))

    def _accept(self, at: datetime, actor: User | None, step: Mapping[str, Any]) -> None:
        if self.steps:
            raise StepRefused(_("“受理”只能是第一步。"))
        if actor is None:
            raise StepRefused(_("受理须由窗口人员操作。"))
        centre, application = self.centre, self.application
        station = self.lookup.station(actor, centre)
        clerk = self.lookup.holds(actor, CLERK_ROLES, centre.region_path)
        if not clerk and station is None:
            raise StepRefused(_("%(name)s不是本中心或其社区工作站的窗口人员。") % {"name": actor.display_name})
        channel = application.channel
        if station is not None and not clerk:
            channel = Channel.REMOTE_STATION
        elif not channel:
            ticket = self.ticket.ticket if self.ticket else None
            channel = Channel.APPOINTMENT if ticket and ticket.source == TicketSource.APPOINTMENT else Channel.COUNTER
        if channel not in CHANNELS or (channel == Channel.REMOTE_STATION and station is None):
            raise StepRefused(_("受理渠道无效。"))
        application.channel = channel
        application.region_path = station.path if channel == Channel.REMOTE_STATION and station else centre.region_path
        counter_id = None
        if step.get("counter") is not None:
            counter_id = self._counter(step["counter"])
        if self.ticket is not None:
            holder = self.ticket.holder_at(at)
            if holder is None or holder[0] != actor.pk:
                raise StepRefused(_("受理时关联的排队号须正由受理人办理。"))
            counter_id = counter_id or holder[1]
        application.counter_id = counter_id
        application.first_contact_id = actor.pk
        application.accepted_at = at
        application.status = ApplicationStatus.ACCEPTED
        self.steps.append(
            ApplicationStep(ApplicationAction.ACCEPT, "", application.status, actor, "", {"channel": channel}, at)
        )

    def _counter(self, number: Any) -> int:
        counter = self.lookup.counters.get((self.centre.pk, number)) if isinstance(number, int) else None
        if counter is None:
            raise StepRefused(_("%(centre)s没有 %(n)s 号窗口。") % {"centre": self.centre.name, "n": number})
        return counter.pk

    def _parties(self, by: str, actor: User | None) -> set[str]:
        if by == "system":
            return {Party.SYSTEM}
        assert actor is not None
        application = self.application
        parties: set[str] = set()
        holds = self.lookup.holds
        if holds(actor, CLERK_ROLES, application.region_path):
            parties.add(Party.CLERK)
        if holds(actor, BACK_OFFICE_ROLES, self.centre.region_path) or (
            application.department_id is not None
            and any(
                post.role in DEPARTMENT_REVIEW_ROLES and post.department_id == application.department_id
                for post in actor.active_posts()
            )
        ):
            parties.add(Party.BACK_OFFICE)
        delivery = self.delivery
        if delivery is not None and (
            delivery.assignee_id == actor.pk or holds(actor, DELIVERER_ROLES, delivery.region_path)
        ):
            parties.add(Party.DELIVERER)
        if holds(actor, MANAGER_ROLES, self.centre.region_path):
            parties.add(Party.MANAGER)
        if actor.is_superuser:
            parties |= {Party.CLERK, Party.BACK_OFFICE, Party.MANAGER}
        return parties

    # -- the effects, as the services have them

    def tick(self, codes: Any) -> None:
        if codes is None:
            return
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise StepRefused(_("materials 须是材料编号的列表。"))
        known = {m["code"] for m in self.application.materials}
        unknown = sorted(set(codes) - known)
        if unknown:
            raise StepRefused(_("该事项没有这些材料编号：%(codes)s。") % {"codes": "、".join(unknown)})
        for material in self.application.materials:
            if material["code"] in codes:
                material["provided"] = True

    def missing_names(self) -> str:
        return "、".join(m["name"] for m in self.missing)

    def decide(self, at: datetime, note: str, outcome: str) -> dict[str, Any]:
        application = self.application
        application.outcome = outcome
        application.decided_at = at
        application.decision_note = note
        application.decided_on_time = application.due_at is None or at <= application.due_at
        application.is_overdue = False
        application.processing_seconds = max(int((at - application.accepted_at).total_seconds()), 0)
        result: dict[str, Any] = {"outcome": outcome, "on_time": application.decided_on_time}
        grid = self.grid
        if application.result_delivery == ResultDelivery.HOME and grid is not None:
            worker = self.lookup.workers.get(grid.pk) or (
                self.lookup.workers.get(grid.partner_id) if grid.partner_id else None
            )
            self.delivery = bulk.draft(
                Delivery,
                grid_id=grid.pk,
                region_path=grid.path,
                assignee_id=worker.pk if worker else None,
                created_at=at,
            )
            result["delivery"] = worker.display_name if worker else None
        return result


def _issue_notice(timeline: ApplicationTimeline, *, at: datetime, actor: Any, note: str, step: Any) -> dict:
    timeline.tick(step.get("materials"))
    missing = timeline.missing
    if not missing:
        raise StepRefused(_("材料已齐全，无需一次性告知。"))
    timeline.application.notice_issued = True
    timeline.notices.append(
        bulk.draft(
            Notice,
            missing=[{k: m[k] for k in ("code", "name", "copies", "source_note")} for m in missing],
            issued_by_id=actor.pk,
            issued_at=at,
        )
    )
    return {"missing": [m["code"] for m in missing]}


def _supplement(timeline: ApplicationTimeline, *, at: datetime, actor: Any, note: str, step: Any) -> dict:
    timeline.tick(step.get("materials"))
    if timeline.missing:
        raise StepRefused(_("仍缺少：%(names)s。材料齐全后才能继续办理。") % {"names": timeline.missing_names()})
    application = timeline.application
    application.visit_count += 1
    if step.get("counter") is not None:
        application.counter_id = timeline._counter(step["counter"])
    return {"visits": application.visit_count}


def _require_complete(timeline: ApplicationTimeline) -> None:
    if timeline.missing:
        raise StepRefused(
            _("材料不全（缺少：%(names)s），应先出具一次性告知单。") % {"names": timeline.missing_names()}
        )


def _complete_on_spot(timeline: ApplicationTimeline, *, at: datetime, actor: Any, note: str, step: Any) -> dict:
    if timeline.item.mode != Mode.ON_THE_SPOT:
        raise StepRefused(_("“%(item)s”是收受分离事项，须转后台办理。") % {"item": timeline.item.name})
    _require_complete(timeline)
    return timeline.decide(at, note, Outcome.APPROVED)


def _forward(timeline: ApplicationTimeline, *, at: datetime, actor: Any, note: str, step: Any) -> dict:
    item, application = timeline.item, timeline.application
    if item.mode != Mode.FORWARDED:
        raise StepRefused(_("“%(item)s”是即办事项，应当场办结。") % {"item": item.name})
    _require_complete(timeline)
    district = timeline.centre.region_path.strip("/").split("/")[1]
    department = timeline.lookup.departments.get(f"{district}-{item.department_key}") if item.department_key else None
    due = calendar().add_working_days(at, item.time_limit_days)
    application.department_id = department.pk if department else None
    application.forwarded_at = at
    application.due_at = due.at
    application.deadline_estimated = due.estimated
    return {
        "department": department.name if department else None,
        "due_at": timezone.localtime(due.at).isoformat(),
        "days": item.time_limit_days,
    }


def _start_review(timeline: ApplicationTimeline, *, at: datetime, actor: Any, note: str, step: Any) -> dict:
    timeline.application.reviewer_id = actor.pk
    timeline.application.review_started_at = at
    return {}


def _complete(timeline: ApplicationTimeline, *, at: datetime, actor: Any, note: str, step: Any) -> dict:
    return timeline.decide(at, note, Outcome.APPROVED)


def _reject(timeline: ApplicationTimeline, *, at: datetime, actor: Any, note: str, step: Any) -> dict:
    if timeline.status == ApplicationStatus.ACCEPTED and timeline.item.mode != Mode.ON_THE_SPOT:
        raise StepRefused(_("收受分离事项由后台审核后决定是否办理；窗口不能直接不予办理。"))
    return timeline.decide(at, note, Outcome.REJECTED)


def _hand_over(timeline: ApplicationTimeline, *, at: datetime, actor: Any, note: str, step: Any) -> dict:
    timeline.application.ended_at = at
    delivery = timeline.delivery
    cancelled = delivery is not None and delivery.status == DeliveryStatus.PENDING
    if cancelled:
        assert delivery is not None
        delivery.status = DeliveryStatus.CANCELLED
        delivery.note = _("居民已到窗口领取")
    return {"delivery_cancelled": cancelled}


def _deliver(timeline: ApplicationTimeline, *, at: datetime, actor: Any, note: str, step: Any) -> dict:
    delivery = timeline.delivery
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        raise StepRefused(_("没有待送达的送达任务。"))
    kind = step.get("proof_kind")
    if kind not in PROOFS:
        raise StepRefused(_("请写明送达凭证：居民签名（signature）或送达照片（photo）。"))
    delivery.status = DeliveryStatus.DELIVERED
    delivery.delivered_at = at
    delivery.delivered_by_id = actor.pk
    delivery.proof_kind = kind
    delivery.note = note[:300]
    timeline.application.ended_at = at
    return {"proof": kind}


def _withdraw(timeline: ApplicationTimeline, *, at: datetime, actor: Any, note: str, step: Any) -> dict:
    timeline.application.ended_at = at
    timeline.application.is_overdue = False
    return {}


def _mark_overdue(timeline: ApplicationTimeline, *, at: datetime, actor: Any, note: str, step: Any) -> dict:
    application = timeline.application
    if application.is_overdue:
        raise StepRefused(_("已经标记为超期。"))
    if application.due_at is None or at <= application.due_at:
        raise StepRefused(_("超期只能在承诺时限之后标记。"))
    application.is_overdue = True
    return {}


EFFECTS = {
    ApplicationAction.ISSUE_NOTICE: _issue_notice,
    ApplicationAction.SUPPLEMENT: _supplement,
    ApplicationAction.COMPLETE_ON_SPOT: _complete_on_spot,
    ApplicationAction.FORWARD: _forward,
    ApplicationAction.START_REVIEW: _start_review,
    ApplicationAction.COMPLETE: _complete,
    ApplicationAction.REJECT: _reject,
    ApplicationAction.HAND_OVER: _hand_over,
    ApplicationAction.DELIVER: _deliver,
    ApplicationAction.WITHDRAW: _withdraw,
    ApplicationAction.MARK_OVERDUE: _mark_overdue,
}


# ---------------------------------------------------------------- checking a batch


@dataclass
class Batch:
    tickets: list[TicketTimeline] = field(default_factory=list)
    ticket_keys: list[str] = field(default_factory=list)
    applications: list[ApplicationTimeline] = field(default_factory=list)
    application_keys: list[str] = field(default_factory=list)


def _where(kind: str, position: int, record: Any) -> str:
    key = record.get("key") if isinstance(record, Mapping) else None
    name = _("排队号") if kind == "ticket" else _("办件")
    if isinstance(key, str) and key:
        return _("第 %(n)s 条%(kind)s（%(key)s）") % {"n": position, "kind": name, "key": key[:40]}
    return _("第 %(n)s 条%(kind)s") % {"n": position, "kind": name}


def _steps(record: Mapping[str, Any]) -> list[Any]:
    steps = record.get("events")
    if not isinstance(steps, list) or not steps:
        raise StepRefused(_("缺少处理过程（events）。"))
    return steps


def _replay(timeline: TicketTimeline | ApplicationTimeline, steps: list[Any], labels: Any) -> None:
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, Mapping):
            raise StepRefused(_("第 %(n)s 步须是一个对象。") % {"n": number})
        try:
            timeline.apply(step)
        except StepRefused as error:
            action = step.get("action") if isinstance(step.get("action"), str) else "?"
            action_label = str(labels(action).label) if action in labels.values else action
            raise StepRefused(
                _("第 %(n)s 步（%(action)s）：") % {"n": number, "action": action_label} + str(error)
            ) from None


def _ticket(record: Mapping[str, Any], lookup: Lookup) -> TicketTimeline:
    unknown = set(record) - TICKET_FIELDS
    if unknown:
        raise StepRefused(_("不认识的字段：%(names)s。") % {"names": "、".join(sorted(map(str, unknown)))})
    centre = lookup.centres.get(str(record.get("centre") or ""))
    if centre is None:
        raise StepRefused(_("没有编码为“%(code)s”的服务中心。") % {"code": str(record.get("centre"))[:20]})
    group = lookup.groups.get(str(record.get("group") or ""))
    if group is None:
        raise StepRefused(_("没有“%(code)s”业务分组。") % {"code": str(record.get("group"))[:10]})
    source = str(record.get("source") or TicketSource.KIOSK)
    if source not in SOURCES:
        raise StepRefused(_("取号来源应为 kiosk、appointment 或 desk。"))
    priority = str(record.get("priority_reason") or "")
    if priority and priority not in PRIORITIES:
        raise StepRefused(_("优先原因无效。"))
    timeline = TicketTimeline(lookup=lookup, centre=centre, group=group, source=source, priority=priority)
    _replay(timeline, _steps(record), TicketAction)
    ticket = timeline.ticket
    if ticket.status in OPEN_TICKET_STATUSES and ticket.day < timezone.localdate(lookup.now):
        raise StepRefused(
            _("%(day)s 的号停在“%(status)s”：当天未结束的号应由系统次日作废或办结。")
            % {"day": ticket.day, "status": TicketStatus(ticket.status).label}
        )
    declared = record.get("status")
    if declared and declared != ticket.status:
        raise StepRefused(
            _("状态写的是“%(declared)s”，处理过程却到“%(actual)s”为止。")
            % {"declared": declared, "actual": TicketStatus(ticket.status).label}
        )
    return timeline


def _application(record: Mapping[str, Any], lookup: Lookup, tickets: dict[str, TicketTimeline]) -> ApplicationTimeline:
    unknown = set(record) - APPLICATION_FIELDS
    if unknown:
        raise StepRefused(_("不认识的字段：%(names)s。") % {"names": "、".join(sorted(map(str, unknown)))})
    centre = lookup.centres.get(str(record.get("centre") or ""))
    if centre is None:
        raise StepRefused(_("没有编码为“%(code)s”的服务中心。") % {"code": str(record.get("centre"))[:20]})
    item = lookup.items.get(str(record.get("item") or ""))
    if item is None or item.pk in lookup.not_offered.get(centre.pk, frozenset()):
        raise StepRefused(_("本中心不办理事项 %(code)s。") % {"code": str(record.get("item"))[:10]})
    try:
        name = check_name(record.get("applicant_name"), field="applicant_name", label=lookup.labels["name"])
        identity = lookup.identity(record.get("id_number"), lookup.labels["applicant"])
        delivery = str(record.get("result_delivery") or ResultDelivery.PICK_UP)
        if delivery not in DELIVERIES:
            raise StepRefused(_("结果领取方式应为 pick_up 或 home。"))
        home = delivery == ResultDelivery.HOME
        phone = check_phone(record.get("phone"), required=home or item.mode == Mode.FORWARDED)
        proxy_values = _check_proxy(_proxy(record.get("proxy")), item, centre)
    except ValidationError as error:
        raise StepRefused(error.message) from None
    address = str(record.get("address") or "").strip()
    if len(address) > 200 or (home and not address):
        raise StepRefused(_("送达上门须填写不超过 200 字的送达地址。"))
    grid = None
    if record.get("grid"):
        grid = lookup.grids.get(str(record["grid"]))
        district = "/" + "/".join(centre.region_path.strip("/").split("/")[:2]) + "/"
        if grid is None or not grid.path.startswith(district):
            raise StepRefused(_("网格 %(code)s 不存在或不在本区。") % {"code": str(record["grid"])[:20]})
    if home and grid is None:
        raise StepRefused(_("送达上门须写明居民所在网格（grid）。"))
    materials = record.get("materials") or []
    if not isinstance(materials, list):
        raise StepRefused(_("materials 须是材料编号的列表。"))
    channel = str(record.get("channel") or "")
    proxy_user = proxy_values.pop("proxy_user", None)
    application = bulk.draft(
        Application,
        proxy_user_id=proxy_user.pk if proxy_user else None,
        centre_id=centre.pk,
        item_id=item.pk,
        status="",
        channel=channel,
        applicant_name=name,
        id_number=identity.id_number,
        birth_date=identity.birth_date,
        sex=identity.sex,
        phone=phone,
        address=address,
        grid_id=grid.pk if grid else None,
        result_delivery=delivery,
        materials=[{**m, "provided": False} for m in lookup.materials.get(item.pk, [])],
        **proxy_values,
    )
    timeline = ApplicationTimeline(lookup=lookup, centre=centre, item=item, application=application, grid=grid)
    timeline.tick(materials)
    ticket_key = record.get("ticket")
    if ticket_key:
        ticket = tickets.get(str(ticket_key))
        if ticket is None:
            raise StepRefused(_("关联的排队号“%(key)s”不在本批记录中。") % {"key": str(ticket_key)[:40]})
        if ticket.centre.pk != centre.pk:
            raise StepRefused(_("关联的排队号不是本中心的号。"))
        timeline.ticket = ticket
    _replay(timeline, _steps(record), ApplicationAction)
    declared = record.get("status")
    if declared and declared != application.status:
        raise StepRefused(
            _("状态写的是“%(declared)s”，处理过程却到“%(actual)s”为止。")
            % {"declared": declared, "actual": ApplicationStatus(application.status).label}
        )
    return timeline


def _proxy(value: Any) -> Proxy | None:
    if value in (None, {}):
        return None
    if not isinstance(value, Mapping):
        raise StepRefused(_("proxy 须是一个对象。"))
    known = {"relation", "name", "id_number", "phone", "username", "consent_method", "consent_note"}
    unknown = set(value) - known
    if unknown:
        raise StepRefused(_("代办人不认识的字段：%(names)s。") % {"names": "、".join(sorted(map(str, unknown)))})
    return Proxy(**{k: str(v or "") for k, v in value.items()})


def build(tickets: Sequence[Any], applications: Sequence[Any]) -> Batch:
    """Check every record and replay its timeline; HistoryRejected lists every problem, else the batch to write."""
    lookup = Lookup.for_records(tickets, applications)
    problems: list[str] = []
    batch = Batch()
    by_key: dict[str, TicketTimeline] = {}
    seen: dict[str, tuple[str, int, Mapping[str, Any]]] = {}
    for kind, records in (("ticket", tickets), ("application", applications)):
        for position, record in enumerate(records, start=1):
            if not isinstance(record, Mapping):
                continue
            key = record.get("key")
            if isinstance(key, str) and key:
                if key in seen:
                    other = _where(*seen[key])
                    where = _where(kind, position, record)
                    problems.append(f"{where}：" + _("key 与%(other)s重复。") % {"other": other})
                seen.setdefault(key, (kind, position, record))
    rated: list[tuple[int, Mapping[str, Any], TicketTimeline]] = []
    for position, record in enumerate(tickets, start=1):
        if not isinstance(record, Mapping):
            problems.append(f"{_where('ticket', position, record)}：" + _("每条记录须是一个对象。"))
            continue
        try:
            timeline = _ticket(record, lookup)
        except StepRefused as error:
            problems.append(f"{_where('ticket', position, record)}：{error}")
            continue
        key = str(record.get("key") or f"#{position}")
        by_key[key] = timeline
        batch.tickets.append(timeline)
        batch.ticket_keys.append(key)
        if record.get("rating") is not None:
            rated.append((position, record, timeline))
    for position, record in enumerate(applications, start=1):
        if not isinstance(record, Mapping):
            problems.append(f"{_where('application', position, record)}：" + _("每条记录须是一个对象。"))
            continue
        ticket_key = str(record.get("ticket") or "")
        if ticket_key and ticket_key not in by_key and ticket_key in seen:
            continue  # the ticket's own record was rejected and says why
        try:
            filed_line = _application(record, lookup, by_key)
        except StepRefused as error:
            problems.append(f"{_where('application', position, record)}：{error}")
            continue
        batch.applications.append(filed_line)
        batch.application_keys.append(str(record.get("key") or f"#{position}"))
        if filed_line.ticket is not None:
            filed_line.ticket.applications.append(filed_line)
    for position, record, timeline in rated:
        try:
            timeline.rate(record["rating"])
        except StepRefused as error:
            problems.append(f"{_where('ticket', position, record)}：" + _("评价：") + str(error))
            continue
        # the rating belongs to the latest application the ticket produced before it (as the pad finds it)
        rating = timeline.rating
        assert rating is not None
        earlier = [a for a in timeline.applications if a.application.accepted_at <= rating.created_at]
        timeline.rated_application = max(earlier, key=lambda a: a.application.accepted_at, default=None)
    if problems:
        raise HistoryRejected(problems)
    return batch


# ---------------------------------------------------------------- writing a batch


def _reserve(centre_id: int, day: date, series: str, count: int) -> list[int]:
    """`count` consecutive numbers of a centre's series for a day, from the live sequence in one upsert."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO hall_numbersequence (centre_id, day, series, last) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (centre_id, day, series) DO UPDATE SET last = hall_numbersequence.last + %s "
            "RETURNING last",
            [centre_id, connection.ops.adapt_datefield_value(day), series, count, count],
        )
        (last,) = cursor.fetchone()
    return list(range(int(last) - count + 1, int(last) + 1))


def history_import(
    *, actor: Any, tickets: Sequence[Mapping[str, Any]] = (), applications: Sequence[Mapping[str, Any]] = ()
) -> HistoryResult:
    """Write historical tickets (with their ratings) and applications with their whole timelines; all of the batch
    or, if any record is bad, none of it."""
    if not tickets and not applications:
        return HistoryResult({}, {}, 0, 0, 0, {}, {})
    batch = build(tickets, applications)
    centres = {t.centre for t in batch.tickets} | {a.centre for a in batch.applications}
    for district in Region.objects.filter(code__in={c.region_path.strip("/").split("/")[1] for c in centres}):
        require_administrator_or_system(actor, at=district)
    with transaction.atomic():
        return _write_batch(actor, batch)


def _write_batch(actor: Any, batch: Batch) -> HistoryResult:
    # numbers in the order things happened: a block per centre, day and series from the live sequences
    series: dict[tuple[int, date, str], list[TicketTimeline]] = {}
    for timeline in sorted(batch.tickets, key=lambda t: (t.ticket.issued_at, t.group.code)):
        series.setdefault((timeline.centre.pk, timeline.ticket.day, timeline.group.code), []).append(timeline)
    for (centre_id, day, letter), members in sorted(series.items()):
        for timeline, number in zip(members, _reserve(centre_id, day, letter, len(members)), strict=True):
            timeline.ticket.number = number
            timeline.ticket.code = f"{letter}{number:03d}"
    filed: dict[tuple[int, date], list[ApplicationTimeline]] = {}
    for queued in sorted(batch.applications, key=lambda a: a.application.accepted_at):
        filed.setdefault((queued.centre.pk, _day(queued.application.accepted_at)), []).append(queued)
    for (centre_id, day), same_day in sorted(filed.items()):
        for app_line, number in zip(same_day, _reserve(centre_id, day, "app", len(same_day)), strict=True):
            app_line.application.number = f"{app_line.centre.code}-{day:%Y%m%d}-{number:04d}"
    for timeline, pk in zip(batch.tickets, bulk.new_ids(Ticket, len(batch.tickets)), strict=True):
        timeline.ticket.id = pk
    for app_line, pk in zip(batch.applications, bulk.new_ids(Application, len(batch.applications)), strict=True):
        application = app_line.application
        application.id = pk
        application.ticket_id = app_line.ticket.ticket.id if app_line.ticket else None
        application.appointment_id = None
        application.updated_at = app_line.steps[-1].at  # when it last changed, not when it was imported
    bulk.write(Ticket, [t.ticket for t in batch.tickets], with_id=True)
    bulk.write(
        TicketEvent,
        [
            bulk.draft(
                TicketEvent,
                ticket_id=t.ticket.id,
                centre_id=t.centre.pk,
                action=s.action,
                counter_id=s.counter_id,
                actor_id=s.actor.pk if s.actor else None,
                data=s.data,
                created_at=s.at,
            )
            for t in batch.tickets
            for s in t.steps
        ],
        with_id=False,
    )
    bulk.write(Application, [a.application for a in batch.applications], with_id=True)
    system = _("系统")
    bulk.write(
        ApplicationEvent,
        [
            bulk.draft(
                ApplicationEvent,
                application_id=a.application.id,
                action=s.action,
                from_status=s.from_status,
                to_status=s.to_status,
                actor_id=s.actor.pk if s.actor else None,
                actor_label=s.actor.display_name[:80] if s.actor else system,
                note=s.note,
                data=s.data,
                created_at=s.at,
            )
            for a in batch.applications
            for s in a.steps
        ],
        with_id=False,
    )
    notices = [n for a in batch.applications for n in a.notices]
    for app_line in batch.applications:
        for notice in app_line.notices:
            notice.application_id = app_line.application.id
    bulk.write(Notice, notices, with_id=False)
    deliveries = []
    for app_line in batch.applications:
        if app_line.delivery is not None:
            app_line.delivery.application_id = app_line.application.id
            deliveries.append(app_line.delivery)
    bulk.write(Delivery, deliveries, with_id=False)
    ratings = []
    for timeline in batch.tickets:
        if timeline.rating is not None:
            timeline.rating.ticket_id = timeline.ticket.id
            rated = timeline.rated_application
            timeline.rating.application_id = rated.application.id if rated else None
            ratings.append(timeline.rating)
    bulk.write(Rating, ratings, with_id=False)
    # the statistics' roll-up of each day touched is out of date now
    days = {(t.centre.pk, t.ticket.day) for t in batch.tickets}
    days |= {(a.centre.pk, _day(a.application.accepted_at)) for a in batch.applications}
    days |= {(r.centre_id, _day(r.created_at)) for r in ratings}
    today = timezone.localdate()
    rollup.touch_many((centre, day) for centre, day in days if day < today)
    ticket_statuses = Tally(t.status for t in batch.tickets)
    application_statuses = Tally(a.status for a in batch.applications)
    all_days = sorted(day for _centre, day in days)
    centres = sorted({t.centre for t in batch.tickets} | {a.centre for a in batch.applications}, key=lambda c: c.code)
    audit.record_many(
        [
            audit.entry(
                actor=actor,
                action="hall.history_import",
                region_path=_common_path([c.region_path for c in centres]),
                after={
                    "tickets": len(batch.tickets),
                    "applications": len(batch.applications),
                    "ratings": len(ratings),
                    "from": all_days[0].isoformat() if all_days else None,
                    "to": all_days[-1].isoformat() if all_days else None,
                    "centres": [c.code for c in centres],
                },
            )
        ]
    )
    return HistoryResult(
        tickets={key: t.ticket.id for key, t in zip(batch.ticket_keys, batch.tickets, strict=True)},
        applications={
            key: a.application.number for key, a in zip(batch.application_keys, batch.applications, strict=True)
        },
        ratings=len(ratings),
        notices=len(notices),
        deliveries=len(deliveries),
        ticket_statuses=dict(ticket_statuses),
        application_statuses=dict(application_statuses),
    )


def _common_path(paths: Iterable[str]) -> str:
    """The district every centre lies in (or the street, for one street's centres), for the audit row's scope."""
    split = [p.strip("/").split("/") for p in paths]
    common: list[str] = []
    for codes in zip(*split, strict=False):
        if len(set(codes)) != 1:
            break
        common.append(codes[0])
    return "/" + "".join(f"{code}/" for code in common) if common else ""
