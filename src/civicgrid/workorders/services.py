"""Writes of the linkage platform: report an incident, act on a work order, deadlines, positions, the catalogue.

Every write runs in one transaction, locks the work order it changes, checks the transition table, writes one
timeline event and one audit row, and sends its notifications after the commit.
"""

import hashlib
import inspect
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit, notifications
from civicgrid.core.calendar import Deadline, calendar
from civicgrid.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    TransitionNotAllowed,
    ValidationError,
)
from civicgrid.core.notifications import Message
from civicgrid.people.choices import Role
from civicgrid.people.models import Department, User
from civicgrid.people.permissions import holds_role, require_administrator_or_system
from civicgrid.regions import selectors as regions
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from civicgrid.workorders import selectors
from civicgrid.workorders.choices import (
    ESCALATION,
    LEVEL_DISPATCHERS,
    PREVIOUS,
    REASON_REQUIRED,
    SAME,
    TRANSITIONS,
    WAITING_FOR_DISPATCH,
    WAITING_FOR_HANDLER,
    Action,
    LimitUnit,
    Party,
    Source,
    Status,
    Supervision,
)
from civicgrid.workorders.models import (
    Attachment,
    IncidentCategory,
    IncidentType,
    OfficerPosition,
    Open311Client,
    WorkOrder,
    WorkOrderEvent,
)
from civicgrid.workorders.open311 import attributes  # the questions a type asks (Open311 service attributes)
from civicgrid.workorders.permissions import dispatches_at, parties_of
from civicgrid.workorders.photos import PreparedPhoto, prepare_all

MAX_DESCRIPTION = 2000
MAX_NOTE = 1000
PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")
DEFAULT_DISPATCH_HOURS = Decimal(1)
DEFAULT_HANDLE_DAYS = 3
SUPERVISION_RANK: dict[str, int] = {Supervision.NONE: 0, Supervision.YELLOW: 1, Supervision.RED: 2}


# ---------------------------------------------------------------- numbers and deadlines


def next_number(district_code: str, day: date) -> str:
    """320106-20261122-00042: district, local day, a per-day sequence that one upsert makes collision-free."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workorders_workordersequence (district_code, day, last) VALUES (%s, %s, 1) "
            "ON CONFLICT (district_code, day) DO UPDATE SET last = workorders_workordersequence.last + 1 "
            "RETURNING last",
            [district_code, day],
        )
        (last,) = cursor.fetchone()
    return f"{district_code}-{day:%Y%m%d}-{last:05d}"


def _deadline(start: datetime, amount: Decimal | float, unit: str) -> Deadline:
    return calendar().add(start, float(amount), unit)


def _set_dispatch_deadline(order: WorkOrder, now: datetime) -> None:
    hours = order.incident_type.dispatch_hours if order.incident_type else DEFAULT_DISPATCH_HOURS
    due = _deadline(now, hours, LimitUnit.HOURS)
    order.dispatch_due_at = due.at
    order.deadline_estimated = due.estimated


def _set_handling_deadlines(order: WorkOrder, now: datetime) -> None:
    kind = order.incident_type
    assert kind is not None
    sign = _deadline(now, kind.sign_hours, LimitUnit.HOURS)
    handle = _deadline(now, kind.handle_limit, kind.handle_unit)
    order.sign_due_at, order.handle_due_at = sign.at, handle.at
    order.deadline_estimated = sign.estimated or handle.estimated


# ---------------------------------------------------------------- report


def client_fingerprint(address: str) -> str:
    """A salted hash of the client's address: enough to rate-limit, never the address itself."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()


def landing_level(kind: IncidentType | None) -> str:
    """Grid and community types land with the grid worker or community; the rest at the street command centre."""
    if kind is not None and kind.handling_level in (Level.GRID, Level.COMMUNITY):
        return kind.handling_level
    return Level.STREET


def _locate(actor: Any, lon: float | None, lat: float | None, grid_code: str | None) -> Region:
    if lon is not None and lat is not None:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError(_("经纬度超出范围。"), errors={"location": [_("经纬度超出范围。")]})
        found = regions.grid_at(lon, lat)
        if found is None:
            message = _("该位置不在本平台管辖的任何网格内，请在地图上重新选择。")
            raise ValidationError(message, errors={"location": [message]})
        return Region.objects.get(pk=found.id)
    if grid_code:
        grid = regions.regions(actor=actor).filter(code=grid_code, level=Level.GRID).first()
        if grid is None:
            message = _("网格 %(code)s 不存在或不在您的管辖范围内。") % {"code": grid_code}
            raise ValidationError(message, errors={"grid": [message]})
        return grid
    message = _("请提供问题发生的位置（定位或在地图上点选）。")
    raise ValidationError(message, errors={"location": [message]})


