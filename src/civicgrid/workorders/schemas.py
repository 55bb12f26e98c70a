"""Shapes of work orders over JSON. Residents' names and phones never leave in these, except masked to staff."""

from datetime import datetime
from typing import Any, ClassVar

from django.urls import reverse
from ninja import Field, Schema

from civicgrid.core.masking import mask_phone
from civicgrid.core.schemas import Day
from civicgrid.workorders import selectors
from civicgrid.workorders.choices import WAITING_FOR_DISPATCH, Action, Source, Status, Supervision
from civicgrid.workorders.models import Attachment, WorkOrder, WorkOrderEvent
from civicgrid.workorders.permissions import allowed_actions

PHOTO_LIMIT_NOTE = "base64 of JPEG, PNG, WebP, GIF or BMP; at most 6, each at most 10 MB"


class IncidentTypeOut(Schema):
    code: str
    name: str
    category_code: str
    category_name: str
    description: str
    handling_level: str
    department_key: str
    field_dispatch: bool
    emergency_fund: bool

    @staticmethod
    def resolve_category_code(kind: Any) -> str:
        return kind.category.code

    @staticmethod
    def resolve_category_name(kind: Any) -> str:
        return kind.category.name


class ReportIn(Schema):
    description: str = Field(..., max_length=20000, description="what is wrong; at most 2,000 characters are kept")
    incident_type: str | None = Field(None, max_length=12, description="a type code from /types; may be left out")
    lon: float | None = Field(None, description="WGS-84 longitude")
    lat: float | None = Field(None, description="WGS-84 latitude")
    grid_code: str | None = Field(None, max_length=15, description="staff only: the grid, when there is no point")
    address: str = Field("", max_length=400)
    reporter_name: str = Field("", max_length=80)
    reporter_phone: str = Field("", max_length=30, description="optional; only to tell the reporter; never public")
    source: Source | None = Field(None, description="staff only; residents' reports are `resident`")
    solved_on_spot: bool = Field(False, description="staff of the grid only: already solved, filed closed")
    photos: list[str] = Field(default_factory=list, max_length=6, description=PHOTO_LIMIT_NOTE)


class RegionRef(Schema):
    code: str
    name: str


class ReportOut(Schema):
    number: str
    tracking_key: str = Field(description="keep it: with it the reporter confirms, rates and reopens")
    tracking_url: str
    status: Status
    status_label: str
    grid: RegionRef
    incident_type: str | None
    reported_at: datetime

    @staticmethod
    def resolve_tracking_url(order: WorkOrder) -> str:
        return reverse("workorders:track", args=[order.number]) + f"?key={order.tracking_key}"

    @staticmethod
    def resolve_status_label(order: WorkOrder) -> str:
        return str(Status(order.status).label)

    @staticmethod
    def resolve_grid(order: WorkOrder) -> dict[str, str]:
        return {"code": order.region.code, "name": order.region.name}

    @staticmethod
    def resolve_incident_type(order: WorkOrder) -> str | None:
        return order.incident_type.code if order.incident_type else None


class PhotoOut(Schema):
    id: int
    url: str
    width: int
    height: int


def photo_out(attachment: Attachment, key: str | None = None) -> dict[str, Any]:
    url = reverse("workorders:photo", args=[attachment.pk]) + (f"?key={key}" if key else "")
    return {"id": attachment.pk, "url": url, "width": attachment.width, "height": attachment.height}


class PublicEventOut(Schema):
    action: Action
    action_label: str
    to_status: Status
    to_status_label: str
    at: datetime

    @staticmethod
    def resolve_action_label(event: WorkOrderEvent) -> str:
        return str(Action(event.action).label)

    @staticmethod
    def resolve_to_status_label(event: WorkOrderEvent) -> str:
        return str(Status(event.to_status).label)

    @staticmethod
    def resolve_at(event: WorkOrderEvent) -> datetime:
        return event.created_at


