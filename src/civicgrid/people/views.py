from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.core import personal_data
from civicgrid.core.errors import ValidationError
from civicgrid.core.masking import mask_phone
from civicgrid.core.views import domain_errors_as_messages, page_of, redirect_back
from civicgrid.people import selectors, services
from civicgrid.people.choices import Role
from civicgrid.people.forms import PostAssignForm, RevealForm, StaffCreateForm
from civicgrid.people.models import User
from civicgrid.people.permissions import holds_role, is_administrator
from civicgrid.regions import selectors as regions


def _person(request: HttpRequest, username: str) -> User:
    try:
        return selectors.user_by_username(actor=request.user, username=username)
    except User.DoesNotExist as exc:
        raise Http404 from exc


@login_required
def people_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:50]
    role = request.GET.get("role", "")
    role = role if role in Role.values else ""
    page = page_of(request, selectors.users(actor=request.user, query=query, role=role))
    for person in page:
        person.masked_phone = mask_phone(person.phone)
    return render(
        request,
        "people/list.html",
        {
            "page": page,
            "query": query,
            "role": role,
            "roles": Role.choices,
            "params": _params(request),
            "may_manage": holds_role(request.user, services.POST_MANAGERS),
            "create_form": StaffCreateForm(),
        },
    )


def _params(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def person_detail(request: HttpRequest, username: str) -> HttpResponse:
    person = _person(request, username)
    revealed = request.session.pop(f"revealed:{person.pk}", None)
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "masked_phone": mask_phone(person.phone),
            "revealed_phone": revealed,
            "may_reveal": is_administrator(request.user),
            "reveal_form": RevealForm(),
        },
    )


@login_required
@require_POST
@domain_errors_as_messages
def reveal_phone(request: HttpRequest, username: str) -> HttpResponse:
    person = _person(request, username)
    form = RevealForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("请填写查看事由。"))
    values = personal_data.reveal(
        actor=request.user,
        obj=person,
        fields=["phone"],
        reason=form.cleaned_data["reason"],
        allowed=is_administrator(request.user),
    )
    # Shown once on the next page and never put in a URL or a log line.
    request.session[f"revealed:{person.pk}"] = values["phone"]
    return redirect("people:detail", username=person.username)


@login_required
def posts(request: HttpRequest) -> HttpResponse:
    role = request.GET.get("role", "")
    region_code = request.GET.get("region", "").strip()
    rows = selectors.posts(actor=request.user).filter(is_active=True)
    if role in Role.values:
        rows = rows.filter(role=role)
    region = None
    if region_code:
        region = regions.regions(actor=request.user).filter(code=region_code).first()
        rows = rows.filter(region__path__startswith=region.path) if region else rows.none()
    may_manage = holds_role(request.user, services.POST_MANAGERS)
    return render(
        request,
        "people/posts.html",
        {
            "page": page_of(request, rows.order_by("region__code", "role", "user__username")),
            "role": role,
            "roles": Role.choices,
            "region_code": region_code,
            "region": region,
            "may_manage": may_manage,
            "form": PostAssignForm(),
            "params": _params(request),
        },
    )


@login_required
@require_POST
@domain_errors_as_messages
def post_assign(request: HttpRequest) -> HttpResponse:
    form = PostAssignForm(request.POST)
    if not form.is_valid():
        raise _form_errors(form)
    data = form.cleaned_data
    try:
        user = selectors.assignable_user(actor=request.user, username=data["username"])
    except User.DoesNotExist as exc:
        raise ValidationError(_("没有用户名为“%(name)s”的人员。") % {"name": data["username"]}) from exc
    post = services.post_assign(actor=request.user, user_id=user.pk, **_post_place(request, data))
    messages.success(request, _("已任命：%(post)s") % {"post": post})
    return redirect_back(request, "people:posts")


def _post_place(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """The post fields of a form, with region and department codes resolved within the actor's jurisdiction."""
    region_id = department_id = None
    if data["region_code"]:
        region = regions.regions(actor=request.user).filter(code=data["region_code"]).first()
        if region is None:
            raise ValidationError(_("区域 %(code)s 不存在或不在您的管辖范围内。") % {"code": data["region_code"]})
        region_id = region.pk
    if data["department_code"]:
        department = selectors.departments(actor=request.user).filter(code=data["department_code"]).first()
        if department is None:
            raise ValidationError(_("部门 %(code)s 不存在或不在您的管辖范围内。") % {"code": data["department_code"]})
        department_id = department.pk
    return {
        "role": data["role"],
        "region_id": region_id,
        "department_id": department_id,
        "assistant_kind": data["assistant_kind"] or "",
        "title": data["title"] or "",
    }


def _form_errors(form: Any) -> ValidationError:
    """A form's errors as one message: field label and problem, in the user's language."""
    return ValidationError(
        " ".join(
            f"{form.fields[name].label}：{error}" if name in form.fields else str(error)
            for name, errors in form.errors.items()
            for error in errors
        )
    )


@login_required
@require_POST
@domain_errors_as_messages
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST)
    if not form.is_valid():
        raise _form_errors(form)
    data = form.cleaned_data
    post = services.staff_create(
        actor=request.user,
        username=data["username"],
        full_name=data["full_name"],
        phone=data["phone"] or "",
        password=data["password"],
        **_post_place(request, data),
    )
    messages.success(request, _("已新建人员并任命：%(post)s") % {"post": post})
    return redirect("people:detail", username=post.user.username)


@login_required
@require_POST
@domain_errors_as_messages
def post_end(request: HttpRequest, post_id: int) -> HttpResponse:
    if not selectors.posts(actor=request.user).filter(pk=post_id).exists():
        raise Http404
    post = services.post_end(actor=request.user, post_id=post_id)
    messages.success(request, _("已离岗：%(post)s") % {"post": post})
    return redirect_back(request, "people:posts")
