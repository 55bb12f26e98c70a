"""Shapes of the service centre over JSON.

Residents' names, identity numbers and phones leave only masked (张**, 320106********123X, 139****5678); the full
values only through the reveal endpoint, which writes an access-log row. The public shapes (kiosk, board, pad,
tracking) carry no personal data but a masked name.
"""

from datetime import date, datetime, time
from typing import Any

from ninja import Field, Schema

from civicgrid.core.identity import mask_id_number, mask_name, mask_phone
from civicgrid.hall.choices import (
    ApplicationAction,
    ApplicationStatus,
    AppointmentStatus,
    Channel,
    ConsentMethod,
    DeliveryStatus,
    Mode,
    PriorityReason,
    ProofKind,
    ProxyRelation,
    RatingReason,
    ResultDelivery,
    TicketAction,
    TicketSource,
    TicketStatus,
)
from civicgrid.hall.models import Delivery


class Ref(Schema):
    code: str
    name: str


# ---------------------------------------------------------------- catalogue


class MaterialOut(Schema):
    code: str
    name: str
    copies: str
    source_note: str = Field(description="where a resident gets it (printed on the one-time notice)")
    required: bool


class ItemOut(Schema):
    code: str
    name: str
    description: str
    mode: Mode
    time_limit_days: int = Field(description="promised time limit in working days; 0 on the spot")
    department_key: str
    group: str = Field(description="the service group's letter: the ticket prefix")
    applicants: list[str]
    online_bookable: bool
    materials: list[MaterialOut]

    @staticmethod
    def resolve_group(item: Any) -> str:
        return item.group.code

    @staticmethod
    def resolve_materials(item: Any) -> list[Any]:
        return list(item.materials.all())


class CategoryOut(Schema):
    code: str
    name: str
    items: list[ItemOut]

    @staticmethod
    def resolve_items(category: Any) -> list[Any]:
        return list(category.items.all())


class GroupOut(Schema):
    code: str
    name: str


# ---------------------------------------------------------------- centres


class GroupQueueOut(Schema):
    group: GroupOut
    waiting: int
    counters: int = Field(description="signed-in counters serving the group now")
    expected_minutes: int = Field(description="expected wait for someone taking a ticket now")


class PublicCentreOut(Schema):
    code: str
    name: str
    address: str
    phone: str
    street: Ref
    open_now: bool
    hours_today: str
    extended_hours: dict[str, list[list[str]]]


class KioskOut(PublicCentreOut):
    queues: list[GroupQueueOut]
    bookable_items: list[Ref]
    priority_reasons: list[Ref]


class CounterOut(Schema):
    id: int
    number: int
    name: str
    groups: list[str] = Field(description="group letters; empty: every group")
    is_active: bool
    clerk: str | None = Field(description="the signed-in clerk's name")
    clerk_username: str | None
    signed_in_at: datetime | None

    @staticmethod
    def resolve_groups(counter: Any) -> list[str]:
        return sorted(g.code for g in counter.groups.all())

    @staticmethod
    def resolve_clerk(counter: Any) -> str | None:
        return counter.clerk.display_name if counter.clerk_id else None

    @staticmethod
    def resolve_clerk_username(counter: Any) -> str | None:
        return counter.clerk.username if counter.clerk_id else None


class CounterPadOut(CounterOut):
    pad_key: str = Field(description="set it on the counter's rating pad: /hall/pad/<pad_key>")


class CentreOut(Schema):
    code: str
    name: str
    street: Ref
    address: str
    phone: str
    is_active: bool

    @staticmethod
    def resolve_street(centre: Any) -> dict[str, str]:
        return {"code": centre.street.code, "name": centre.street.name}


class CentreDetail(CentreOut):
    hours: list[list[str]]
    extended_hours: dict[str, list[list[str]]]
    slot_minutes: int
    slot_capacity: int
    booking_days: int
    priority_age: int
    ticket_cutoff_minutes: int
    not_offered: list[str]
    counters: list[CounterOut]

    @staticmethod
    def resolve_not_offered(centre: Any) -> list[str]:
        return sorted(i.code for i in centre.not_offered.all())

    @staticmethod
    def resolve_counters(centre: Any) -> list[Any]:
        return list(centre.counters.prefetch_related("groups").select_related("clerk").order_by("number"))


class CentreChangesIn(Schema):
    name: str | None = Field(None, max_length=100)
    address: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=30)
    hours: list[list[str]] | None = Field(None, description='working-day periods, e.g. [["08:30", "12:00"]]')
    extended_hours: dict[str, list[list[str]]] | None = Field(None, description="weekday 0-6 -> periods")
    slot_minutes: int | None = None
    slot_capacity: int | None = None
    booking_days: int | None = None
    priority_age: int | None = None
    ticket_cutoff_minutes: int | None = None
    is_active: bool | None = None


