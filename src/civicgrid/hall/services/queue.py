"""The queue: tickets from the kiosk, appointments and their check-in, calling to counters.

Numbers are per centre, day and group (A001, A002 ... B001), given out by one upsert on `NumberSequence` inside the
ticket's own transaction: concurrent kiosks never get the same number and a rolled-back ticket leaves no gap.
Calling takes the first waiting ticket in calling order with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so two
counters calling at the same moment take two different tickets; SQLite runs writers one at a time (IMMEDIATE
transactions), which gives the same guarantee. Every change writes a ticket event and an audit row.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit, notifications
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.core.identity import check_id_number, check_name, check_phone
from civicgrid.core.insert import insert
from civicgrid.core.notifications import Message
from civicgrid.hall import hours, ratelimit, selectors
from civicgrid.hall.choices import (
    SAME,
    TICKET_TRANSITIONS,
    AppointmentStatus,
    BookingChannel,
    PriorityReason,
    TicketAction,
    TicketParty,
    TicketSource,
    TicketStatus,
)
from civicgrid.hall.models import Appointment, Centre, Counter, ServiceGroup, SlotBooking, Ticket, TicketEvent
from civicgrid.hall.permissions import is_centre_clerk, serves_group, station_of, ticket_parties
from civicgrid.hall.services.centres import next_in_series

CODE_DIGITS = "0123456789"
APPOINTMENT_CODE_LENGTH = 8
# A kiosk sends a fresh key with every press and the same key when it retries that press after a network drop.
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class _AlreadyIssued(Exception):  # a signal, not an error: the press was served before
    """Raised when a ticket's insert met the same press's earlier ticket (its number rolled back with it)."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__(ticket.code)
        self.ticket = ticket


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if key and not IDEMPOTENCY_KEY.match(key):
        raise ValidationError(_("取号请求标识无效。"), errors={"idempotency_key": [_("应为 8-64 位字母、数字或 -_。")]})
    return key


def issued_with_key(centre: Centre, key: str) -> Ticket | None:
    """Today's ticket of the centre issued for this press (kiosk key), if any."""
    if not key:
        return None
    rows = Ticket.objects.select_related("group", "centre", "appointment")
    return rows.filter(centre=centre, day=timezone.localdate(), issue_key=key).first()


def _key_used(ticket: Ticket) -> Conflict:
    return Conflict(_("这个取号请求标识已用于号票 %(code)s，请重试。") % {"code": ticket.code})


def _same_press(earlier: Ticket, *, group_id: int | None = None, appointment_code: str | None = None) -> Ticket:
    """The ticket an earlier attempt of this press made. A key another press used (another group, a check-in's key
    sent with a walk-in's press or the reverse) is refused: that press's ticket is not this one's answer."""
    if appointment_code is not None:
        same = earlier.appointment is not None and earlier.appointment.code == appointment_code
    else:
        same = earlier.appointment_id is None and earlier.group_id == group_id
    if not same:
        raise _key_used(earlier)
    return earlier


def _public_centre(code: str) -> Centre:
    try:
        return selectors.kiosk_centre(code)
    except Centre.DoesNotExist as error:
        raise NotFound(_("没有编码为 %(code)s 的服务中心。") % {"code": code}) from error


