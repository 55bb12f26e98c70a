"""Applications (办件): acceptance with the resident's identity, the one-time notice, on-the-spot completion or
forwarding to the back office with the promised deadline, review, and the result handed over or delivered home.

Every action follows `APPLICATION_TRANSITIONS`, runs in one transaction with the application row locked, writes one
timeline event and one audit row (never personal data in it), and tells people after the commit.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit, notifications, personal_data
from civicgrid.core.calendar import calendar
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.core.identity import check_id_number, check_name, check_phone
from civicgrid.core.notifications import Message
from civicgrid.hall import selectors
from civicgrid.hall.choices import (
    APPLICATION_TRANSITIONS,
    DEPARTMENT_REVIEW_ROLES,
    REASON_REQUIRED,
    SAME,
    ApplicationAction,
    ApplicationStatus,
    Channel,
    ConsentMethod,
    DeliveryStatus,
    Mode,
    Outcome,
    Party,
    ProofKind,
    ProxyRelation,
    ResultDelivery,
    TicketAction,
    TicketStatus,
)
from civicgrid.hall.models import Application, ApplicationEvent, Centre, Delivery, Notice, ServiceItem, Ticket
from civicgrid.hall.permissions import application_parties, is_centre_clerk, station_of
from civicgrid.hall.services.centres import next_in_series
from civicgrid.hall.services.proof import prepare_proof
from civicgrid.people.choices import Role
from civicgrid.people.models import Department, Post, User
from civicgrid.regions import selectors as regions
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region

MAX_NOTE = 500
REPEAT_WINDOW = timedelta(days=90)  # a return within this long after a notice is the same matter, not a new one
REVEALABLE = frozenset(
    {"applicant_name", "id_number", "phone", "address", "proxy_name", "proxy_id_number", "proxy_phone"}
)


@dataclass(frozen=True)
class Proxy:
    """Someone applying on the resident's behalf (代办), and how the resident consented."""

    relation: str
    name: str = ""
    id_number: str = ""
    phone: str = ""
    username: str = ""  # a grid worker applying for a resident of their grid
    consent_method: str = ""
    consent_note: str = ""


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(message, errors={field: [message]})


