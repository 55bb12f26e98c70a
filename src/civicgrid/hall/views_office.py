"""Staff pages beyond the counter: the service-centre hub, the application lists (the back office's inbox), the
centre's devices and counters for its manager, the grid worker's delivery tasks, and the centre statistics with the
monthly window-staff scores and their Excel export."""

import base64
import binascii
from datetime import date
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

from civicgrid.core.errors import DomainError, PermissionDenied, ValidationError
from civicgrid.core.views import page_of, query_without_page
from civicgrid.hall import hours, selectors, services, statistics
from civicgrid.hall.choices import (
    BACK_OFFICE_ROLES,
    CLERK_ROLES,
    DELIVERER_ROLES,
    DEPARTMENT_REVIEW_ROLES,
    ApplicationStatus,
    DeliveryStatus,
    Party,
    ProofKind,
)
from civicgrid.hall.forms import AssignForm, AttemptForm, DeliverForm, StatisticsForm, first_error
from civicgrid.hall.models import Centre, Delivery
from civicgrid.hall.permissions import application_parties, is_manager, may_read_statistics
from civicgrid.hall.views_common import forbidden
from civicgrid.workorders.photos import MAX_BYTES

# ---------------------------------------------------------------- the hub


def roles_of(user: Any) -> set[str]:
    return {post.role for post in user.active_posts()} if user.is_authenticated else set()


@require_GET
def hub(request: HttpRequest) -> HttpResponse:
    """Staff: every centre of their jurisdiction with today's queue and the pages their posts open. Residents:
    booking."""
    if not request.user.is_authenticated:
        return redirect("hall:book_centres")
    user: Any = request.user
    today = timezone.localdate()
    now = timezone.now()
    rows = []
    for centre in selectors.centres(actor=user).filter(is_active=True):
        rows.append(
            {
                "centre": centre,
                "hours": hours.describe(centre, today),
                "open": hours.period_at(centre, now) is not None,
                "queues": selectors.group_queues(centre, now=now),
                "manager": is_manager(user, centre),
                "statistics": may_read_statistics(user, centre),
            }
        )
    roles = roles_of(user)
    return render(
        request,
        "hall/hub.html",
        {
            "rows": rows,
            "clerk": bool(selectors.working_centres(actor=user)),
            "back_office": bool(roles & (BACK_OFFICE_ROLES | DEPARTMENT_REVIEW_ROLES)) or user.is_superuser,
            "deliverer": bool(roles & DELIVERER_ROLES),
            "inbox": selectors.back_office_inbox(actor=user).count(),
            "deliveries": selectors.my_deliveries(actor=user).count(),
            "statistics": any(row["statistics"] for row in rows),
        },
    )


# ---------------------------------------------------------------- application lists (the back office's inbox)


TABS = {"inbox": _l("后台待办"), "counter": _l("窗口待办"), "all": _l("全部办件")}


