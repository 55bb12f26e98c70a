"""Work-order pages: the public report and tracking pages, and the staff lists, detail and actions."""

import secrets
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicgrid.core.errors import DomainError
from civicgrid.core.masking import mask_phone
from civicgrid.core.views import domain_errors_as_messages, page_of, query_without_page
from civicgrid.people.choices import Role
from civicgrid.people.models import Department
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from civicgrid.workorders import selectors, services
from civicgrid.workorders.choices import (
    REPORTER_ACTIONS,
    SAME,
    TRANSITIONS,
    Action,
    Source,
    Status,
    Supervision,
)
from civicgrid.workorders.forms import ActionForm, ReportForm
from civicgrid.workorders.models import Attachment, OfficerPosition, WorkOrder
from civicgrid.workorders.permissions import allowed_actions

# The actions a page offers as buttons, in the order a person thinks of them; the rest stay in the API.
OFFERED = [
    Action.DISPATCH,
    Action.REGISTER,
    Action.SIGN,
    Action.HANDLE,
    Action.VERIFY_PASS,
    Action.VERIFY_FAIL,
    Action.REDISPATCH,
    Action.RETURN,
    Action.REQUEST_EXTENSION,
    Action.GRANT_EXTENSION,
    Action.REFUSE_EXTENSION,
    Action.ESCALATE,
    Action.MERGE,
    Action.VOID,
    Action.SUPERVISE,
    Action.SUSPEND,
    Action.RESUME,
    Action.NOTE,
]


def _files(request: HttpRequest) -> list[bytes]:
    return [upload.read() for upload in request.FILES.getlist("photos")]


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _types_by_category() -> list[tuple[str, list[Any]]]:
    grouped: dict[str, list[Any]] = {}
    for kind in selectors.incident_types():
        grouped.setdefault(kind.category.name, []).append(kind)
    return list(grouped.items())


def _map_config() -> dict[str, Any]:
    district = Region.objects.filter(level=Level.DISTRICT).exclude(centre_lon=None).order_by("code").first()
    return {
        "lon": district.centre_lon if district else 118.77,
        "lat": district.centre_lat if district else 32.06,
        "outlineUrl": reverse("workorders:outlines"),
    }


# ---------------------------------------------------------------- public


