"""Work orders over JSON: the catalogue, report and track (open to residents), and the staff's lists and actions."""

import base64
import binascii
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status
from ninja.errors import HttpError
from ninja.utils import check_csrf

from civicgrid.core.api_auth import TokenAuth
from civicgrid.core.errors import ValidationError
from civicgrid.workorders import selectors, services
from civicgrid.workorders.choices import REPORTER_ACTIONS, TRANSITIONS, Source
from civicgrid.workorders.models import WorkOrder
from civicgrid.workorders.schemas import (
    ActionIn,
    IncidentTypeOut,
    ListQuery,
    PositionIn,
    PositionOut,
    ReporterActionIn,
    ReportIn,
    ReportOut,
    TrackOut,
    WorkOrderDetail,
    WorkOrderPage,
    photo_out,
)

router = Router(tags=["work orders"])
NOT_FOUND = "没有找到该工单，或它不在您的管辖范围内。"


def _caller(request: HttpRequest) -> Any:
    """Staff by token or session, or an anonymous resident; a token that does not authenticate is refused."""
    if request.headers.get("Authorization"):
        user = TokenAuth()(request)
        if user is None:
            raise HttpError(401, _("接口令牌无效或已过期。"))
        return user
    if request.user.is_authenticated and check_csrf(request) is not None:
        # a logged-in browser writes with its CSRF token, as on the pages
        raise HttpError(403, _("缺少 CSRF 令牌，请刷新页面后重试。"))
    return request.user


def _photos(encoded: list[str]) -> list[bytes]:
    photos = []
    for number, text in enumerate(encoded, start=1):
        try:
            photos.append(base64.b64decode(text.split(",", 1)[-1], validate=True))
        except (binascii.Error, ValueError) as error:
            message = _("第 %(n)s 张照片不是有效的 base64 编码。") % {"n": number}
            raise ValidationError(message, errors={"photos": [message]}) from error
    return photos


def _order(request: HttpRequest, number: str) -> WorkOrder:
    try:
        return selectors.work_order(actor=request.user, number=number)
    except WorkOrder.DoesNotExist as error:
        raise HttpError(404, _(NOT_FOUND)) from error


# ---------------------------------------------------------------- open to everyone


@router.get("/types", response=list[IncidentTypeOut], auth=None, summary="事件类型（责任清单）")
def incident_types(request: HttpRequest) -> Any:
    return selectors.incident_types()


@router.post("/reports", response={201: ReportOut}, auth=None, summary="上报问题（居民无需登录）")
def report(
    request: HttpRequest,
    payload: ReportIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=64),
) -> Any:
    """A resident (no account) or staff (token or session) reports a problem at a point.

    A retried request with the same `Idempotency-Key` answers with the work order the first one made.
    Anonymous reports are limited per client and hour.
    """
    actor = _caller(request)
    staff = actor.is_authenticated
    if not staff and (payload.source not in (None, Source.RESIDENT) or payload.grid_code or payload.solved_on_spot):
        raise HttpError(403, _("来源、网格代码和现场解决只有工作人员可以填写。"))
    order = services.report(
        actor=actor,
        description=payload.description,
        source=(payload.source or Source.PATROL) if staff else Source.RESIDENT,
        lon=payload.lon,
        lat=payload.lat,
        grid_code=payload.grid_code,
        incident_type_code=payload.incident_type,
        address=payload.address,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        photos=_photos(payload.photos),
        idempotency_key=idempotency_key,
        client_address=request.META.get("REMOTE_ADDR", ""),
        solved_on_spot=payload.solved_on_spot,
    )
    return Status(201, order)


def _tracked(number: str, key: str | None) -> WorkOrder:
    try:
        return selectors.by_tracking(number=number, tracking_key=key)
    except WorkOrder.DoesNotExist as error:
        raise HttpError(404, _("没有该编号的工单，或查询码不对。")) from error


