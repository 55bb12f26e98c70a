"""The service centre over JSON (/api/v1/hall): the kiosk, the board, booking, tracking and the rating pad are open
to everyone under /public/ (rate limited per client, no personal data but masked names); everything else is for
staff, restricted to their jurisdiction. docs/hall.md lists every endpoint.
"""

import base64
import binascii
from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.utils import check_csrf

from civicgrid.core.api_auth import TokenAuth
from civicgrid.core.errors import ValidationError
from civicgrid.core.identity import mask_name
from civicgrid.hall import hours, ratelimit, selectors, services, statistics
from civicgrid.hall.choices import (
    TICKET_TRANSITIONS,
    PriorityReason,
    RatingReason,
    TicketStatus,
)
from civicgrid.hall.models import Application, Centre, Counter, Delivery, Ticket
from civicgrid.hall.permissions import application_actions, ticket_parties
from civicgrid.hall.schemas import (
    AcceptIn,
    ApplicationActionIn,
    ApplicationDetail,
    ApplicationPage,
    AppointmentOut,
    AssignIn,
    AttemptIn,
    BoardOut,
    BookingIn,
    CallIn,
    CallNextOut,
    CancelIn,
    CategoryOut,
    CentreChangesIn,
    CentreDetail,
    CentreItemsIn,
    CentreOut,
    CheckInIn,
    CounterChangesIn,
    CounterIn,
    CounterOut,
    CounterPadOut,
    DeliverIn,
    DeliveryOut,
    KioskOut,
    NoticeOut,
    PadOut,
    PublicCentreOut,
    RatingIn,
    RatingOut,
    RevealIn,
    ScoresOut,
    SlotOut,
    StatisticsOut,
    TicketActionIn,
    TicketIn,
    TicketIssued,
    TicketOut,
    TicketPage,
    TrackOut,
    public_ticket,
)
from civicgrid.hall.services import Proxy

router = Router(tags=["service centre"])


def _caller(request: HttpRequest) -> Any:
    """Staff by token or session, or an anonymous resident; a token that does not authenticate is refused."""
    if request.headers.get("Authorization"):
        user = TokenAuth()(request)
        if user is None:
            raise HttpError(401, _("接口令牌无效或已过期。"))
        return user
    if request.user.is_authenticated and request.method == "POST" and check_csrf(request) is not None:
        raise HttpError(403, _("缺少 CSRF 令牌，请刷新页面后重试。"))
    return request.user


def _address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _not_found(message: str) -> HttpError:
    return HttpError(404, message)


def _public_centre(code: str) -> Centre:
    try:
        return selectors.public_centre(code)
    except Centre.DoesNotExist as error:
        raise _not_found(_("没有编码为 %(code)s 的服务中心。") % {"code": code}) from error


def _centre(request: HttpRequest, code: str) -> Centre:
    try:
        return selectors.centre(actor=request.user, code=code)
    except Centre.DoesNotExist as error:
        raise _not_found(_("没有找到该服务中心，或它不在您的管辖范围内。")) from error


def _counter(request: HttpRequest, counter_id: int) -> Counter:
    try:
        return selectors.counter(actor=request.user, counter_id=counter_id)
    except Counter.DoesNotExist as error:
        raise _not_found(_("没有找到该窗口，或它不在您的管辖范围内。")) from error


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    try:
        return selectors.ticket(actor=request.user, ticket_id=ticket_id)
    except Ticket.DoesNotExist as error:
        raise _not_found(_("没有找到该号，或它不在您的管辖范围内。")) from error


def _application(request: HttpRequest, number: str) -> Application:
    try:
        return selectors.application(actor=request.user, number=number)
    except Application.DoesNotExist as error:
        raise _not_found(_("没有找到该办件，或它不在您的管辖范围内。")) from error


def _ticket_out(request: HttpRequest, ticket: Ticket) -> Ticket:
    parties = ticket_parties(request.user, ticket)
    ticket.actions = [a for a, (_t, allowed) in TICKET_TRANSITIONS[ticket.status].items() if parties & allowed]  # type: ignore[attr-defined]
    return ticket


def _detail(request: HttpRequest, number: str) -> Application:
    application = _application(request, number)
    application.allowed_actions = application_actions(request.user, application)  # type: ignore[attr-defined]
    return application


class Page(Schema):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


def _page(rows: Any, page: Page) -> dict[str, Any]:
    # one row more than asked says whether there is a next page, without counting every row
    items = list(rows[page.offset : page.offset + page.limit + 1])
    more = len(items) > page.limit
    return {"items": items[: page.limit], "next_offset": page.offset + page.limit if more else None}


