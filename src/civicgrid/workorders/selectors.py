"""Reads of work orders, restricted to the actor's jurisdiction: their regions' subtrees and their departments."""

import math
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from civicgrid.core.jurisdiction import restrict
from civicgrid.core.process_cache import ProcessCache
from civicgrid.people.choices import Role
from civicgrid.people.models import Department, Post, User
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from civicgrid.workorders.choices import LEVEL_DISPATCHERS, OPEN_STATUSES, PUBLIC_ACTIONS, Status
from civicgrid.workorders.models import IncidentCategory, IncidentType, OfficerPosition, WorkOrder, WorkOrderEvent

POSITION_MAX_AGE = timedelta(minutes=30)  # an officer silent for longer is not counted as on the street
DUPLICATE_RADIUS_M = 150.0
DUPLICATE_WINDOW = timedelta(days=7)


def _load_active_type(code: str) -> IncidentType | None:
    return IncidentType.objects.filter(code=code, is_active=True).select_related("category").first()


# Every report names its type: the responsibility list is read from memory. An administrator's edit takes effect
# at once in the process that saved it and within a minute in the others.
_active_types: ProcessCache[str, IncidentType | None] = ProcessCache(
    _load_active_type, seconds=60, models=[IncidentType, IncidentCategory]
)


def active_type(code: str) -> IncidentType | None:
    """The active incident type with this code, with its category (shared between requests: never save it)."""
    return _active_types.get(code)


def work_orders(*, actor: Any) -> QuerySet[WorkOrder]:
    """Every work order the actor may see: in their regions' subtrees, or dispatched to their department or to them."""
    visible = restrict(actor, WorkOrder.objects.all())
    if getattr(actor, "is_authenticated", False):
        visible = visible | WorkOrder.objects.filter(assignee=actor)
    return visible.select_related("region", "incident_type", "incident_type__category", "department", "assignee")


def work_order(*, actor: Any, number: str) -> WorkOrder:
    return work_orders(actor=actor).get(number=number)


def queue(*, actor: Any) -> QuerySet[WorkOrder]:
    """What waits for the actor to register or dispatch: open orders at the level of their dispatching posts."""
    if not getattr(actor, "is_authenticated", False):
        return WorkOrder.objects.none()
    condition = Q(pk__in=[])
    for post in actor.active_posts():
        if post.region is None:
            continue
        level = post.region.level
        if post.role in LEVEL_DISPATCHERS.get(level, ()):
            condition |= Q(level=level, region_path__startswith=post.region.path)
    if actor.is_superuser:
        condition = Q()
    return (
        work_orders(actor=actor)
        .filter(condition, status__in=[Status.REPORTED, Status.REGISTERED])
        .order_by("-supervision", "dispatch_due_at", "reported_at")
    )


def tasks_of(*, actor: Any) -> QuerySet[WorkOrder]:
    """What the actor must handle: dispatched to them or to their department, not yet handled."""
    if not getattr(actor, "is_authenticated", False):
        return WorkOrder.objects.none()
    departments = [
        p.department_id for p in actor.active_posts() if p.role == Role.DEPARTMENT_HANDLER and p.department_id
    ]
    return (
        WorkOrder.objects.filter(Q(assignee=actor) | Q(department_id__in=departments))
        .filter(status__in=[Status.DISPATCHED, Status.SIGNED])
        .select_related("region", "incident_type", "incident_type__category", "department", "assignee")
        .order_by("handle_due_at", "dispatched_at")
    )


def to_verify(*, actor: Any) -> QuerySet[WorkOrder]:
    """Handled work orders in the actor's grids (or reported by them) that wait for an on-site check."""
    if not getattr(actor, "is_authenticated", False):
        return WorkOrder.objects.none()
    paths = [p.region.path for p in actor.active_posts() if p.region and p.role in (Role.GRID_WORKER, Role.GRID_LEADER)]
    condition = Q(reporter=actor)
    for path in paths:
        condition |= Q(region_path__startswith=path)
    return work_orders(actor=actor).filter(condition, status=Status.HANDLED).order_by("handled_at")