def report(request: HttpRequest) -> HttpResponse:
    """Report a problem: residents without an account, staff from the field."""
    staff = request.user.is_authenticated
    form = ReportForm(request.POST or None, request.FILES or None, initial={"idempotency_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        source = (data.get("source") or Source.PATROL) if staff else Source.RESIDENT
        try:
            order = services.report(
                actor=request.user,
                description=data["description"],
                source=source,
                lon=data.get("lon"),
                lat=data.get("lat"),
                grid_code=data.get("grid_code") or None,
                incident_type_code=data.get("incident_type") or None,
                address=data.get("address", ""),
                reporter_name=data.get("reporter_name", ""),
                reporter_phone=data.get("reporter_phone", ""),
                photos=_files(request),
                idempotency_key=data.get("idempotency_key") or None,
                client_address=_client_address(request),
                solved_on_spot=bool(data.get("solved_on_spot")) and staff,
            )
        except DomainError as error:
            for field, problems in error.errors.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
            if not error.errors:
                form.add_error(None, error.message)
        else:
            messages.success(
                request, _("上报成功，工单编号 %(n)s。请保存本页链接，以便查看进度和评价。") % {"n": order.number}
            )
            if staff:
                return redirect("workorders:detail", order.number)
            return redirect(reverse("workorders:track", args=[order.number]) + f"?key={order.tracking_key}")
    return render(
        request,
        "workorders/report.html",
        {"form": form, "categories": _types_by_category(), "staff": staff, "map_config": _map_config()},
        status=422 if request.method == "POST" else 200,
    )


@require_GET
def outlines(request: HttpRequest) -> JsonResponse:
    """The streets' outlines for the public report map: enough to find one's place, nothing about people."""
    streets = Region.objects.filter(level=Level.STREET, boundary__isnull=False).only(
        "code", "name", "level", "boundary"
    )
    return JsonResponse(
        {"type": "FeatureCollection", "features": [street.geojson_feature() for street in streets]},
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False},
    )


def track_lookup(request: HttpRequest) -> HttpResponse:
    number = request.GET.get("number", "").strip()
    if number:
        if WorkOrder.objects.filter(number=number).exists():
            return redirect("workorders:track", number)
        messages.error(request, _("没有编号为 %(n)s 的工单，请核对。") % {"n": number})
    return render(request, "workorders/track_lookup.html", {"number": number})


def track(request: HttpRequest, number: str) -> HttpResponse:
    """Where a report stands, for anyone with its number; with the key, the reporter may confirm, rate or reopen."""
    key = request.GET.get("key") or request.POST.get("key") or None
    try:
        order = selectors.by_tracking(number=number, tracking_key=key)
    except WorkOrder.DoesNotExist as error:
        raise Http404 from error
    if request.method == "POST":
        form = ActionForm(request.POST, request.FILES)
        if key and form.is_valid():
            try:
                services.act(
                    actor=None,
                    tracking_key=key,
                    work_order_id=order.pk,
                    action=form.cleaned_data["action"],
                    note=form.cleaned_data.get("note") or "",
                    photos=_files(request),
                    expected_version=form.cleaned_data.get("expected_version"),
                    **form.params(),
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("已提交，谢谢您的反馈。"))
        return redirect(reverse("workorders:track", args=[number]) + (f"?key={key}" if key else ""))
    reporter_actions = []
    if key:
        reporter_actions = [action for action in REPORTER_ACTIONS if action in TRANSITIONS[order.status]]
    return render(
        request,
        "workorders/track.html",
        {
            "order": order,
            "events": selectors.timeline(order, public=True),
            "key": key,
            "reporter_actions": reporter_actions,
            "photos": order.attachments.all() if key else [],
        },
    )


def photo(request: HttpRequest, attachment_id: int) -> FileResponse:
    """A photo for staff who may see its work order, or for the reporter holding the key."""
    attachment = Attachment.objects.select_related("work_order").filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    key = request.GET.get("key")
    allowed = (key is not None and secrets.compare_digest(key, attachment.work_order.tracking_key)) or (
        request.user.is_authenticated
        and selectors.work_orders(actor=request.user).filter(pk=attachment.work_order_id).exists()
    )
    if not allowed:
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---------------------------------------------------------------- staff


TABS = {
    "queue": _("待派遣"),
    "tasks": _("待办理"),
    "verify": _("待核查"),
    "all": _("全部工单"),
}


@login_required
def work_order_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    counts = {
        "queue": selectors.queue(actor=user).count(),
        "tasks": selectors.tasks_of(actor=user).count(),
        "verify": selectors.to_verify(actor=user).count(),
    }
    default = next((tab for tab in ("queue", "tasks", "verify") if counts[tab]), "all")
    tab = request.GET.get("tab") or default
    if tab not in TABS:
        tab = "all"
    rows = {
        "queue": selectors.queue,
        "tasks": selectors.tasks_of,
        "verify": selectors.to_verify,
        "all": selectors.work_orders,
    }[tab](actor=user)
    filters = selectors.Filters(
        status=request.GET.get("status", ""),
        incident_type=request.GET.get("type", ""),
        source=request.GET.get("source", ""),
        flag=request.GET.get("flag", ""),
        text=request.GET.get("q", "").strip()[:50],
    )
    rows = selectors.filtered(rows, filters)
    page = page_of(request, rows)
    suggestions = {}
    if tab == "queue":
        for order in page.object_list:
            suggestions[order.pk] = selectors.suggest_handler(order)
    return render(
        request,
        "workorders/list.html",
        {
            "tab": tab,
            "tabs": TABS,
            "counts": counts,
            "page": page,
            "query": query_without_page(request),
            "suggestions": suggestions,
            "statuses": Status.choices,
            "sources": Source.choices,
            "categories": _types_by_category(),
            "filters": {
                "status": filters.status,
                "type": filters.incident_type,
                "source": filters.source,
                "flag": filters.flag,
                "q": filters.text,
            },
            "field_officer": any(post.role == Role.DEPARTMENT_HANDLER for post in user.active_posts()),
            "my_position": OfficerPosition.objects.filter(user=user).first(),
        },
    )


@login_required
def detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        order = selectors.work_order(actor=request.user, number=number)
    except WorkOrder.DoesNotExist as error:
        raise Http404 from error
    actions = allowed_actions(request.user, order, OFFERED)
    suggestion = selectors.suggest_handler(order) if {Action.DISPATCH, Action.REDISPATCH} & set(actions) else None
    duplicates = (
        selectors.possible_duplicates(
            actor=request.user, incident_type=order.incident_type, lon=order.lon, lat=order.lat, exclude=order.pk
        )
        if Action.MERGE in actions
        else []
    )
    departments = Department.objects.filter(is_active=True).order_by("code") if suggestion or actions else []
    return render(
        request,
        "workorders/detail.html",
        {
            "order": order,
            "events": selectors.timeline(order, public=False),
            "actions": actions,
            "suggestion": suggestion,
            "duplicates": duplicates,
            "departments": departments,
            "types": _types_by_category(),
            "supervision_choices": [c for c in Supervision.choices if c[0]],
            "reporter_phone": mask_phone(order.reporter_phone),
            "grid_outline": order.region.geojson_feature() if order.region.boundary else None,
            "merged": order.merged.all(),
            "keeps_status": {a for a in actions if TRANSITIONS[order.status][a][0] == SAME},
        },
    )


@login_required
@require_POST
@domain_errors_as_messages
def act(request: HttpRequest, number: str) -> HttpResponse:
    try:
        order = selectors.work_order(actor=request.user, number=number)
    except WorkOrder.DoesNotExist as error:
        raise Http404 from error
    form = ActionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("workorders:detail", number)
    action = form.cleaned_data["action"]
    services.act(
        actor=request.user,
        work_order_id=order.pk,
        action=action,
        note=form.cleaned_data.get("note") or "",
        photos=_files(request),
        expected_version=form.cleaned_data.get("expected_version"),
        **form.params(),
    )
    label = Action(action).label if action in Action.values else action
    messages.success(request, _("已%(action)s：%(n)s") % {"action": label, "n": number})
    back = request.POST.get("next")
    if back == "list":
        return redirect(reverse("workorders:list") + "?tab=queue")
    return redirect("workorders:detail", number)


@login_required
@require_POST
@domain_errors_as_messages
def position(request: HttpRequest) -> HttpResponse:
    """The officer's phone reports where they are and whether they are on duty (from the tasks page)."""
    try:
        lon, lat = float(request.POST["lon"]), float(request.POST["lat"])
    except (KeyError, ValueError):
        return JsonResponse({"detail": _("请提供经纬度。")}, status=422)
    on_duty = request.POST.get("on_duty") != "0"
    services.position_report(actor=request.user, lon=lon, lat=lat, on_duty=on_duty)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"on_duty": on_duty})
    messages.success(request, _("已上报位置，您在岗。") if on_duty else _("已记录：您不在岗。"))
    return redirect(reverse("workorders:list") + "?tab=tasks")
