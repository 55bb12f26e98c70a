"""The window clerk's working screen (窗口工作台): sign in to a counter, call and serve tickets, accept applications
(any item of the centre: 通办), and the application's own page where the one-time notice is issued, the item completed
on the spot or forwarded with its promised deadline, and the result handed over. Community-station clerks use the
same screen without a queue, to file applications remotely into their street's centre (远程帮办).

Identity numbers are typed and seen whole only here, on the clerk's working screen; elsewhere they are masked, and
showing one again is the service's `application_reveal`, which logs who looked and why.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from civicgrid.core import identity
from civicgrid.core.errors import DomainError
from civicgrid.hall import selectors, services
from civicgrid.hall.choices import (
    TICKET_TRANSITIONS,
    ApplicationAction,
    ApplicationStatus,
    Mode,
    Party,
    ResultDelivery,
    TicketAction,
)
from civicgrid.hall.forms import (
    REVEALABLE,
    SERVICE_FIELDS,
    AcceptForm,
    ApplicationActionForm,
    IdCheckForm,
    RevealForm,
    TicketActionForm,
    first_error,
)
from civicgrid.hall.models import Application, Centre, Counter, ServiceItem
from civicgrid.hall.permissions import application_actions, application_parties, ticket_parties
from civicgrid.hall.views_common import back, errors_onto, forbidden, is_htmx, staff_application

NOT_A_CLERK = _l("窗口工作台供服务中心的窗口人员和社区工作站人员使用；您的岗位不能受理办件。")
# The actions the application page offers, in the order a clerk or reviewer thinks of them.
OFFERED = [
    ApplicationAction.ISSUE_NOTICE,
    ApplicationAction.SUPPLEMENT,
    ApplicationAction.COMPLETE_ON_SPOT,
    ApplicationAction.FORWARD,
    ApplicationAction.START_REVIEW,
    ApplicationAction.COMPLETE,
    ApplicationAction.HAND_OVER,
    ApplicationAction.REJECT,
    ApplicationAction.WITHDRAW,
]
DECISIONS = {ApplicationAction.COMPLETE_ON_SPOT, ApplicationAction.COMPLETE, ApplicationAction.REJECT}


# ---------------------------------------------------------------- the working screen


def _chosen(request: HttpRequest, centres: list[tuple[Centre, Any]], mine: Counter | None) -> tuple[Centre, Any]:
    if mine is not None:
        for centre, station in centres:
            if centre.pk == mine.centre_id:
                return centre, station
    wanted = request.GET.get("centre") or request.POST.get("centre") or ""
    return next(((c, s) for c, s in centres if c.code == wanted), centres[0])


def _queue_context(request: HttpRequest, centre: Centre, mine: Counter | None) -> dict[str, Any]:
    """The left half: the ticket at my counter with what I may do to it, the queue I call from, today's no-shows."""
    current = selectors.current_ticket(mine) if mine is not None else None
    actions: list[str] = []
    if current is not None:
        parties = ticket_parties(request.user, current)
        actions = [a for a, (_t, allowed) in TICKET_TRANSITIONS[current.status].items() if parties & allowed]
    counters = selectors.counters(actor=request.user, centre=centre)
    return {
        "centre": centre,
        "mine": mine,
        "current": current,
        "ticket_actions": actions,
        "waiting": list(selectors.waiting(centre, counter=mine)[:60]) if mine is not None else [],
        "no_shows": selectors.no_shows(centre) if mine is not None else [],
        "transfer_to": [c for c in counters if c.is_active and c.clerk_id and (mine is None or c.pk != mine.pk)],
    }


