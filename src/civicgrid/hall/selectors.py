"""Reads of the service centre, restricted to the actor's jurisdiction (the catalogue and the public board excepted).

Pages and the API read only through these. Residents' personal data leaves here as stored; the schemas and pages
mask it (`core.identity`), and only `services.application_reveal` shows it whole, with an access-log row.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Avg, Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from civicgrid.core.identity import public_name
from civicgrid.core.jurisdiction import jurisdiction_of, restrict
from civicgrid.core.process_cache import ProcessCache
from civicgrid.hall import hours
from civicgrid.hall.choices import (
    BACK_OFFICE_ROLES,
    CALLED_TICKET_STATUSES,
    DEPARTMENT_REVIEW_ROLES,
    OPEN_APPLICATION_STATUSES,
    SERVED_TICKET_STATUSES,
    WAITING_FOR_BACK_OFFICE,
    ApplicationStatus,
    AppointmentStatus,
    DeliveryStatus,
    TicketAction,
    TicketStatus,
)
from civicgrid.hall.models import (
    Application,
    Appointment,
    Centre,
    Counter,
    Delivery,
    Material,
    Rating,
    ServiceCategory,
    ServiceGroup,
    ServiceItem,
    SlotBooking,
    Ticket,
    TicketEvent,
)
from civicgrid.people.choices import Role

DEFAULT_HANDLE_SECONDS = 8 * 60  # before a group has any history: a typical counter visit
RECENT_HANDLING = timedelta(days=7)
BOARD_CALLS = 8


# ---------------------------------------------------------------- the catalogue (public)


def categories() -> QuerySet[ServiceCategory]:
    """Categories with their active items and each item's materials, in catalogue order."""
    items = (
        ServiceItem.objects.filter(is_active=True)
        .select_related("group")
        .prefetch_related(Prefetch("materials", queryset=Material.objects.order_by("code")))
    )
    return ServiceCategory.objects.prefetch_related(Prefetch("items", queryset=items.order_by("sort", "code")))


def groups() -> QuerySet[ServiceGroup]:
    return ServiceGroup.objects.all()


def items() -> QuerySet[ServiceItem]:
    return ServiceItem.objects.filter(is_active=True).select_related("category", "group")


def item_by_code(code: str) -> ServiceItem:
    return items().prefetch_related("materials").get(code=code)


def offered_items(centre: Centre) -> QuerySet[ServiceItem]:
    """The active items a centre handles: all of the catalogue but those it says it does not."""
    return items().exclude(pk__in=centre.not_offered.values("pk"))


def offers(centre: Centre, item: ServiceItem) -> bool:
    return item.is_active and not centre.not_offered.filter(pk=item.pk).exists()


# ---------------------------------------------------------------- centres and counters


def centres(*, actor: Any) -> QuerySet[Centre]:
    return restrict(actor, Centre.objects.select_related("street")).order_by("code")


def centre(*, actor: Any, code: str) -> Centre:
    """One centre of the actor's jurisdiction; Centre.DoesNotExist otherwise."""
    return centres(actor=actor).get(code=code)


def public_centres() -> QuerySet[Centre]:
    """Every active centre, as residents find them to book or take a ticket (names, addresses, hours: public)."""
    return Centre.objects.filter(is_active=True).select_related("street").order_by("code")


def public_centre(code: str) -> Centre:
    return public_centres().get(code=code)


# The kiosk's path reads these on every press. A change of a centre or of the catalogue reaches the other server
# processes within a minute; the queue itself (tickets, counters) is always read live.
def _load_kiosk_centre(code: str) -> Centre | None:
    return public_centres().filter(code=code).first()


_kiosk_centres: ProcessCache[str, Centre | None] = ProcessCache(_load_kiosk_centre, seconds=60, models=[Centre])


def _load_offered_groups(centre_id: int) -> dict[str, ServiceGroup]:
    not_offered = Centre.not_offered.through.objects.filter(centre_id=centre_id).values("serviceitem_id")
    offered = items().exclude(pk__in=not_offered).values("group_id")
    return {group.code: group for group in ServiceGroup.objects.filter(pk__in=offered)}


_offered_groups: ProcessCache[int, dict[str, ServiceGroup]] = ProcessCache(
    _load_offered_groups,
    seconds=60,
    models=[Centre, ServiceGroup, ServiceItem, Centre.not_offered.through],
)