# ---------------------------------------------------------------- public: catalogue, kiosk, board, booking, pad


@router.get("/public/catalogue", response=list[CategoryOut], auth=None, summary="服务事项清单")
def catalogue(request: HttpRequest) -> Any:
    return selectors.categories()


def _public_centre_out(centre: Centre) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "code": centre.code,
        "name": centre.name,
        "address": centre.address,
        "phone": centre.phone,
        "street": {"code": centre.street.code, "name": centre.street.name},
        "open_now": hours.period_at(centre, timezone.now()) is not None,
        "hours_today": hours.describe(centre, today),
        "extended_hours": centre.extended_hours or {},
    }


@router.get("/public/centres", response=list[PublicCentreOut], auth=None, summary="服务中心（地址、服务时间）")
def public_centres(request: HttpRequest) -> Any:
    return [_public_centre_out(c) for c in selectors.public_centres()]


@router.get("/public/centres/{centre}", response=KioskOut, auth=None, summary="取号机：分组、排队人数、预计等候")
def kiosk(request: HttpRequest, centre: str) -> Any:
    found = _public_centre(centre)
    return {
        **_public_centre_out(found),
        "queues": selectors.group_queues(found),
        "bookable_items": [
            {"code": i.code, "name": i.name} for i in selectors.offered_items(found).filter(online_bookable=True)
        ],
        "priority_reasons": [{"code": value, "name": str(label)} for value, label in PriorityReason.choices],
    }


@router.post(
    "/public/centres/{centre}/tickets", response={201: TicketIssued}, auth=None, summary="取号（取号机，按客户端限流）"
)
def take_ticket(
    request: HttpRequest,
    centre: str,
    payload: TicketIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=64),
) -> Any:
    """A resident takes a ticket for a group. With a card reader the kiosk sends the identity number and name: the
    elderly get priority by their age. A kiosk with a staff token is not rate limited; `source: desk` is for clerks.
    A kiosk retrying a press after a network drop sends the same `Idempotency-Key` and gets the same ticket."""
    ticket = services.ticket_issue(
        idempotency_key=idempotency_key,
        actor=_caller(request),
        centre_code=centre,
        group_code=payload.group,
        priority_reason=payload.priority_reason or "",
        id_number=payload.id_number,
        resident_name=payload.resident_name,
        source=payload.source,
        client_address=_address(request),
    )
    return Status(201, public_ticket(ticket, *selectors.prospect(ticket)))


@router.post(
    "/public/centres/{centre}/check-in", response={201: TicketIssued}, auth=None, summary="预约签到（凭预约码取号）"
)
def check_in(
    request: HttpRequest,
    centre: str,
    payload: CheckInIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=64),
) -> Any:
    ticket = services.appointment_check_in(
        actor=_caller(request),
        centre_code=centre,
        code=payload.code,
        client_address=_address(request),
        idempotency_key=idempotency_key,
    )
    return Status(201, public_ticket(ticket, *selectors.prospect(ticket)))


@router.get("/public/centres/{centre}/board", response=BoardOut, auth=None, summary="大厅显示屏：叫号、排队、等候")
def board(request: HttpRequest, centre: str) -> Any:
    """Calls to counters (each with a growing `id`: announce each once), queue lengths, expected waits. Masked names
    only, never an identity number."""
    return selectors.board(_public_centre(centre))


class SlotQuery(Schema):
    item: str = Field(..., max_length=8)
    day: date


@router.get("/public/centres/{centre}/slots", response=list[SlotOut], auth=None, summary="可预约时段")
def slots(request: HttpRequest, centre: str, query: Query[SlotQuery]) -> Any:
    item, day = query.item, query.day
    found = _public_centre(centre)
    service_item = selectors.items().filter(code=item).first()
    if service_item is None or not selectors.offers(found, service_item):
        raise _not_found(_("本中心不办理事项 %(code)s。") % {"code": item})
    today = timezone.localdate()
    if not today <= day <= today + timedelta(days=found.booking_days):
        return []
    return [
        {"start": s.start, "end": s.end, "extended": s.extended, "capacity": s.capacity, "free": s.free}
        for s in selectors.slots(found, service_item, day)
    ]


