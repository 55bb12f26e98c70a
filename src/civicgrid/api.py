"""The JSON API at /api/v1/: every app's router, one authentication, one mapping of domain errors to statuses."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.renderers import JSONRenderer
from ninja.security import django_auth

from civicgrid.core.api_auth import TokenAuth
from civicgrid.core.errors import DomainError


class Utf8Renderer(JSONRenderer):
    # Chinese names as characters, not \u escapes: readable in logs, curl and browser tools, and smaller.
    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=Utf8Renderer(),
    title="CivicGrid API",
    version="1",
    description="社区治理一体化信息平台接口。会话（登录后）或令牌（Authorization: Bearer cg_…）认证；"
    "所有列表只返回调用者管辖范围内的数据。",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Input of the wrong shape: one readable sentence first, the field-by-field detail after it."""
    problems = [
        f"{'.'.join(str(p) for p in e.get('loc', [])[1:]) or e.get('loc', ['?'])[0]}: {e.get('msg')}"
        for e in exc.errors
    ]
    message = _("请求参数有误：") + "；".join(problems)
    return api.create_response(request, {"detail": message, "errors": exc.errors}, status=422)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
    message = _("提交的内容超过 %(mb).1f MB 的上限，请压缩照片或分次提交。") % {"mb": limit}
    return api.create_response(request, {"detail": message, "errors": {}}, status=413)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message, "errors": exc.errors}, status=exc.status)


api.add_router("/regions", "civicgrid.regions.api.router")
api.add_router("/people", "civicgrid.people.api.router")
api.add_router("/workorders", "civicgrid.workorders.api.router")
api.add_router("/figures", "civicgrid.command.api.router")
api.add_router("/hall", "civicgrid.hall.api.router")
api.add_router("/registry", "civicgrid.registry.api.router")
api.add_router("/gridwork", "civicgrid.gridwork.api.router")
api.add_router("/evaluation", "civicgrid.evaluation.api.router")