class CentreItemsIn(Schema):
    not_offered: list[str] = Field(
        default_factory=list, max_length=500, description="item codes this centre does not handle"
    )


class CounterIn(Schema):
    number: int = Field(..., ge=1, le=99)
    name: str = Field("", max_length=40)
    groups: list[str] = Field(default_factory=list, max_length=26)


class CounterChangesIn(Schema):
    name: str | None = Field(None, max_length=40)
    groups: list[str] | None = Field(None, max_length=26)
    is_active: bool | None = None


# ---------------------------------------------------------------- the queue


class TicketIn(Schema):
    group: str = Field(..., max_length=1, description="the group letter, from the kiosk's buttons")
    priority_reason: PriorityReason | None = None
    id_number: str = Field("", max_length=30, description="optional, from the kiosk's card reader")
    resident_name: str = Field("", max_length=60, description="optional, from the kiosk's card reader")
    source: TicketSource = Field(TicketSource.KIOSK, description="desk: a clerk takes it for a walk-in")


class CheckInIn(Schema):
    code: str = Field(..., max_length=20, description="the 8-digit appointment code")


class TicketIssued(Schema):
    id: int
    code: str
    group: GroupOut
    priority: bool
    issued_at: datetime
    waiting_ahead: int
    expected_minutes: int
    centre: str
    appointment_slot: str | None = None


class TicketOut(Schema):
    id: int
    code: str
    day: date
    group: GroupOut
    status: TicketStatus
    status_label: str
    source: TicketSource
    priority_reason: str
    resident: str = Field(description="masked name, if the resident gave one")
    issued_at: datetime
    queued_at: datetime
    called_at: datetime | None
    served_at: datetime | None
    finished_at: datetime | None
    counter: int | None = Field(description="the counter's number")
    clerk: str | None
    target_counter: int | None
    recall_count: int
    wait_seconds: int | None
    handle_seconds: int | None
    appointment: str | None = Field(description="the appointment code")
    rated: bool
    version: int
    actions: list[TicketAction] = Field(default_factory=list, description="what the caller may do now")

    @staticmethod
    def resolve_status_label(ticket: Any) -> str:
        return str(ticket.get_status_display())

    @staticmethod
    def resolve_resident(ticket: Any) -> str:
        return mask_name(ticket.resident_name)

    @staticmethod
    def resolve_counter(ticket: Any) -> int | None:
        return ticket.counter.number if ticket.counter_id else None

    @staticmethod
    def resolve_clerk(ticket: Any) -> str | None:
        return ticket.clerk.display_name if ticket.clerk_id else None

    @staticmethod
    def resolve_target_counter(ticket: Any) -> int | None:
        return ticket.target_counter.number if ticket.target_counter_id else None

    @staticmethod
    def resolve_appointment(ticket: Any) -> str | None:
        return ticket.appointment.code if ticket.appointment_id else None

    @staticmethod
    def resolve_rated(ticket: Any) -> bool:
        return hasattr(ticket, "rating")


class CallIn(Schema):
    ticket_id: int


class CallNextOut(Schema):
    ticket: TicketOut | None = Field(description="null when nobody waits for this counter")


class TicketActionIn(Schema):
    action: TicketAction
    to_counter: int | None = Field(None, description="transfer: the id of the counter to send the resident to")
    expected_version: int | None = None


class BoardCounterOut(Schema):
    number: int
    name: str
    open: bool
    ticket_code: str | None
    public_name: str
    status: str


class BoardCallOut(Schema):
    id: int = Field(description="grows with every call: announce each id once")
    code: str
    counter_number: int
    counter_name: str
    public_name: str
    at: datetime
    recall: bool


class BoardOut(Schema):
    centre: Ref
    now: datetime
    open_now: bool
    hours_today: str
    counters: list[BoardCounterOut]
    calls: list[BoardCallOut]
    queues: list[GroupQueueOut]

    @staticmethod
    def resolve_centre(board: Any) -> dict[str, str]:
        return {"code": board.centre.code, "name": board.centre.name}


# ---------------------------------------------------------------- appointments


class SlotOut(Schema):
    start: time
    end: time
    extended: bool
    capacity: int
    free: int


class BookingIn(Schema):
    item: str = Field(..., max_length=8)
    day: date
    slot: time = Field(description="the slot's start, as /slots lists it")
    resident_name: str = Field(..., max_length=60)
    id_number: str = Field(..., max_length=30)
    phone: str = Field(..., max_length=30, description="the code is sent here by SMS")