def _staff(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


# ---------------------------------------------------------------- issuing tickets


def ticket_issue(
    *,
    actor: Any,
    centre_code: str,
    group_code: str,
    priority_reason: str = "",
    id_number: str = "",
    resident_name: str = "",
    source: str = TicketSource.KIOSK,
    client_address: str = "",
    idempotency_key: str = "",
) -> Ticket:
    """Take a ticket for a group at the kiosk (anyone) or at a counter for a walk-in (a clerk of the centre).

    With an identity number (the kiosk's card reader), a resident of the centre's priority age is a priority ticket
    without asking; the elderly and disabled may also press the priority button. With an `idempotency_key` a press
    retried after a network drop gets the ticket the first attempt made (even after the cut-off), never a second one.
    """
    if not _staff(actor):
        ratelimit.check("ticket", client_address)
    centre = _public_centre(centre_code)
    key = _check_key(idempotency_key)
    if source not in (TicketSource.KIOSK, TicketSource.DESK):
        raise ValidationError(_("取号来源只能是取号机或窗口代取。"))
    if source == TicketSource.DESK and not is_centre_clerk(actor, centre):
        raise PermissionDenied(_("只有本中心的窗口人员可以代居民取号。"))
    code = (group_code or "").strip().upper()
    group = selectors.offered_groups(centre).get(code)
    if group is None:
        known = ServiceGroup.objects.filter(code=code).first()
        if known is None:
            raise ValidationError(
                _("没有“%(code)s”业务分组。") % {"code": group_code}, errors={"group": [_("业务分组不存在。")]}
            )
        raise ValidationError(_("本中心不办理“%(name)s”类业务。") % {"name": known.name})
    if priority_reason and priority_reason not in PriorityReason.values:
        raise ValidationError(_("优先原因无效。"), errors={"priority_reason": [_("优先原因无效。")]})
    name = check_name(resident_name, field="resident_name") if resident_name else ""
    now = timezone.now()
    if id_number:
        identity = check_id_number(id_number)
        if not priority_reason and identity.age_on(timezone.localdate(now)) >= centre.priority_age:
            priority_reason = PriorityReason.ELDERLY
        id_number = identity.id_number
    period = hours.ticket_period(centre, now)
    if period is None:
        # a press retried after the cut-off still gets the ticket its first attempt made
        earlier = issued_with_key(centre, key)
        if earlier is not None:
            return _same_press(earlier, group_id=group.pk)
        raise ValidationError(
            _("现在不是取号时间。今日服务时间：%(hours)s。")
            % {"hours": hours.describe(centre, timezone.localdate(now))}
        )
    try:
        return _new_ticket(
            actor=actor if _staff(actor) else None,
            centre=centre,
            group=group,
            source=source,
            priority_reason=priority_reason,
            resident_name=name,
            id_number=id_number,
            queued_at=now,
            extended=period.extended,
            idempotency_key=key,
        )
    except _AlreadyIssued as retried:
        return _same_press(retried.ticket, group_id=group.pk)


def _new_ticket(
    *,
    actor: Any,
    centre: Centre,
    group: ServiceGroup,
    source: str,
    priority_reason: str,
    resident_name: str,
    id_number: str,
    queued_at: datetime,
    extended: bool,
    appointment: Appointment | None = None,
    idempotency_key: str = "",
) -> Ticket:
    now = timezone.now()
    day = timezone.localdate(now)
    try:
        with transaction.atomic():
            # The upsert holds the group's sequence row until this transaction ends: nothing slow after it.
            number = next_in_series(centre.pk, day, group.code)
            ticket = insert(
                Ticket(
                    centre=centre,
                    day=day,
                    group=group,
                    number=number,
                    code=f"{group.code}{number:03d}",
                    source=source,
                    priority_reason=priority_reason,
                    appointment=appointment,
                    resident_name=resident_name,
                    id_number=id_number,
                    issued_at=now,
                    queued_at=queued_at,
                    extended=extended,
                    issue_key=idempotency_key,
                )
            )
            _event(ticket, TicketAction.ISSUE, actor, now, None)
            audit.record(
                actor=actor,
                action="ticket.issue",
                obj=ticket,
                after={"code": ticket.code, "source": source, "priority": priority_reason, "extended": extended},
            )
    except IntegrityError:
        # Two attempts of one press that arrive together: the unique index on the key makes the second wait for
        # the first and then refuses it, and its number rolls back with it. Looking the key up before the insert
        # instead would cost every press a query while it holds the sequence row.
        earlier = issued_with_key(centre, idempotency_key)
        if earlier is None:
            raise
        raise _AlreadyIssued(earlier) from None
    return ticket


def _event(ticket: Ticket, action: str, actor: Any, now: datetime, counter: Counter | None = None, **data: Any) -> None:
    insert(
        TicketEvent(
            ticket=ticket,
            centre_id=ticket.centre_id,
            action=action,
            counter=counter,
            actor=actor if _staff(actor) else None,
            data=data,
            created_at=now,
        )
    )


# ---------------------------------------------------------------- calling


def _my_counter(actor: Any, counter_id: int) -> Counter:
    """The counter, locked, if the actor is signed in at it and still a clerk of its centre. Signing in checked the
    jurisdiction, so every call does not read the counters of the actor's whole jurisdiction to find this one."""
    clerk_id = getattr(actor, "pk", None)
    counter = (
        Counter.objects.select_for_update(of=("self",))
        .select_related("centre")
        .filter(pk=counter_id, clerk_id=clerk_id)
        .first()
        if clerk_id is not None  # (clerk_id=None would find a counter nobody is signed in at)
        else None
    )
    if counter is not None and is_centre_clerk(actor, counter.centre):
        return counter
    reachable = selectors.counters(actor=actor).filter(pk=counter_id).first()
    if reachable is None:
        raise NotFound(_("没有找到该窗口，或它不在您的管辖范围内。"))
    raise PermissionDenied(_("请先在%(counter)s签到，再叫号。") % {"counter": reachable})


def _finish_current(counter: Counter, actor: Any, now: datetime) -> None:
    """Before the next call: a ticket still being served here is finished; one called but not started blocks."""
    current = list(Ticket.objects.select_for_update().filter(counter=counter, status__in=["called", "serving"]))
    for ticket in current:
        if ticket.status == TicketStatus.CALLED:
            raise Conflict(
                _("%(code)s号已叫号尚未处理：请先开始办理、重呼或过号。") % {"code": ticket.code},
            )
    for ticket in current:
        ticket.counter, ticket.centre = counter, counter.centre
        _apply(ticket, TicketAction.FINISH, actor=actor, now=now)


def _call(ticket: Ticket, counter: Counter, actor: Any, now: datetime) -> Ticket:
    # the conditional update is the last word: only a ticket still waiting can be taken
    changes: dict[str, Any] = {
        "status": TicketStatus.CALLED,
        "counter": counter,
        "clerk": actor,
        "target_counter": None,
        "called_at": now,
    }
    if ticket.wait_seconds is None:  # a recalled or transferred ticket keeps its first wait
        changes["wait_seconds"] = max(int((now - ticket.queued_at).total_seconds()), 0)
    updated = Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.WAITING).update(
        **changes, version=F("version") + 1
    )
    if not updated:
        raise Conflict(_("%(code)s号刚刚已被其他窗口叫走。") % {"code": ticket.code})
    for name, value in changes.items():
        setattr(ticket, name, value)
    ticket.version += 1
    ticket.centre = counter.centre  # for the audit entry's region, without reading it again
    _event(ticket, TicketAction.CALL, actor, now, counter=counter)
    audit.record(
        actor=actor,
        action="ticket.call",
        obj=ticket,
        before={"status": TicketStatus.WAITING},
        after={"status": TicketStatus.CALLED, "counter": counter.number},
    )
    return ticket