@router.get("/track/{number}", response=TrackOut, auth=None, summary="查询办理进度")
def track(request: HttpRequest, number: str, key: str | None = Query(None, max_length=40)) -> Any:
    """The public steps of a report; with the reporter's key also its description, photos and what they may do."""
    order = _tracked(number, key)
    data: dict[str, Any] = {
        "number": order.number,
        "status": order.status,
        "status_label": order.get_status_display(),
        "incident_type": order.incident_type.name if order.incident_type else None,
        "grid": {"code": order.region.code, "name": order.region.name},
        "reported_at": order.reported_at,
        "closed_at": order.closed_at,
        "merged_into": order.merged_into.number if order.merged_into else None,
        "rating": order.rating,
        "events": list(selectors.timeline(order, public=True)),
    }
    if key:
        data["description"] = order.description
        data["photos"] = [photo_out(a, key) for a in order.attachments.all()]
        data["reporter_actions"] = [a for a in REPORTER_ACTIONS if a in TRANSITIONS[order.status]]
    return data


@router.post("/track/{number}/actions", response=TrackOut, auth=None, summary="上报人确认、评价或申请重办")
def reporter_act(request: HttpRequest, number: str, payload: ReporterActionIn) -> Any:
    order = _tracked(number, payload.key)
    if payload.action not in REPORTER_ACTIONS:
        raise HttpError(403, _("上报人只能确认办结、要求返工、评价或申请重新办理。"))
    params: dict[str, Any] = {"rating": payload.rating, "comment": payload.comment} if payload.action == "rate" else {}
    services.act(
        actor=None,
        tracking_key=payload.key,
        work_order_id=order.pk,
        action=payload.action,
        note=payload.note,
        photos=_photos(payload.photos),
        expected_version=payload.expected_version,
        **params,
    )
    return track(request, number, payload.key)


# ---------------------------------------------------------------- staff


@router.get("/", response=WorkOrderPage, summary="工单列表")
def list_work_orders(request: HttpRequest, query: Query[ListQuery]) -> Any:
    """Every work order the caller may see, newest first, narrowed by the filters."""
    return _page(selectors.work_orders(actor=request.user), query)


@router.get("/queue", response=WorkOrderPage, summary="待派遣（本级）")
def queue(request: HttpRequest, query: Query[ListQuery]) -> Any:
    return _page(selectors.queue(actor=request.user), query)


@router.get("/tasks", response=WorkOrderPage, summary="待办理（本人或本部门）")
def tasks(request: HttpRequest, query: Query[ListQuery]) -> Any:
    return _page(selectors.tasks_of(actor=request.user), query)


@router.get("/to-verify", response=WorkOrderPage, summary="待核查")
def to_verify(request: HttpRequest, query: Query[ListQuery]) -> Any:
    return _page(selectors.to_verify(actor=request.user), query)


def _page(rows: Any, query: ListQuery) -> dict[str, Any]:
    filters = selectors.Filters(
        status="open" if query.open else (query.status or ""),
        incident_type=query.incident_type,
        category=query.category,
        source=query.source or "",
        level=query.level,
        department=query.department,
        region=query.region,
        flag="overdue" if query.overdue else ("supervised" if query.supervised else ""),
        reported_from=query.reported_from,
        reported_to=query.reported_to,
        text=query.q.strip(),
    )
    # one row more than asked tells whether there is a next page, without counting a million rows
    items = list(selectors.filtered(rows, filters)[query.offset : query.offset + query.limit + 1])
    more = len(items) > query.limit
    return {"items": items[: query.limit], "next_offset": query.offset + query.limit if more else None}


@router.post("/positions", response=PositionOut, summary="外勤人员上报位置")
def position(request: HttpRequest, payload: PositionIn) -> Any:
    return services.position_report(actor=request.user, lon=payload.lon, lat=payload.lat, on_duty=payload.on_duty)


@router.get("/{number}", response=WorkOrderDetail, summary="工单详情")
def detail(request: HttpRequest, number: str) -> Any:
    return _order(request, number)


@router.post("/{number}/actions", response={200: WorkOrderDetail, 403: dict, 409: dict, 422: dict}, summary="办理工单")
def act(request: HttpRequest, number: str, payload: ActionIn) -> Any:
    """One action of the transition table. Send `expected_version`: if someone acted first, the answer is 409."""
    order = _order(request, number)
    services.act(
        actor=request.user,
        work_order_id=order.pk,
        action=payload.action,
        note=payload.note,
        photos=_photos(payload.photos),
        expected_version=payload.expected_version,
        **payload.params(),
    )
    return _order(request, number)