@dataclass(frozen=True)
class Filters:
    """What a list of work orders can be narrowed by, on the pages and in the API alike."""

    status: str = ""  # a status, or "open" for every open one
    incident_type: str = ""
    category: str = ""
    source: str = ""
    level: str = ""
    department: str = ""
    region: str = ""  # a region code: its whole subtree
    flag: str = ""  # "overdue" or "supervised"
    reported_from: date | None = None
    reported_to: date | None = None
    text: str = ""  # a number's beginning, or words of the description or address


def filtered(rows: QuerySet[WorkOrder], filters: Filters) -> QuerySet[WorkOrder]:
    """Narrow already-restricted rows; unknown values narrow to nothing rather than being ignored."""
    if filters.status == "open":
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        rows = rows.filter(status=filters.status)
    if filters.incident_type:
        # by id, not through the join: the (type, newest) index then gives the rows already in order
        kind = IncidentType.objects.filter(code=filters.incident_type).values_list("pk", flat=True).first()
        rows = rows.filter(incident_type_id=kind) if kind else rows.none()
    if filters.category:
        rows = rows.filter(incident_type__category__code=filters.category)
    if filters.source:
        rows = rows.filter(source=filters.source)
    if filters.level:
        rows = rows.filter(level=filters.level)
    if filters.department:
        rows = rows.filter(department__code=filters.department)
    if filters.region:
        region = Region.objects.filter(code=filters.region).only("path").first()
        rows = rows.filter(region_path__startswith=region.path) if region else rows.none()
    if filters.flag == "overdue":
        rows = rows.filter(is_overdue=True)
    elif filters.flag == "supervised":
        rows = rows.exclude(supervision="")
    if filters.reported_from:
        rows = rows.filter(reported_at__gte=local_midnight(filters.reported_from))
    if filters.reported_to:
        rows = rows.filter(reported_at__lt=local_midnight(filters.reported_to + timedelta(days=1)))
    if filters.text:
        text = filters.text
        rows = rows.filter(Q(number__startswith=text) | Q(description__icontains=text) | Q(address__icontains=text))
    return rows


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def by_tracking(*, number: str, tracking_key: str | None = None) -> WorkOrder:
    """A work order as the public sees it; with the key, as its reporter does. Follows a merge to the survivor."""
    order = WorkOrder.objects.select_related("incident_type", "region", "merged_into").get(number=number)
    if tracking_key is not None and not secrets.compare_digest(tracking_key, order.tracking_key):
        raise WorkOrder.DoesNotExist
    return order


def timeline(order: WorkOrder, *, public: bool) -> QuerySet[WorkOrderEvent]:
    events = order.events.select_related("actor").prefetch_related("attachments")
    return events.filter(action__in=PUBLIC_ACTIONS) if public else events


def incident_types() -> QuerySet[IncidentType]:
    return IncidentType.objects.filter(is_active=True).select_related("category").order_by("category__sort", "code")