def forget_catalogue() -> None:
    """After a catalogue load (bulk writes, no signals): the groups each centre offers are read again."""
    _offered_groups.clear()


def kiosk_centre(code: str) -> Centre:
    """`public_centre` for the kiosk and the board: kept in the process for a minute (read-only: never save it)."""
    found = _kiosk_centres.get(code)
    if found is None:
        raise Centre.DoesNotExist(code)
    return found


def offered_groups(centre: Centre) -> dict[str, ServiceGroup]:
    """The groups (by code) under which the centre offers at least one active item (a minute old at most)."""
    return _offered_groups.get(centre.pk)


def counters(*, actor: Any, centre: Centre | None = None) -> QuerySet[Counter]:
    rows = restrict(actor, Counter.objects.select_related("centre", "clerk")).prefetch_related("groups")
    if centre is not None:
        rows = rows.filter(centre=centre)
    return rows.order_by("centre__code", "number")


def counter(*, actor: Any, counter_id: int) -> Counter:
    return counters(actor=actor).get(pk=counter_id)


def counter_of(*, actor: Any) -> Counter | None:
    """The counter the actor is signed in to, if any."""
    if not getattr(actor, "is_authenticated", False):
        return None
    return Counter.objects.select_related("centre").prefetch_related("groups").filter(clerk=actor).first()


def counter_by_pad_key(pad_key: str) -> Counter:
    """The counter a rating pad belongs to (its key is the pad's only credential)."""
    return Counter.objects.select_related("centre", "clerk").get(pad_key=pad_key, is_active=True)


PAD_RECENT = timedelta(minutes=15)


def pad_ticket(counter: Counter) -> Ticket | None:
    """What the counter's rating pad asks about now: the latest ticket served there (being served, or finished in
    the past 15 minutes) if it is not rated yet. Only the latest: once the clerk serves the next resident, an
    earlier one left unrated is not asked about again."""
    latest = (
        Ticket.objects.filter(counter=counter, status__in=SERVED_TICKET_STATUSES, day=timezone.localdate())
        .select_related("group")
        .prefetch_related(Prefetch("applications", queryset=Application.objects.select_related("item")))
        .order_by("-called_at", "-id")
        .first()
    )
    if latest is None or Rating.objects.filter(ticket=latest).exists():
        return None
    if latest.status == TicketStatus.DONE and latest.finished_at and latest.finished_at < timezone.now() - PAD_RECENT:
        return None
    return latest


# ---------------------------------------------------------------- the queue


def tickets(*, actor: Any, centre: Centre | None = None, day: date | None = None) -> QuerySet[Ticket]:
    rows = restrict(actor, Ticket.objects.select_related("centre", "group", "counter", "clerk", "appointment"))
    if centre is not None:
        rows = rows.filter(centre=centre)
    if day is not None:
        rows = rows.filter(day=day)
    return rows


def ticket(*, actor: Any, ticket_id: int) -> Ticket:
    return tickets(actor=actor).get(pk=ticket_id)