@transaction.atomic
def call_next(*, actor: Any, counter_id: int) -> Ticket | None:
    """Call the next ticket this counter serves: transferred here, then priority, then appointments due, then the
    rest in the order they joined. None when nobody waits. A ticket still being served here is finished first."""
    counter = _my_counter(actor, counter_id)
    now = timezone.now()
    _finish_current(counter, actor, now)
    # without the group and appointment joined to every waiting row: the caller reads the called ticket again
    candidates = selectors.waiting(counter.centre, counter=counter).select_related(None)
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    ticket = candidates.first()
    if ticket is None:
        return None
    return _call(ticket, counter, actor, now)


@transaction.atomic
def call_ticket(*, actor: Any, counter_id: int, ticket_id: int) -> Ticket:
    """Call one particular waiting ticket to this counter (e.g. a resident who came back)."""
    counter = _my_counter(actor, counter_id)
    now = timezone.now()
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("counter", "target_counter")
        .filter(pk=ticket_id, centre=counter.centre)
        .first()
    )
    if ticket is None:
        raise NotFound(_("本中心没有这个号。"))
    if ticket.status in (TicketStatus.CALLED, TicketStatus.SERVING):
        where = ticket.counter if ticket.counter else _("其他窗口")
        raise Conflict(_("%(code)s号已被%(counter)s叫号。") % {"code": ticket.code, "counter": where})
    if ticket.status != TicketStatus.WAITING:
        raise TransitionNotAllowed(
            _("%(code)s号当前为“%(status)s”，不能叫号。") % {"code": ticket.code, "status": ticket.get_status_display()}
        )
    if ticket.day != timezone.localdate(now):
        raise TransitionNotAllowed(_("%(code)s号不是今天的号。") % {"code": ticket.code})
    if ticket.target_counter_id not in (None, counter.pk):
        raise Conflict(_("%(code)s号已转至%(counter)s。") % {"code": ticket.code, "counter": ticket.target_counter})
    if not serves_group(counter, ticket.group_id) and ticket.target_counter_id != counter.pk:
        raise ValidationError(_("%(counter)s不受理该分组的业务。") % {"counter": counter})
    _finish_current(counter, actor, now)
    return _call(ticket, counter, actor, now)