@router.post(
    "/public/centres/{centre}/appointments",
    response={201: AppointmentOut},
    auth=None,
    summary="预约（居民网上预约；社区工作站代约须登录）",
)
def book(request: HttpRequest, centre: str, payload: BookingIn) -> Any:
    appointment = services.appointment_book(
        actor=_caller(request),
        centre_code=centre,
        item_code=payload.item,
        day=payload.day,
        slot_start=payload.slot,
        resident_name=payload.resident_name,
        id_number=payload.id_number,
        phone=payload.phone,
        client_address=_address(request),
    )
    return Status(201, appointment)


@router.post("/public/appointments/{appointment_code}/cancel", response=AppointmentOut, auth=None, summary="取消预约")
def cancel_appointment(request: HttpRequest, appointment_code: str, payload: CancelIn) -> Any:
    return services.appointment_cancel(
        actor=_caller(request), code=appointment_code, id_tail=payload.id_tail, client_address=_address(request)
    )


@router.get("/public/applications/{application_number}", response=TrackOut, auth=None, summary="居民查询办件进度")
def track(request: HttpRequest, application_number: str, id_tail: str = Query(..., min_length=4, max_length=4)) -> Any:
    """With the application number and the last 4 characters of the applicant's identity number."""
    ratelimit.check("tracking", _address(request))
    try:
        found = selectors.by_tracking(number=application_number, id_tail=id_tail)
    except Application.DoesNotExist as error:
        raise _not_found(_("没有找到该办件，请核对办件编号和身份证号码后四位。")) from error
    return {
        "number": found.number,
        "item": found.item.name,
        "centre": found.centre.name,
        "status": found.status,
        "status_label": str(found.get_status_display()),
        "outcome": found.outcome,
        "accepted_at": found.accepted_at,
        "due_at": found.due_at,
        "decided_at": found.decided_at,
        "result_delivery": found.result_delivery,
        "missing": [
            {"name": m["name"], "copies": m["copies"], "source_note": m["source_note"]} for m in found.missing_materials
        ]
        if found.status == "incomplete"
        else [],
        "events": [
            {
                "action_label": str(e.get_action_display()),
                "to_status_label": str(e.get_to_status_display()),
                "at": e.created_at,
            }
            for e in selectors.timeline(found, public=True)
        ],
    }


def _pad_counter(pad_key: str) -> Counter:
    try:
        return selectors.counter_by_pad_key(pad_key)
    except Counter.DoesNotExist as error:
        raise _not_found(_("评价器未登记或已停用，请联系中心工作人员。")) from error


@router.get("/public/pads/{pad_key}", response=PadOut, auth=None, summary="评价器：当前可评价的服务")
def pad(request: HttpRequest, pad_key: str) -> Any:
    counter = _pad_counter(pad_key)
    ticket = selectors.pad_ticket(counter)
    return {
        "centre": counter.centre.name,
        "counter": counter.number,
        "counter_name": counter.name,
        "clerk": counter.clerk.display_name if counter.clerk else None,
        "ticket": {
            "id": ticket.pk,
            "code": ticket.code,
            "items": [a.item.name for a in ticket.applications.select_related("item")],
        }
        if ticket
        else None,
        "reasons": [{"code": value, "name": str(label)} for value, label in RatingReason.choices],
    }


@router.post("/public/pads/{pad_key}/ratings", response={201: RatingOut}, auth=None, summary="评价器：提交评价")
def rate(request: HttpRequest, pad_key: str, payload: RatingIn) -> Any:
    rating = services.rating_submit(
        pad_key=pad_key,
        ticket_id=payload.ticket_id,
        score=payload.score,
        reasons=[str(r) for r in payload.reasons],
        comment=payload.comment,
        client_address=_address(request),
    )
    return Status(201, rating)


# ---------------------------------------------------------------- staff: centres and counters


@router.get("/centres", response=list[CentreOut], summary="服务中心（管辖范围内）")
def centres(request: HttpRequest) -> Any:
    return selectors.centres(actor=request.user)


@router.get("/centres/{centre}", response=CentreDetail, summary="服务中心设置与窗口")
def centre_detail(request: HttpRequest, centre: str) -> Any:
    return _centre(request, centre)


@router.patch("/centres/{centre}", response=CentreDetail, summary="修改服务时间、预约规则（中心主任）")
def centre_update(request: HttpRequest, centre: str, payload: CentreChangesIn) -> Any:
    _centre(request, centre)
    changes = payload.dict(exclude_none=True)
    services.centre_update(actor=request.user, centre_code=centre, changes=changes)
    return _centre(request, centre)


