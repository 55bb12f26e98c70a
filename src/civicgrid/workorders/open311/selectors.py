"""Reads of the Open311 interface.

Open311 is public by design, like the tracking page: anyone may list the requests and follow them. So these reads
are not restricted to an actor's jurisdiction; they are scoped by `jurisdiction_id` (a district) instead, and
`views.py` shows only what is public of each row (never the reporter, never staff names; less for private types).
"""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet

from civicgrid.core.models import AuditEntry
from civicgrid.people.models import Department
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from civicgrid.workorders.choices import PUBLIC_ACTIONS, Action
from civicgrid.workorders.models import IncidentType, WorkOrder, WorkOrderEvent
from civicgrid.workorders.selectors import incident_types

CATALOGUE_ACTIONS = ("incident_types.load", "incident_type.update")
# What showing a request reads (present.request_item): a list of 1,000 stays quick without the rest of each row.
REQUEST_FIELDS = (
    *("number", "region_path", "status", "level", "description", "address", "lon", "lat", "media_url"),
    *("reported_at", "updated_at", "closed_at", "handle_due_at", "solved_on_spot", "idempotency_key"),
    *("incident_type__code", "incident_type__name", "incident_type__is_private", "incident_type__department_key"),
    *("incident_type__handling_level", "incident_type__handle_limit", "incident_type__handle_unit"),
    *("department__name", "merged_into__number", "open311_client_id"),
)
# What showing a step reads (present.update_item).
UPDATE_FIELDS = (
    *("action", "to_status", "note", "data", "created_at"),
    *("work_order__number", "work_order__media_url", "work_order__incident_type__is_private"),
)


def served_districts() -> list[Region]:
    """The districts this platform serves (those with grids): each is one Open311 jurisdiction."""
    grids = Region.objects.filter(level=Level.GRID, path__startswith=OuterRef("path"))
    return list(Region.objects.filter(level=Level.DISTRICT).filter(Exists(grids)).order_by("code"))


def services() -> QuerySet[IncidentType]:
    """Every active incident type, in catalogue order: the services a client may file."""
    return incident_types()


def service(code: str) -> IncidentType | None:
    return services().filter(code=code).first()


def known_service_codes(codes: Iterable[str]) -> set[str]:
    """Which of these are codes of an incident type, retired ones included (their requests are still listed)."""
    return set(IncidentType.objects.filter(code__in=list(codes)).values_list("code", flat=True))


def catalogue_changed_at() -> datetime | None:
    """When the catalogue last changed (loaded or edited): discovery's changeset, which tells clients to refresh."""
    return (
        AuditEntry.objects.filter(action__in=CATALOGUE_ACTIONS)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def requests(*, district: Region | None) -> QuerySet[WorkOrder]:
    """Every work order of the district (or of the platform), with what rendering a request needs."""
    rows = (
        WorkOrder.objects.select_related("incident_type", "department", "merged_into")
        .only(*REQUEST_FIELDS)
        .order_by("-reported_at", "-id")
    )
    if district is not None:
        rows = rows.filter(region_path__startswith=district.path)
    return rows


def updates(*, district: Region | None) -> QuerySet[WorkOrderEvent]:
    """The public steps of every work order of the district, oldest first."""
    rows = (
        WorkOrderEvent.objects.filter(action__in=PUBLIC_ACTIONS)
        .select_related("work_order", "work_order__incident_type")
        .only(*UPDATE_FIELDS)
        .order_by("created_at", "id")
    )
    if district is not None:
        rows = rows.filter(work_order__region_path__startswith=district.path)
    return rows


def region_names(paths: Iterable[str]) -> dict[str, str]:
    """Names of every region on these paths, by code, in one query."""
    codes = {code for path in paths for code in path.strip("/").split("/") if code}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))


def void_reasons(order_ids: Iterable[int]) -> dict[int, str]:
    """The reason given when each of these orders was voided (the latest, should there be more)."""
    reasons: dict[int, str] = {}
    events = WorkOrderEvent.objects.filter(work_order_id__in=list(order_ids), action=Action.VOID).order_by("created_at")
    for work_order_id, note in events.values_list("work_order_id", "note"):
        reasons[work_order_id] = note
    return reasons


def department_names(district_codes: Iterable[str]) -> dict[str, str]:
    """Department names by code ("320106-water": "水务局") for these districts, for the service notices."""
    codes = list(set(district_codes))
    if not codes:
        return {}
    rows = Department.objects.filter(region__code__in=codes, is_active=True).values_list("code", "name")
    return dict(rows)