# ---------------------------------------------------------------- the other actions on a ticket


def _apply(ticket: Ticket, action: str, *, actor: Any, now: datetime, to_counter: Counter | None = None) -> None:
    """Change a locked ticket by the table's action (parties already checked) and record it."""
    target, _parties = TICKET_TRANSITIONS[ticket.status][action]
    before = ticket.status
    counter = ticket.counter
    data: dict[str, Any] = {}
    changed = ["status", "version"]
    if action == TicketAction.RECALL:
        ticket.recall_count += 1
        changed.append("recall_count")
    elif action == TicketAction.START:
        ticket.served_at = now
        changed.append("served_at")
    elif action == TicketAction.FINISH:
        ticket.finished_at = now
        if ticket.called_at is not None and ticket.day == timezone.localdate(now):
            ticket.handle_seconds = max(int((now - ticket.called_at).total_seconds()), 0)
        # a ticket left open overnight and closed by the system has no honest handling time: it stays unknown
        changed += ["finished_at", "handle_seconds"]
    elif action in (TicketAction.NO_SHOW, TicketAction.CANCEL):
        ticket.finished_at = now
        changed.append("finished_at")
    elif action == TicketAction.TRANSFER:
        ticket.transfer_count += 1
        ticket.target_counter = to_counter
        ticket.counter = None
        ticket.clerk = None
        ticket.called_at = ticket.served_at = None
        data = {"from": counter.number if counter else None, "to": to_counter.number if to_counter else None}
        changed += ["transfer_count", "target_counter", "counter", "clerk", "called_at", "served_at"]
    elif action == TicketAction.REQUEUE:
        ticket.queued_at = now
        ticket.counter = ticket.clerk = ticket.target_counter = None
        ticket.called_at = ticket.finished_at = None
        changed += ["queued_at", "counter", "clerk", "target_counter", "called_at", "finished_at"]
    ticket.status = before if target == SAME else target
    ticket.version += 1
    ticket.save(update_fields=changed)
    _event(ticket, action, actor, now, counter=to_counter if action == TicketAction.TRANSFER else counter, **data)
    audit.record(
        actor=actor if _staff(actor) else None,
        action=f"ticket.{action}",
        obj=ticket,
        before={"status": before},
        after={"status": ticket.status, **data},
    )