@router.put("/centres/{centre}/items", response=CentreDetail, summary="本中心不办理的事项（中心主任）")
def centre_items(request: HttpRequest, centre: str, payload: CentreItemsIn) -> Any:
    _centre(request, centre)
    services.centre_items_set(actor=request.user, centre_code=centre, not_offered=payload.not_offered)
    return _centre(request, centre)


@router.post("/centres/{centre}/counters", response={201: CounterOut}, summary="新增窗口（中心主任）")
def counter_create(request: HttpRequest, centre: str, payload: CounterIn) -> Any:
    _centre(request, centre)
    counter = services.counter_create(
        actor=request.user, centre_code=centre, number=payload.number, name=payload.name, groups=payload.groups
    )
    return Status(201, counter)


@router.get("/counters/mine", response={200: CounterOut, 204: None}, summary="我签到的窗口")
def my_counter(request: HttpRequest) -> Any:
    counter = selectors.counter_of(actor=request.user)
    return counter if counter is not None else Status(204, None)


@router.patch("/counters/{counter_id}", response=CounterOut, summary="修改窗口（中心主任）")
def counter_update(request: HttpRequest, counter_id: int, payload: CounterChangesIn) -> Any:
    _counter(request, counter_id)
    services.counter_update(
        actor=request.user, counter_id=counter_id, name=payload.name, groups=payload.groups, is_active=payload.is_active
    )
    return _counter(request, counter_id)


@router.post("/counters/{counter_id}/sign-in", response=CounterOut, summary="窗口签到")
def sign_in(request: HttpRequest, counter_id: int) -> Any:
    services.counter_sign_in(actor=request.user, counter_id=counter_id)
    return _counter(request, counter_id)


@router.post("/counters/{counter_id}/sign-out", response=CounterOut, summary="窗口签退")
def sign_out(request: HttpRequest, counter_id: int) -> Any:
    services.counter_sign_out(actor=request.user, counter_id=counter_id)
    return _counter(request, counter_id)


@router.post("/counters/{counter_id}/pad-key", response=CounterPadOut, summary="更换评价器密钥（中心主任）")
def pad_key(request: HttpRequest, counter_id: int) -> Any:
    return services.pad_key_rotate(actor=request.user, counter_id=counter_id)


@router.post("/counters/{counter_id}/call-next", response=CallNextOut, summary="叫下一位")
def call_next(request: HttpRequest, counter_id: int) -> Any:
    ticket = services.call_next(actor=request.user, counter_id=counter_id)
    return {"ticket": _ticket_out(request, _ticket(request, ticket.pk)) if ticket else None}


@router.post("/counters/{counter_id}/call", response=TicketOut, summary="叫指定号")
def call(request: HttpRequest, counter_id: int, payload: CallIn) -> Any:
    ticket = services.call_ticket(actor=request.user, counter_id=counter_id, ticket_id=payload.ticket_id)
    return _ticket_out(request, _ticket(request, ticket.pk))


# ---------------------------------------------------------------- staff: tickets and appointments


@router.get("/centres/{centre}/queue", response=list[TicketOut], summary="等候队列（叫号顺序）")
def queue(request: HttpRequest, centre: str) -> Any:
    found = _centre(request, centre)
    mine = selectors.counter_of(actor=request.user)
    counter = mine if mine is not None and mine.centre_id == found.pk else None
    rows = selectors.waiting(found, counter=counter).select_related("counter", "clerk", "target_counter")
    return [_ticket_out(request, t) for t in rows[:500]]


@router.get("/centres/{centre}/tickets", response=TicketPage, summary="排队号列表")
def ticket_list(
    request: HttpRequest, centre: str, page: Query[Page], day: date | None = None, status: TicketStatus | None = None
) -> Any:
    found = _centre(request, centre)
    rows = selectors.tickets(actor=request.user, centre=found, day=day or timezone.localdate())
    if status:
        rows = rows.filter(status=status)
    result = _page(rows.order_by("issued_at", "id"), page)
    result["items"] = [_ticket_out(request, t) for t in result["items"]]
    return result


@router.get("/tickets/{ticket_id}", response=TicketOut, summary="排队号详情")
def ticket_detail(request: HttpRequest, ticket_id: int) -> Any:
    return _ticket_out(request, _ticket(request, ticket_id))