def _clean(value: str, *, field: str, label: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _invalid(field, _("请填写%(label)s。") % {"label": label})
    if len(value) > limit:
        raise _invalid(field, _("%(label)s不能超过 %(n)s 个字。") % {"label": label, "n": limit})
    return value


def _district_path(centre: Centre) -> str:
    codes = centre.region_path.strip("/").split("/")
    return "/" + "/".join(codes[:2]) + "/"


def _grid(centre: Centre, grid_code: str | None, lon: float | None, lat: float | None) -> Region | None:
    """The resident's grid, from a grid code or a point; it must lie in the centre's district."""
    grid: Region | None = None
    if grid_code:
        grid = Region.objects.filter(code=grid_code.strip(), level=Level.GRID).first()
        if grid is None:
            raise _invalid("grid", _("网格 %(code)s 不存在。") % {"code": grid_code})
    elif lon is not None and lat is not None:
        found = regions.grid_at(lon, lat)
        if found is None:
            raise _invalid("grid", _("该位置不在任何网格内，请核对地址或填写网格代码。"))
        grid = Region.objects.get(pk=found.id)
    if grid is not None and not grid.path.startswith(_district_path(centre)):
        raise _invalid("grid", _("%(grid)s不在本区，无法安排网格员送达。") % {"grid": grid.name})
    return grid


def _materials(item: ServiceItem, provided: Sequence[str]) -> list[dict[str, Any]]:
    """The item's materials as at acceptance, each marked provided or not; unknown codes are refused."""
    known = list(item.materials.order_by("code"))
    codes = {m.code for m in known}
    unknown = sorted(set(provided) - codes)
    if unknown:
        raise _invalid(
            "materials",
            _("“%(item)s”没有这些材料编号：%(codes)s。") % {"item": item.name, "codes": "、".join(unknown)},
        )
    return [
        {
            "code": m.code,
            "name": m.name,
            "copies": m.copies,
            "source_note": m.source_note,
            "required": m.required,
            "provided": m.code in provided,
        }
        for m in known
    ]


def _check_proxy(proxy: Proxy | None, item: ServiceItem, centre: Centre) -> dict[str, Any]:
    if proxy is None:
        if not item.resident_allowed:
            raise _invalid("proxy", _("“%(item)s”须由监护人或家属代为申请，请填写代办人。") % {"item": item.name})
        return {}
    if not item.proxy_allowed:
        raise _invalid("proxy", _("“%(item)s”须本人办理，不能代办。") % {"item": item.name})
    if proxy.relation not in ProxyRelation.values:
        raise _invalid("proxy.relation", _("请选择代办人身份：亲属、网格员或其他受托人。"))
    if proxy.consent_method not in ConsentMethod.values:
        raise _invalid(
            "proxy.consent_method", _("请记录申请人同意代办的方式（授权委托书、本人到场、视频或电话确认）。")
        )
    values: dict[str, Any] = {
        "proxy_relation": proxy.relation,
        "consent_method": proxy.consent_method,
        "consent_note": _clean(proxy.consent_note, field="proxy.consent_note", label=_("同意情况说明"), limit=200),
    }
    if proxy.relation == ProxyRelation.GRID_WORKER:
        user = User.objects.filter(username=proxy.username, is_active=True).first() if proxy.username else None
        if (
            user is None
            or not Post.objects.filter(
                user=user, is_active=True, role=Role.GRID_WORKER, region__path__startswith=_district_path(centre)
            ).exists()
        ):
            raise _invalid("proxy.username", _("代办网格员须为本区在岗网格员，请填写其用户名。"))
        values.update(proxy_user=user, proxy_name=user.display_name, proxy_phone=user.phone)
        return values
    values["proxy_name"] = check_name(proxy.name, field="proxy.name", label=_("代办人姓名"))
    values["proxy_id_number"] = check_id_number(proxy.id_number, field="proxy.id_number", whose=_("代办人")).id_number
    values["proxy_phone"] = check_phone(proxy.phone, field="proxy.phone", required=True)
    return values


def _application_number(centre: Centre, now: datetime) -> str:
    day = timezone.localdate(now)
    return f"{centre.code}-{day:%Y%m%d}-{next_in_series(centre.pk, day, 'app'):04d}"


def _label(actor: Any) -> str:
    return actor.display_name if getattr(actor, "is_authenticated", False) else _("系统")


def _event(application: Application, action: str, before: str, actor: Any, note: str = "", **data: Any) -> None:
    ApplicationEvent.objects.create(
        application=application,
        action=action,
        from_status=before,
        to_status=application.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_label(actor)[:80],
        note=note,
        data=data,
        created_at=timezone.now(),
    )


def _audit(application: Application, action: str, actor: Any, before: str, **after: Any) -> None:
    audit.record(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=f"application.{action}",
        obj=application,
        before={"status": before} if before else None,
        after={"status": application.status, **after},
    )


def _tracking_path(application: Application) -> str:
    try:
        return reverse("hall:track", args=[application.number])
    except NoReverseMatch:  # the pages come later; the message stands without a link
        return ""


def _tell_resident(application: Application, subject: str, body: str) -> None:
    """An SMS to the applicant (and the proxy who applied for them); the log shows only a masked number."""
    message = Message(subject, body, _tracking_path(application))
    for phone in {application.phone, application.proxy_phone} - {""}:
        notifications.to_phone(phone, message)


# ---------------------------------------------------------------- acceptance


@transaction.atomic
def application_accept(
    *,
    actor: Any,
    centre_code: str,
    item_code: str,
    applicant_name: str,
    id_number: str,
    phone: str = "",
    address: str = "",
    grid_code: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    materials: Sequence[str] = (),
    ticket_id: int | None = None,
    result_delivery: str = ResultDelivery.PICK_UP,
    channel: str | None = None,
    proxy: Proxy | None = None,
) -> Application:
    """A clerk accepts a resident's request for one item (any counter, any item of the centre: 通办) and becomes
    its first-contact owner. A community station's clerk files it remotely into the street's centre."""
    centre = Centre.objects.filter(code=centre_code, is_active=True).select_related("street").first()
    station = station_of(actor, centre) if centre is not None else None
    if centre is None or not (is_centre_clerk(actor, centre) or station is not None):
        raise NotFound(_("没有找到该服务中心，或您不是该中心（或其社区工作站）的窗口人员。"))
    item = selectors.items().filter(code=item_code).first()
    if item is None or not selectors.offers(centre, item):
        raise _invalid("item", _("本中心不办理事项 %(code)s，请核对事项清单。") % {"code": item_code})
    name = check_name(applicant_name, field="applicant_name", label=_("申请人姓名"))
    identity = check_id_number(id_number, whose=_("申请人"))
    if result_delivery not in ResultDelivery.values:
        raise _invalid("result_delivery", _("请选择结果领取方式：窗口领取或送达上门。"))
    home = result_delivery == ResultDelivery.HOME
    phone = check_phone(phone, required=home or item.mode == Mode.FORWARDED)
    address = _clean(address, field="address", label=_("送达地址"), limit=200, required=home)
    grid = _grid(centre, grid_code, lon, lat)
    if home and grid is None:
        raise _invalid("grid", _("送达上门须确定居民所在网格（填写网格代码或在地图上定位）。"))
    proxy_values = _check_proxy(proxy, item, centre)
    ticked = _materials(item, list(materials))
    now = timezone.now()
    ticket = None
    if ticket_id is not None:
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("counter", "appointment")
            .filter(pk=ticket_id, centre=centre, day=timezone.localdate(now))
            .first()
        )
        if (
            ticket is None
            or ticket.status not in (TicketStatus.CALLED, TicketStatus.SERVING)
            or ticket.clerk_id != actor.pk
        ):
            raise _invalid("ticket", _("只能关联本人今天正在办理的排队号。"))
    if station is not None and not is_centre_clerk(actor, centre):
        channel = Channel.REMOTE_STATION
    elif channel is None:
        channel = Channel.APPOINTMENT if ticket is not None and ticket.appointment_id else Channel.COUNTER
    if channel not in Channel.values or (channel == Channel.REMOTE_STATION and station is None):
        raise _invalid("channel", _("受理渠道无效。"))
    # "at most one trip": a resident back for an item that waits for materials continues that application
    earlier = (
        selectors.same_resident_open(id_number=identity.id_number, item=item)
        .filter(accepted_at__gte=now - REPEAT_WINDOW, superseded=False)
        .select_for_update(of=("self",))
        .order_by("-accepted_at")
        .first()
    )
    if earlier is not None and earlier.centre_id == centre.pk:
        raise Conflict(
            _(
                "该居民的“%(item)s”已于 %(day)s 一次性告知待补材料（办件 %(number)s），"
                "请在原办件上补齐材料，不要重新受理。"
            )
            % {
                "item": item.name,
                "day": timezone.localtime(earlier.accepted_at).strftime("%m月%d日"),
                "number": earlier.number,
            }
        )
    counter = selectors.counter_of(actor=actor)
    application = Application.objects.create(
        number=_application_number(centre, now),
        centre=centre,
        item=item,
        status=ApplicationStatus.ACCEPTED,
        channel=channel,
        region_path=station.path if channel == Channel.REMOTE_STATION and station else centre.region_path,
        ticket=ticket,
        appointment=ticket.appointment if ticket else None,
        counter=counter if counter is not None and counter.centre_id == centre.pk else None,
        first_contact=actor,
        applicant_name=name,
        id_number=identity.id_number,
        birth_date=identity.birth_date,
        sex=identity.sex,
        phone=phone,
        address=address,
        grid=grid,
        materials=ticked,
        result_delivery=result_delivery,
        accepted_at=now,
        visit_count=earlier.visit_count + 1 if earlier else 1,
        previous=earlier,
        **proxy_values,
    )
    if ticket is not None and ticket.status == TicketStatus.CALLED:
        from civicgrid.hall.services.queue import ticket_act

        ticket_act(actor=actor, ticket_id=ticket.pk, action=TicketAction.START)
    _event(application, ApplicationAction.ACCEPT, "", actor, channel=channel)
    _audit(
        application,
        ApplicationAction.ACCEPT,
        actor,
        "",
        item=item.code,
        channel=channel,
        proxy=proxy_values.get("proxy_relation", ""),
        missing=len(application.missing_materials),
    )
    if earlier is not None:
        # the same matter was started at another centre of the district: that one ends here, this one continues it
        earlier.superseded = True
        earlier.save(update_fields=["superseded"])
        _act(
            earlier,
            ApplicationAction.WITHDRAW,
            actor=None,
            note=_("居民已在%(centre)s补齐材料重新受理（办件 %(number)s）。")
            % {"centre": centre.name, "number": application.number},
        )
    return application


