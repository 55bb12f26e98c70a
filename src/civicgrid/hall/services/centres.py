"""Centres and counters: set them up, say what a centre does not handle, sign clerks in and out, pad keys.

A district administrator sets up centres; the centre's manager (or the district administrator) adjusts its hours,
counters and items. Window clerks sign themselves in to a counter; the manager may sign anyone out.
"""

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from civicgrid.hall import hours, selectors
from civicgrid.hall.choices import TicketStatus
from civicgrid.hall.models import Centre, Counter, ServiceGroup, ServiceItem, Ticket, new_pad_key
from civicgrid.hall.permissions import is_centre_clerk, is_manager
from civicgrid.people.choices import Role
from civicgrid.people.permissions import require_role
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region

DEFAULT_HOURS = [["08:30", "12:00"], ["13:30", "17:30"]]
CENTRE_FIELDS = (
    "name",
    "address",
    "phone",
    "hours",
    "extended_hours",
    "slot_minutes",
    "slot_capacity",
    "booking_days",
    "priority_age",
    "ticket_cutoff_minutes",
    "is_active",
)
LIMITS = {
    "slot_minutes": (10, 120),
    "slot_capacity": (1, 50),
    "booking_days": (1, 60),
    "priority_age": (55, 100),
    "ticket_cutoff_minutes": (0, 120),
}


def next_in_series(centre_id: int, day: Any, series: str) -> int:
    """The next number of a centre's series for the day: one upsert, so concurrent callers never get the same one.

    It runs inside the caller's transaction: if that rolls back, so does the number, and the series stays gapless.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO hall_numbersequence (centre_id, day, series, last) VALUES (%s, %s, %s, 1) "
            "ON CONFLICT (centre_id, day, series) DO UPDATE SET last = hall_numbersequence.last + 1 "
            "RETURNING last",
            [centre_id, connection.ops.adapt_datefield_value(day), series],
        )
        (last,) = cursor.fetchone()
    return int(last)


def _require_manager(actor: Any, centre: Centre) -> None:
    """The centre's manager or a district administrator; None is the system (command line, demo)."""
    if actor is None:
        return
    if not is_manager(actor, centre):
        raise PermissionDenied(_("只有本中心主任或区级管理员可以修改服务中心的设置。"))