class TrackOut(Schema):
    """Where a report stands: for anyone with the number; the reporter with the key sees their own words and photos."""

    number: str
    status: Status
    status_label: str
    incident_type: str | None
    grid: RegionRef
    reported_at: datetime
    closed_at: datetime | None
    merged_into: str | None
    rating: int | None
    events: list[PublicEventOut]
    description: str | None = Field(None, description="with the key only")
    photos: list[PhotoOut] = Field(default_factory=list, description="with the key only")
    reporter_actions: list[Action] = Field(default_factory=list, description="with the key only")


class ReporterActionIn(Schema):
    key: str = Field(..., max_length=40)
    action: Action
    note: str = Field("", max_length=5000)
    rating: int | None = Field(None, ge=1, le=5)
    comment: str = Field("", max_length=200)
    expected_version: int | None = None
    photos: list[str] = Field(default_factory=list, max_length=6, description=PHOTO_LIMIT_NOTE)


class WorkOrderOut(Schema):
    number: str
    status: Status
    status_label: str
    level: str
    source: Source
    incident_type: str | None
    incident_type_name: str | None
    description: str
    address: str
    lon: float | None
    lat: float | None
    grid: RegionRef
    department: str | None = Field(description="the department's code")
    department_name: str | None
    assignee: str | None = Field(description="username")
    assignee_name: str | None
    supervision: Supervision
    is_overdue: bool
    solved_on_spot: bool
    reported_at: datetime
    dispatch_due_at: datetime | None
    sign_due_at: datetime | None
    handle_due_at: datetime | None
    deadline_estimated: bool
    closed_at: datetime | None
    rating: int | None
    version: int

    @staticmethod
    def resolve_status_label(order: WorkOrder) -> str:
        return str(Status(order.status).label)

    @staticmethod
    def resolve_incident_type(order: WorkOrder) -> str | None:
        return order.incident_type.code if order.incident_type else None

    @staticmethod
    def resolve_incident_type_name(order: WorkOrder) -> str | None:
        return order.incident_type.name if order.incident_type else None

    @staticmethod
    def resolve_grid(order: WorkOrder) -> dict[str, str]:
        return {"code": order.region.code, "name": order.region.name}

    @staticmethod
    def resolve_department(order: WorkOrder) -> str | None:
        return order.department.code if order.department else None

    @staticmethod
    def resolve_department_name(order: WorkOrder) -> str | None:
        return order.department.name if order.department else None

    @staticmethod
    def resolve_assignee(order: WorkOrder) -> str | None:
        return order.assignee.username if order.assignee else None

    @staticmethod
    def resolve_assignee_name(order: WorkOrder) -> str | None:
        return order.assignee.display_name if order.assignee else None


class WorkOrderPage(Schema):
    items: list[WorkOrderOut]
    next_offset: int | None = Field(description="the offset of the next page; null on the last page")


class EventOut(Schema):
    action: Action
    action_label: str
    from_status: str
    to_status: Status
    actor: str
    note: str
    data: dict[str, Any]
    at: datetime
    photos: list[PhotoOut]

    @staticmethod
    def resolve_action_label(event: WorkOrderEvent) -> str:
        return str(Action(event.action).label)

    @staticmethod
    def resolve_actor(event: WorkOrderEvent) -> str:
        return event.actor_label

    @staticmethod
    def resolve_at(event: WorkOrderEvent) -> datetime:
        return event.created_at

    @staticmethod
    def resolve_photos(event: WorkOrderEvent) -> list[dict[str, Any]]:
        return [photo_out(a) for a in event.attachments.all()]


class SuggestionOut(Schema):
    department: str | None
    department_name: str | None
    assignee: str | None
    assignee_name: str | None
    distance_m: float | None
    reason: str


class DuplicateOut(Schema):
    number: str
    status: Status
    distance_m: float
    reported_at: datetime