# ---------------------------------------------------------------- the transition table


def application_act(
    *,
    actor: Any,
    number: str,
    action: str,
    note: str = "",
    materials: Sequence[str] | None = None,
    expected_version: int | None = None,
    as_system: bool = False,
    result_delivery: str | None = None,
) -> Application:
    """One action of the application's transition table, by the parties it names.

    A decision (complete on the spot, complete, reject) may change how the resident gets the result
    (`result_delivery`): home delivery needs the resident's address and grid, given at acceptance."""
    if action not in ApplicationAction.values or action in (ApplicationAction.ACCEPT, ApplicationAction.DELIVER):
        if action == ApplicationAction.DELIVER:
            raise ValidationError(_("送达请在送达任务中上传居民签名或照片。"))
        raise ValidationError(_("未知的操作：%(action)s。") % {"action": action})
    if materials is not None and action not in (ApplicationAction.ISSUE_NOTICE, ApplicationAction.SUPPLEMENT):
        raise ValidationError(_("只有一次性告知和补齐材料时可以勾选材料。"))
    note = _clean(note, field="note", label=_("说明"), limit=MAX_NOTE, required=action in REASON_REQUIRED)
    if result_delivery is not None:
        if action not in DECISIONS:
            raise ValidationError(_("只有办结或不予办理时可以选择结果领取方式。"))
        if result_delivery not in ResultDelivery.values:
            raise _invalid("result_delivery", _("请选择结果领取方式：窗口领取或送达上门。"))
    with transaction.atomic():
        application = _locked(actor, number, as_system=as_system)
        if expected_version is not None and application.version != expected_version:
            raise Conflict(
                _("办件 %(number)s 已被他人更新（当前：%(status)s），请刷新后再操作。")
                % {"number": application.number, "status": application.get_status_display()}
            )
        _allowed(actor, application, action, as_system=as_system)
        data: dict[str, Any] = {}
        if result_delivery is not None and result_delivery != application.result_delivery:
            if result_delivery == ResultDelivery.HOME and not (application.grid_id and application.address):
                raise _invalid(
                    "result_delivery",
                    _("该办件受理时没有登记送达地址和所在网格，不能送达上门，请选择窗口领取。"),
                )
            data["result_delivery"] = result_delivery
            application.result_delivery = result_delivery
        return _act(application, action, actor=None if as_system else actor, note=note, materials=materials, data=data)


