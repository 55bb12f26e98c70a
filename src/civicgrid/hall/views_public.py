"""The public pages of the service centre: the kiosk (取号机), the display board (叫号屏), the rating pad (评价器),
and the residents' booking and tracking pages.

The kiosk, board and pad run unattended full-screen; each loads once and then asks its `live` partial again and
again (static/civicgrid/hall-device.js), backing off while the network is down and keeping the last screen shown.
Presses send a key per press, so a press retried after a network drop makes one ticket. No page here shows personal
data: a resident appears as surname + masked name (张**), and tracking needs the number and the ID number's last four.
"""

from datetime import date, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from civicgrid.core.errors import Conflict, DomainError, NotFound
from civicgrid.hall import hours, ratelimit, selectors, services
from civicgrid.hall.choices import PRAISE_REASONS, ApplicationStatus, PriorityReason, RatingReason, TicketStatus
from civicgrid.hall.forms import BookingForm, CancelForm, KioskCheckInForm, KioskTicketForm, RatingForm, TrackForm
from civicgrid.hall.models import Application, Centre, Counter, ServiceItem, Ticket
from civicgrid.hall.views_common import client_address, errors_onto, public_centre

# ---------------------------------------------------------------- the kiosk


def _kiosk_context(centre: Centre) -> dict[str, Any]:
    now = timezone.now()
    return {
        "centre": centre,
        "now": now,
        "open_now": hours.period_at(centre, now) is not None,
        "issuing": hours.ticket_period(centre, now) is not None,
        "hours_today": hours.describe(centre, timezone.localdate(now)),
        "queues": selectors.group_queues(centre, now=now),
    }


@require_GET
def kiosk(request: HttpRequest, centre: str) -> HttpResponse:
    found = public_centre(centre)
    context = {
        **_kiosk_context(found),
        "priority_reasons": PriorityReason.choices,
        "auto_print": request.GET.get("print") == "1",
    }
    return render(request, "hall/kiosk.html", context)


@require_GET
def kiosk_live(request: HttpRequest, centre: str) -> HttpResponse:
    return render(request, "hall/kiosk.html#groups", _kiosk_context(public_centre(centre)))