def _check_settings(values: dict[str, Any]) -> None:
    problems: dict[str, list[str]] = {}
    if "name" in values and not (1 <= len(str(values["name"]).strip()) <= 100):
        problems.setdefault("name", []).append(_("中心名称必填，不超过 100 字。"))
    for name, (low, high) in LIMITS.items():
        if name in values:
            value = values[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems.setdefault(name, []).append(
                    _("应为 %(low)s 到 %(high)s 之间的整数。") % {"low": low, "high": high}
                )
    if "hours" in values or "extended_hours" in values:
        found = hours.hours_problems(values.get("hours", DEFAULT_HOURS), values.get("extended_hours", {}))
        if found:
            problems.setdefault("hours", []).extend(found)
    for name in ("address", "phone"):
        if name in values and len(str(values[name])) > (200 if name == "address" else 30):
            problems.setdefault(name, []).append(_("内容过长。"))
    if problems:
        first = next(iter(problems.values()))[0]
        raise ValidationError(first, errors=problems)


@transaction.atomic
def centre_create(*, actor: Any, street_code: str, name: str = "", **values: Any) -> Centre:
    """Open a service centre for a street (a district administrator's job). Codes read <street code><2 digits>."""
    street = Region.objects.filter(code=street_code, level=Level.STREET).first()
    if street is None:
        raise ValidationError(_("街道 %(code)s 不存在。") % {"code": street_code})
    if actor is not None:
        require_role(actor, {Role.DISTRICT_ADMIN}, at=street)
    unknown = set(values) - set(CENTRE_FIELDS)
    if unknown:
        raise ValidationError(_("不认识的设置：%(names)s。") % {"names": "、".join(sorted(unknown))})
    name = (name or f"{street.name}社区事务受理服务中心").strip()
    values = {"hours": DEFAULT_HOURS, "extended_hours": {}, **values, "name": name}
    _check_settings(values)
    taken = Centre.objects.filter(street=street).count()
    code = f"{street.code}{taken + 1:02d}"
    try:
        with transaction.atomic():
            centre = Centre.objects.create(code=code, street=street, region_path=street.path, **values)
    except IntegrityError as error:
        raise Conflict(_("刚刚已有人为该街道建立了服务中心，请刷新后查看。")) from error
    audit.record(
        actor=actor, action="centre.create", obj=centre, after=audit.snapshot(centre, ("code", *CENTRE_FIELDS))
    )
    return centre


@transaction.atomic
def centre_update(*, actor: Any, centre_code: str, changes: dict[str, Any]) -> Centre:
    """Change a centre's hours, booking rules or contact details; audited with before and after."""
    unknown = set(changes) - set(CENTRE_FIELDS)
    if unknown:
        raise ValidationError(_("不认识的设置：%(names)s。") % {"names": "、".join(sorted(unknown))})
    centre = _locked_centre(actor, centre_code)
    _require_manager(actor, centre)
    merged = {"hours": centre.hours, "extended_hours": centre.extended_hours, **changes}
    _check_settings(merged)
    before = audit.snapshot(centre, changes)
    for name, value in changes.items():
        setattr(centre, name, value.strip() if isinstance(value, str) else value)
    centre.save()
    audit.record(actor=actor, action="centre.update", obj=centre, before=before, after=audit.snapshot(centre, changes))
    return centre


def _locked_centre(actor: Any, code: str) -> Centre:
    rows = Centre.objects if actor is None else selectors.centres(actor=actor)
    centre = rows.select_for_update(of=("self",)).filter(code=code).first()
    if centre is None:
        raise NotFound(_("没有找到该服务中心，或它不在您的管辖范围内。"))
    return centre


@transaction.atomic
def centre_items_set(*, actor: Any, centre_code: str, not_offered: Sequence[str]) -> Centre:
    """Say which catalogue items this centre does not handle (everything else it does: 通办)."""
    centre = _locked_centre(actor, centre_code)
    _require_manager(actor, centre)
    items = list(ServiceItem.objects.filter(code__in=set(not_offered)))
    missing = sorted(set(not_offered) - {i.code for i in items})
    if missing:
        raise ValidationError(_("没有这些事项：%(codes)s。") % {"codes": "、".join(missing)})
    before = sorted(centre.not_offered.values_list("code", flat=True))
    centre.not_offered.set(items)
    audit.record(
        actor=actor,
        action="centre.items",
        obj=centre,
        before={"not_offered": before},
        after={"not_offered": sorted(i.code for i in items)},
    )
    return centre


def _groups(codes: Sequence[str] | None) -> list[ServiceGroup]:
    if not codes:
        return []
    found = list(ServiceGroup.objects.filter(code__in=set(codes)))
    missing = sorted(set(codes) - {g.code for g in found})
    if missing:
        raise ValidationError(_("没有这些业务分组：%(codes)s。") % {"codes": "、".join(missing)})
    return found


@transaction.atomic
def counter_create(
    *, actor: Any, centre_code: str, number: int, name: str = "", groups: Sequence[str] | None = None
) -> Counter:
    """A new counter; with no groups it serves every group (通办)."""
    centre = _locked_centre(actor, centre_code)
    _require_manager(actor, centre)
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 99:
        raise ValidationError(_("窗口号应为 1 到 99。"), errors={"number": [_("窗口号应为 1 到 99。")]})
    name = (name or _("综合窗口")).strip()
    if len(name) > 40:
        raise ValidationError(_("窗口名称不超过 40 字。"))
    chosen = _groups(groups)
    if Counter.objects.filter(centre=centre, number=number).exists():
        raise Conflict(_("%(n)s号窗口已经存在。") % {"n": number})
    counter = Counter.objects.create(centre=centre, number=number, name=name)
    counter.groups.set(chosen)
    audit.record(
        actor=actor,
        action="counter.create",
        obj=counter,
        after={"number": number, "name": name, "groups": sorted(g.code for g in chosen)},
    )
    return counter


@transaction.atomic
def counter_update(
    *,
    actor: Any,
    counter_id: int,
    name: str | None = None,
    groups: Sequence[str] | None = None,
    is_active: bool | None = None,
) -> Counter:
    counter = _locked_counter(actor, counter_id)
    _require_manager(actor, counter.centre)
    before = {
        "name": counter.name,
        "groups": sorted(g.code for g in counter.groups.all()),
        "is_active": counter.is_active,
    }
    if name is not None:
        if not 1 <= len(name.strip()) <= 40:
            raise ValidationError(_("窗口名称必填，不超过 40 字。"))
        counter.name = name.strip()
    if is_active is not None:
        if not is_active and counter.clerk_id is not None:
            raise Conflict(_("%(counter)s还有人签到，请先签退再停用。") % {"counter": counter})
        counter.is_active = is_active
    counter.save()
    if groups is not None:
        counter.groups.set(_groups(groups))
    after = {
        "name": counter.name,
        "groups": sorted(g.code for g in counter.groups.all()),
        "is_active": counter.is_active,
    }
    audit.record(actor=actor, action="counter.update", obj=counter, before=before, after=after)
    return counter


def _locked_counter(actor: Any, counter_id: int) -> Counter:
    rows = Counter.objects if actor is None else selectors.counters(actor=actor)
    counter = rows.select_for_update(of=("self",)).select_related("centre").filter(pk=counter_id).first()
    if counter is None:
        raise NotFound(_("没有找到该窗口，或它不在您的管辖范围内。"))
    return counter


@transaction.atomic
def counter_sign_in(*, actor: Any, counter_id: int) -> Counter:
    """A window clerk of the centre's street starts work at a counter (leaving any other counter they were at)."""
    counter = _locked_counter(actor, counter_id)
    if not is_centre_clerk(actor, counter.centre):
        raise PermissionDenied(_("只有本街道服务中心的窗口人员可以在窗口签到。"))
    if not counter.is_active:
        raise ValidationError(_("%(counter)s已停用。") % {"counter": counter})
    if counter.clerk_id == actor.pk:
        return counter
    if counter.clerk_id is not None:
        raise Conflict(
            _("%(counter)s已由%(name)s签到，请对方签退或请中心主任处理。")
            % {"counter": counter, "name": counter.clerk.display_name if counter.clerk else ""}
        )
    elsewhere = Counter.objects.select_for_update().filter(clerk=actor).exclude(pk=counter.pk).first()
    if elsewhere is not None:
        _sign_out(actor, elsewhere, reason="moved")
    counter.clerk = actor
    counter.signed_in_at = timezone.now()
    counter.save(update_fields=["clerk", "signed_in_at"])
    audit.record(actor=actor, action="counter.sign_in", obj=counter, after={"clerk": actor.pk})
    return counter


@transaction.atomic
def counter_sign_out(*, actor: Any, counter_id: int) -> Counter:
    """End work at a counter: the clerk themselves, or the manager for anyone. A ticket still at the counter must be
    finished, passed over or transferred first; one being served is finished with the sign-out."""
    counter = _locked_counter(actor, counter_id)
    if counter.clerk_id is None:
        raise Conflict(_("%(counter)s当前没有人签到。") % {"counter": counter})
    if counter.clerk_id != actor.pk and not is_manager(actor, counter.centre):
        raise PermissionDenied(_("只能签退自己，或由中心主任签退他人。"))
    called = Ticket.objects.filter(counter=counter, status=TicketStatus.CALLED).first()
    if called is not None and counter.clerk_id == actor.pk:
        raise Conflict(_("%(code)s号已叫号尚未处理，请先开始办理、过号或转窗口。") % {"code": called.code})
    _sign_out(actor, counter, reason="sign_out")
    return counter


def _sign_out(actor: Any, counter: Counter, *, reason: str) -> None:
    from civicgrid.hall.services.queue import close_counter_tickets

    close_counter_tickets(counter, actor=actor)
    before = counter.clerk_id
    counter.clerk = None
    counter.signed_in_at = None
    counter.save(update_fields=["clerk", "signed_in_at"])
    audit.record(
        actor=actor, action="counter.sign_out", obj=counter, before={"clerk": before}, after={"reason": reason}
    )


@transaction.atomic
def pad_key_rotate(*, actor: Any, counter_id: int) -> Counter:
    """A new key for the counter's rating pad (the old tablet stops working at once)."""
    counter = _locked_counter(actor, counter_id)
    _require_manager(actor, counter.centre)
    counter.pad_key = new_pad_key()
    counter.save(update_fields=["pad_key"])
    audit.record(actor=actor, action="counter.pad_key_rotate", obj=counter)
    return counter