def _locked(actor: Any, number: str, *, as_system: bool) -> Application:
    rows = Application.objects.all() if as_system else selectors.applications(actor=actor)
    application = (
        rows.select_for_update(of=("self",))
        .select_related("centre", "item", "grid", "department")
        .filter(number=(number or "").strip())
        .first()
    )
    if application is None:
        raise NotFound(_("没有找到该办件，或它不在您的管辖范围内。"))
    return application


def _allowed(actor: Any, application: Application, action: str, *, as_system: bool) -> None:
    allowed = APPLICATION_TRANSITIONS[application.status].get(action)
    if allowed is None:
        raise TransitionNotAllowed(
            _("办件 %(number)s 当前为“%(status)s”，不能“%(action)s”。")
            % {
                "number": application.number,
                "status": application.get_status_display(),
                "action": ApplicationAction(action).label,
            }
        )
    if not application_parties(actor, application, as_system=as_system) & allowed[1]:
        names = "、".join(str(Party(p).label) for p in sorted(allowed[1]))
        raise PermissionDenied(
            _("只有%(parties)s可以对该办件“%(action)s”。")
            % {"parties": names, "action": ApplicationAction(action).label}
        )


def _act(
    application: Application,
    action: str,
    *,
    actor: Any,
    note: str = "",
    materials: Sequence[str] | None = None,
    data: dict[str, Any] | None = None,
) -> Application:
    """Apply an allowed action to a locked application: its effects, the event, the audit row, the messages."""
    target, _parties = APPLICATION_TRANSITIONS[application.status][action]
    before = application.status
    now = timezone.now()
    data = dict(data or {})
    data.update(EFFECTS[action](application, actor=actor, now=now, note=note, materials=materials) or {})
    application.status = before if target == SAME else target
    application.version += 1
    application.save()
    _event(application, action, before, actor, note, **data)
    _audit(application, action, actor, before, **{k: v for k, v in data.items() if k in AUDITED})
    return application