class AppointmentOut(Schema):
    code: str
    centre: Ref
    item: Ref
    day: date
    slot_start: time
    slot_end: time
    status: AppointmentStatus
    status_label: str
    channel: str
    resident: str = Field(description="masked name")
    phone: str = Field(description="masked")

    @staticmethod
    def resolve_centre(appointment: Any) -> dict[str, str]:
        return {"code": appointment.centre.code, "name": appointment.centre.name}

    @staticmethod
    def resolve_item(appointment: Any) -> dict[str, str]:
        return {"code": appointment.item.code, "name": appointment.item.name}

    @staticmethod
    def resolve_status_label(appointment: Any) -> str:
        return str(appointment.get_status_display())

    @staticmethod
    def resolve_resident(appointment: Any) -> str:
        return mask_name(appointment.resident_name)

    @staticmethod
    def resolve_phone(appointment: Any) -> str:
        return mask_phone(appointment.phone)


class CancelIn(Schema):
    id_tail: str = Field("", max_length=4, description="the last 4 characters of the resident's identity number")


# ---------------------------------------------------------------- applications


class ProxyIn(Schema):
    relation: ProxyRelation
    name: str = Field("", max_length=60)
    id_number: str = Field("", max_length=30)
    phone: str = Field("", max_length=30)
    username: str = Field("", max_length=150, description="a grid worker applying: their username")
    consent_method: ConsentMethod
    consent_note: str = Field("", max_length=200)


class AcceptIn(Schema):
    centre: str = Field(..., max_length=16)
    item: str = Field(..., max_length=8)
    applicant_name: str = Field(..., max_length=60)
    id_number: str = Field(..., max_length=30)
    phone: str = Field("", max_length=30)
    address: str = Field("", max_length=400)
    grid_code: str | None = Field(None, max_length=15)
    lon: float | None = None
    lat: float | None = None
    materials: list[str] = Field(default_factory=list, max_length=50, description="codes of the materials brought")
    ticket_id: int | None = None
    result_delivery: ResultDelivery = ResultDelivery.PICK_UP
    channel: Channel | None = None
    proxy: ProxyIn | None = None


class ApplicationActionIn(Schema):
    action: ApplicationAction
    note: str = Field("", max_length=2000)
    materials: list[str] | None = Field(None, max_length=50, description="issue_notice, supplement: codes now ticked")
    expected_version: int | None = None
    result_delivery: ResultDelivery | None = Field(
        None, description="complete_on_spot, complete, reject: pick_up, or home (needs the address and grid)"
    )


class RevealIn(Schema):
    fields: list[str] = Field(..., min_length=1, max_length=7)
    reason: str = Field(..., max_length=200)


class ApplicationMaterialOut(Schema):
    code: str
    name: str
    copies: str
    source_note: str
    required: bool
    provided: bool


class EventOut(Schema):
    action: ApplicationAction
    action_label: str
    to_status: ApplicationStatus
    to_status_label: str
    actor: str
    note: str
    at: datetime

    @staticmethod
    def resolve_action_label(event: Any) -> str:
        return str(event.get_action_display())

    @staticmethod
    def resolve_to_status_label(event: Any) -> str:
        return str(event.get_to_status_display())

    @staticmethod
    def resolve_actor(event: Any) -> str:
        return event.actor_label

    @staticmethod
    def resolve_at(event: Any) -> datetime:
        return event.created_at


class NoticeOut(Schema):
    """A one-time notice as printed: what is missing and where to get each, who gave it, how to reach the centre."""

    application: str
    item: str
    applicant: str = Field(description="masked name")
    centre: str
    centre_address: str
    centre_phone: str
    issued_by: str
    issued_at: datetime
    missing: list[dict[str, str]]


class DeliveryOut(Schema):
    id: int
    application: str
    item: str
    grid: Ref
    status: DeliveryStatus
    status_label: str
    assignee: str | None
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    proof_kind: str
    resident: str = Field(description="masked name; reveal it with a reason on the application")
    phone: str = Field(description="masked")
    note: str

    @staticmethod
    def resolve_application(delivery: Any) -> str:
        return delivery.application.number

    @staticmethod
    def resolve_item(delivery: Any) -> str:
        return delivery.application.item.name

    @staticmethod
    def resolve_grid(delivery: Any) -> dict[str, str]:
        return {"code": delivery.grid.code, "name": delivery.grid.name}

    @staticmethod
    def resolve_status_label(delivery: Any) -> str:
        return str(delivery.get_status_display())

    @staticmethod
    def resolve_assignee(delivery: Any) -> str | None:
        return delivery.assignee.display_name if delivery.assignee_id else None

    @staticmethod
    def resolve_resident(delivery: Any) -> str:
        return mask_name(delivery.application.applicant_name)

    @staticmethod
    def resolve_phone(delivery: Any) -> str:
        return mask_phone(delivery.application.phone)