def _counter_page(request: HttpRequest, *, form: AcceptForm | None = None, status: int = 200) -> HttpResponse:
    user: Any = request.user
    centres = selectors.working_centres(actor=user)
    if not centres:
        return forbidden(request, str(NOT_A_CLERK))
    mine = selectors.counter_of(actor=user)
    centre, station = _chosen(request, centres, mine)
    queue = _queue_context(request, centre, mine)
    current = queue["current"]
    if form is None:
        form = AcceptForm(
            initial={
                "centre": centre.code,
                "result_delivery": ResultDelivery.PICK_UP,
                "ticket_id": current.pk if current is not None else None,
            }
        )
    item = _item(form["item"].value())
    context = {
        **queue,
        "centres": centres,
        "station": station,
        "counters": selectors.counters(actor=user, centre=centre) if station is None else [],
        "form": form,
        "categories": selectors.offered_by_category(centre),
        **_materials_context(centre, item, form["materials"].value() or []),
        "my_work": list(selectors.counter_work(actor=user).filter(centre=centre)[:30]),
    }
    return render(request, "hall/counter.html", context, status=status)


def _item(code: Any) -> ServiceItem | None:
    if not code:
        return None
    try:
        return selectors.item_by_code(str(code))
    except ServiceItem.DoesNotExist:
        return None


def _materials_context(centre: Centre, item: ServiceItem | None, ticked: list[str]) -> dict[str, Any]:
    offered = item is not None and selectors.offers(centre, item)
    return {
        "item": item if offered else None,
        "materials": list(item.materials.all()) if offered and item is not None else [],
        "ticked": set(ticked),
        "promised": selectors.promised_deadline(item) if offered and item is not None else None,
    }


@login_required
@require_GET
def counter(request: HttpRequest) -> HttpResponse:
    return _counter_page(request)


@login_required
@require_GET
def counter_queue(request: HttpRequest) -> HttpResponse:
    """The waiting list, asked again every few seconds by the working screen (htmx)."""
    mine = selectors.counter_of(actor=request.user)
    if mine is None:
        return HttpResponse(status=204)
    return render(request, "hall/counter.html#waiting", _queue_context(request, mine.centre, mine))


@login_required
@require_GET
def counter_materials(request: HttpRequest) -> HttpResponse:
    """The chosen item's mode, time limit and materials to tick (htmx, as the clerk picks the item)."""
    centres = dict(selectors.working_centres(actor=request.user))
    centre = next((c for c in centres if c.code == request.GET.get("centre")), None)
    if centre is None:
        raise Http404
    context = _materials_context(centre, _item(request.GET.get("item")), request.GET.getlist("materials"))
    return render(request, "hall/counter.html#materials", context)


@login_required
@require_POST
def id_check(request: HttpRequest) -> HttpResponse:
    """Checks an identity number as the clerk types it: birth date, sex and age, or what is wrong (never logged)."""
    form = IdCheckForm(request.POST)
    value = form.data.get("id_number", "") if form.is_valid() else ""
    context: dict[str, Any] = {"empty": not (value or "").strip()}
    if not context["empty"]:
        try:
            found = identity.check_id_number(value)
        except DomainError as error:
            context["problem"] = error.message
        else:
            context.update(found=found, age=found.age_on(timezone.localdate()))
    return render(request, "hall/counter.html#id_check", context)


def _after_ticket_action(request: HttpRequest) -> HttpResponse:
    if is_htmx(request):
        mine = selectors.counter_of(actor=request.user)
        if mine is None:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        context = {**_queue_context(request, mine.centre, mine), "in_htmx": True}
        return render(request, "hall/counter.html#queue", context)
    return back(request, "hall:counter")


def _ticket_call(request: HttpRequest, call: Any) -> HttpResponse:
    mine = selectors.counter_of(actor=request.user)
    if mine is None:
        messages.error(request, _("请先在窗口签到，再叫号。"))
        return _after_ticket_action(request)
    try:
        ticket = call(mine)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if ticket is None:
            messages.info(request, _("当前没有等候的号。"))
        else:
            messages.success(request, _("已叫 %(code)s 号到%(counter)s。") % {"code": ticket.code, "counter": mine})
    return _after_ticket_action(request)


