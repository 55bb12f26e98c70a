"""Reads of the command centre: where the actor's figures and map start, and what the command map shows.

Every read goes through the work-order and region selectors, so it is restricted to the actor's jurisdiction;
nothing here returns a reporter's name or phone.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from shapely.geometry import Point, shape
from shapely.prepared import prep

from civicgrid.core.jurisdiction import restrict
from civicgrid.people.choices import Role
from civicgrid.people.models import Department
from civicgrid.regions import selectors as regions
from civicgrid.regions.models import Region
from civicgrid.workorders import selectors as workorders
from civicgrid.workorders.choices import OPEN_STATUSES, WAITING_FOR_DISPATCH, Source, Status, Supervision
from civicgrid.workorders.models import OfficerPosition, WorkOrder

MAP_LIMIT = 1500  # markers drawn at once: more would swamp a phone; the most urgent come first
MARKER_FIELDS = (
    "number",
    "version",
    "status",
    "level",
    "source",
    "address",
    "lon",
    "lat",
    "reported_at",
    "dispatch_due_at",
    "handle_due_at",
    "is_overdue",
    "supervision",
    "region__name",
    "incident_type__name",
    "incident_type__category__name",
)


def home_region(*, actor: Any) -> Region | None:
    """Where the actor's figures and map start: their one top region, or the smallest region holding all of them."""
    tops = list(regions.top_regions(actor=actor))
    if len(tops) == 1:
        return tops[0]
    if not tops:
        return None
    # the longest chain of codes every top region starts with (whole codes, not characters)
    chains = [region.ancestor_codes() for region in tops]
    shared = []
    for codes in zip(*chains, strict=False):
        if len(set(codes)) != 1:
            break
        shared.append(codes[0])
    return Region.objects.filter(path="/" + "".join(f"{code}/" for code in shared)).first() if shared else None


def region_for(*, actor: Any, code: str | None) -> Region | None:
    """The region asked for (Region.DoesNotExist when unknown or outside the jurisdiction), else the home region."""
    if code:
        return regions.region_by_code(actor=actor, code=code)
    return home_region(actor=actor)


def subregions(*, actor: Any, region: Region | None) -> QuerySet[Region]:
    """The children of the region that the actor may see (the drill-down choices)."""
    if region is None:
        return regions.top_regions(actor=actor)
    return regions.children(actor=actor, region=region)


def departments_serving(region: Region | None) -> list[Department]:
    """Active departments whose area covers the region (the district's departments for a street)."""
    rows = Department.objects.filter(is_active=True).select_related("region").order_by("code")
    if region is None:
        return list(rows)
    return [d for d in rows if region.path.startswith(d.region.path) or d.region.path.startswith(region.path)]


# ---------------------------------------------------------------- the command map


STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "open": tuple(OPEN_STATUSES),
    "waiting": tuple(WAITING_FOR_DISPATCH),
    "handling": (Status.DISPATCHED, Status.SIGNED),
    "handled": (Status.HANDLED,),
    "closed": (Status.CLOSED, Status.RATED),
    "suspended": (Status.SUSPENDED,),
}
FLAGS = ("overdue", "supervised", "yellow", "red")
SINCE_DAYS = (1, 7, 30, 90)


@dataclass(frozen=True)
class MapFilters:
    status: str = "open"  # a key of STATUS_GROUPS, or "all"
    category: str = ""
    incident_type: str = ""
    source: str = ""
    since_days: int | None = None  # reported within the last n days
    flag: str = ""  # overdue, supervised, yellow, red

    def apply(self, rows: QuerySet[WorkOrder], *, now: datetime, with_status: bool = True) -> QuerySet[WorkOrder]:
        if with_status and self.status in STATUS_GROUPS:
            rows = rows.filter(status__in=STATUS_GROUPS[self.status])
        if self.category:
            rows = rows.filter(incident_type__category__code=self.category)
        if self.incident_type:
            rows = rows.filter(incident_type__code=self.incident_type)
        if self.source in Source.values:
            rows = rows.filter(source=self.source)
        if self.since_days:
            rows = rows.filter(reported_at__gte=now - timedelta(days=self.since_days))
        if self.flag == "overdue":
            rows = rows.filter(is_overdue=True)
        elif self.flag == "supervised":
            rows = rows.exclude(supervision=Supervision.NONE)
        elif self.flag in (Supervision.YELLOW, Supervision.RED):
            rows = rows.filter(supervision=self.flag)
        return rows


def in_region(*, actor: Any, region: Region | None) -> QuerySet[WorkOrder]:
    rows = workorders.work_orders(actor=actor)
    return rows.filter(region_path__startswith=region.path) if region is not None else rows