@router.post("/tickets/{ticket_id}/actions", response=TicketOut, summary="重呼、开始办理、办结、过号、转窗口、重排")
def ticket_act(request: HttpRequest, ticket_id: int, payload: TicketActionIn) -> Any:
    _ticket(request, ticket_id)
    services.ticket_act(
        actor=request.user,
        ticket_id=ticket_id,
        action=payload.action,
        to_counter_id=payload.to_counter,
        expected_version=payload.expected_version,
    )
    return _ticket_out(request, _ticket(request, ticket_id))


@router.get("/centres/{centre}/appointments", response=list[AppointmentOut], summary="预约列表")
def appointment_list(request: HttpRequest, centre: str, day: date | None = None) -> Any:
    found = _centre(request, centre)
    return selectors.appointments(actor=request.user, centre=found, day=day or timezone.localdate())[:1000]


# ---------------------------------------------------------------- staff: applications


class ApplicationQuery(Page):
    status: str = Field("", max_length=16)
    centre: str = Field("", max_length=16)
    item: str = Field("", max_length=8)
    overdue: bool = False
    q: str = Field("", max_length=40, description="the beginning of an application number")


def _filtered(rows: Any, query: ApplicationQuery) -> Any:
    if query.status == "open":
        rows = rows.filter(status__in=["accepted", "incomplete", "forwarded", "in_review"])
    elif query.status:
        rows = rows.filter(status=query.status)
    if query.centre:
        rows = rows.filter(centre__code=query.centre)
    if query.item:
        rows = rows.filter(item__code=query.item)
    if query.overdue:
        rows = rows.filter(is_overdue=True)
    if query.q.strip():
        rows = rows.filter(number__startswith=query.q.strip())
    return rows


@router.post("/applications", response={201: ApplicationDetail}, summary="受理办件（窗口或社区工作站）")
def accept(request: HttpRequest, payload: AcceptIn) -> Any:
    proxy = Proxy(**payload.proxy.dict()) if payload.proxy else None
    application = services.application_accept(
        actor=request.user,
        centre_code=payload.centre,
        item_code=payload.item,
        applicant_name=payload.applicant_name,
        id_number=payload.id_number,
        phone=payload.phone,
        address=payload.address,
        grid_code=payload.grid_code,
        lon=payload.lon,
        lat=payload.lat,
        materials=payload.materials,
        ticket_id=payload.ticket_id,
        result_delivery=payload.result_delivery,
        channel=payload.channel,
        proxy=proxy,
    )
    return Status(201, _detail(request, application.number))


@router.get("/applications", response=ApplicationPage, summary="办件列表（管辖范围内）")
def application_list(request: HttpRequest, query: Query[ApplicationQuery]) -> Any:
    return _page(_filtered(selectors.applications(actor=request.user), query), query)


@router.get("/applications/inbox", response=ApplicationPage, summary="后台待办（转至本街道或本部门）")
def inbox(request: HttpRequest, query: Query[ApplicationQuery]) -> Any:
    return _page(_filtered(selectors.back_office_inbox(actor=request.user), query), query)


@router.get("/applications/counter", response=ApplicationPage, summary="窗口待办（本人首问的未办结、待领取）")
def counter_work(request: HttpRequest, query: Query[ApplicationQuery]) -> Any:
    return _page(_filtered(selectors.counter_work(actor=request.user), query), query)


@router.get("/applications/{application_number}", response=ApplicationDetail, summary="办件详情")
def application_get(request: HttpRequest, application_number: str) -> Any:
    return _detail(request, application_number)


@router.post("/applications/{application_number}/actions", response=ApplicationDetail, summary="办理办件")
def application_act(request: HttpRequest, application_number: str, payload: ApplicationActionIn) -> Any:
    """One action of the transition table (docs/hall.md). Send `expected_version`: a stale page gets 409."""
    _application(request, application_number)
    services.application_act(
        actor=request.user,
        number=application_number,
        action=payload.action,
        note=payload.note,
        materials=payload.materials,
        expected_version=payload.expected_version,
        result_delivery=payload.result_delivery,
    )
    return _detail(request, application_number)


@router.post("/applications/{application_number}/reveal", response=dict[str, str], summary="查看完整个人信息（留痕）")
def reveal(request: HttpRequest, application_number: str, payload: RevealIn) -> Any:
    return services.application_reveal(
        actor=request.user, number=application_number, fields=payload.fields, reason=payload.reason
    )