@transaction.atomic
def ticket_act(
    *,
    actor: Any,
    ticket_id: int,
    action: str,
    to_counter_id: int | None = None,
    expected_version: int | None = None,
    as_system: bool = False,
) -> Ticket:
    """Recall, start, finish, pass over (no-show), transfer, requeue or cancel a ticket, as the table allows."""
    if action not in TicketAction.values or action in (TicketAction.ISSUE, TicketAction.CALL):
        raise ValidationError(_("未知的操作：%(action)s。") % {"action": action})
    rows = Ticket.objects if as_system else selectors.tickets(actor=actor)
    ticket = (
        rows.select_for_update(of=("self",))
        .select_related("centre", "counter", "counter__centre")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound(_("没有找到该号，或它不在您的管辖范围内。"))
    if expected_version is not None and ticket.version != expected_version:
        raise Conflict(
            _("%(code)s号已被他人处理（当前：%(status)s），请刷新。")
            % {"code": ticket.code, "status": ticket.get_status_display()}
        )
    allowed = TICKET_TRANSITIONS[ticket.status].get(action)
    if allowed is None:
        raise TransitionNotAllowed(
            _("%(code)s号当前为“%(status)s”，不能“%(action)s”。")
            % {"code": ticket.code, "status": ticket.get_status_display(), "action": TicketAction(action).label}
        )
    mine = ticket_parties(actor, ticket, as_system=as_system)
    if not mine & allowed[1]:
        names = "、".join(str(TicketParty(p).label) for p in sorted(allowed[1]))
        raise PermissionDenied(
            _("只有%(parties)s可以对该号“%(action)s”。") % {"parties": names, "action": TicketAction(action).label}
        )
    to_counter = None
    if action == TicketAction.TRANSFER and not as_system:
        to_counter = (
            Counter.objects.filter(pk=to_counter_id, centre_id=ticket.centre_id, is_active=True).first()
            if to_counter_id is not None
            else None
        )
        if to_counter is None:
            raise ValidationError(_("请选择本中心的另一个窗口。"), errors={"to_counter": [_("窗口不存在。")]})
        if to_counter.pk == ticket.counter_id:
            raise ValidationError(_("不能转到本窗口。"))
        if to_counter.clerk_id is None:
            raise ValidationError(_("%(counter)s目前无人签到，不能转过去。") % {"counter": to_counter})
    _apply(ticket, action, actor=None if as_system else actor, now=timezone.now(), to_counter=to_counter)
    return ticket


def close_counter_tickets(counter: Counter, *, actor: Any) -> None:
    """When a counter closes: the ticket being served is finished; one only called goes back to the queue, keeping
    its place."""
    now = timezone.now()
    for ticket in Ticket.objects.select_for_update().filter(counter=counter, status__in=["called", "serving"]):
        ticket.counter = counter
        if ticket.status == TicketStatus.SERVING:
            _apply(ticket, TicketAction.FINISH, actor=actor, now=now)
        else:
            _apply(ticket, TicketAction.TRANSFER, actor=actor, now=now, to_counter=None)


# ---------------------------------------------------------------- appointments


def _new_code() -> str:
    return "".join(secrets.choice(CODE_DIGITS) for _ in range(APPOINTMENT_CODE_LENGTH))


def _ensure_slot_row(centre: Centre, day: date, start: time, group_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO hall_slotbooking (centre_id, day, slot_start, group_id, booked) VALUES (%s, %s, %s, %s, 0) "
            "ON CONFLICT (centre_id, day, slot_start, group_id) DO NOTHING",
            [
                centre.pk,
                connection.ops.adapt_datefield_value(day),
                connection.ops.adapt_timefield_value(start),
                group_id,
            ],
        )


def appointment_book(
    *,
    actor: Any,
    centre_code: str,
    item_code: str,
    day: date,
    slot_start: time,
    resident_name: str,
    id_number: str,
    phone: str,
    client_address: str = "",
) -> Appointment:
    """Book a slot for an item: a resident online, a community station or a clerk on a resident's behalf.

    The slot's count rises by one conditional UPDATE (`booked < capacity`), so however many book at once the
    capacity is never exceeded; the one who finds it full is told so and nothing is written.
    """
    staff = _staff(actor)
    if not staff:
        ratelimit.check("booking", client_address)
    centre = _public_centre(centre_code)
    item = selectors.items().filter(code=item_code).first()
    if item is None or not selectors.offers(centre, item):
        raise ValidationError(
            _("本中心不办理事项 %(code)s。") % {"code": item_code}, errors={"item": [_("本中心不办理该事项。")]}
        )
    if not item.online_bookable:
        raise ValidationError(_("“%(name)s”不需要预约，请直接到中心取号办理。") % {"name": item.name})
    channel = BookingChannel.ONLINE
    region_path = centre.region_path
    if staff:
        station = station_of(actor, centre)
        if station is not None:
            channel, region_path = BookingChannel.STATION, station.path
        elif is_centre_clerk(actor, centre):
            channel = BookingChannel.COUNTER
        else:
            raise PermissionDenied(_("只有本街道的社区工作站或服务中心窗口人员可以代居民预约。"))
    name = check_name(resident_name, field="resident_name")
    identity = check_id_number(id_number)
    phone = check_phone(phone, required=True)
    today = timezone.localdate()
    if not today <= day <= today + timedelta(days=centre.booking_days):
        raise ValidationError(
            _("只能预约今天起 %(n)s 天内的时段。") % {"n": centre.booking_days}, errors={"day": [_("日期不可预约。")]}
        )
    slot = next((s for s in selectors.slots(centre, item, day) if s.start == slot_start), None)
    if slot is None:
        raise ValidationError(
            _("%(day)s %(time)s 不是可预约的时段。") % {"day": day, "time": slot_start.strftime("%H:%M")},
            errors={"slot": [_("时段不可预约。")]},
        )
    if Appointment.objects.filter(
        centre=centre, day=day, id_number=identity.id_number, status=AppointmentStatus.BOOKED
    ).exists():
        raise Conflict(_("该居民当天在本中心已有预约；如需改约，请先取消原预约。"))
    with transaction.atomic():
        _ensure_slot_row(centre, day, slot_start, item.group_id)
        taken = SlotBooking.objects.filter(
            centre=centre, day=day, slot_start=slot_start, group_id=item.group_id, booked__lt=centre.slot_capacity
        ).update(booked=F("booked") + 1)
        if not taken:
            raise Conflict(
                _("%(day)s %(time)s 的时段已约满，请选择其他时段。")
                % {"day": day, "time": slot_start.strftime("%H:%M")}
            )
        appointment = None
        for _attempt in range(5):  # a random 8-digit code: a clash is rare, and another draw settles it
            try:
                with transaction.atomic():
                    appointment = Appointment.objects.create(
                        code=_new_code(),
                        centre=centre,
                        item=item,
                        group_id=item.group_id,
                        region_path=region_path,
                        day=day,
                        slot_start=slot.start,
                        slot_end=slot.end,
                        channel=channel,
                        resident_name=name,
                        id_number=identity.id_number,
                        phone=phone,
                        booked_by=actor if staff else None,
                        booked_at=timezone.now(),
                    )
                break
            except IntegrityError:
                continue
        if appointment is None:
            raise Conflict(_("预约码生成冲突，请重试。"))
        audit.record(
            actor=actor if staff else None,
            action="appointment.book",
            obj=appointment,
            after={"item": item.code, "day": day, "slot": slot_start, "channel": channel},
        )
        notifications.to_phone(
            phone,
            Message(
                _("预约成功"),
                _("您已预约%(centre)s %(day)s %(start)s-%(end)s 办理“%(item)s”，预约码 %(code)s。请按时到取号机签到。")
                % {
                    "centre": centre.name,
                    "day": day.strftime("%m月%d日"),
                    "start": slot.start.strftime("%H:%M"),
                    "end": slot.end.strftime("%H:%M"),
                    "item": item.name,
                    "code": appointment.code,
                },
            ),
        )
    return appointment


@transaction.atomic
def appointment_cancel(*, actor: Any, code: str, id_tail: str = "", client_address: str = "") -> Appointment:
    """Cancel a booking: the resident with the code and the last 4 characters of their identity number, or staff
    who may see it. The slot is free again at once."""
    staff = _staff(actor)
    if not staff:
        ratelimit.check("booking", client_address)
    rows = selectors.appointments(actor=actor) if staff else Appointment.objects.all()
    appointment = rows.select_for_update(of=("self",)).filter(code=(code or "").strip()).first()
    if appointment is None or (
        not staff and (len(id_tail) != 4 or appointment.id_number[-4:].upper() != id_tail.upper())
    ):
        raise NotFound(_("没有找到该预约，请核对预约码和身份证号码后四位。"))
    if appointment.status != AppointmentStatus.BOOKED:
        raise TransitionNotAllowed(
            _("该预约当前为“%(status)s”，不能取消。") % {"status": appointment.get_status_display()}
        )
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.save(update_fields=["status", "cancelled_at"])
    SlotBooking.objects.filter(
        centre_id=appointment.centre_id,
        day=appointment.day,
        slot_start=appointment.slot_start,
        group_id=appointment.group_id,
        booked__gt=0,
    ).update(booked=F("booked") - 1)
    audit.record(
        actor=actor if staff else None,
        action="appointment.cancel",
        obj=appointment,
        before={"status": AppointmentStatus.BOOKED},
        after={"status": AppointmentStatus.CANCELLED},
    )
    return appointment


def appointment_check_in(
    *, actor: Any, centre_code: str, code: str, client_address: str = "", idempotency_key: str = ""
) -> Ticket:
    """At the kiosk: the booking code turns the appointment into a ticket that is called at its time. A check-in
    retried with the same `idempotency_key` after a network drop gets the ticket the first attempt made."""
    if not _staff(actor):
        ratelimit.check("check_in", client_address)
    centre = _public_centre(centre_code)
    key = _check_key(idempotency_key)
    earlier = issued_with_key(centre, key)
    if earlier is not None:
        return _same_press(earlier, appointment_code=(code or "").strip())
    now = timezone.now()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("group", "item")
            .filter(code=(code or "").strip(), centre=centre)
            .first()
        )
        if appointment is None:
            raise NotFound(_("本中心没有这个预约码，请核对短信中的 8 位预约码。"))
        if appointment.status == AppointmentStatus.CHECKED_IN:
            again = issued_with_key(centre, key)  # the same press, retried while the first was being served
            if again is not None and again.appointment_id == appointment.pk:
                return again
            raise Conflict(_("该预约已签到，请留意叫号。"))
        if appointment.status != AppointmentStatus.BOOKED:
            raise TransitionNotAllowed(_("该预约%(status)s，不能签到。") % {"status": appointment.get_status_display()})
        if appointment.day != timezone.localdate(now):
            raise ValidationError(
                _("这是 %(day)s 的预约，请当天来签到。") % {"day": appointment.day.strftime("%m月%d日")}
            )
        start = hours.at(appointment.day, appointment.slot_start)
        end = hours.at(appointment.day, appointment.slot_end)
        if now < start - timedelta(minutes=hours.CHECK_IN_EARLY_MINUTES):
            raise ValidationError(
                _("预约时段为 %(start)s-%(end)s，请在 %(open)s 以后签到。")
                % {
                    "start": appointment.slot_start.strftime("%H:%M"),
                    "end": appointment.slot_end.strftime("%H:%M"),
                    "open": timezone.localtime(start - timedelta(minutes=hours.CHECK_IN_EARLY_MINUTES)).strftime(
                        "%H:%M"
                    ),
                }
            )
        if now > end + timedelta(minutes=hours.CHECK_IN_GRACE_MINUTES):
            raise ValidationError(_("已超过预约时段，请直接取普通号办理。"))
        priority = ""
        identity = check_id_number(appointment.id_number)
        if identity.age_on(timezone.localdate(now)) >= centre.priority_age:
            priority = PriorityReason.ELDERLY
        period = hours.period_at(centre, max(now, start))
        try:
            ticket = _new_ticket(
                actor=actor if _staff(actor) else None,
                centre=centre,
                group=appointment.group,
                source=TicketSource.APPOINTMENT,
                priority_reason=priority,
                resident_name=appointment.resident_name,
                id_number=appointment.id_number,
                queued_at=max(now, start),
                extended=bool(period and period.extended),
                appointment=appointment,
                idempotency_key=key,
            )
        except _AlreadyIssued as used:  # another press's key, sent at the same moment as that press
            raise _key_used(used.ticket) from None
        appointment.status = AppointmentStatus.CHECKED_IN
        appointment.checked_in_at = now
        appointment.save(update_fields=["status", "checked_in_at"])
        audit.record(
            actor=actor if _staff(actor) else None,
            action="appointment.check_in",
            obj=appointment,
            after={"ticket": ticket.code},
        )
    return ticket


