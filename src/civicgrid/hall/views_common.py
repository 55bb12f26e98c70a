"""What the service-centre pages share: htmx detection, the client's address, domain errors onto forms."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from civicgrid.core.errors import DomainError
from civicgrid.hall import selectors
from civicgrid.hall.models import Application, Centre


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def errors_onto(form: forms.Form, error: DomainError, fields: dict[str, str | None]) -> None:
    """A service's refusal shown on the form: each problem at its field when the form has one, else on top."""
    placed = False
    for name, problems in error.errors.items():
        target = fields.get(name, name if name in form.fields else None)
        for problem in problems:
            if target is not None and target in form.fields:
                form.add_error(target, problem)
                placed = True
    if not placed or not error.errors:
        form.add_error(None, error.message)
    elif error.message not in [str(e) for e in form.non_field_errors()]:
        # the service's sentence says more than the field's short word ("材料不全" vs what is missing)
        form.add_error(None, error.message)


def back(request: HttpRequest, default: str, *args: Any) -> HttpResponse:
    """After a form post: to its `next` page on this site, else to `default`."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default, *args)


def refused(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, error.message)


def staff_application(request: HttpRequest, number: str) -> Application:
    """An application the user may see; unknown and out-of-jurisdiction ones answer the same 404."""
    try:
        return selectors.application(actor=request.user, number=number)
    except Application.DoesNotExist as error:
        raise Http404 from error


def public_centre(code: str) -> Centre:
    try:
        return selectors.public_centre(code)
    except Centre.DoesNotExist as error:
        raise Http404 from error


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    """A staff page the user's posts do not open: say which post does, with a way home."""
    return render(request, "hall/forbidden.html", {"message": message}, status=403)
