from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import pgettext

from civicgrid.core import selectors
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
    return render(request, "core/home.html", {"tops": tops, "counts": counts, "posts": posts, "my_grids": grids})


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