# ---------------------------------------------------------------- the end of the day


@dataclass
class QueueSweep:
    tickets_closed: int = 0
    counters_signed_out: int = 0
    appointments_missed: int = 0


def queue_sweep(*, now: datetime | None = None, limit: int = 1000) -> QueueSweep:
    """Close what the day left open: yesterday's tickets, counters still signed in, appointments nobody came to."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = QueueSweep()
    stale = Ticket.objects.filter(day__lt=today, status__in=["waiting", "called", "serving"]).order_by("id")[:limit]
    for ticket in stale:
        action = TicketAction.FINISH if ticket.status == TicketStatus.SERVING else TicketAction.CANCEL
        try:
            ticket_act(actor=None, as_system=True, ticket_id=ticket.pk, action=action, expected_version=ticket.version)
            result.tickets_closed += 1
        except (Conflict, TransitionNotAllowed):
            continue
    midnight = hours.at(today, time.min)
    for counter in Counter.objects.filter(clerk__isnull=False, signed_in_at__lt=midnight)[:limit]:
        with transaction.atomic():
            locked = Counter.objects.select_for_update().filter(pk=counter.pk, signed_in_at__lt=midnight).first()
            if locked is None:
                continue
            before = locked.clerk_id
            locked.clerk, locked.signed_in_at = None, None
            locked.save(update_fields=["clerk", "signed_in_at"])
            audit.record(
                actor=None, action="counter.sign_out", obj=locked, before={"clerk": before}, after={"reason": "day_end"}
            )
            result.counters_signed_out += 1
    grace = timezone.localtime(now) - timedelta(minutes=hours.CHECK_IN_GRACE_MINUTES)
    missed = Appointment.objects.filter(status=AppointmentStatus.BOOKED).filter(
        Q(day__lt=today) | Q(day=today, slot_end__lt=grace.time()) if grace.date() == today else Q(day__lt=today)
    )
    with transaction.atomic():
        rows = list(missed.select_for_update().order_by("id")[:limit])
        for appointment in rows:
            appointment.status = AppointmentStatus.MISSED
        Appointment.objects.bulk_update(rows, ["status"])
        audit.record_many(
            audit.entry(
                actor=None,
                action="appointment.missed",
                obj=a,
                before={"status": AppointmentStatus.BOOKED},
                after={"status": AppointmentStatus.MISSED},
            )
            for a in rows
        )
        result.appointments_missed = len(rows)
    return result