AUDITED = frozenset(
    {"missing", "visits", "department", "due_at", "outcome", "on_time", "delivery", "days", "result_delivery"}
)
# The decisions, at which the way the resident gets the result may still change.
DECISIONS = frozenset({ApplicationAction.COMPLETE_ON_SPOT, ApplicationAction.COMPLETE, ApplicationAction.REJECT})


def _tick(application: Application, materials: Sequence[str] | None) -> None:
    if materials is None:
        return
    provided = set(materials) | {m["code"] for m in application.materials if m.get("provided")}
    application.materials = _materials(application.item, sorted(provided))


def _missing_names(application: Application) -> str:
    return "、".join(m["name"] for m in application.missing_materials)


def _issue_notice(application: Application, *, actor: Any, now: datetime, note: str, materials: Any) -> dict:
    _tick(application, materials)
    missing = application.missing_materials
    if not missing:
        raise ValidationError(_("材料已齐全，无需一次性告知，可直接办结或转后台。"))
    application.notice_issued = True
    Notice.objects.create(
        application=application,
        missing=[{k: m[k] for k in ("code", "name", "copies", "source_note")} for m in missing],
        issued_by=actor,
        issued_at=now,
    )
    _tell_resident(
        application,
        _("一次性告知"),
        _("您申请的“%(item)s”还需补齐：%(names)s。补齐后可到本区任一服务中心窗口继续办理（办件 %(number)s）。")
        % {"item": application.item.name, "names": _missing_names(application), "number": application.number},
    )
    return {"missing": [m["code"] for m in missing]}


def _supplement(application: Application, *, actor: Any, now: datetime, note: str, materials: Any) -> dict:
    _tick(application, materials)
    if application.missing_materials:
        raise ValidationError(
            _("仍缺少：%(names)s。材料齐全后才能继续办理。") % {"names": _missing_names(application)},
            errors={"materials": [_("材料不全。")]},
        )
    application.visit_count += 1
    counter = selectors.counter_of(actor=actor)
    if counter is not None and counter.centre_id == application.centre_id:
        application.counter = counter
    return {"visits": application.visit_count}


def _require_complete(application: Application) -> None:
    if application.missing_materials:
        raise ValidationError(
            _("材料不全（缺少：%(names)s），请先出具一次性告知单。") % {"names": _missing_names(application)}
        )