def classify(description: str) -> IncidentType | None:
    """The incident type whose keywords the description mentions most (ties: the more specific keyword wins)."""
    best: tuple[int, int, IncidentType] | None = None
    for kind in incident_types():
        hits = [word for word in kind.keywords if word and word in description]
        if hits:
            score = (len(hits), max(len(word) for word in hits))
            if best is None or score > best[:2]:
                best = (*score, kind)
    return best[2] if best else None


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine): exact enough across a district."""
    rlat1, rlat2 = math.radians(lat1), math.radians(lat2)
    dlat, dlon = rlat2 - rlat1, math.radians(lon2 - lon1)
    h = math.sin(dlat / 2) ** 2 + math.cos(rlat1) * math.cos(rlat2) * math.sin(dlon / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def nearest_officers(*, department: Department, lon: float, lat: float, limit: int = 3) -> list[tuple[User, float]]:
    """On-duty handlers of the department with a fresh position, nearest first."""
    since = timezone.now() - POSITION_MAX_AGE
    positions = OfficerPosition.objects.filter(
        on_duty=True,
        reported_at__gte=since,
        user__is_active=True,
        user__posts__is_active=True,
        user__posts__role=Role.DEPARTMENT_HANDLER,
        user__posts__department=department,
    ).select_related("user")
    ranked = sorted(((p.user, distance_m(lon, lat, p.lon, p.lat)) for p in positions), key=lambda pair: pair[1])
    return ranked[:limit]


def district_code(order: WorkOrder) -> str:
    codes = order.region_path.strip("/").split("/")
    return codes[1] if len(codes) > 1 else codes[0]


@dataclass(frozen=True)
class Suggestion:
    department: Department | None
    assignee: User | None
    distance_m: float | None
    reason: str


def suggest_handler(order: WorkOrder) -> Suggestion | None:
    """Who the responsibility list and the location say should handle the order."""
    kind = order.incident_type
    if kind is None:
        return None
    if kind.department_key:
        department = Department.objects.filter(
            code=f"{district_code(order)}-{kind.department_key}", is_active=True
        ).first()
        if department is None:
            return None
        if kind.field_dispatch and order.lon is not None and order.lat is not None:
            nearest = nearest_officers(department=department, lon=order.lon, lat=order.lat, limit=1)
            if nearest:
                officer, metres = nearest[0]
                return Suggestion(department, officer, metres, "nearest_officer")
        return Suggestion(department, None, None, "responsibility_list")
    owner = level_owner(order.region, kind.handling_level)
    return Suggestion(None, owner, None, "responsibility_list") if owner else None


# Who handles a type that has no department, by the level the responsibility list names.
LEVEL_OWNERS: dict[str, str] = {
    Level.GRID: Role.GRID_WORKER,
    Level.COMMUNITY: Role.COMMUNITY_HEAD,
    Level.STREET: Role.STREET_OFFICER,
    Level.DISTRICT: Role.DISTRICT_ADMIN,
}


def level_owner(grid: Region, level: str) -> User | None:
    role = LEVEL_OWNERS.get(level)
    codes = grid.ancestor_codes()
    depths: dict[str, int] = {Level.GRID: 5, Level.COMMUNITY: 4, Level.STREET: 3, Level.DISTRICT: 2}
    wanted = depths.get(level)  # depth in the path
    if role is None or wanted is None or len(codes) < wanted:
        return None
    post = (
        Post.objects.filter(is_active=True, role=role, region__code=codes[wanted - 1], user__is_active=True)
        .select_related("user")
        .order_by("started_on", "pk")
        .first()
    )
    return post.user if post else None


def possible_duplicates(
    *, actor: Any, incident_type: IncidentType | None, lon: float | None, lat: float | None, exclude: int | None = None
) -> list[tuple[WorkOrder, float]]:
    """Open work orders of the same type within the radius reported in the last days, nearest first."""
    if incident_type is None or lon is None or lat is None:
        return []
    # a box a little larger than the radius narrows the rows before the exact distance
    dlat = DUPLICATE_RADIUS_M / 111_000
    dlon = dlat / max(math.cos(math.radians(lat)), 0.1)
    rows = work_orders(actor=actor).filter(
        incident_type=incident_type,
        status__in=OPEN_STATUSES,
        reported_at__gte=timezone.now() - DUPLICATE_WINDOW,
        lon__range=(lon - dlon, lon + dlon),
        lat__range=(lat - dlat, lat + dlat),
    )
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    found = [
        (row, distance_m(lon, lat, row.lon, row.lat))
        for row in rows[:50]
        if row.lon is not None and row.lat is not None
    ]
    return sorted((pair for pair in found if pair[1] <= DUPLICATE_RADIUS_M), key=lambda pair: pair[1])