def _clean_text(value: str, *, field: str, label: str, limit: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        message = _("请填写%(label)s。") % {"label": label}
        raise ValidationError(message, errors={field: [message]})
    if len(value) > limit:
        message = _("%(label)s不能超过 %(limit)s 个字（现有 %(n)s 个）。") % {
            "label": label,
            "limit": limit,
            "n": len(value),
        }
        raise ValidationError(message, errors={field: [message]})
    return value


def report(
    *,
    actor: Any,
    description: str,
    source: str,
    lon: float | None = None,
    lat: float | None = None,
    grid_code: str | None = None,
    incident_type_code: str | None = None,
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    photos: Sequence[bytes] = (),
    idempotency_key: str | None = None,
    client_address: str = "",
    open311_client: Open311Client | None = None,
    solved_on_spot: bool = False,
) -> WorkOrder:
    """Register what someone saw: a new work order at the level the responsibility list says it lands."""
    staff = getattr(actor, "is_authenticated", False)
    description = _clean_text(
        description, field="description", label=_("问题描述"), limit=MAX_DESCRIPTION, required=True
    )
    address = _clean_text(address, field="address", label=_("地址"), limit=200, required=False)
    reporter_name = _clean_text(reporter_name, field="reporter_name", label=_("称呼"), limit=40, required=False)
    reporter_phone = re.sub(r"[\s]", "", reporter_phone or "")
    if reporter_phone and not PHONE.match(reporter_phone):
        message = _("手机号码格式不正确。")
        raise ValidationError(message, errors={"reporter_phone": [message]})
    if source not in Source.values:
        raise ValidationError(_("未知的来源：%(source)s。") % {"source": source})
    if not staff and source not in (Source.RESIDENT, Source.APP):
        raise PermissionDenied(_("只有工作人员可以以该来源上报。"))
    kind = None
    if incident_type_code:
        kind = selectors.active_type(incident_type_code)
        if kind is None:
            message = _("事件类型 %(code)s 不存在。") % {"code": incident_type_code}
            raise ValidationError(message, errors={"incident_type": [message]})
    prepared = prepare_all(list(photos))
    owner = f"u{actor.pk}" if staff else (f"c{open311_client.pk}" if open311_client else "public")
    key = f"{owner}:{idempotency_key}"[:80] if idempotency_key else None
    if key:
        existing = WorkOrder.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
    fingerprint = client_fingerprint(client_address) if client_address and not staff else ""
    if fingerprint:
        recent = WorkOrder.objects.filter(
            client_fingerprint=fingerprint, reported_at__gte=timezone.now() - timedelta(hours=1)
        ).count()
        if recent >= settings.ANONYMOUS_REPORTS_PER_HOUR:
            raise RateLimited(
                _("同一设备一小时内最多上报 %(n)s 件，请稍后再试或拨打热线。")
                % {"n": settings.ANONYMOUS_REPORTS_PER_HOUR}
            )
    grid = _locate(actor, lon, lat, grid_code)
    if solved_on_spot and not holds_role(actor, {Role.GRID_WORKER, Role.GRID_LEADER, Role.GRID_ASSISTANT}, at=grid):
        raise PermissionDenied(_("只有本网格的网格员、网格长和协管员可以登记现场解决。"))
    try:
        with transaction.atomic():
            return _create(
                actor=actor if staff else None,
                grid=grid,
                kind=kind,
                description=description,
                source=source,
                lon=lon,
                lat=lat,
                address=address,
                reporter_name=reporter_name,
                reporter_phone=reporter_phone,
                photos=prepared,
                key=key,
                fingerprint=fingerprint,
                open311_client=open311_client,
                solved_on_spot=solved_on_spot,
            )
    except IntegrityError:
        # the same retry arrived twice at once: the first one's order is the answer to both
        if key:
            existing = WorkOrder.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return existing
        raise


def _create(
    *,
    actor: User | None,
    grid: Region,
    kind: IncidentType | None,
    description: str,
    source: str,
    lon: float | None,
    lat: float | None,
    address: str,
    reporter_name: str,
    reporter_phone: str,
    photos: list[PreparedPhoto],
    key: str | None,
    fingerprint: str,
    open311_client: Open311Client | None,
    solved_on_spot: bool,
) -> WorkOrder:
    now = timezone.now()
    district = grid.ancestor_codes()[1]
    order = WorkOrder(
        number=next_number(district, timezone.localdate(now)),
        region=grid,
        region_path=grid.path,
        incident_type=kind,
        description=description,
        address=address,
        lon=lon,
        lat=lat,
        source=source,
        status=Status.REPORTED,
        level=landing_level(kind),
        reporter=actor,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        tracking_key=WorkOrder.new_tracking_key(),
        client_fingerprint=fingerprint,
        idempotency_key=key,
        open311_client=open311_client,
        reported_at=now,
    )
    _set_dispatch_deadline(order, now)
    if solved_on_spot:
        order.status, order.level = Status.CLOSED, Level.GRID
        order.solved_on_spot = True
        order.registered_at = order.dispatched_at = order.signed_at = order.handled_at = order.closed_at = now
        order.assignee = actor
        order.closed_on_time = order.handled_on_time = True
        order.dispatch_due_at = None
    order.save()
    label = actor.display_name if actor else (open311_client.name if open311_client else _("居民"))
    event = _event(order, Action.REPORT, "", Status.REPORTED, actor, label, note="", at=now)
    _attach(order, event, photos, now)
    if solved_on_spot:
        _event(order, Action.SOLVE_ON_SPOT, Status.REPORTED, Status.CLOSED, actor, label, note="", at=now)
    audit.record(
        actor=actor,
        action="work_order.report",
        obj=order,
        after={"status": order.status, "level": order.level, "type": kind.code if kind else None, "source": source},
    )
    if kind is not None and kind.auto_dispatch and not solved_on_spot:
        from civicgrid.workorders import tasks

        transaction.on_commit(lambda: tasks.auto_dispatch.enqueue(work_order_id=order.pk))
    return order


def _event(
    order: WorkOrder,
    action: str,
    from_status: str,
    to_status: str,
    actor: User | None,
    label: str,
    *,
    note: str,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> WorkOrderEvent:
    # stamped with the moment the order's own fields got (closed_at and its verification are one instant)
    return WorkOrderEvent.objects.create(
        created_at=at,
        work_order=order,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_label=label[:80],
        note=note,
        data=data or {},
    )


def _attach(order: WorkOrder, event: WorkOrderEvent, photos: list[PreparedPhoto], now: datetime) -> None:
    for photo in photos:
        attachment = Attachment(
            work_order=order,
            event=event,
            content_type=photo.content_type,
            size=len(photo.content),
            width=photo.width,
            height=photo.height,
            sha256=photo.sha256,
            created_at=now,
        )
        attachment.file.save("photo.jpg", ContentFile(photo.content), save=False)
        attachment.save()


# ---------------------------------------------------------------- acting on a work order


def act(
    *,
    actor: Any,
    work_order_id: int,
    action: str,
    note: str = "",
    photos: Sequence[bytes] = (),
    expected_version: int | None = None,
    tracking_key: str | None = None,
    as_system: bool = False,
    **params: Any,
) -> WorkOrder:
    """Do one action of the transition table on one work order, as `actor` (or the reporter holding the key)."""
    if action not in Action.values or action in (Action.REPORT, Action.SOLVE_ON_SPOT):
        raise ValidationError(_("未知的操作：%(action)s。") % {"action": action})
    if as_system and actor is not None:
        raise ValueError("a system action has no actor")
    note = _clean_text(note, field="note", label=_("说明"), limit=MAX_NOTE, required=action in REASON_REQUIRED)
    accepted = set(inspect.signature(APPLY[action]).parameters) - {"order", "actor", "now", "note", "_kw"}
    if set(params) - accepted:
        raise ValidationError(
            _("“%(action)s”不接受这些参数：%(names)s。")
            % {"action": Action(action).label, "names": "、".join(sorted(set(params) - accepted))}
        )
    prepared = prepare_all(list(photos))
    with transaction.atomic():
        rows = WorkOrder.objects if (as_system or tracking_key is not None) else selectors.work_orders(actor=actor)
        # lock the work order's row only: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join
        order = (
            rows.select_for_update(of=("self",))
            .select_related("region", "incident_type")
            .filter(pk=work_order_id)
            .first()
        )
        if order is None:
            raise NotFound(_("没有找到该工单，或它不在您的管辖范围内。"))
        if expected_version is not None and order.version != expected_version:
            raise Conflict(
                _("工单 %(number)s 已被他人更新（当前状态：%(status)s），请刷新后再操作。")
                % {"number": order.number, "status": order.get_status_display()}
            )
        allowed = TRANSITIONS[order.status].get(action)
        if allowed is None:
            raise TransitionNotAllowed(
                _("工单 %(number)s 当前状态为“%(status)s”，不能“%(action)s”。")
                % {"number": order.number, "status": order.get_status_display(), "action": Action(action).label}
            )
        target, parties = allowed
        mine = parties_of(actor, order, tracking_key=tracking_key, as_system=as_system)
        if not mine & parties:
            names = "、".join(str(Party(p).label) for p in sorted(parties))
            raise PermissionDenied(
                _("只有%(parties)s可以执行“%(action)s”。") % {"parties": names, "action": Action(action).label}
            )
        now = timezone.now()
        before = {
            "status": order.status,
            "level": order.level,
            "department": order.department_id,
            "assignee": order.assignee_id,
            "supervision": order.supervision,
        }
        from_status = order.status
        was_registered = order.registered_at is not None
        data = APPLY[action](order, actor=actor, now=now, note=note, **params) or {}
        order.status = order.suspended_from if target == PREVIOUS else (from_status if target == SAME else target)
        if target == PREVIOUS:
            order.suspended_from = ""
        order.version += 1
        order.save()
        if as_system:
            label = _("系统")
        elif tracking_key is not None:
            label = _("上报人")
        else:
            label = actor.display_name
        event = _event(
            order,
            action,
            from_status,
            order.status,
            None if (as_system or tracking_key) else actor,
            label,
            note=note,
            at=now,
            data=data,
        )
        _attach(order, event, prepared, now)
        audit.record(
            actor=None if (as_system or tracking_key) else actor,
            action=f"work_order.{action}",
            obj=order,
            before=before,
            after={
                "status": order.status,
                "level": order.level,
                "department": order.department_id,
                "assignee": order.assignee_id,
                "supervision": order.supervision,
                **data,
            },
        )
        _notify(order, action, note, registered=not was_registered and order.registered_at is not None)
    return order


def _require_params(params: dict[str, Any], *names: str) -> None:
    unexpected = set(params) - set(names)
    if unexpected:
        raise ValidationError(_("此操作不接受参数：%(names)s。") % {"names": "、".join(sorted(unexpected))})


def _type_from(code: str | None, order: WorkOrder) -> None:
    if not code:
        return
    kind = IncidentType.objects.filter(code=code, is_active=True).first()
    if kind is None:
        raise ValidationError(_("事件类型 %(code)s 不存在。") % {"code": code})
    order.incident_type = kind


def _register(order: WorkOrder, *, actor: Any, now: datetime, note: str, incident_type_code: str | None = None) -> dict:
    _type_from(incident_type_code, order)
    order.registered_at = order.registered_at or now
    return {"type": order.incident_type.code if order.incident_type else None}


def _dispatch(
    order: WorkOrder,
    *,
    actor: Any,
    now: datetime,
    note: str,
    department_code: str | None = None,
    assignee: str | None = None,
    incident_type_code: str | None = None,
) -> dict:
    _type_from(incident_type_code, order)
    if order.incident_type is None:
        raise ValidationError(_("请先确定事件类型，再派遣。"))
    department = user = None
    if not department_code and not assignee:
        suggestion = selectors.suggest_handler(order)
        if suggestion is None:
            raise ValidationError(_("责任清单没有为该事件给出承办单位，请选择承办部门或承办人。"))
        department, user = suggestion.department, suggestion.assignee
    if department_code:
        department = Department.objects.filter(code=department_code, is_active=True).select_related("region").first()
        if department is None or not order.region_path.startswith(department.region.path):
            raise ValidationError(_("部门 %(code)s 不存在或不负责该区域。") % {"code": department_code})
    if assignee:
        user = User.objects.filter(username=assignee, is_active=True).first()
        if user is None:
            raise ValidationError(_("没有用户名为“%(name)s”的在岗人员。") % {"name": assignee})
        serves_department = department is not None and holds_role(
            user, {Role.DEPARTMENT_HANDLER}, department_id=department.pk
        )
        if not serves_department and not holds_role(
            user, set(Role.values) - {Role.DEPARTMENT_HANDLER}, at=order.region
        ):
            raise ValidationError(
                _("%(name)s 既不是承办部门的人员，也不在该网格所在区域任职。") % {"name": user.display_name}
            )
    order.department, order.assignee = department, user
    order.registered_at = order.registered_at or now
    order.dispatched_at = now
    order.signed_at = order.handled_at = None
    order.extension_pending_days = None
    order.is_overdue = False
    _set_handling_deadlines(order, now)
    return {
        "type": order.incident_type.code,
        "department": department.name if department else None,
        "assignee": user.display_name if user else None,
    }


def _void(order: WorkOrder, **_kw: Any) -> dict:
    return {}


def _merge(order: WorkOrder, *, actor: Any, now: datetime, note: str, into: str = "") -> dict:
    survivor = (
        selectors.work_orders(actor=actor)
        .select_for_update(of=("self",))
        .filter(number=into.strip())
        .exclude(pk=order.pk)
        .first()
        if into
        else None
    )
    if survivor is None:
        raise ValidationError(_("请填写要合并到的工单编号（须在您的管辖范围内）。"))
    if not survivor.is_open:
        raise ValidationError(_("工单 %(number)s 已办结，不能合并到它。") % {"number": survivor.number})
    order.merged_into = survivor
    order.dispatch_due_at = None
    # duplicates merged into this one earlier follow the survivor as well
    followers = list(WorkOrder.objects.filter(merged_into=order).values_list("number", flat=True))
    WorkOrder.objects.filter(merged_into=order).update(merged_into=survivor)
    _event(
        survivor,
        Action.NOTE,
        survivor.status,
        survivor.status,
        actor,
        actor.display_name,
        note=_("工单 %(number)s 作为重复上报合并到本工单。") % {"number": order.number},
        at=now,
        data={"merged": order.number, "followers": followers},
    )
    return {"into": survivor.number, "followers": followers}


def _sign(order: WorkOrder, *, actor: Any, now: datetime, note: str) -> dict:
    order.signed_at = now
    if order.assignee_id is None:
        order.assignee = actor
    return {}


def _return(order: WorkOrder, *, actor: Any, now: datetime, note: str) -> dict:
    returned = {"department": order.department.name if order.department else None}
    order.return_count += 1
    order.department = order.assignee = None
    order.signed_at = order.dispatched_at = None
    order.sign_due_at = order.handle_due_at = None
    order.extension_pending_days = None
    _set_dispatch_deadline(order, now)
    return returned


def _handle(order: WorkOrder, *, actor: Any, now: datetime, note: str) -> dict:
    order.handled_at = now
    order.handled_on_time = order.handle_due_at is None or now <= order.handle_due_at
    return {"on_time": order.handled_on_time}


def _request_extension(order: WorkOrder, *, actor: Any, now: datetime, note: str, days: int | None = None) -> dict:
    if order.extension_pending_days:
        raise ValidationError(_("已有一项延期申请等待审批。"))
    if not isinstance(days, int) or not 1 <= days <= 30:
        raise ValidationError(_("延期天数应为 1 到 30 个工作日。"))
    order.extension_pending_days = days
    return {"days": days}


def _grant_extension(order: WorkOrder, *, actor: Any, now: datetime, note: str) -> dict:
    days = order.extension_pending_days
    if not days:
        raise ValidationError(_("没有等待审批的延期申请。"))
    base = order.handle_due_at or now
    due = calendar().add_working_days(base, days)
    order.handle_due_at = due.at
    order.deadline_estimated = order.deadline_estimated or due.estimated
    order.extension_pending_days = None
    order.extension_count += 1
    if order.is_overdue and due.at > now:
        order.is_overdue = False
    return {"days": days, "handle_due_at": timezone.localtime(due.at).isoformat()}


def _refuse_extension(order: WorkOrder, *, actor: Any, now: datetime, note: str) -> dict:
    if not order.extension_pending_days:
        raise ValidationError(_("没有等待审批的延期申请。"))
    days = order.extension_pending_days
    order.extension_pending_days = None
    return {"days": days}


def _verify_pass(order: WorkOrder, *, actor: Any, now: datetime, note: str) -> dict:
    order.closed_at = now
    order.closed_on_time = order.handle_due_at is None or (order.handled_at or now) <= order.handle_due_at
    order.is_overdue = False
    return {}


def _verify_fail(order: WorkOrder, *, actor: Any, now: datetime, note: str) -> dict:
    order.rework_count += 1
    order.handled_at = None
    order.handled_on_time = None
    return {}


def _rate(
    order: WorkOrder, *, actor: Any, now: datetime, note: str, rating: int | None = None, comment: str = ""
) -> dict:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError(_("评价请选择 1 到 5 星。"))
    order.rating = rating
    order.rating_comment = _clean_text(comment or note, field="comment", label=_("评价意见"), limit=200, required=False)
    order.rated_at = now
    return {"rating": rating}


def _reopen(order: WorkOrder, *, actor: Any, now: datetime, note: str) -> dict:
    window = timedelta(days=settings.WORK_ORDER_REOPEN_DAYS)
    if order.closed_at is None or now - order.closed_at > window:
        raise ValidationError(
            _("结案 %(days)s 天内才能申请重新办理；如问题再次出现，请重新上报。")
            % {"days": settings.WORK_ORDER_REOPEN_DAYS}
        )
    order.reopen_count += 1
    order.department = order.assignee = None
    order.dispatched_at = order.signed_at = order.handled_at = order.closed_at = None
    order.closed_on_time = order.handled_on_time = None
    order.sign_due_at = order.handle_due_at = None
    order.rating, order.rating_comment, order.rated_at = None, "", None
    _set_dispatch_deadline(order, now)
    return {}


def _escalate(order: WorkOrder, *, actor: Any, now: datetime, note: str) -> dict:
    upper = ESCALATION.get(order.level)
    if upper is None:
        raise ValidationError(_("工单已在市级平台，不能再上报。"))
    lower = order.level
    order.level = upper
    order.escalation_count += 1
    order.registered_at = order.registered_at or now
    order.is_overdue = False
    _set_dispatch_deadline(order, now)
    return {"from_level": lower, "to_level": upper}


def _supervise(order: WorkOrder, *, actor: Any, now: datetime, note: str, supervision: str = "") -> dict:
    if supervision not in (Supervision.YELLOW, Supervision.RED):
        raise ValidationError(_("请选择督办等级：黄牌或红牌。"))
    if SUPERVISION_RANK[supervision] <= SUPERVISION_RANK[order.supervision]:
        raise ValidationError(_("该工单已是同级或更高等级的督办。"))
    order.supervision = supervision
    return {"supervision": supervision}


def _suspend(order: WorkOrder, *, actor: Any, now: datetime, note: str) -> dict:
    order.suspended_from = order.status
    order.suspended_at = now
    return {}


def _resume(order: WorkOrder, *, actor: Any, now: datetime, note: str) -> dict:
    # the clock stops while suspended: every deadline moves by the time the order was on hold
    paused = now - (order.suspended_at or now)
    for field in ("dispatch_due_at", "sign_due_at", "handle_due_at"):
        due = getattr(order, field)
        if due is not None:
            setattr(order, field, due + paused)
    order.suspended_at = None
    return {"paused_hours": round(paused.total_seconds() / 3600, 1)}


def _mark_overdue(order: WorkOrder, *, actor: Any, now: datetime, note: str) -> dict:
    order.is_overdue = True
    if not order.supervision:
        order.supervision = Supervision.YELLOW
    return {"supervision": order.supervision}


def _note(order: WorkOrder, **_kw: Any) -> dict:
    return {}


APPLY: dict[str, Callable[..., dict]] = {
    Action.REGISTER: _register,
    Action.DISPATCH: _dispatch,
    Action.REDISPATCH: _dispatch,
    Action.VOID: _void,
    Action.MERGE: _merge,
    Action.SIGN: _sign,
    Action.RETURN: _return,
    Action.HANDLE: _handle,
    Action.REQUEST_EXTENSION: _request_extension,
    Action.GRANT_EXTENSION: _grant_extension,
    Action.REFUSE_EXTENSION: _refuse_extension,
    Action.VERIFY_PASS: _verify_pass,
    Action.VERIFY_FAIL: _verify_fail,
    Action.RATE: _rate,
    Action.REOPEN: _reopen,
    Action.ESCALATE: _escalate,
    Action.SUPERVISE: _supervise,
    Action.SUSPEND: _suspend,
    Action.RESUME: _resume,
    Action.MARK_OVERDUE: _mark_overdue,
    Action.NOTE: _note,
}


# ---------------------------------------------------------------- notifications


def _staff_url(order: WorkOrder) -> str:
    return reverse("workorders:detail", args=[order.number])


def _tracking_url(order: WorkOrder) -> str:
    return reverse("workorders:track", args=[order.number]) + f"?key={order.tracking_key}"


def _reporters(order: WorkOrder) -> list[WorkOrder]:
    """The order itself and every duplicate merged into it: their reporters all follow this order."""
    return [order, *WorkOrder.objects.filter(merged_into=order)]


def _tell_reporters(order: WorkOrder, message: Message) -> None:
    for reported in _reporters(order):
        if reported.reporter_id:
            notifications.to_staff([reported.reporter], Message(message.subject, message.body, _staff_url(order)))
        elif reported.reporter_phone:
            # their own report's link (its page follows the merge): the survivor's key is its reporter's alone
            notifications.to_phone(
                reported.reporter_phone, Message(message.subject, message.body, _tracking_url(reported))
            )


def _dispatchers_at(order: WorkOrder) -> list[User]:
    roles = LEVEL_DISPATCHERS[order.level]
    codes = order.region.ancestor_codes()
    candidates = User.objects.filter(
        is_active=True,
        posts__is_active=True,
        posts__role__in=roles,
        posts__region__code__in=codes,
        posts__region__level=order.level,
    ).distinct()
    return [user for user in candidates if dispatches_at(user, order.region, order.level)]


def _notify(order: WorkOrder, action: str, note: str, *, registered: bool = False) -> None:
    number = order.number
    if registered:  # by a plain register, a one-click dispatch or an escalation from the report
        _tell_reporters(
            order, Message(_("您的上报已立案"), _("工单 %(n)s 已受理立案，我们会尽快处置。") % {"n": number})
        )
    if action in (Action.DISPATCH, Action.REDISPATCH):
        due = timezone.localtime(order.handle_due_at).strftime("%Y-%m-%d %H:%M") if order.handle_due_at else ""
        message = Message(
            _("新工单待签收：%(n)s") % {"n": number},
            _("%(type)s，%(address)s，处置时限 %(due)s。")
            % {
                "type": order.incident_type.name if order.incident_type else "",
                "address": order.address or order.region.name,
                "due": due,
            },
            _staff_url(order),
        )
        if order.assignee is not None:
            notifications.to_staff([order.assignee], message)
            if order.assignee.phone and order.incident_type and order.incident_type.field_dispatch:
                notifications.to_phone(order.assignee.phone, message)  # a field officer is on the street, not at a desk
        elif order.department is not None:
            handlers = User.objects.filter(
                is_active=True,
                posts__is_active=True,
                posts__role=Role.DEPARTMENT_HANDLER,
                posts__department=order.department,
            ).distinct()
            notifications.to_staff(handlers, message)
    elif action == Action.VOID:
        _tell_reporters(
            order, Message(_("您的上报未予立案"), _("工单 %(n)s 未予立案：%(why)s") % {"n": number, "why": note})
        )
    elif action == Action.VERIFY_PASS:
        _tell_reporters(
            order, Message(_("您反映的问题已办结"), _("工单 %(n)s 已办结，请对处理结果进行评价。") % {"n": number})
        )
    elif action == Action.ESCALATE:
        notifications.to_staff(
            _dispatchers_at(order),
            Message(_("下级上报工单：%(n)s") % {"n": number}, note, _staff_url(order)),
        )
    elif action in (Action.SUPERVISE, Action.MARK_OVERDUE, Action.RETURN, Action.REQUEST_EXTENSION):
        subjects: dict[str, str] = {
            Action.SUPERVISE: _("工单被督办：%(n)s"),
            Action.MARK_OVERDUE: _("工单已超期：%(n)s"),
            Action.RETURN: _("工单被退回：%(n)s"),
            Action.REQUEST_EXTENSION: _("工单申请延期：%(n)s"),
        }
        subject = subjects[action] % {"n": number}
        people = list(_dispatchers_at(order)) if action in (Action.RETURN, Action.REQUEST_EXTENSION) else []
        if action in (Action.SUPERVISE, Action.MARK_OVERDUE) and order.assignee is not None:
            people.append(order.assignee)
        notifications.to_staff(people, Message(subject, note, _staff_url(order)))


# ---------------------------------------------------------------- background work


def auto_dispatch(*, work_order_id: int) -> WorkOrder | None:
    """Dispatch as the system what the responsibility list says goes out at once (nearest officer for field types)."""
    order = WorkOrder.objects.select_related("incident_type", "region").filter(pk=work_order_id).first()
    if order is None or order.status not in WAITING_FOR_DISPATCH or order.incident_type is None:
        return None
    suggestion = selectors.suggest_handler(order)
    if suggestion is None:
        return None  # nobody to send it to: it waits in the operators' queue
    try:
        return act(
            actor=None,
            as_system=True,
            work_order_id=order.pk,
            action=Action.DISPATCH,
            department_code=suggestion.department.code if suggestion.department else None,
            assignee=suggestion.assignee.username if suggestion.assignee else None,
            note="",
            expected_version=order.version,
        )
    except (Conflict, TransitionNotAllowed):
        return None  # an operator acted on it meanwhile: theirs is the decision that stands


def sweep_deadlines(*, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Mark overdue work orders, raise supervision, escalate where the responsibility list says so.

    Each order is changed in its own transaction, so one busy row never holds up the rest.
    """
    now = now or timezone.now()
    counts = {"overdue": 0, "escalated": 0, "red": 0}
    waiting = (
        WorkOrder.objects.filter(status__in=WAITING_FOR_DISPATCH, is_overdue=False, dispatch_due_at__lt=now)
        .select_related("incident_type")
        .order_by("dispatch_due_at")[:limit]
    )
    for order in waiting:
        escalate = order.incident_type is not None and order.incident_type.auto_escalate and order.level in ESCALATION
        try:
            if escalate:
                act(
                    actor=None,
                    as_system=True,
                    work_order_id=order.pk,
                    action=Action.ESCALATE,
                    note=_("超过派遣时限未派遣，系统自动上报上级。"),
                    expected_version=order.version,
                )
                counts["escalated"] += 1
            else:
                act(
                    actor=None,
                    as_system=True,
                    work_order_id=order.pk,
                    action=Action.MARK_OVERDUE,
                    note=_("超过派遣时限。"),
                    expected_version=order.version,
                )
                counts["overdue"] += 1
        except (Conflict, TransitionNotAllowed):
            continue  # someone acted on it meanwhile; the next sweep looks again
    late = WorkOrder.objects.filter(status__in=WAITING_FOR_HANDLER, is_overdue=False, handle_due_at__lt=now).order_by(
        "handle_due_at"
    )[:limit]
    for order in late:
        try:
            act(
                actor=None,
                as_system=True,
                work_order_id=order.pk,
                action=Action.MARK_OVERDUE,
                note=_("超过处置时限。"),
                expected_version=order.version,
            )
            counts["overdue"] += 1
        except (Conflict, TransitionNotAllowed):
            continue
    # still overdue at the close of the next working day, waiting for a handler or still for dispatch: red
    for statuses, due_field in ((WAITING_FOR_HANDLER, "handle_due_at"), (WAITING_FOR_DISPATCH, "dispatch_due_at")):
        very_late = WorkOrder.objects.filter(
            status__in=statuses, is_overdue=True, supervision=Supervision.YELLOW, **{f"{due_field}__isnull": False}
        ).order_by(due_field)[:limit]
        for order in very_late:
            if calendar().add_working_days(getattr(order, due_field), 1).at > now:
                break  # ordered by deadline: the rest are later still
            try:
                act(
                    actor=None,
                    as_system=True,
                    work_order_id=order.pk,
                    action=Action.SUPERVISE,
                    supervision=Supervision.RED,
                    note=_("超期超过一个工作日，系统红牌督办。"),
                    expected_version=order.version,
                )
                counts["red"] += 1
            except (Conflict, TransitionNotAllowed, ValidationError):
                continue
    return counts


# ---------------------------------------------------------------- officers' positions


@transaction.atomic
def position_report(*, actor: Any, lon: float, lat: float, on_duty: bool = True) -> OfficerPosition:
    """A field officer's phone says where they are (kept as the latest position only; patrol tracks come later)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied()
    if not holds_role(actor, {Role.DEPARTMENT_HANDLER, Role.GRID_WORKER, Role.GRID_ASSISTANT, Role.GRID_LEADER}):
        raise PermissionDenied(_("只有外勤人员需要上报位置。"))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(_("经纬度超出范围。"))
    position, _created = OfficerPosition.objects.update_or_create(
        user=actor, defaults={"lon": lon, "lat": lat, "on_duty": on_duty, "reported_at": timezone.now()}
    )
    return position


# ---------------------------------------------------------------- the catalogue


class CatalogueError(ValidationError):
    def __init__(self, rows: list[str]) -> None:
        super().__init__(_("事件类型文件有 %(n)s 处错误，未导入任何内容。") % {"n": len(rows)})
        self.rows = rows


# What a type's line of the data file may say (a misspelt key would otherwise be dropped without a word).
TYPE_KEYS = frozenset(
    {
        "code",
        "name",
        "description",
        "keywords",
        "level",
        "department",
        "dispatch_hours",
        "sign_hours",
        "handle",
        "unit",
        "field",
        "auto",
        "escalate",
        "fund",
        "active",
        "private",
        "attributes",
    }
)
TYPE_FLAGS = ("field", "auto", "escalate", "fund", "active", "private")
LEVELS = (Level.GRID, Level.COMMUNITY, Level.STREET, Level.DISTRICT, Level.CITY)


def _type_problems(row: dict[str, Any], category_code: str, known_departments: set[str]) -> list[str]:
    tcode = str(row.get("code", ""))
    where = f"type {tcode or '?'} ({row.get('name', '')})"
    problems = []
    unknown = sorted(str(key) for key in set(row) - TYPE_KEYS)
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
    if not re.fullmatch(rf"{category_code}\d{{2}}", tcode):
        problems.append(f"{where}: code must be the category code {category_code} plus 2 digits")
    name = row.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 40:
        problems.append(f"{where}: name must be given, at most 40 characters")
    if len(str(row.get("description") or "")) > 200:
        problems.append(f"{where}: description is longer than 200 characters")
    keywords = row.get("keywords") or []
    if not isinstance(keywords, list) or not all(isinstance(word, str) and word.strip() for word in keywords):
        problems.append(f"{where}: keywords must be a list of words")
    if row.get("level") not in LEVELS:
        problems.append(f"{where}: level must be grid, community, street, district or city")
    if row.get("unit") not in LimitUnit.values:
        problems.append(f"{where}: unit must be hours or days")
    for limit in ("dispatch_hours", "sign_hours", "handle"):
        value = row.get(limit)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1000:
            problems.append(f"{where}: {limit} must be a positive number")
    handle = row.get("handle")
    if row.get("unit") == LimitUnit.DAYS and isinstance(handle, float) and not handle.is_integer():
        problems.append(f"{where}: a limit in days must be whole days")
    for flag in TYPE_FLAGS:
        if flag in row and not isinstance(row[flag], bool):
            problems.append(f"{where}: {flag} must be true or false")
    if row.get("department") and row["department"] not in known_departments:
        problems.append(f"{where}: unknown department {row['department']!r}")
    if row.get("auto") and not row.get("department"):
        problems.append(f"{where}: auto dispatch needs a department")
    problems.extend(attributes.definition_problems(where, row.get("attributes")))
    return problems


def incident_types_load(*, actor: Any, path: Path) -> dict[str, int]:
    """Load the catalogue and responsibility list from YAML: every bad row reported, nothing loaded unless all good."""
    require_administrator_or_system(actor)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise CatalogueError([str(error)]) from error
    if not isinstance(document, dict) or not isinstance(document.get("defaults", {}), dict):
        raise CatalogueError(["the file must be a mapping with 'defaults' (a mapping) and 'categories' (a list)"])
    if not isinstance(document.get("categories") or [], list):
        raise CatalogueError(["'categories' must be a list"])
    defaults = document.get("defaults", {})
    known = {line["key"] for line in yaml.safe_load((Path(settings.DATA_DIR) / "departments.yaml").read_text("utf-8"))}
    problems: list[str] = []
    categories: list[dict[str, Any]] = []
    types: list[dict[str, Any]] = []
    seen: set[str] = set()
    seen_categories: set[str] = set()
    for position, category in enumerate(document.get("categories") or [], start=1):
        if not isinstance(category, dict):
            problems.append(f"category #{position}: must be a mapping with code, name and types")
            continue
        code = str(category.get("code", ""))
        name = category.get("name")
        if not re.fullmatch(r"\d{2}", code) or not isinstance(name, str) or not name.strip() or len(name) > 40:
            problems.append(f"category #{position}: code must be 2 digits and name given ({code!r})")
            continue
        if code in seen_categories:
            problems.append(f"category {code} ({name}): code appears twice")
        seen_categories.add(code)
        categories.append({"code": code, "name": name, "sort": position})
        entries = category.get("types") or []
        if not isinstance(entries, list):
            problems.append(f"category {code} ({name}): types must be a list")
            continue
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                problems.append(f"category {code} ({name}), type #{number}: must be a mapping")
                continue
            row = {**defaults, **entry}
            tcode = str(row.get("code", ""))
            problems.extend(_type_problems(row, code, known))
            if tcode in seen:
                problems.append(f"type {tcode} ({row.get('name', '')}): code appears twice")
            seen.add(tcode)
            types.append({**row, "category": code})
    if problems:
        raise CatalogueError(problems)
    counts = {"categories": 0, "types": 0}
    with transaction.atomic():
        by_code = {}
        for category in categories:
            obj, _c = IncidentCategory.objects.update_or_create(
                code=category["code"], defaults={"name": category["name"], "sort": category["sort"]}
            )
            by_code[obj.code] = obj
            counts["categories"] += 1
        for row in types:
            IncidentType.objects.update_or_create(
                code=str(row["code"]),
                defaults={
                    "category": by_code[row["category"]],
                    "name": row["name"],
                    "description": str(row.get("description") or ""),
                    "keywords": list(row.get("keywords") or []),
                    "handling_level": row["level"],
                    "department_key": row.get("department") or "",
                    "dispatch_hours": Decimal(str(row["dispatch_hours"])),
                    "sign_hours": Decimal(str(row["sign_hours"])),
                    "handle_limit": Decimal(str(row["handle"])),
                    "handle_unit": row["unit"],
                    "field_dispatch": bool(row.get("field")),
                    "auto_dispatch": bool(row.get("auto")),
                    "auto_escalate": bool(row.get("escalate")),
                    "emergency_fund": bool(row.get("fund")),
                    "is_active": row.get("active", True),
                    "is_private": bool(row.get("private")),
                    "attributes": attributes.normalise(row.get("attributes")),
                },
            )
            counts["types"] += 1
        audit.record(actor=actor, action="incident_types.load", after={**counts, "file": path.name})
    return counts


# The responsibility-list fields an administrator may change on a type (codes and names come from the data file).
RESPONSIBILITY_FIELDS = (
    "handling_level",
    "department_key",
    "dispatch_hours",
    "sign_hours",
    "handle_limit",
    "handle_unit",
    "field_dispatch",
    "auto_dispatch",
    "auto_escalate",
    "emergency_fund",
    "is_active",
    "keywords",
)


@transaction.atomic
def incident_type_update(*, actor: Any, type_id: int, changes: dict[str, Any]) -> IncidentType:
    """Change one line of the responsibility list (from the admin), audited with before and after."""
    require_administrator_or_system(actor)
    unknown = set(changes) - set(RESPONSIBILITY_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(names)s。") % {"names": "、".join(sorted(unknown))})
    kind = IncidentType.objects.select_for_update().get(pk=type_id)
    before = audit.snapshot(kind, changes)
    for name, value in changes.items():
        setattr(kind, name, value)
    if kind.auto_dispatch and not kind.department_key:
        raise ValidationError(_("自动派遣需要指定责任部门。"))
    for name in ("dispatch_hours", "sign_hours", "handle_limit"):
        if Decimal(str(getattr(kind, name))) <= 0:
            raise ValidationError(_("时限必须大于 0。"))
    kind.save(update_fields=list(changes))
    audit.record(
        actor=actor, action="incident_type.update", obj=kind, before=before, after=audit.snapshot(kind, changes)
    )
    return kind
