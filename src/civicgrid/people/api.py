"""Staff, posts, departments and the caller's own API tokens over JSON."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.security import django_auth

from civicgrid.core.errors import ValidationError
from civicgrid.people import selectors, services
from civicgrid.people.models import ApiToken, User
from civicgrid.people.schemas import DepartmentOut, MeOut, NewTokenOut, PersonOut, PostIn, PostOut, TokenIn, TokenOut
from civicgrid.regions import selectors as regions

router = Router(tags=["people"])


@router.get("/", response=list[PersonOut], summary="人员列表")
@paginate
def list_people(request: HttpRequest, q: str = Query("", max_length=50), role: str = Query("", max_length=24)) -> Any:
    return selectors.users(actor=request.user, query=q, role=role)


@router.get("/me", response=MeOut, summary="当前用户")
def me(request: HttpRequest) -> Any:
    return request.user


@router.get("/departments/", response=list[DepartmentOut], summary="职能部门")
def list_departments(request: HttpRequest) -> Any:
    return selectors.departments(actor=request.user).filter(is_active=True)


@router.get("/me/tokens", response=list[TokenOut], summary="我的接口令牌")
def list_tokens(request: HttpRequest) -> Any:
    return ApiToken.objects.filter(user__username=request.user.get_username()).order_by("-created_at")


@router.post("/me/tokens", response={201: NewTokenOut}, auth=django_auth, summary="创建接口令牌（仅限登录会话）")
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    token, record = services.api_token_create(actor=request.user, name=payload.name, days=payload.days)
    return Status(201, {**TokenOut.model_validate(record).model_dump(), "token": token})


@router.delete("/me/tokens/{token_id}", response={204: None}, summary="吊销接口令牌")
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    services.api_token_revoke(actor=request.user, token_id=token_id)
    return Status(204, None)


@router.post("/posts", response={201: PostOut}, summary="任命岗位")
def assign_post(request: HttpRequest, payload: PostIn) -> Any:
    user = User.objects.filter(username=payload.username, is_active=True).first()
    if user is None:
        raise ValidationError(_("没有用户名为“%(name)s”的人员。") % {"name": payload.username})
    region_id = department_id = None
    if payload.region_code:
        region = regions.regions(actor=request.user).filter(code=payload.region_code).first()
        if region is None:
            raise ValidationError(_("区域 %(code)s 不存在或不在您的管辖范围内。") % {"code": payload.region_code})
        region_id = region.pk
    if payload.department_code:
        department = selectors.departments(actor=request.user).filter(code=payload.department_code).first()
        if department is None:
            raise ValidationError(_("部门 %(code)s 不存在或不在您的管辖范围内。") % {"code": payload.department_code})
        department_id = department.pk
    post = services.post_assign(
        actor=request.user,
        user_id=user.pk,
        role=payload.role,
        region_id=region_id,
        department_id=department_id,
        assistant_kind=payload.assistant_kind,
        title=payload.title,
    )
    return Status(201, post)


@router.post("/posts/{post_id}/end", response=PostOut, summary="离岗")
def end_post(request: HttpRequest, post_id: int) -> Any:
    if not selectors.posts(actor=request.user).filter(pk=post_id).exists():
        raise HttpError(404, _("岗位不存在，或不在您的管辖范围内。"))
    return services.post_end(actor=request.user, post_id=post_id)


@router.get("/{username}", response=PersonOut, summary="人员详情")
def person_detail(request: HttpRequest, username: str) -> Any:
    try:
        return selectors.user_by_username(actor=request.user, username=username)
    except User.DoesNotExist as exc:
        raise HttpError(404, _("人员不存在，或不在您的管辖范围内。")) from exc