@login_required
@require_POST
def call_next(request: HttpRequest) -> HttpResponse:
    return _ticket_call(request, lambda mine: services.call_next(actor=request.user, counter_id=mine.pk))


@login_required
@require_POST
def call_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _ticket_call(
        request, lambda mine: services.call_ticket(actor=request.user, counter_id=mine.pk, ticket_id=ticket_id)
    )


@login_required
@require_POST
def ticket_act(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Recall, start, pass over, transfer, finish or requeue a ticket, as its table allows the clerk."""
    form = TicketActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _after_ticket_action(request)
    action = form.cleaned_data["action"]
    try:
        ticket = services.ticket_act(
            actor=request.user,
            ticket_id=ticket_id,
            action=action,
            to_counter_id=form.cleaned_data.get("to_counter"),
            expected_version=form.cleaned_data.get("expected_version"),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        done = {
            TicketAction.FINISH: _("%(code)s 号已办结，请居民在评价器上评价。"),
            TicketAction.NO_SHOW: _("%(code)s 号已过号。"),
            TicketAction.TRANSFER: _("%(code)s 号已转窗口，请居民到新窗口等候。"),
            TicketAction.REQUEUE: _("%(code)s 号已重新排队。"),
            TicketAction.RECALL: _("已重呼 %(code)s 号。"),
            TicketAction.START: _("%(code)s 号开始办理。"),
            TicketAction.CANCEL: _("%(code)s 号已作废。"),
        }
        messages.success(request, done[TicketAction(action)] % {"code": ticket.code})
    return _after_ticket_action(request)


@login_required
@require_POST
def sign_in(request: HttpRequest) -> HttpResponse:
    try:
        counter_id = int(request.POST.get("counter_id", ""))
    except ValueError:
        messages.error(request, _("请选择窗口。"))
        return redirect("hall:counter")
    try:
        found = services.counter_sign_in(actor=request.user, counter_id=counter_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已在%(counter)s签到，可以叫号了。") % {"counter": found})
    return redirect("hall:counter")


@login_required
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """The clerk ends work at their counter (a manager signs others out on the centre's page)."""
    mine = selectors.counter_of(actor=request.user)
    if mine is None:
        messages.info(request, _("您当前没有在任何窗口签到。"))
        return redirect("hall:counter")
    try:
        services.counter_sign_out(actor=request.user, counter_id=mine.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已从%(counter)s签退。") % {"counter": mine})
    return redirect("hall:counter")


@login_required
@require_POST
def accept(request: HttpRequest) -> HttpResponse:
    """Accept one item for one resident; the accepting clerk becomes its first-contact owner (首问负责)."""
    item = _item(request.POST.get("item"))
    codes = [m.code for m in item.materials.all()] if item is not None else []
    form = AcceptForm(request.POST, material_codes=codes)
    if not form.is_valid():
        return _counter_page(request, form=form, status=422)
    data = form.cleaned_data
    try:
        application = services.application_accept(
            actor=request.user,
            centre_code=data["centre"],
            item_code=data["item"],
            applicant_name=data.get("applicant_name", ""),
            id_number=data.get("id_number", ""),
            phone=data.get("phone", ""),
            address=data.get("address", ""),
            grid_code=(data.get("grid_code") or "").strip() or None,
            materials=data.get("materials") or [],
            ticket_id=data.get("ticket_id"),
            result_delivery=data["result_delivery"],
            proxy=form.proxy(),
        )
    except DomainError as error:
        errors_onto(form, error, SERVICE_FIELDS)
        return _counter_page(request, form=form, status=422)
    missing = application.missing_materials
    if missing:
        messages.warning(
            request,
            _("已受理 %(number)s。材料不全（缺 %(n)s 项），请出具一次性告知单并打印交给居民。")
            % {"number": application.number, "n": len(missing)},
        )
    else:
        messages.success(request, _("已受理 %(number)s，材料齐全。") % {"number": application.number})
    return redirect("hall:application", application.number)


# ---------------------------------------------------------------- an application


def _detail_context(request: HttpRequest, application: Any) -> dict[str, Any]:
    user: Any = request.user
    allowed = application_actions(user, application)
    actions = [a for a in OFFERED if a in allowed and _fits(application, a)]
    mine = selectors.counter_of(actor=user)
    current = selectors.current_ticket(mine) if mine is not None else None
    return {
        "application": application,
        "actions": actions,
        "decisions": DECISIONS,
        "events": selectors.timeline(application),
        "notices": list(selectors.notices(application)),
        "delivery": getattr(application, "delivery", None) if _has_delivery(application) else None,
        "missing": application.missing_materials,
        "promised": selectors.promised_deadline(application.item) if ApplicationAction.FORWARD in actions else None,
        "mine": mine,
        "current": current,
        "current_actions": [
            a for a, (_t, roles) in TICKET_TRANSITIONS[current.status].items() if ticket_parties(user, current) & roles
        ]
        if current is not None
        else [],
        "result_choices": ResultDelivery.choices,
        "can_home": bool(application.grid_id and application.address),
        "may_reveal": bool(application_parties(user, application) & {Party.CLERK, Party.BACK_OFFICE, Party.MANAGER}),
        "reveal_form": RevealForm(),
    }


def _fits(application: Any, action: str) -> bool:
    """The rules beyond the table (the service enforces them too): offer only what can succeed now, so the first
    button is the clerk's next step. A notice needs something missing; completing and forwarding need everything,
    each for its own mode; at the counter only an on-the-spot item may be refused."""
    missing = bool(application.missing_materials)
    on_the_spot = application.item.mode == Mode.ON_THE_SPOT
    if action == ApplicationAction.ISSUE_NOTICE:
        return missing
    if action == ApplicationAction.COMPLETE_ON_SPOT:
        return on_the_spot and not missing
    if action == ApplicationAction.FORWARD:
        return not on_the_spot and not missing
    if action == ApplicationAction.REJECT and application.status == ApplicationStatus.ACCEPTED:
        return on_the_spot
    return True


def _has_delivery(application: Any) -> bool:
    try:
        return application.delivery is not None
    except application.__class__.delivery.RelatedObjectDoesNotExist:
        return False


@login_required
@require_GET
def application(request: HttpRequest, application_number: str) -> HttpResponse:
    found = staff_application(request, application_number)
    return render(request, "hall/application.html", _detail_context(request, found))


@login_required
@require_GET
def application_go(request: HttpRequest) -> HttpResponse:
    """The search box of the working screen: a full number opens the application, else the list filtered by it."""
    number = request.GET.get("number", "").strip()[:32]
    try:
        return redirect("hall:application", selectors.application(actor=request.user, number=number).number)
    except Application.DoesNotExist:
        pass
    messages.info(request, _("没有找到编号为 %(n)s 的办件，以下是编号以它开头的办件。") % {"n": number})
    return redirect(reverse("hall:applications") + f"?tab=all&q={number}")


@login_required
@require_POST
def application_act(request: HttpRequest, application_number: str) -> HttpResponse:
    found = staff_application(request, application_number)
    form = ApplicationActionForm(request.POST, material_codes=[m["code"] for m in found.materials])
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("hall:application", found.number)
    data = form.cleaned_data
    action = data["action"]
    ticking = action in (ApplicationAction.ISSUE_NOTICE, ApplicationAction.SUPPLEMENT)
    materials = (data.get("materials") or []) if ticking else None
    try:
        services.application_act(
            actor=request.user,
            number=found.number,
            action=action,
            note=data.get("note") or "",
            materials=materials,
            expected_version=data.get("expected_version"),
            result_delivery=(data.get("result_delivery") or None) if action in DECISIONS else None,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("hall:application", found.number)
    messages.success(request, _done_message(action, found.number))
    return redirect("hall:application", found.number)


def _done_message(action: str, number: str) -> str:
    words = {
        ApplicationAction.ISSUE_NOTICE: _("已出具一次性告知单（办件 %(n)s），请打印交给居民。"),
        ApplicationAction.SUPPLEMENT: _("材料已补齐（办件 %(n)s），请继续办理。"),
        ApplicationAction.COMPLETE_ON_SPOT: _("办件 %(n)s 已当场办结。"),
        ApplicationAction.FORWARD: _("办件 %(n)s 已转后台办理，请打印受理回执交给居民。"),
        ApplicationAction.START_REVIEW: _("已签收办件 %(n)s，开始审核。"),
        ApplicationAction.COMPLETE: _("办件 %(n)s 已审核办结。"),
        ApplicationAction.REJECT: _("办件 %(n)s 不予办理，理由已告知居民。"),
        ApplicationAction.HAND_OVER: _("办件 %(n)s 的结果已当面交给居民。"),
        ApplicationAction.WITHDRAW: _("办件 %(n)s 已撤回。"),
    }
    return str(words.get(ApplicationAction(action), _("已办理 %(n)s。"))) % {"n": number}


@login_required
@require_POST
def application_reveal(request: HttpRequest, application_number: str) -> HttpResponse:
    """The full identity number, name or phone on the working screen, with a reason; the service logs the view."""
    found = staff_application(request, application_number)
    form = RevealForm(request.POST)
    context: dict[str, Any] = {"application": found, "reveal_form": form}
    if not form.is_valid():
        context["problem"] = first_error(form)
    else:
        try:
            context["revealed"] = services.application_reveal(
                actor=request.user,
                number=found.number,
                fields=form.cleaned_data["show"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            context["problem"] = error.message
    context["labels"] = dict(REVEALABLE)
    if is_htmx(request):
        return render(request, "hall/application.html#reveal", context)
    if "problem" in context:
        messages.error(request, context["problem"])
        return redirect("hall:application", found.number)
    return render(request, "hall/application.html", {**_detail_context(request, found), **context})


# ---------------------------------------------------------------- printable documents


SIZES = {"a4": _l("A4 纸"), "80mm": _l("80 毫米小票")}


def _size(request: HttpRequest) -> str:
    size = request.GET.get("size", "a4")
    return size if size in SIZES else "a4"


@login_required
@require_GET
def notice_print(request: HttpRequest, application_number: str) -> HttpResponse:
    """The one-time notice (一次性告知单), ready to print on A4 or an 80 mm receipt printer; the latest by default."""
    found = staff_application(request, application_number)
    issued = list(selectors.notices(found))
    if not issued:
        raise Http404
    wanted = request.GET.get("notice", "")
    notice = next((n for n in issued if str(n.pk) == wanted), issued[-1])
    return render(
        request,
        "hall/print_notice.html",
        {
            "application": found,
            "notice": notice,
            "size": _size(request),
            "sizes": SIZES,
            "copy_number": issued.index(notice) + 1,
            "track_url": request.build_absolute_uri(reverse("hall:track", args=[found.number])),
        },
    )


@login_required
@require_GET
def receipt_print(request: HttpRequest, application_number: str) -> HttpResponse:
    """The acceptance receipt (受理回执): what was accepted, the materials received, the promised date."""
    found = staff_application(request, application_number)
    return render(
        request,
        "hall/print_receipt.html",
        {
            "application": found,
            "size": _size(request),
            "sizes": SIZES,
            "received": [m for m in found.materials if m.get("provided")],
            "missing": found.missing_materials,
            "track_url": request.build_absolute_uri(reverse("hall:track", args=[found.number])),
            "on_the_spot": found.item.mode == Mode.ON_THE_SPOT,
            "open": found.status in (ApplicationStatus.ACCEPTED, ApplicationStatus.INCOMPLETE),
        },
    )
