from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.core import selectors, services
from civicgrid.core.errors import DomainError
from civicgrid.people import selectors as people
from civicgrid.people.permissions import is_administrator
from civicgrid.regions import selectors as regions
from civicgrid.regions.choices import Level

PAGE_SIZE = 50


def page_of(request: HttpRequest, rows: Any, size: int = PAGE_SIZE) -> Any:
    return Paginator(rows, size).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The current filters as a query string, for the pager's links to add their own page number to."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def redirect_back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """To the form's `next` page when it is on this site, else to `default` (a URL name or path)."""
    back = request.POST.get("next") or ""
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(back)
    return redirect(default)


def domain_errors_as_messages(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A form post whose service refuses: show the service's message and go back, nothing written."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            messages.error(request, error.message)
            back = request.POST.get("next") or ""
            if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
                back = request.headers.get("Referer") or "/"
            return HttpResponseRedirect(back if url_has_allowed_host_and_scheme(back, {request.get_host()}) else "/")

    return wrapper


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    posts = user.active_posts()  # type: ignore[union-attr]
    grids = [p.region for p in posts if p.region is not None and p.region.level == Level.GRID]
    tops = [r for r in regions.top_regions(actor=user) if r not in grids]
    counts: list[tuple[str, int]] = []
    if posts and len(grids) != len(posts):  # a grid's own staff have their grid card instead of figures
        visible = regions.regions(actor=user)
        counts = [
            (label, visible.filter(level=level).count())
            for level, label in (
                (Level.STREET, pgettext("count", "街道")),
                (Level.COMMUNITY, pgettext("count", "社区")),
                (Level.GRID, pgettext("count", "网格")),
            )
        ]
        counts = [(label, n) for label, n in counts if n]
        counts.append((pgettext("count", "工作人员"), people.users(actor=user).count()))
    return render(
        request,
        "core/home.html",
        {"tops": tops, "counts": counts, "posts": posts, "my_grids": grids, "work": _my_work(user)},
    )


def _my_work(user: Any) -> list[tuple[str, str, int]]:
    """What waits for this person in the work-order lists (the home page is the one page that spans apps)."""
    from civicgrid.workorders import selectors as workorders

    waiting = [
        ("queue", pgettext("count", "待派遣"), workorders.queue(actor=user).count()),
        ("tasks", pgettext("count", "待办理"), workorders.tasks_of(actor=user).count()),
        ("verify", pgettext("count", "待核查"), workorders.to_verify(actor=user).count()),
    ]
    return [row for row in waiting if row[2]]


def _date(value: str | None) -> date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    if not is_administrator(request.user):
        raise PermissionDenied
    filters = selectors.AuditFilter(
        actor=request.GET.get("actor", "").strip(),
        action=request.GET.get("action", "").strip(),
        text=request.GET.get("text", "").strip(),
        request_id=request.GET.get("request_id", "").strip(),
        since=_date(request.GET.get("since")),
        until=_date(request.GET.get("until")),
    )
    rows = selectors.audit_entries(actor=request.user, filters=filters)
    return render(
        request,
        "core/audit.html",
        {
            "page": page_of(request, rows),
            "filters": filters,
            "actions": selectors.audit_actions(actor=request.user),
            "query": query_without_page(request),
        },
    )


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    if not is_administrator(request.user):
        raise PermissionDenied
    who = request.GET.get("actor", "").strip()
    rows = selectors.personal_data_accesses(actor=request.user, who=who)
    return render(
        request,
        "core/access_log.html",
        {"page": page_of(request, rows), "who": who, "query": query_without_page(request)},
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.notifications_mark_read(actor=request.user)
        return redirect("core:inbox")
    return render(request, "core/inbox.html", {"page": page_of(request, selectors.inbox(actor=request.user))})


@login_required
def inbox_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Open a message: mark it read and go where it points (only to a page of this site)."""
    message = selectors.inbox(actor=request.user).filter(pk=notification_id).first()
    if message is None:
        raise Http404
    services.notifications_mark_read(actor=request.user, notification_id=message.pk)
    target = message.url if url_has_allowed_host_and_scheme(message.url, allowed_hosts=None) else ""
    return HttpResponseRedirect(target or "/")


@login_required
@domain_errors_as_messages
def working_calendar(request: HttpRequest, year: int | None = None) -> HttpResponse:
    """The working-day calendar: holidays and adjusted working days per year, edited by administrators."""
    year = year or timezone.localdate().year
    admin = is_administrator(request.user)
    if request.method == "POST":
        if not admin:
            raise PermissionDenied
        what = request.POST.get("do")
        if what == "create_year":
            if year in services.known_years():
                services.calendar_load_years(actor=request.user, years=[year])
            else:
                services.calendar_year_create(actor=request.user, year=year)
            messages.success(request, _("%(year)s 年工作日历已建立。") % {"year": year})
        else:
            day = _date(request.POST.get("date"))
            if day is None or day.year != year:
                messages.error(request, _("请填写 %(year)s 年内的日期。") % {"year": year})
            else:
                services.calendar_day_set(
                    actor=request.user,
                    day=day,
                    is_working_day=request.POST.get("is_working_day") == "1",
                    name=request.POST.get("name", ""),
                )
                messages.success(request, _("已保存 %(day)s。") % {"day": day.isoformat()})
        return redirect("core:calendar_year", year)
    years = selectors.calendar_years()
    return render(
        request,
        "core/calendar.html",
        {
            "year": year,
            "years": years,
            "known": year in years,
            "days": selectors.calendar_days(year=year),
            "admin": admin,
            "library_knows": year in services.known_years(),
        },
    )