class ApplicationOut(Schema):
    number: str
    centre: Ref
    item: Ref
    mode: Mode
    status: ApplicationStatus
    status_label: str
    outcome: str
    channel: Channel
    applicant: str = Field(description="masked name")
    id_number: str = Field(description="masked: first 6 and last 4 characters")
    phone: str = Field(description="masked")
    first_contact: str = Field(description="the clerk who owns it until it ends (首问负责)")
    accepted_at: datetime
    due_at: datetime | None
    is_overdue: bool
    decided_at: datetime | None
    visit_count: int
    version: int

    @staticmethod
    def resolve_centre(application: Any) -> dict[str, str]:
        return {"code": application.centre.code, "name": application.centre.name}

    @staticmethod
    def resolve_item(application: Any) -> dict[str, str]:
        return {"code": application.item.code, "name": application.item.name}

    @staticmethod
    def resolve_mode(application: Any) -> str:
        return application.item.mode

    @staticmethod
    def resolve_status_label(application: Any) -> str:
        return str(application.get_status_display())

    @staticmethod
    def resolve_applicant(application: Any) -> str:
        return mask_name(application.applicant_name)

    @staticmethod
    def resolve_id_number(application: Any) -> str:
        return mask_id_number(application.id_number)

    @staticmethod
    def resolve_phone(application: Any) -> str:
        return mask_phone(application.phone)

    @staticmethod
    def resolve_first_contact(application: Any) -> str:
        return application.first_contact.display_name


class ApplicationDetail(ApplicationOut):
    sex: str
    age: int
    grid: Ref | None
    has_address: bool
    result_delivery: ResultDelivery
    department: str | None
    reviewer: str | None
    counter: int | None
    ticket: str | None
    proxy: dict[str, str] | None = Field(description="masked proxy details and the consent recorded")
    materials: list[ApplicationMaterialOut]
    missing: list[str] = Field(description="codes of the required materials not provided")
    decision_note: str
    deadline_estimated: bool
    decided_on_time: bool | None
    events: list[EventOut]
    notices: int
    delivery: DeliveryOut | None
    actions: list[ApplicationAction] = Field(description="what the caller may do now")

    @staticmethod
    def resolve_sex(application: Any) -> str:
        return str(application.get_sex_display())

    @staticmethod
    def resolve_age(application: Any) -> int:
        from django.utils import timezone

        from civicgrid.core.identity import age

        return age(application.birth_date, timezone.localdate())

    @staticmethod
    def resolve_grid(application: Any) -> dict[str, str] | None:
        return {"code": application.grid.code, "name": application.grid.name} if application.grid_id else None

    @staticmethod
    def resolve_has_address(application: Any) -> bool:
        return bool(application.address)

    @staticmethod
    def resolve_department(application: Any) -> str | None:
        return application.department.name if application.department_id else None

    @staticmethod
    def resolve_reviewer(application: Any) -> str | None:
        return application.reviewer.display_name if application.reviewer_id else None

    @staticmethod
    def resolve_counter(application: Any) -> int | None:
        return application.counter.number if application.counter_id else None

    @staticmethod
    def resolve_ticket(application: Any) -> str | None:
        return application.ticket.code if application.ticket_id else None

    @staticmethod
    def resolve_proxy(application: Any) -> dict[str, str] | None:
        if not application.proxy_relation:
            return None
        return {
            "relation": str(application.get_proxy_relation_display()),
            "name": mask_name(application.proxy_name),
            "id_number": mask_id_number(application.proxy_id_number),
            "phone": mask_phone(application.proxy_phone),
            "consent": str(application.get_consent_method_display()),
            "consent_note": application.consent_note,
        }

    @staticmethod
    def resolve_missing(application: Any) -> list[str]:
        return [m["code"] for m in application.missing_materials]

    @staticmethod
    def resolve_events(application: Any) -> list[Any]:
        return list(application.events.all())

    @staticmethod
    def resolve_notices(application: Any) -> int:
        return int(application.notices.count())

    @staticmethod
    def resolve_delivery(application: Any) -> Any:
        return Delivery.objects.filter(application=application).select_related("grid", "assignee").first()

    @staticmethod
    def resolve_actions(application: Any) -> list[str]:
        return list(getattr(application, "allowed_actions", []))