def _decide(application: Application, *, now: datetime, note: str, outcome: str) -> dict:
    application.outcome = outcome
    application.decided_at = now
    application.decision_note = note
    application.decided_on_time = application.due_at is None or now <= application.due_at
    application.is_overdue = False
    application.processing_seconds = max(int((now - application.accepted_at).total_seconds()), 0)
    result: dict[str, Any] = {"outcome": outcome, "on_time": application.decided_on_time}
    if application.result_delivery == ResultDelivery.HOME and application.grid_id:
        delivery = _delivery_create(application, now)
        result["delivery"] = delivery.assignee.display_name if delivery.assignee else None
        how = _("网格员将送达上门")
    else:
        how = _("请带身份证到服务中心窗口领取")
    if outcome == Outcome.APPROVED:
        subject, body = _("办件已办结"), _("您申请的“%(item)s”已办结（办件 %(number)s），%(how)s。")
    else:
        subject, body = _("办件未予办理"), _("您申请的“%(item)s”不予办理（办件 %(number)s），原因：%(note)s。%(how)s。")
    _tell_resident(
        application,
        subject,
        body % {"item": application.item.name, "number": application.number, "how": how, "note": note},
    )
    return result


def _complete_on_spot(application: Application, *, actor: Any, now: datetime, note: str, materials: Any) -> dict:
    if application.item.mode != Mode.ON_THE_SPOT:
        raise ValidationError(_("“%(item)s”是收受分离事项，须转后台办理。") % {"item": application.item.name})
    _require_complete(application)
    return _decide(application, now=now, note=note, outcome=Outcome.APPROVED)


def _forward(application: Application, *, actor: Any, now: datetime, note: str, materials: Any) -> dict:
    item = application.item
    if item.mode != Mode.FORWARDED:
        raise ValidationError(_("“%(item)s”是即办事项，请当场办结。") % {"item": item.name})
    _require_complete(application)
    district = application.centre.region_path.strip("/").split("/")[1]
    department = (
        Department.objects.filter(code=f"{district}-{item.department_key}", is_active=True).first()
        if item.department_key
        else None
    )
    due = calendar().add_working_days(now, item.time_limit_days)
    application.department = department
    application.forwarded_at = now
    application.due_at = due.at
    application.deadline_estimated = due.estimated
    reviewers = _back_office_staff(application)
    notifications.to_staff(
        reviewers,
        Message(
            _("新的后台办件：%(number)s") % {"number": application.number},
            _("“%(item)s”，承诺 %(days)s 个工作日内办结（%(due)s 前）。")
            % {"item": item.name, "days": item.time_limit_days, "due": timezone.localtime(due.at).strftime("%m月%d日")},
        ),
    )
    _tell_resident(
        application,
        _("办件已受理"),
        _("您申请的“%(item)s”已受理（办件 %(number)s），承诺 %(due)s 前办结。")
        % {
            "item": item.name,
            "number": application.number,
            "due": timezone.localtime(due.at).strftime("%m月%d日"),
        },
    )
    return {
        "department": department.name if department else None,
        "due_at": timezone.localtime(due.at).isoformat(),
        "days": item.time_limit_days,
    }


def _back_office_staff(application: Application) -> list[User]:
    posts = Post.objects.filter(is_active=True, user__is_active=True).select_related("user", "region")
    street = posts.filter(role=Role.BACK_OFFICE_HANDLER, region__isnull=False)
    people = [
        p.user for p in street if p.region is not None and application.centre.region_path.startswith(p.region.path)
    ]
    if application.department_id:
        people += [
            p.user for p in posts.filter(role__in=DEPARTMENT_REVIEW_ROLES, department_id=application.department_id)
        ]
    return people


def _start_review(application: Application, *, actor: Any, now: datetime, note: str, materials: Any) -> dict:
    application.reviewer = actor
    application.review_started_at = now
    return {}


def _complete(application: Application, *, actor: Any, now: datetime, note: str, materials: Any) -> dict:
    return _decide(application, now=now, note=note, outcome=Outcome.APPROVED)


def _reject(application: Application, *, actor: Any, now: datetime, note: str, materials: Any) -> dict:
    if application.status == ApplicationStatus.ACCEPTED and application.item.mode != Mode.ON_THE_SPOT:
        raise ValidationError(_("收受分离事项由后台审核后决定是否办理；窗口不能直接不予办理。"))
    return _decide(application, now=now, note=note, outcome=Outcome.REJECTED)