def queue_order(counter: Counter | None, now: datetime) -> list[Any]:
    """The order tickets are called in: transferred to this counter, then priority, then appointments due, then
    everyone else (walk-ins, and appointments checked in early) by the time they joined the queue."""
    rank = Case(
        *([When(target_counter=counter, then=Value(0))] if counter is not None else []),
        When(~Q(priority_reason=""), then=Value(1)),
        When(appointment__isnull=False, queued_at__lte=now, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return [rank, "queued_at", "id"]


def waiting(centre: Centre, *, day: date | None = None, counter: Counter | None = None) -> QuerySet[Ticket]:
    """Today's waiting tickets of a centre in calling order (for one counter: those it may call)."""
    now = timezone.now()
    rows = Ticket.objects.filter(centre=centre, day=day or timezone.localdate(), status=TicketStatus.WAITING)
    if counter is not None:
        # transferred here whatever the group; otherwise untransferred tickets of the groups the counter serves
        shared = Q(target_counter__isnull=True)
        group_ids = [g.pk for g in counter.groups.all()]
        if group_ids:
            shared &= Q(group_id__in=group_ids)
        rows = rows.filter(Q(target_counter=counter) | shared)
    order = queue_order(counter, now)
    return rows.select_related("group", "appointment").order_by(*order)


@dataclass
class GroupQueue:
    group: ServiceGroup
    waiting: int
    counters: int  # signed-in counters serving the group
    average_seconds: float  # recent handling time per ticket
    expected_minutes: int  # for someone joining now at the back


def group_queues(centre: Centre, *, now: datetime | None = None, group_id: int | None = None) -> list[GroupQueue]:
    """Per group (or for one): how many wait, how many counters serve it now, and the expected wait (docs/hall.md)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    tickets = Ticket.objects.filter(centre=centre)
    if group_id is None:
        offered = set(offered_items(centre).values_list("group_id", flat=True))
    else:
        tickets, offered = tickets.filter(group_id=group_id), {group_id}
    waiting_counts = dict(
        tickets.filter(day=today, status=TicketStatus.WAITING)
        .values_list("group_id")
        .annotate(n=Count("id"))
        .values_list("group_id", "n")
    )
    recent = handling_pace(centre.pk, today)
    open_counters = [
        [g.pk for g in c.groups.all()]
        for c in Counter.objects.filter(centre=centre, is_active=True, clerk__isnull=False).prefetch_related("groups")
    ]
    result = []
    for group in ServiceGroup.objects.filter(pk__in=offered | set(waiting_counts)):
        serving = sum(1 for served in open_counters if not served or group.pk in served)
        average = float(recent.get(group.pk) or DEFAULT_HANDLE_SECONDS)
        count = int(waiting_counts.get(group.pk, 0))
        minutes = math.ceil(count * average / max(serving, 1) / 60)
        result.append(GroupQueue(group, count, serving, average, minutes))
    return result


def _load_handling_pace(key: tuple[int, date]) -> dict[int, float]:
    centre_id, today = key
    done = Ticket.objects.filter(
        centre_id=centre_id, day__gte=today - RECENT_HANDLING, status=TicketStatus.DONE, handle_seconds__isnull=False
    )
    return dict(done.values_list("group_id").annotate(avg=Avg("handle_seconds")).values_list("group_id", "avg"))


# A week's average moves slowly: recounting it once a minute instead of at every ticket and board refresh.
_handling_pace: ProcessCache[tuple[int, date], dict[int, float]] = ProcessCache(
    _load_handling_pace, seconds=60, models=()
)


def handling_pace(centre_id: int, today: date) -> dict[int, float]:
    """Average handling seconds per group over the recent week (a minute old at most)."""
    return _handling_pace.get((centre_id, today))


def _load_serving_counters(key: tuple[int, int]) -> int:
    centre_id, group_id = key
    open_now = Counter.objects.filter(centre_id=centre_id, is_active=True, clerk__isnull=False)
    return open_now.filter(Q(groups__isnull=True) | Q(groups=group_id)).distinct().count()


# Read at every ticket for its expected wait: a clerk signing in or out reaches the other processes' estimates
# within a quarter of a minute.
_serving_counters: ProcessCache[tuple[int, int], int] = ProcessCache(
    _load_serving_counters, seconds=15, models=[Counter, Counter.groups.through]
)


def serving_counters(centre_id: int, group_id: int) -> int:
    """Counters open now (active, a clerk signed in) that serve the group (all groups, or this one among theirs)."""
    return _serving_counters.get((centre_id, group_id))


# Every ticket's answer counts this: written out once, since building the same query with the ORM cost more than
# running it. The rank is `queue_order`'s without the transfer to a counter (a new ticket is never transferred).
_AHEAD_OF = """
    SELECT COUNT(*) FROM (
        SELECT id, queued_at, CASE WHEN priority_reason <> '' THEN 1
                                   WHEN appointment_id IS NOT NULL AND queued_at <= %s THEN 2
                                   ELSE 3 END AS queue_rank
        FROM hall_ticket
        WHERE centre_id = %s AND day = %s AND group_id = %s AND status = %s AND id <> %s
    ) waiting
    WHERE queue_rank < %s OR (queue_rank = %s AND (queued_at < %s OR (queued_at = %s AND id < %s)))
"""


def ahead_of(ticket: Ticket) -> int:
    """Waiting tickets of the same group called before this one (a fair answer to "how many before me"): priority
    first, then appointments due, then everyone by the time they joined (the order `waiting` calls them in)."""
    now = timezone.now()
    if ticket.priority_reason:
        mine = 1
    elif ticket.appointment_id is not None and ticket.queued_at <= now:
        mine = 2
    else:
        mine = 3
    ops = connection.ops
    queued_at = ops.adapt_datetimefield_value(ticket.queued_at)
    with connection.cursor() as cursor:
        cursor.execute(
            _AHEAD_OF,
            [
                ops.adapt_datetimefield_value(now),
                ticket.centre_id,
                ops.adapt_datefield_value(ticket.day),
                ticket.group_id,
                TicketStatus.WAITING,
                ticket.pk,
                mine,
                mine,
                queued_at,
                queued_at,
                ticket.pk,
            ],
        )
        (count,) = cursor.fetchone()
    return int(count)


@dataclass
class BoardCall:
    id: int
    code: str
    counter_number: int
    counter_name: str
    public_name: str
    at: datetime
    recall: bool


@dataclass
class BoardCounter:
    number: int
    name: str
    open: bool
    ticket_code: str | None
    public_name: str
    status: str


@dataclass
class Board:
    centre: Centre
    now: datetime
    open_now: bool
    hours_today: str
    counters: list[BoardCounter] = field(default_factory=list)
    calls: list[BoardCall] = field(default_factory=list)
    queues: list[GroupQueue] = field(default_factory=list)


def board(centre: Centre) -> Board:
    """What the public display shows: calls to counters, queue lengths and expected waits. No personal data but the
    masked name (张**); never an identity number."""
    now = timezone.now()
    today = timezone.localdate(now)
    current = {
        t.counter_id: t
        for t in Ticket.objects.filter(centre=centre, day=today, status__in=CALLED_TICKET_STATUSES).order_by(
            "called_at"
        )
    }
    result = Board(
        centre=centre,
        now=now,
        open_now=hours.period_at(centre, now) is not None,
        hours_today=hours.describe(centre, today),
        queues=group_queues(centre, now=now),
    )
    for counter in Counter.objects.filter(centre=centre, is_active=True).order_by("number"):
        shown = current.get(counter.pk)
        result.counters.append(
            BoardCounter(
                number=counter.number,
                name=counter.name,
                open=counter.clerk_id is not None,
                ticket_code=shown.code if shown else None,
                public_name=public_name(shown.resident_name) if shown else "",
                status=shown.status if shown else "",
            )
        )
    events = (
        TicketEvent.objects.filter(
            centre=centre,
            action__in=[TicketAction.CALL, TicketAction.RECALL],
            created_at__gte=hours.at(today, datetime.min.time()),
        )
        .select_related("ticket", "counter")
        .order_by("-created_at", "-id")[:BOARD_CALLS]
    )
    for event in events:
        if event.counter is None:
            continue
        result.calls.append(
            BoardCall(
                id=event.pk,
                code=event.ticket.code,
                counter_number=event.counter.number,
                counter_name=event.counter.name,
                public_name=public_name(event.ticket.resident_name),
                at=event.created_at,
                recall=event.action == TicketAction.RECALL,
            )
        )
    return result


# ---------------------------------------------------------------- appointments


def appointments(*, actor: Any, centre: Centre | None = None, day: date | None = None) -> QuerySet[Appointment]:
    rows = restrict(actor, Appointment.objects.select_related("centre", "item", "group", "booked_by"))
    if centre is not None:
        rows = rows.filter(centre=centre)
    if day is not None:
        rows = rows.filter(day=day)
    return rows.order_by("day", "slot_start", "id")


def appointment_by_code(code: str) -> Appointment:
    """An appointment by its code (the resident's only key to it); Appointment.DoesNotExist otherwise."""
    return Appointment.objects.select_related("centre", "item", "group").get(code=code)


@dataclass
class Slot:
    start: Any
    end: Any
    extended: bool
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


def slots(centre: Centre, item: ServiceItem, day: date) -> list[Slot]:
    """The slots of a day for an item's group, with how many are still free; past slots are left out."""
    now = timezone.localtime()
    booked = dict(
        SlotBooking.objects.filter(centre=centre, day=day, group_id=item.group_id).values_list("slot_start", "booked")
    )
    result = []
    for start, end, extended in hours.slots_on(centre, day):
        if hours.at(day, start) <= now:
            continue
        result.append(Slot(start, end, extended, centre.slot_capacity, int(booked.get(start, 0))))
    return result


# ---------------------------------------------------------------- applications


def applications(*, actor: Any) -> QuerySet[Application]:
    """Every application the actor may see: filed in their streets or stations, or forwarded to their department."""
    return restrict(actor, Application.objects.all()).select_related(
        "centre", "item", "item__category", "department", "first_contact", "reviewer", "grid", "counter", "ticket"
    )


def application(*, actor: Any, number: str) -> Application:
    return applications(actor=actor).get(number=number)


def back_office_inbox(*, actor: Any) -> QuerySet[Application]:
    """Forwarded applications waiting for the actor: sent to their street office or their department, oldest
    deadline first."""
    if not getattr(actor, "is_authenticated", False):
        return Application.objects.none()
    condition = Q(pk__in=[])
    for post in actor.active_posts():
        if post.role in BACK_OFFICE_ROLES and post.region is not None:
            condition |= Q(centre__region_path__startswith=post.region.path)
        if post.role in DEPARTMENT_REVIEW_ROLES and post.department_id is not None:
            condition |= Q(department_id=post.department_id)
    if actor.is_superuser:
        condition = Q()
    return applications(actor=actor).filter(condition, status__in=WAITING_FOR_BACK_OFFICE).order_by("due_at", "id")


def counter_work(*, actor: Any) -> QuerySet[Application]:
    """Open applications a clerk owns (first contact) or that wait at the counter: to complete, to hand over."""
    if not getattr(actor, "is_authenticated", False):
        return Application.objects.none()
    return (
        applications(actor=actor)
        .filter(
            Q(first_contact=actor, status__in=[ApplicationStatus.ACCEPTED, ApplicationStatus.INCOMPLETE])
            | Q(status__in=[ApplicationStatus.COMPLETED, ApplicationStatus.REJECTED], result_delivery="pick_up")
        )
        .order_by("accepted_at")
    )


def filter_applications(
    rows: QuerySet[Application],
    *,
    status: str = "",
    centre: str = "",
    item: str = "",
    overdue: bool = False,
    number: str = "",
) -> QuerySet[Application]:
    """The list filters of the application pages: a status (or "open"), a centre, an item, overdue only, and the
    beginning of an application number."""
    if status == "open":
        rows = rows.filter(status__in=OPEN_APPLICATION_STATUSES)
    elif status in ApplicationStatus.values:
        rows = rows.filter(status=status)
    if centre:
        rows = rows.filter(centre__code=centre)
    if item:
        rows = rows.filter(item__code=item)
    if overdue:
        rows = rows.filter(is_overdue=True)
    if number.strip():
        rows = rows.filter(number__startswith=number.strip())
    return rows


def by_tracking(*, number: str, id_tail: str) -> Application:
    """An application as its resident follows it: the number and the last 4 characters of their identity number."""
    found = Application.objects.select_related("centre", "item").get(number=number)
    if len(id_tail) != 4 or found.id_number[-4:].upper() != id_tail.upper():
        raise Application.DoesNotExist
    return found


def timeline(application: Application, *, public: bool = False) -> QuerySet:
    from civicgrid.hall.choices import PUBLIC_APPLICATION_ACTIONS

    events = application.events.select_related("actor")
    return events.filter(action__in=PUBLIC_APPLICATION_ACTIONS) if public else events


def same_resident_open(*, id_number: str, item: ServiceItem) -> QuerySet[Application]:
    """The resident's applications for the item that wait for materials (for "at most one trip" accounting)."""
    return Application.objects.filter(id_number=id_number, item=item, status=ApplicationStatus.INCOMPLETE)


# ---------------------------------------------------------------- deliveries


def deliveries(*, actor: Any) -> QuerySet[Delivery]:
    """Deliveries in the actor's jurisdiction (grid workers: their grids'), and those assigned to them."""
    rows = restrict(actor, Delivery.objects.all())
    if getattr(actor, "is_authenticated", False):
        rows = rows | Delivery.objects.filter(assignee=actor)
    return rows.select_related("application", "application__item", "application__centre", "grid", "assignee")


def delivery(*, actor: Any, delivery_id: int) -> Delivery:
    return deliveries(actor=actor).get(pk=delivery_id)


def my_deliveries(*, actor: Any) -> QuerySet[Delivery]:
    """What the grid worker must take to residents: assigned to them, or in their grids with nobody assigned."""
    if not getattr(actor, "is_authenticated", False):
        return Delivery.objects.none()
    grids = [p.region.path for p in actor.active_posts() if p.region and p.role in (Role.GRID_WORKER, Role.GRID_LEADER)]
    condition = Q(assignee=actor)
    for path in grids:
        condition |= Q(region_path__startswith=path, assignee__isnull=True)
    return deliveries(actor=actor).filter(condition, status=DeliveryStatus.PENDING).order_by("created_at")


# ---------------------------------------------------------------- what the pages need besides


def current_ticket(counter: Counter) -> Ticket | None:
    """The ticket called to or being served at the counter now."""
    return (
        Ticket.objects.filter(counter=counter, status__in=CALLED_TICKET_STATUSES)
        .select_related("group", "appointment", "counter", "clerk")
        .order_by("-called_at")
        .first()
    )


def no_shows(centre: Centre, *, day: date | None = None, limit: int = 20) -> list[Ticket]:
    """Today's passed-over tickets of a centre, the latest first (a resident who comes back is requeued)."""
    rows = Ticket.objects.filter(centre=centre, day=day or timezone.localdate(), status=TicketStatus.NO_SHOW)
    return list(rows.select_related("group", "counter").order_by("-finished_at", "-id")[:limit])


def prospect(ticket: Ticket) -> tuple[int, int]:
    """What a resident holding a new ticket is told: how many are called before them, and the minutes that takes."""
    ahead = ahead_of(ticket)
    if not ahead:
        return 0, 0
    average = handling_pace(ticket.centre_id, ticket.day).get(ticket.group_id) or DEFAULT_HANDLE_SECONDS
    serving = serving_counters(ticket.centre_id, ticket.group_id)
    return ahead, round(ahead * float(average) / max(serving, 1) / 60)


def working_centres(*, actor: Any) -> list[tuple[Centre, Any]]:
    """The centres the actor accepts applications for: (centre, None) where they are a centre clerk, (centre,
    station) where they work at one of its community stations (remote assisted handling)."""
    from civicgrid.hall.permissions import is_centre_clerk, station_of

    result: list[tuple[Centre, Any]] = []
    # a station clerk's jurisdiction is their community, which does not contain the street's centre: look among
    # every active centre (public data) and keep those the actor works for
    for found in public_centres():
        if is_centre_clerk(actor, found):
            result.append((found, None))
        else:
            station = station_of(actor, found)
            if station is not None:
                result.append((found, station))
    return result


def offered_by_category(centre: Centre) -> list[tuple[ServiceCategory, list[ServiceItem]]]:
    """The centre's items grouped by category, in catalogue order (the clerk's item picker)."""
    grouped: dict[int, tuple[ServiceCategory, list[ServiceItem]]] = {}
    for item in offered_items(centre).order_by("category__sort", "category__code", "sort", "code"):
        grouped.setdefault(item.category_id, (item.category, []))[1].append(item)
    return list(grouped.values())


def bookable_items(centre: Centre) -> QuerySet[ServiceItem]:
    return offered_items(centre).filter(online_bookable=True).order_by("category__sort", "sort", "code")


def notices(application: Application) -> QuerySet:
    """The one-time notices of an application (already read through `application`), oldest first."""
    return application.notices.select_related("issued_by").order_by("issued_at", "id")


def promised_deadline(item: ServiceItem, *, now: datetime | None = None) -> Any:
    """When a forwarded item accepted now is promised: the close of its n-th working day (core.calendar)."""
    from civicgrid.core.calendar import calendar

    if item.mode != "forwarded" or not item.time_limit_days:
        return None
    return calendar().add_working_days(now or timezone.now(), item.time_limit_days)


# ---------------------------------------------------------------- jurisdiction helpers


def sees_everything(actor: Any) -> bool:
    return jurisdiction_of(actor).everything


def appointment_statuses_open() -> list[str]:
    return [AppointmentStatus.BOOKED]