# Red supervision first, then yellow (the codes do not sort that way). Being an expression, it also keeps PostgreSQL
# from walking the whole supervision index backwards for the LIMIT instead of reading the open orders and sorting.
URGENCY = Case(
    When(supervision=Supervision.RED, then=Value(2)),
    When(supervision=Supervision.YELLOW, then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)


def map_orders(*, actor: Any, region: Region | None, filters: MapFilters, now: datetime | None = None) -> Any:
    """The work orders to draw, most urgent first (red, yellow, overdue, newest), and how many matched in all."""
    now = now or timezone.now()
    rows = filters.apply(in_region(actor=actor, region=region), now=now).filter(lon__isnull=False, lat__isnull=False)
    total = rows.count()
    shown = list(
        rows.select_related(None)
        .select_related("region", "incident_type", "incident_type__category")
        # only what a marker shows: a grid's boundary or an order's description would make each row kilobytes
        .only(*MARKER_FIELDS)
        .annotate(urgency=URGENCY)
        .order_by("-urgency", "-is_overdue", "-reported_at", "-id")[:MAP_LIMIT]
    )
    return shown, total


def queued(*, actor: Any, ids: list[int]) -> set[int]:
    """Which of these work orders wait in the actor's own queue (to register or dispatch at their level)."""
    if not ids:
        return set()
    return set(workorders.queue(actor=actor).filter(pk__in=ids).values_list("pk", flat=True))


def open_per_grid(*, actor: Any, region: Region | None, filters: MapFilters, now: datetime | None = None) -> dict:
    """Open work orders per grid code (for the colours), narrowed by every filter except the status."""
    rows = filters.apply(in_region(actor=actor, region=region), now=now or timezone.now(), with_status=False)
    grouped = rows.filter(status__in=OPEN_STATUSES).order_by().values("region_path").annotate(n=Count("pk"))
    return {row["region_path"].strip("/").rsplit("/", 1)[-1]: row["n"] for row in grouped}


def situation(*, actor: Any, region: Region | None) -> dict[str, int]:
    """The region's open work at a glance, whatever the filters: open, waiting for dispatch, overdue, supervised."""
    open_rows = in_region(actor=actor, region=region).filter(status__in=OPEN_STATUSES).order_by()
    return open_rows.aggregate(
        open=Count("pk"),
        waiting=Count("pk", filter=Q(status__in=WAITING_FOR_DISPATCH)),
        overdue=Count("pk", filter=Q(is_overdue=True)),
        yellow=Count("pk", filter=Q(supervision=Supervision.YELLOW)),
        red=Count("pk", filter=Q(supervision=Supervision.RED)),
    )


def bounds(region: Region | None) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the region's boundary, or None when it has none."""
    if region is None or not region.boundary:
        return None
    points: list[tuple[float, float]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list | tuple) and len(node) >= 2 and all(isinstance(v, int | float) for v in node[:2]):
            points.append((float(node[0]), float(node[1])))
        elif isinstance(node, list | tuple):
            for child in node:
                walk(child)

    walk(region.boundary.get("coordinates", []))
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def officers_on_duty(*, actor: Any, region: Region | None, now: datetime | None = None) -> list[OfficerPosition]:
    """Field officers on duty with a fresh position (under 30 minutes) in the region's area.

    Those the actor's jurisdiction covers (grid staff of the region), and the handlers of the departments that serve
    the area (their posts name a department, not a region, yet the street dispatches to them).
    """
    now = now or timezone.now()
    fresh = OfficerPosition.objects.filter(
        on_duty=True, reported_at__gte=now - workorders.POSITION_MAX_AGE, user__is_active=True
    )
    visible = restrict(actor, OfficerPosition.objects.all()).values("user_id")
    serving = [d.pk for d in departments_serving(region)]
    condition = Q(user_id__in=visible) | Q(
        user__posts__is_active=True, user__posts__role=Role.DEPARTMENT_HANDLER, user__posts__department__in=serving
    )
    rows = fresh.filter(condition)
    box = bounds(region)
    if box is not None:
        west, south, east, north = box
        rows = rows.filter(lon__range=(west, east), lat__range=(south, north))  # the index narrows, shapely decides
    elif region is not None:
        rows = rows.filter(user__posts__region__path__startswith=region.path)
    found = list(rows.distinct().select_related("user").prefetch_related("user__posts__department").order_by("user_id"))
    if box is not None and region is not None:
        area = prep(shape(region.boundary))
        found = [p for p in found if area.covers(Point(p.lon, p.lat))]
    return found


def officer_label(position: OfficerPosition) -> str:
    """Who the officer is to a dispatcher: their department's short name (or role) and name; never a phone."""
    posts = [post for post in position.user.posts.all() if post.is_active]
    department = next((post.department for post in posts if post.department is not None), None)
    if department is not None:
        where = department.short_name or department.name
    else:
        where = posts[0].get_role_display() if posts else ""
    return f"{where} · {position.user.display_name}" if where else position.user.display_name