class WorkOrderDetail(WorkOrderOut):
    reporter_name: str = Field(description="staff reporter's name, or what a resident called themselves")
    reporter_phone: str = Field(description="masked: 139****5678")
    merged_into: str | None
    extension_pending_days: int | None
    rework_count: int
    return_count: int
    extension_count: int
    escalation_count: int
    events: list[EventOut]
    actions: list[Action] = Field(description="what the caller may do now")
    suggestion: SuggestionOut | None = Field(description="who the responsibility list suggests, while it waits")
    duplicates: list[DuplicateOut] = Field(description="open orders of the same type nearby (150 m, 7 days)")

    @staticmethod
    def resolve_reporter_name(order: WorkOrder) -> str:
        return order.reporter.display_name if order.reporter else order.reporter_name

    @staticmethod
    def resolve_reporter_phone(order: WorkOrder) -> str:
        return mask_phone(order.reporter_phone)

    @staticmethod
    def resolve_merged_into(order: WorkOrder) -> str | None:
        return order.merged_into.number if order.merged_into_id and order.merged_into else None

    @staticmethod
    def resolve_events(order: WorkOrder) -> list[WorkOrderEvent]:
        return list(selectors.timeline(order, public=False))

    @staticmethod
    def resolve_actions(order: WorkOrder, context: dict[str, Any]) -> list[str]:
        return allowed_actions(context["request"].user, order)

    @staticmethod
    def resolve_suggestion(order: WorkOrder) -> dict[str, Any] | None:
        suggestion = selectors.suggest_handler(order) if order.status in WAITING_FOR_DISPATCH else None
        if suggestion is None:
            return None
        department, assignee = suggestion.department, suggestion.assignee
        return {
            "department": department.code if department else None,
            "department_name": department.name if department else None,
            "assignee": assignee.username if assignee else None,
            "assignee_name": assignee.display_name if assignee else None,
            "distance_m": round(suggestion.distance_m, 1) if suggestion.distance_m is not None else None,
            "reason": suggestion.reason,
        }

    @staticmethod
    def resolve_duplicates(order: WorkOrder, context: dict[str, Any]) -> list[dict[str, Any]]:
        if not order.is_open:
            return []
        found = selectors.possible_duplicates(
            actor=context["request"].user,
            incident_type=order.incident_type,
            lon=order.lon,
            lat=order.lat,
            exclude=order.pk,
        )
        return [
            {"number": row.number, "status": row.status, "distance_m": round(metres, 1), "reported_at": row.reported_at}
            for row, metres in found
        ]


class ActionIn(Schema):
    action: Action
    note: str = Field("", max_length=5000, description="the reason, where the action needs one")
    expected_version: int | None = Field(None, description="the version the caller saw; a newer one is a 409")
    department_code: str | None = Field(None, max_length=32, description="dispatch / redispatch")
    assignee: str | None = Field(None, max_length=150, description="dispatch / redispatch: a username")
    incident_type_code: str | None = Field(None, max_length=12, description="register / dispatch: set the type")
    into: str | None = Field(None, max_length=24, description="merge: the surviving order's number")
    days: int | None = Field(None, ge=1, le=30, description="request_extension: working days")
    supervision: Supervision | None = Field(None, description="supervise: yellow or red")
    photos: list[str] = Field(default_factory=list, max_length=6, description=PHOTO_LIMIT_NOTE)

    PARAMS: ClassVar[tuple[str, ...]] = (
        "department_code",
        "assignee",
        "incident_type_code",
        "into",
        "days",
        "supervision",
    )

    def params(self) -> dict[str, Any]:
        """The action's own parameters, only those given (the service refuses ones the action does not take)."""
        return {name: getattr(self, name) for name in self.PARAMS if getattr(self, name) not in (None, "")}


class PositionIn(Schema):
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    on_duty: bool = True


class PositionOut(Schema):
    lon: float
    lat: float
    on_duty: bool
    reported_at: datetime


class ListQuery(Schema):
    status: Status | None = Field(None, description="one status")
    open: bool = Field(False, description="only open work orders (reported to handled, or suspended)")
    incident_type: str = Field("", max_length=12)
    category: str = Field("", max_length=8)
    source: Source | None = None
    level: str = Field("", max_length=12)
    department: str = Field("", max_length=32, description="a department's code")
    region: str = Field("", max_length=15, description="a region code: its whole subtree")
    overdue: bool = False
    supervised: bool = False
    reported_from: Day | None = None
    reported_to: Day | None = None
    q: str = Field("", max_length=50, description="a number's beginning, or words of the description or address")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=100_000)