@login_required
@require_GET
def applications(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    roles = roles_of(user)
    counts = {
        "inbox": selectors.back_office_inbox(actor=user).count(),
        "counter": selectors.counter_work(actor=user).count() if roles & CLERK_ROLES else 0,
    }
    default = "inbox" if counts["inbox"] or roles & (BACK_OFFICE_ROLES | DEPARTMENT_REVIEW_ROLES) else "all"
    if default == "all" and roles & CLERK_ROLES:
        default = "counter"
    # each post sees the tabs of its work: the back office its inbox, clerks their counter work, everyone the list
    tabs = {
        key: label
        for key, label in TABS.items()
        if key == "all"
        or (key == "inbox" and (roles & (BACK_OFFICE_ROLES | DEPARTMENT_REVIEW_ROLES) or user.is_superuser))
        or (key == "counter" and (roles & CLERK_ROLES or user.is_superuser))
    }
    tab = request.GET.get("tab") or default
    if tab not in tabs:
        tab = "all"
    rows = {
        "inbox": selectors.back_office_inbox,
        "counter": selectors.counter_work,
        "all": selectors.applications,
    }[tab](actor=user)
    if tab == "all":
        rows = rows.order_by("-accepted_at", "-id")
    status = request.GET.get("status", "")
    centre_code = request.GET.get("centre", "")[:16]
    overdue = request.GET.get("overdue") == "1"
    number = request.GET.get("q", "").strip()[:32]
    rows = selectors.filter_applications(rows, status=status, centre=centre_code, overdue=overdue, number=number)
    filters = {"status": status, "centre": centre_code, "overdue": overdue, "q": number}
    return render(
        request,
        "hall/applications.html",
        {
            "tab": tab,
            "tabs": tabs,
            "counts": counts,
            "page": page_of(request, rows),
            "query": query_without_page(request),
            "filters": filters,
            "statuses": ApplicationStatus.choices,
            "centres": selectors.centres(actor=user),
            "now": timezone.now(),
        },
    )


# ---------------------------------------------------------------- a centre's counters and devices (its manager)


def _managed_centre(request: HttpRequest, code: str) -> Centre:
    try:
        return selectors.centre(actor=request.user, code=code)
    except Centre.DoesNotExist as error:
        raise Http404 from error


@login_required
@require_GET
def centre(request: HttpRequest, centre: str) -> HttpResponse:
    """The counters with who is signed in, the device links (kiosk, board) and the rating pads' keys."""
    found = _managed_centre(request, centre)
    return render(request, "hall/centre.html", _centre_context(request, found))


def _centre_context(request: HttpRequest, found: Centre) -> dict[str, Any]:
    return {
        "centre": found,
        "counters": selectors.counters(actor=request.user, centre=found),
        "manager": is_manager(request.user, found),
        "hours_today": hours.describe(found, timezone.localdate()),
        "kiosk_url": request.build_absolute_uri(reverse("hall:kiosk", args=[found.code])),
        "board_url": request.build_absolute_uri(reverse("hall:board", args=[found.code])),
        "book_url": request.build_absolute_uri(reverse("hall:book", args=[found.code])),
    }


@login_required
@require_POST
def centre_sign_out(request: HttpRequest, centre: str, counter_id: int) -> HttpResponse:
    """The manager signs a clerk out of a counter (a ticket only called goes back to the queue, keeping its place)."""
    found = _managed_centre(request, centre)
    try:
        counter = services.counter_sign_out(actor=request.user, counter_id=counter_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(counter)s已签退。") % {"counter": counter})
    return redirect("hall:centre", found.code)


@login_required
@require_POST
def centre_pad_key(request: HttpRequest, centre: str, counter_id: int) -> HttpResponse:
    """A new key for a counter's rating pad: the pad's address is shown this once, for the manager to open it on
    the tablet; the old tablet stops at once."""
    found = _managed_centre(request, centre)
    try:
        counter = services.pad_key_rotate(actor=request.user, counter_id=counter_id)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("hall:centre", found.code)
    context = _centre_context(request, found)
    context["new_pad"] = {
        "counter": counter,
        "url": request.build_absolute_uri(reverse("hall:pad", args=[counter.pad_key])),
    }
    return render(request, "hall/centre.html", context)


# ---------------------------------------------------------------- deliveries home (the grid worker's phone)


@login_required
@require_GET
def deliveries(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    mine = selectors.my_deliveries(actor=user)
    tab = request.GET.get("tab") or ("mine" if roles_of(user) & DELIVERER_ROLES else "all")
    if tab == "mine":
        rows = mine
    else:
        tab = "all"
        rows = selectors.deliveries(actor=user).order_by("status", "-created_at")
        status = request.GET.get("status", "")
        if status in DeliveryStatus.values:
            rows = rows.filter(status=status)
    return render(
        request,
        "hall/deliveries.html",
        {
            "tab": tab,
            "mine_count": mine.count(),
            "page": page_of(request, rows),
            "query": query_without_page(request),
            "statuses": DeliveryStatus.choices,
            "status": request.GET.get("status", ""),
        },
    )


def _delivery(request: HttpRequest, delivery_id: int) -> Delivery:
    try:
        return selectors.delivery(actor=request.user, delivery_id=delivery_id)
    except Delivery.DoesNotExist as error:
        raise Http404 from error


def _delivery_page(request: HttpRequest, found: Delivery, **extra: Any) -> HttpResponse:
    user: Any = request.user
    application = found.application
    application.delivery = found
    parties = application_parties(user, application)
    context = {
        "delivery": found,
        "application": application,
        "may_deliver": Party.DELIVERER in parties and found.status == DeliveryStatus.PENDING,
        "may_assign": bool(parties & {Party.CLERK, Party.MANAGER}) and found.status == DeliveryStatus.PENDING,
        "proof_kinds": ProofKind.choices,
        "deliver_form": extra.pop("deliver_form", None) or DeliverForm(initial={"proof_kind": ProofKind.SIGNATURE}),
        **extra,
    }
    status = 422 if any(f is not None and f.errors for f in (context["deliver_form"],)) else 200
    return render(request, "hall/delivery.html", context, status=status)


@login_required
@require_GET
def delivery(request: HttpRequest, delivery_id: int) -> HttpResponse:
    return _delivery_page(request, _delivery(request, delivery_id))


def _proof(form: DeliverForm) -> bytes:
    """The signature drawn on the phone (a PNG data: URL) or the photo taken; the service checks the image."""
    data = form.cleaned_data
    if data["proof_kind"] == ProofKind.SIGNATURE:
        text = (data.get("signature") or "").split(",", 1)[-1]
        if not text:
            raise ValidationError(_("请让居民在签名框内签名。"))
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as error:
            raise ValidationError(_("签名图片无效，请清除后重新签名。")) from error
    upload = data.get("photo")
    if upload is None:
        raise ValidationError(_("请拍摄或选择一张送达照片。"))
    return upload.read(MAX_BYTES + 1)


@login_required
@require_POST
def delivery_deliver(request: HttpRequest, delivery_id: int) -> HttpResponse:
    found = _delivery(request, delivery_id)
    form = DeliverForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.delivery_deliver(
                actor=request.user,
                delivery_id=found.pk,
                proof=_proof(form),
                proof_kind=form.cleaned_data["proof_kind"],
                note=form.cleaned_data.get("note") or "",
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已送达：办件 %(number)s。") % {"number": found.application.number})
            return redirect("hall:deliveries")
    return _delivery_page(request, _delivery(request, delivery_id), deliver_form=form)


@login_required
@require_POST
def delivery_attempt(request: HttpRequest, delivery_id: int) -> HttpResponse:
    found = _delivery(request, delivery_id)
    form = AttemptForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(first_error(form))
        services.delivery_attempt(actor=request.user, delivery_id=found.pk, note=form.cleaned_data["note"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已记录上门未遇，任务仍在您的待送达中。"))
    return redirect("hall:delivery", found.pk)


@login_required
@require_POST
def delivery_assign(request: HttpRequest, delivery_id: int) -> HttpResponse:
    found = _delivery(request, delivery_id)
    form = AssignForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(first_error(form))
        changed = services.delivery_assign(
            actor=request.user, delivery_id=found.pk, username=form.cleaned_data["username"].strip()
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        name = changed.assignee.display_name if changed.assignee else ""
        messages.success(request, _("已改派给%(name)s。") % {"name": name})
    return redirect("hall:delivery", found.pk)


@login_required
@require_POST
def delivery_reveal(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """Name, phone and address of the resident, for the grid worker on the way (logged by the service)."""
    found = _delivery(request, delivery_id)
    try:
        revealed = services.application_reveal(
            actor=request.user,
            number=found.application.number,
            fields=["applicant_name", "phone", "address"],
            reason=_("送达上门：办件 %(number)s") % {"number": found.application.number},
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("hall:delivery", found.pk)
    return _delivery_page(request, found, revealed=revealed)


# ---------------------------------------------------------------- statistics and window-staff scores


FIGURES = [
    ("tickets", _l("取号数")),
    ("served", _l("办结号数")),
    ("no_show_rate", _l("过号率")),
    ("wait_minutes", _l("平均等候(分)")),
    ("handle_minutes", _l("平均办理(分)")),
    ("applications", _l("受理办件")),
    ("decided", _l("已办结")),
    ("on_time_rate", _l("按时办结率")),
    ("overdue_open", _l("超期未办结")),
    ("one_trip_rate", _l("最多跑一次率")),
    ("processing_days", _l("平均办结天数")),
    ("ratings", _l("评价数")),
    ("average_score", _l("平均评分")),
    ("satisfaction_rate", _l("满意率")),
]
RATES = {"no_show_rate", "on_time_rate", "one_trip_rate", "satisfaction_rate"}


def _month(text: str | None) -> date:
    if not text:
        return timezone.localdate().replace(day=1)
    year, month = (int(part) for part in text.split("-"))
    return date(year, month, 1)


def _labelled(result: Any) -> list[tuple[Any, str]]:
    """Each row with the name the table and the charts show: with one centre, its name before every counter is
    noise."""
    prefix = f"{result.centres[0].name} " if len(result.centres) == 1 else ""
    return [(row, str(row.label).removeprefix(prefix) if prefix else str(row.label)) for row in result.rows]


def _chart_data(labelled: list[tuple[Any, str]]) -> dict[str, Any]:
    """What the charts draw (ECharts, static/civicgrid/hall-statistics.js): counts per row and the rates, in %."""

    def percent(value: float | None) -> float | None:
        return None if value is None else round(value * 100, 1)

    rows = [row for row, _label in labelled[:40]]
    return {
        "labels": [label for _row, label in labelled[:40]],
        "tickets": [r.tickets for r in rows],
        "applications": [r.applications for r in rows],
        "onTime": [percent(r.on_time_rate) for r in rows],
        "oneTrip": [percent(r.one_trip_rate) for r in rows],
        "satisfaction": [percent(r.satisfaction_rate) for r in rows],
        "wait": [r.wait_minutes for r in rows],
        "names": {
            "tickets": str(_("取号数")),
            "applications": str(_("受理办件")),
            "onTime": str(_("按时办结率")),
            "oneTrip": str(_("最多跑一次率")),
            "satisfaction": str(_("满意率")),
            "wait": str(_("平均等候(分)")),
        },
        "empty": str(_("本期没有数据")),
    }


@login_required
@require_GET
def statistics_page(request: HttpRequest) -> HttpResponse:
    """Per counter, clerk, item, group, day or centre: tickets, waits, handling, on-time completion, one trip,
    ratings; below, the chosen centre's monthly window-staff scores with the Excel export."""
    user: Any = request.user
    form = StatisticsForm(request.GET)
    problems: list[str] = []
    if not form.is_valid():
        problems.append(first_error(form))
        form = StatisticsForm({})
        form.is_valid()
    data = form.cleaned_data
    end = data.get("end") or timezone.localdate()
    start = data.get("start") or end.replace(day=1)
    by = data.get("by") or "counter"
    try:
        readable = statistics.readable_centres(actor=user)
    except PermissionDenied:
        return forbidden(request, _("服务中心统计供服务中心主任、街道干部和区级管理员查看。"))
    if not readable:
        return forbidden(request, _("您的管辖范围内还没有服务中心。"))
    chosen = data.get("centre") or ""
    result = None
    try:
        result = statistics.statistics(actor=user, start=start, end=end, by=by, centre_code=chosen or None)
    except DomainError as error:
        problems.append(error.message)
    labelled = _labelled(result) if result is not None else []
    month = _month(data.get("month"))
    score_centre = chosen or readable[0].code
    scores = None
    try:
        scores = statistics.window_scores(actor=user, centre_code=score_centre, month=month)
    except DomainError as error:
        problems.append(error.message)
    context = {
        "form": form,
        "problems": problems,
        "result": result,
        "figures": FIGURES,
        "rates": RATES,
        "readable": readable,
        "chosen": chosen,
        "start": start,
        "end": end,
        "by": by,
        "groupings": dict(StatisticsForm.base_fields["by"].choices),  # type: ignore[attr-defined]
        "month": month,
        "scores": scores,
        "score_centre": next((c for c in readable if c.code == score_centre), None),
        "table_rows": labelled,
        "chart_data": _chart_data(labelled) if result is not None else None,
    }
    template = "hall/statistics.html#table" if request.headers.get("HX-Target") == "hall-stats-table" else None
    return render(request, template or "hall/statistics.html", context)


@login_required
@require_GET
def scores_export(request: HttpRequest) -> HttpResponse:
    """The month's window-staff scores and statistics as one workbook (the export is written to the audit log)."""
    centre_code = request.GET.get("centre", "")[:16]
    form = StatisticsForm(request.GET)
    if not form.is_valid() or not centre_code:
        messages.error(request, _("请选择服务中心和月份（YYYY-MM）后再导出。"))
        return redirect("hall:statistics")
    try:
        name, data = services.scores_export(
            actor=request.user, centre_code=centre_code, month=_month(form.cleaned_data.get("month"))
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("hall:statistics")
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