@router.get("/applications/{application_number}/notices", response=list[NoticeOut], summary="一次性告知单（打印）")
def notices(request: HttpRequest, application_number: str) -> Any:
    application = _application(request, application_number)
    centre = application.centre
    return [
        {
            "application": application.number,
            "item": application.item.name,
            "applicant": mask_name(application.applicant_name),
            "centre": centre.name,
            "centre_address": centre.address,
            "centre_phone": centre.phone,
            "issued_by": notice.issued_by.display_name,
            "issued_at": notice.issued_at,
            "missing": notice.missing,
        }
        for notice in application.notices.select_related("issued_by")
    ]


# ---------------------------------------------------------------- staff: deliveries


def _delivery(request: HttpRequest, delivery_id: int) -> Delivery:
    try:
        return selectors.delivery(actor=request.user, delivery_id=delivery_id)
    except Delivery.DoesNotExist as error:
        raise _not_found(_("没有找到该送达任务，或它不在您的网格内。")) from error


@router.get("/deliveries", response=list[DeliveryOut], summary="送达任务（网格员：我的待送达）")
def deliveries(request: HttpRequest, all: bool = False) -> Any:
    rows = selectors.deliveries(actor=request.user) if all else selectors.my_deliveries(actor=request.user)
    return rows.order_by("status", "created_at")[:500]


@router.get("/deliveries/{delivery_id}", response=DeliveryOut, summary="送达任务详情")
def delivery_detail(request: HttpRequest, delivery_id: int) -> Any:
    return _delivery(request, delivery_id)


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.split(",", 1)[-1], validate=True)
    except (binascii.Error, ValueError) as error:
        message = _("送达凭证不是有效的 base64 编码。")
        raise ValidationError(message, errors={"proof": [message]}) from error


@router.post("/deliveries/{delivery_id}/deliver", response=DeliveryOut, summary="送达（上传居民签名或照片）")
def deliver(request: HttpRequest, delivery_id: int, payload: DeliverIn) -> Any:
    _delivery(request, delivery_id)
    services.delivery_deliver(
        actor=request.user,
        delivery_id=delivery_id,
        proof=_decode(payload.proof),
        proof_kind=payload.proof_kind,
        note=payload.note,
    )
    return _delivery(request, delivery_id)


@router.post("/deliveries/{delivery_id}/attempt", response=DeliveryOut, summary="上门未遇")
def attempt(request: HttpRequest, delivery_id: int, payload: AttemptIn) -> Any:
    _delivery(request, delivery_id)
    services.delivery_attempt(actor=request.user, delivery_id=delivery_id, note=payload.note)
    return _delivery(request, delivery_id)


@router.post("/deliveries/{delivery_id}/assign", response=DeliveryOut, summary="改派送达任务")
def assign(request: HttpRequest, delivery_id: int, payload: AssignIn) -> Any:
    _delivery(request, delivery_id)
    services.delivery_assign(actor=request.user, delivery_id=delivery_id, username=payload.username)
    return _delivery(request, delivery_id)


# ---------------------------------------------------------------- statistics


class StatisticsQuery(Schema):
    start: date | None = None
    end: date | None = None
    by: str = Field("counter", description="centre, counter, clerk, item, group or day")
    centre: str = Field("", max_length=16)


@router.get("/statistics", response=StatisticsOut, summary="服务中心统计（中心主任、街道、区）")
def statistics_view(request: HttpRequest, query: Query[StatisticsQuery]) -> Any:
    """By default the current month to today. Rates are fractions (0.953), null where there is nothing to divide."""
    end = query.end or timezone.localdate()
    start = query.start or end.replace(day=1)
    return statistics.statistics(
        actor=request.user, start=start, end=end, by=query.by, centre_code=query.centre or None
    )


def _month(text: str | None) -> date:
    if not text:
        return timezone.localdate().replace(day=1)
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError as error:
        raise ValidationError(_("月份格式应为 YYYY-MM。"), errors={"month": [_("月份格式应为 YYYY-MM。")]}) from error


@router.get("/centres/{centre}/scores", response=ScoresOut, summary="窗口人员月度考核得分")
def scores(request: HttpRequest, centre: str, month: str | None = Query(None, max_length=7)) -> Any:
    _centre(request, centre)
    return statistics.window_scores(actor=request.user, centre_code=centre, month=_month(month))


@router.get("/centres/{centre}/scores.xlsx", summary="导出月度考核与统计（Excel，留痕）")
def scores_export(request: HttpRequest, centre: str, month: str | None = Query(None, max_length=7)) -> HttpResponse:
    _centre(request, centre)
    name, data = services.scores_export(actor=request.user, centre_code=centre, month=_month(month))
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