def _hand_over(application: Application, *, actor: Any, now: datetime, note: str, materials: Any) -> dict:
    application.ended_at = now
    cancelled = Delivery.objects.filter(application=application, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, note=_("居民已到窗口领取")
    )
    return {"delivery_cancelled": bool(cancelled)}


def _deliver(application: Application, *, actor: Any, now: datetime, note: str, materials: Any) -> dict:
    application.ended_at = now
    return {}


def _withdraw(application: Application, *, actor: Any, now: datetime, note: str, materials: Any) -> dict:
    application.ended_at = now
    application.is_overdue = False
    return {}


def _mark_overdue(application: Application, *, actor: Any, now: datetime, note: str, materials: Any) -> dict:
    application.is_overdue = True
    return {}


EFFECTS: dict[str, Callable[..., dict]] = {
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


# ---------------------------------------------------------------- delivery home


def _delivery_create(application: Application, now: datetime) -> Delivery:
    grid = application.grid
    assert grid is not None
    worker = _grid_worker(grid) or (_grid_worker(grid.partner) if grid.partner_id else None)  # A/B post covers
    delivery = Delivery.objects.create(
        application=application, grid=grid, region_path=grid.path, assignee=worker, created_at=now
    )
    if worker is not None:
        notifications.to_staff(
            [worker],
            Message(
                _("送达任务：%(number)s") % {"number": application.number},
                _("请将“%(item)s”的办理结果送达%(grid)s的居民。") % {"item": application.item.name, "grid": grid.name},
            ),
        )
    return delivery


def _grid_worker(grid: Region | None) -> User | None:
    if grid is None:
        return None
    post = (
        Post.objects.filter(region=grid, role=Role.GRID_WORKER, is_active=True, user__is_active=True)
        .select_related("user")
        .first()
    )
    return post.user if post else None


def delivery_deliver(*, actor: Any, delivery_id: int, proof: bytes, proof_kind: str, note: str = "") -> Delivery:
    """The grid worker hands the result over at home, with the resident's signature or a photo as proof."""
    if proof_kind not in ProofKind.values:
        raise _invalid("proof_kind", _("请选择送达凭证：居民签名或送达照片。"))
    note = _clean(note, field="note", label=_("送达说明"), limit=300)
    prepared = prepare_proof(proof)
    with transaction.atomic():
        delivery = _locked_delivery(actor, delivery_id)
        if delivery.status != DeliveryStatus.PENDING:
            raise TransitionNotAllowed(_("该送达任务当前为“%(status)s”。") % {"status": delivery.get_status_display()})
        application = _locked(None, delivery.application.number, as_system=True)
        application.delivery = delivery  # the party check reads it
        _allowed(actor, application, ApplicationAction.DELIVER, as_system=False)
        now = timezone.now()
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.delivered_by = actor
        delivery.proof_kind = proof_kind
        delivery.proof_sha256 = prepared.sha256
        delivery.note = note
        delivery.proof.save("proof.jpg", ContentFile(prepared.content), save=False)
        delivery.save()
        _act(application, ApplicationAction.DELIVER, actor=actor, note=note, data={"proof": proof_kind})
    return delivery


def _locked_delivery(actor: Any, delivery_id: int) -> Delivery:
    delivery = selectors.deliveries(actor=actor).select_for_update(of=("self",)).filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(_("没有找到该送达任务，或它不在您的网格内。"))
    return delivery


@transaction.atomic
def delivery_attempt(*, actor: Any, delivery_id: int, note: str) -> Delivery:
    """Nobody was at home: the attempt is counted and noted; the task stays with the grid worker."""
    note = _clean(note, field="note", label=_("未遇情况说明"), limit=300, required=True)
    delivery = _locked_delivery(actor, delivery_id)
    if delivery.status != DeliveryStatus.PENDING:
        raise TransitionNotAllowed(_("该送达任务当前为“%(status)s”。") % {"status": delivery.get_status_display()})
    application = delivery.application
    application.delivery = delivery
    _allowed(actor, application, ApplicationAction.DELIVER, as_system=False)
    delivery.attempts = F("attempts") + 1
    delivery.note = note
    delivery.save(update_fields=["attempts", "note"])
    delivery.refresh_from_db()
    audit.record(actor=actor, action="delivery.attempt", obj=delivery, after={"attempts": delivery.attempts})
    return delivery


@transaction.atomic
def delivery_assign(*, actor: Any, delivery_id: int, username: str) -> Delivery:
    """The centre manager or a clerk gives a delivery to another grid worker (the partner grid's, when one is away)."""
    delivery = _locked_delivery(actor, delivery_id)
    application = delivery.application
    parties = application_parties(actor, application)
    if not parties & {Party.CLERK, Party.MANAGER}:
        raise PermissionDenied(_("只有服务中心的窗口人员或中心主任可以改派送达任务。"))
    if delivery.status != DeliveryStatus.PENDING:
        raise TransitionNotAllowed(_("该送达任务当前为“%(status)s”。") % {"status": delivery.get_status_display()})
    user = User.objects.filter(username=username, is_active=True).first()
    if (
        user is None
        or not Post.objects.filter(
            user=user,
            is_active=True,
            role__in=[Role.GRID_WORKER, Role.GRID_LEADER, Role.GRID_ASSISTANT],
            region__path__startswith=_district_path(application.centre),
        ).exists()
    ):
        raise _invalid("username", _("请填写本区在岗网格员的用户名。"))
    before = delivery.assignee_id
    delivery.assignee = user
    delivery.save(update_fields=["assignee"])
    notifications.to_staff(
        [user],
        Message(
            _("送达任务：%(number)s") % {"number": application.number},
            _("请将“%(item)s”的办理结果送达%(grid)s的居民。")
            % {"item": application.item.name, "grid": delivery.grid.name},
        ),
    )
    audit.record(
        actor=actor, action="delivery.assign", obj=delivery, before={"assignee": before}, after={"assignee": user.pk}
    )
    return delivery


# ---------------------------------------------------------------- personal data


def application_reveal(*, actor: Any, number: str, fields: Sequence[str], reason: str) -> dict[str, str]:
    """The unmasked identity number, phone or address of an application's resident, with an access-log row.

    Clerks, back-office handlers and the manager of the application may; the grid worker delivering it may see the
    name, phone and address (to find the resident), never the identity number.
    """
    try:
        application = selectors.application(actor=actor, number=number)
    except Application.DoesNotExist:
        application = None
    if application is None:
        delivery = selectors.deliveries(actor=actor).filter(application__number=number).first()
        application = delivery.application if delivery is not None else None
    if application is None:
        raise NotFound(_("没有找到该办件，或它不在您的管辖范围内。"))
    unknown = set(fields) - REVEALABLE
    if unknown or not fields:
        raise ValidationError(_("只能查看这些字段：%(names)s。") % {"names": "、".join(sorted(REVEALABLE))})
    parties = application_parties(actor, application)
    allowed = bool(parties & {Party.CLERK, Party.BACK_OFFICE, Party.MANAGER}) or (
        Party.DELIVERER in parties and set(fields) <= {"applicant_name", "phone", "address"}
    )
    return personal_data.reveal(actor=actor, obj=application, fields=list(fields), reason=reason, allowed=allowed)


# ---------------------------------------------------------------- background work


def applications_sweep(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Mark forwarded applications past their promised deadline overdue (each in its own transaction)."""
    now = now or timezone.now()
    late = Application.objects.filter(
        status__in=[ApplicationStatus.FORWARDED, ApplicationStatus.IN_REVIEW], is_overdue=False, due_at__lt=now
    ).order_by("due_at")[:limit]
    marked = 0
    for row in late:
        try:
            application_act(
                actor=None,
                as_system=True,
                number=row.number,
                action=ApplicationAction.MARK_OVERDUE,
                expected_version=row.version,
            )
            marked += 1
        except (Conflict, TransitionNotAllowed):
            continue
    return marked