def _ticket_answer(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    ahead, minutes = selectors.prospect(ticket)
    return render(
        request,
        "hall/kiosk.html#ticket",
        {"ticket": ticket, "ahead": ahead, "minutes": minutes, "centre": ticket.centre},
        status=201,
    )


def _kiosk_refusal(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "hall/kiosk.html#refusal", {"message": message}, status=status)


@require_POST
def kiosk_ticket(request: HttpRequest, centre: str) -> HttpResponse:
    """A press of a group button: 201 with the ticket, or 4xx with what to do instead."""
    found = public_centre(centre)
    form = KioskTicketForm(request.POST)
    if not form.is_valid():
        return _kiosk_refusal(request, _("请重新选择业务。"), 422)
    try:
        ticket = services.ticket_issue(
            actor=request.user,
            centre_code=found.code,
            group_code=form.cleaned_data["group"],
            priority_reason=form.cleaned_data.get("priority_reason") or "",
            client_address=client_address(request),
            idempotency_key=form.cleaned_data.get("key") or "",
        )
    except DomainError as error:
        return _kiosk_refusal(request, error.message, error.status)
    return _ticket_answer(request, ticket)


@require_POST
def kiosk_check_in(request: HttpRequest, centre: str) -> HttpResponse:
    """The appointment code typed on the kiosk's keypad: the appointment's ticket."""
    found = public_centre(centre)
    form = KioskCheckInForm(request.POST)
    if not form.is_valid():
        return _kiosk_refusal(request, _("请输入短信中的 8 位预约码。"), 422)
    try:
        ticket = services.appointment_check_in(
            actor=request.user,
            centre_code=found.code,
            code=form.cleaned_data["code"],
            client_address=client_address(request),
            idempotency_key=form.cleaned_data.get("key") or "",
        )
    except DomainError as error:
        return _kiosk_refusal(request, error.message, error.status)
    return _ticket_answer(request, ticket)


# ---------------------------------------------------------------- the display board


@require_GET
def board(request: HttpRequest, centre: str) -> HttpResponse:
    found = public_centre(centre)
    return render(request, "hall/board.html", {"board": selectors.board(found), "centre": found})


@require_GET
def board_live(request: HttpRequest, centre: str) -> HttpResponse:
    found = public_centre(centre)
    return render(request, "hall/board.html#live", {"board": selectors.board(found), "centre": found})


# ---------------------------------------------------------------- the rating pad


def _pad_counter(pad_key: str) -> Counter:
    try:
        return selectors.counter_by_pad_key(pad_key)
    except Counter.DoesNotExist as error:
        raise Http404 from error


STARS = [(1, _l("很不满意")), (2, _l("不满意")), (3, _l("一般")), (4, _l("满意")), (5, _l("非常满意"))]


def _pad_context(counter: Counter) -> dict[str, Any]:
    ticket = selectors.pad_ticket(counter)
    return {
        "counter": counter,
        "ticket": ticket,
        "items": [a.item.name for a in ticket.applications.all()] if ticket else [],
        "state": "idle" if ticket is None else ("rate" if ticket.status == TicketStatus.DONE else "serving"),
        "stars": STARS,
        "praise": [(r.value, r.label) for r in RatingReason if r in PRAISE_REASONS],
        "complaints": [(r.value, r.label) for r in RatingReason if r not in PRAISE_REASONS],
    }


@require_GET
def pad(request: HttpRequest, pad_key: str) -> HttpResponse:
    try:
        counter = selectors.counter_by_pad_key(pad_key)
    except Counter.DoesNotExist:
        # a tablet left with an old key after the manager rotated it: say so on the pad itself
        return render(request, "hall/pad_unknown.html", status=404)
    return render(request, "hall/pad.html", _pad_context(counter))


@require_GET
def pad_live(request: HttpRequest, pad_key: str) -> HttpResponse:
    return render(request, "hall/pad.html#live", _pad_context(_pad_counter(pad_key)))


@require_POST
def pad_rate(request: HttpRequest, pad_key: str) -> HttpResponse:
    """The resident's stars: 201 with the thanks screen; a second tap of the same rating (a retry) thanks again."""
    counter = _pad_counter(pad_key)
    form = RatingForm(request.POST)
    if not form.is_valid():
        message = _("请先点选星级，再提交。") if "score" in form.errors else _("评价内容有误，请重新评价。")
        return render(request, "hall/pad.html#refusal", {"message": message}, status=422)
    data = form.cleaned_data
    try:
        services.rating_submit(
            pad_key=counter.pad_key,
            ticket_id=data["ticket_id"],
            score=data["score"],
            reasons=data.get("reasons") or [],
            comment=data.get("comment") or "",
            client_address=client_address(request),
        )
    except Conflict:
        pass  # rated already: the earlier tap counted, the resident is thanked all the same
    except DomainError as error:
        return render(request, "hall/pad.html#refusal", {"message": error.message}, status=error.status)
    return render(request, "hall/pad.html#thanks", {"counter": counter, "score": data["score"]}, status=201)


# ---------------------------------------------------------------- booking (residents, on a phone)


@require_GET
def book_centres(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [(c, hours.describe(c, today)) for c in selectors.public_centres()]
    return render(request, "hall/book_centres.html", {"rows": rows})


def _days(centre: Centre) -> list[tuple[date, str, bool]]:
    """The days a resident may book, each with how the centre opens then and whether it is closed."""
    today = timezone.localdate()
    days = [today + timedelta(days=n) for n in range(centre.booking_days + 1)]
    return [(day, hours.describe(centre, day), not hours.periods_on(centre, day)) for day in days]


def _item(centre: Centre, code: str) -> ServiceItem | None:
    return selectors.bookable_items(centre).filter(code=code).first() if code else None


def _slot_context(centre: Centre, item: ServiceItem | None, day: date | None) -> dict[str, Any]:
    today = timezone.localdate()
    valid_day = day is not None and today <= day <= today + timedelta(days=centre.booking_days)
    slots = selectors.slots(centre, item, day) if item is not None and day is not None and valid_day else []
    return {"centre": centre, "item": item, "day": day if valid_day else None, "slots": slots}


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def book(request: HttpRequest, centre: str) -> HttpResponse:
    """Pick an item, a day and a slot (capacity shown), give name, ID number and phone: the booking code."""
    found = public_centre(centre)
    source = request.POST if request.method == "POST" else request.GET
    item = _item(found, source.get("item", ""))
    day = _parse_day(source.get("day", "")) or timezone.localdate()
    form = BookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.appointment_book(
                actor=request.user,
                centre_code=found.code,
                item_code=data["item"],
                day=data["day"],
                slot_start=data["slot"],
                resident_name=data["resident_name"],
                id_number=data["id_number"],
                phone=data["phone"],
                client_address=client_address(request),
            )
        except DomainError as error:
            errors_onto(form, error, {"slot": "slot", "day": "day", "item": "item"})
        else:
            return render(request, "hall/book_done.html", {"appointment": appointment, "centre": found})
    context = {
        **_slot_context(found, item, day),
        "form": form,
        "items": selectors.bookable_items(found).select_related("category"),
        "days": _days(found),
        "chosen_slot": source.get("slot", ""),
    }
    return render(request, "hall/book.html", context, status=422 if request.method == "POST" else 200)


@require_GET
def book_slots(request: HttpRequest, centre: str) -> HttpResponse:
    """The slots of an item's group on a day with the places still free (htmx, as the resident picks)."""
    found = public_centre(centre)
    context = _slot_context(found, _item(found, request.GET.get("item", "")), _parse_day(request.GET.get("day", "")))
    return render(request, "hall/book.html#slots", {**context, "chosen_slot": ""})


def book_cancel(request: HttpRequest) -> HttpResponse:
    form = CancelForm(request.POST or None)
    cancelled = None
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = services.appointment_cancel(
                actor=request.user,
                code=form.cleaned_data["code"],
                id_tail=form.cleaned_data["id_tail"],
                client_address=client_address(request),
            )
        except DomainError as error:
            errors_onto(form, error, {})
    return render(request, "hall/book_cancel.html", {"form": form, "cancelled": cancelled})


# ---------------------------------------------------------------- tracking (residents)


def track_lookup(request: HttpRequest) -> HttpResponse:
    """The number and the ID number's last four, posted (never in an address a log would keep)."""
    form = TrackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _track(request, form.cleaned_data["number"].strip(), form)
    return render(request, "hall/track.html", {"form": form}, status=422 if request.method == "POST" else 200)


def track(request: HttpRequest, application_number: str) -> HttpResponse:
    """The page the resident's SMS links to: it asks for the last four of the ID number, then shows the progress."""
    form = TrackForm(request.POST or None, initial={"number": application_number})
    if request.method == "POST" and form.is_valid():
        return _track(request, application_number, form)
    return render(request, "hall/track.html", {"form": form, "number": application_number})


def _track(request: HttpRequest, number: str, form: TrackForm) -> HttpResponse:
    try:
        ratelimit.check("tracking", client_address(request))
        try:
            found = selectors.by_tracking(number=number, id_tail=form.cleaned_data["id_tail"].strip())
        except Application.DoesNotExist as error:
            raise NotFound(_("没有找到该办件，请核对办件编号和身份证号码后四位。")) from error
    except DomainError as error:
        form.add_error(None, error.message)
        return render(request, "hall/track.html", {"form": form, "number": number}, status=error.status)
    return render(
        request,
        "hall/track.html",
        {
            "form": None,
            "application": found,
            "events": selectors.timeline(found, public=True),
            "missing": found.missing_materials if found.status == ApplicationStatus.INCOMPLETE else [],
            "track_url": reverse("hall:track", args=[found.number]),
        },
    )