class ApplicationPage(Schema):
    items: list[ApplicationOut]
    next_offset: int | None


class TicketPage(Schema):
    items: list[TicketOut]
    next_offset: int | None


class DeliverIn(Schema):
    proof: str = Field(..., max_length=15_000_000, description="base64 of a PNG (signature) or JPEG (photo)")
    proof_kind: ProofKind
    note: str = Field("", max_length=300)


class AttemptIn(Schema):
    note: str = Field(..., max_length=300)


class AssignIn(Schema):
    username: str = Field(..., max_length=150)


# ---------------------------------------------------------------- ratings


class PadTicketOut(Schema):
    id: int
    code: str
    items: list[str]


class PadOut(Schema):
    centre: str
    counter: int
    counter_name: str
    clerk: str | None
    ticket: PadTicketOut | None = Field(description="what to rate now; null: nothing to rate")
    reasons: list[Ref]


class RatingIn(Schema):
    ticket_id: int
    score: int = Field(..., ge=1, le=5)
    reasons: list[RatingReason] = Field(default_factory=list, max_length=5)
    comment: str = Field("", max_length=200)


class RatingOut(Schema):
    ticket: str
    score: int
    reasons: list[str]
    created_at: datetime

    @staticmethod
    def resolve_ticket(rating: Any) -> str:
        return rating.ticket.code


# ---------------------------------------------------------------- tracking (residents)


class TrackIn(Schema):
    id_tail: str = Field(..., min_length=4, max_length=4)


class PublicEventOut(Schema):
    action_label: str
    to_status_label: str
    at: datetime


class TrackOut(Schema):
    number: str
    item: str
    centre: str
    status: ApplicationStatus
    status_label: str
    outcome: str
    accepted_at: datetime
    due_at: datetime | None
    decided_at: datetime | None
    result_delivery: ResultDelivery
    missing: list[dict[str, str]] = Field(description="what the one-time notice listed, while materials are missing")
    events: list[PublicEventOut]


# ---------------------------------------------------------------- statistics


class StatisticsRowOut(Schema):
    key: str | None
    label: str
    tickets: int
    served: int
    no_shows: int
    no_show_rate: float | None
    extended: int
    priority: int
    wait_minutes: float | None
    handle_minutes: float | None
    applications: int
    decided: int
    on_time_rate: float | None
    overdue_open: int
    one_trip_rate: float | None
    processing_days: float | None
    ratings: int
    average_score: float | None
    satisfaction_rate: float | None

    @staticmethod
    def resolve_key(row: Any) -> str | None:
        return None if row.key is None else str(row.key)


class StatisticsOut(Schema):
    start: date
    end: date
    by: str
    centres: list[Ref]
    rows: list[StatisticsRowOut]
    total: StatisticsRowOut

    @staticmethod
    def resolve_centres(stats: Any) -> list[dict[str, str]]:
        return [{"code": c.code, "name": c.name} for c in stats.centres]


class ScoreOut(Schema):
    rank: int
    clerk: str
    username: str
    workload: int
    applications: int
    consultations: int
    on_time_rate: float
    one_trip_rate: float
    ratings: int
    average_score: float | None
    adjusted_score: float
    quantity_points: float
    quality_points: float
    rating_points: float
    total: float
    grade: str

    @staticmethod
    def resolve_clerk(score: Any) -> str:
        return score.clerk.display_name

    @staticmethod
    def resolve_username(score: Any) -> str:
        return score.clerk.username


class ScoresOut(Schema):
    centre: Ref
    month: str
    mean_workload: float
    centre_average_score: float | None
    rows: list[ScoreOut]

    @staticmethod
    def resolve_centre(scores: Any) -> dict[str, str]:
        return {"code": scores.centre.code, "name": scores.centre.name}

    @staticmethod
    def resolve_month(scores: Any) -> str:
        return scores.month.strftime("%Y-%m")


def public_ticket(ticket: Any, waiting_ahead: int, expected_minutes: int) -> dict[str, Any]:
    slot = None
    if ticket.appointment_id:
        slot = f"{ticket.appointment.slot_start:%H:%M}-{ticket.appointment.slot_end:%H:%M}"
    return {
        "id": ticket.pk,
        "code": ticket.code,
        "group": {"code": ticket.group.code, "name": ticket.group.name},
        "priority": bool(ticket.priority_reason),
        "issued_at": ticket.issued_at,
        "waiting_ahead": waiting_ahead,
        "expected_minutes": expected_minutes,
        "centre": ticket.centre.name,
        "appointment_slot": slot,
    }
