"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) at /open311/v2/, plus FixMyStreet's
`servicerequestupdates` extension. docs/open311.md is the guide for client developers and districts.

Views check the shape of what was sent and render; reads go through `open311.selectors`, writes through
`open311.services`. Every failure answers the spec's error body: 404 for an unknown resource, service_code,
jurisdiction or request, 403 for a missing or bad api_key, 400 for anything else. Nothing personal of a reporter
(name, phone, e-mail, device or account id) is ever part of an answer.
"""

import functools
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from civicgrid.core.errors import DomainError, NotFound
from civicgrid.regions import selectors as regions
from civicgrid.regions.models import Region
from civicgrid.workorders import services as workorders
from civicgrid.workorders.choices import ENDED_STATUSES, OPEN_STATUSES
from civicgrid.workorders.open311 import present, render, selectors, services, w3c

MAX_RESULTS = 1000  # the spec's response volume
MAX_SPAN = timedelta(days=90)  # the widest date range one query may ask for
UPDATES_DEFAULT_SPAN = timedelta(hours=24)
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
TOKEN = re.compile(r"^[\x21-\x7e]{1,64}$")  # an Idempotency-Key, and so a token: printable ASCII, no spaces
ATTRIBUTE = re.compile(r"^attribute\[(?P<code>[^\[\]]+)\](?:\[\])?$")


class Open311Error(Exception):
    """An answer in the spec's error form: the HTTP status and one description per problem."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = list(descriptions)


def endpoint(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """One Open311 resource: the methods it answers, errors in the spec's form and in the format asked for."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt  # no cookies are involved: a client authenticates with its api_key
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, format: str, **kwargs: Any) -> HttpResponse:
            try:
                method = "GET" if request.method == "HEAD" else request.method
                if method not in methods:
                    raise Open311Error(
                        400,
                        _("该资源不支持 %(method)s 请求，只支持 %(allowed)s。")
                        % {"method": request.method, "allowed": "、".join(methods)},
                    )
                _refuse_nul(request, method, kwargs)
                return view(request, *args, fmt=format, **kwargs)
            except Open311Error as error:
                return render.errors(format, error.status, error.descriptions)
            except DomainError as error:
                return render.errors(format, 404 if isinstance(error, NotFound) else 400, _descriptions(error))
            except SuspiciousOperation:
                # a body too large or with too many fields: Django refuses to read it
                return render.errors(format, 400, [_("请求内容过大或字段过多。")])

        return wrapper

    return decorate


def _refuse_nul(request: HttpRequest, method: str, kwargs: dict[str, Any]) -> None:
    """A NUL character anywhere in what was sent is refused: PostgreSQL cannot store or even compare it."""
    sent = [*kwargs.values(), *(v for _k, values in request.GET.lists() for v in values)]
    if method == "POST":
        sent += [v for _k, values in request.POST.lists() for v in values]
    if any("\x00" in value for value in sent if isinstance(value, str)):
        raise Open311Error(400, _("请求中含有不允许的空字符（NUL）。"))


def _descriptions(error: DomainError) -> list[str]:
    found = [str(problem) for problems in error.errors.values() for problem in problems]
    return list(dict.fromkeys(found)) or [error.message]


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /open311/v2/: 404, in JSON if the path asked for JSON, else in XML (the spec's default)."""
    fmt = "json" if rest.endswith(".json") else "xml"
    return render.errors(
        fmt, 404, [_("没有这个资源：/open311/v2/%(path)s。可用的资源见 discovery.xml。") % {"path": rest}]
    )


# ---------------------------------------------------------------- parameters


def _param(data: QueryDict, name: str) -> str:
    """A parameter, stripped; an empty one is the same as none (the spec's "optional")."""
    return (data.get(name) or "").strip()


def _jurisdiction(value: str) -> Region | None:
    """The district `jurisdiction_id` names. Required only when the platform serves more than one district."""
    served = selectors.served_districts()
    if value:
        district = next((d for d in served if d.code == value), None)
        if district is None:
            raise Open311Error(
                404,
                _("jurisdiction_id %(value)s 不存在：应为本平台所服务的区的行政区划代码（%(codes)s）。")
                % {"value": value, "codes": "、".join(d.code for d in served) or "—"},
            )
        return district
    if len(served) > 1:
        raise Open311Error(
            400,
            _("本平台服务多个区，请提供 jurisdiction_id（区的行政区划代码：%(codes)s）。")
            % {"codes": "、".join(d.code for d in served)},
        )
    return served[0] if served else None


def _list(value: str, name: str, *, limit: int = MAX_RESULTS) -> list[str]:
    values = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if len(values) > limit:
        raise Open311Error(400, _("%(name)s 一次最多 %(n)s 个。") % {"name": name, "n": limit})
    return values


def _moment(data: QueryDict, name: str) -> datetime | None:
    value = _param(data, name)
    if not value:
        return None
    try:
        return w3c.parse(value)
    except ValueError:
        raise Open311Error(
            400,
            _("%(name)s 格式不正确：应为带时区的 W3C 日期时间，如 2026-11-01T00:00:00+08:00。") % {"name": name},
        ) from None


def _window(data: QueryDict, default: timedelta) -> tuple[datetime, datetime]:
    """start_date .. end_date. Neither: `default` back from now; only a start: until now; only an end: `default`
    back from it. Never wider than 90 days."""
    start, end = _moment(data, "start_date"), _moment(data, "end_date")
    try:
        if start is None and end is None:
            end = timezone.now()
            start = end - default
        elif start is None:
            assert end is not None
            start = end - min(default, MAX_SPAN)
        elif end is None:
            end = max(start, min(timezone.now(), start + MAX_SPAN))  # from then until now, at most 90 days
    except OverflowError:
        raise Open311Error(400, _("start_date 或 end_date 超出可查询的年份。")) from None
    if end < start:
        raise Open311Error(400, _("end_date 不能早于 start_date。"))
    if end - start > MAX_SPAN:
        raise Open311Error(400, _("start_date 到 end_date 不能超过 90 天。"))
    return start, end


# ---------------------------------------------------------------- resources


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """Service discovery (https://wiki.open311.org/Service_Discovery): where the endpoint is and what it speaks."""
    served = selectors.served_districts()
    changed = selectors.catalogue_changed_at()
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"format": fmt})).rsplit("/", 1)[0]
    districts = "、".join(d.name for d in served)
    contact = getattr(settings, "OPEN311_CONTACT", "") or _("%(districts)s网格化服务管理中心") % {
        "districts": districts or _("本区")
    }
    key_service = getattr(settings, "OPEN311_KEY_SERVICE", "") or _(
        "接入应用（api_key）由区平台管理员登记发放，请联系%(contact)s。"
    ) % {"contact": contact}
    changeset = w3c.format(changed) if changed else None
    return render.one(
        fmt,
        "discovery",
        {
            "changeset": changeset,
            "contact": contact,
            "key_service": key_service,
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base,
                    "changeset": changeset,
                    "type": "test" if settings.DEBUG else "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@endpoint("GET")
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    _jurisdiction(_param(request.GET, "jurisdiction_id"))
    return render.items(fmt, "services", "service", [present.service_item(kind) for kind in selectors.services()])


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    _jurisdiction(_param(request.GET, "jurisdiction_id"))
    kind = selectors.service(service_code)
    if kind is None:
        raise Open311Error(404, _("service_code %(code)s 不存在。") % {"code": service_code})
    definition = {
        "service_code": kind.code,
        "attributes": [present.attribute_item(item, order) for order, item in enumerate(kind.attributes, start=1)],
    }
    return render.one(fmt, "service_definition", definition)


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _list_requests(request, fmt)


def _list_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.GET
    district = _jurisdiction(_param(data, "jurisdiction_id"))
    rows = selectors.requests(district=district)
    numbers = _list(_param(data, "service_request_id"), "service_request_id")
    if numbers:
        rows = rows.filter(number__in=numbers)  # "this overrides all other arguments"
    else:
        codes = _list(_param(data, "service_code"), "service_code")
        if codes:
            known = selectors.known_service_codes(codes)
            unknown = [code for code in codes if code not in known]
            if unknown:
                raise Open311Error(404, _("service_code %(code)s 不存在。") % {"code": "、".join(unknown)})
            rows = rows.filter(incident_type__code__in=codes)
        start, end = _window(data, MAX_SPAN)
        rows = rows.filter(reported_at__gte=start, reported_at__lte=end)
        statuses = _list(_param(data, "status"), "status")
        wrong = [status for status in statuses if status not in ("open", "closed")]
        if wrong:
            raise Open311Error(400, _("status 只能是 open 或 closed（收到 %(value)s）。") % {"value": "、".join(wrong)})
        if statuses == ["open"]:
            rows = rows.filter(status__in=OPEN_STATUSES)
        elif statuses == ["closed"]:
            rows = rows.filter(status__in=ENDED_STATUSES)
    orders = list(rows[:MAX_RESULTS])
    context = present.Context(orders)
    return render.items(fmt, "service_requests", "request", [present.request_item(order, context) for order in orders])


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    district = _jurisdiction(_param(request.GET, "jurisdiction_id"))
    order = selectors.requests(district=district).filter(number=service_request_id).first()
    if order is None:
        raise Open311Error(404, _("没有编号为 %(n)s 的请求。") % {"n": service_request_id})
    # an array of one, as the spec shows (and as clients such as the georeport package read it)
    return render.items(fmt, "service_requests", "request", [present.request_item(order, present.Context([order]))])


@endpoint("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """A token is the Idempotency-Key the application sent with its POST; it resolves at once, for that application
    only (its api_key), so an application whose POST timed out can learn whether the request was filed."""
    client = _client(_param(request.GET, "api_key"))
    district = _jurisdiction(_param(request.GET, "jurisdiction_id"))
    if not TOKEN.match(token):
        raise Open311Error(400, _("token 格式不正确。"))
    order = (
        selectors.requests(district=district)
        .filter(idempotency_key=services.idempotency_key_of(client, token), open311_client=client)
        .first()
    )
    if order is None:
        raise Open311Error(404, _("没有找到 token %(token)s 对应的请求。") % {"token": token})
    return render.items(fmt, "service_requests", "request", [{"service_request_id": order.number, "token": token}])


@endpoint("GET")
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    """FixMyStreet's GET Service Request Updates: the public steps, oldest first, at most 1000 a call."""
    data = request.GET
    district = _jurisdiction(_param(data, "jurisdiction_id"))
    rows = selectors.updates(district=district)
    numbers = _list(_param(data, "service_request_id"), "service_request_id")
    if numbers:
        rows = rows.filter(work_order__number__in=numbers)
    else:
        start, end = _window(data, UPDATES_DEFAULT_SPAN)
        rows = rows.filter(created_at__gte=start, created_at__lte=end)
    events = list(rows[:MAX_RESULTS])
    return render.items(
        fmt,
        "service_request_updates",
        "request_update",
        [present.update_item(event, event.work_order) for event in events],
    )


# ---------------------------------------------------------------- filing a request


def _client(api_key: str) -> Any:
    if not api_key:
        raise Open311Error(403, _("缺少 api_key。接入应用须先由区平台管理员登记。"))
    client = services.client_for_key(api_key)
    if client is None:
        raise Open311Error(403, _("api_key 无效或已被吊销，无法受理。"))
    return client


def _coordinate(data: QueryDict, name: str, low: float, high: float, problems: list[str]) -> float | None:
    value = _param(data, name)
    try:
        number = float(value)
    except ValueError:
        problems.append(_("%(name)s 应为数字（WGS-84 坐标）。") % {"name": name})
        return None
    if not math.isfinite(number) or not low <= number <= high:
        problems.append(_("%(name)s 超出范围（%(low)s 到 %(high)s）。") % {"name": name, "low": low, "high": high})
        return None
    return number


def _reporter_name(first: str, last: str) -> str:
    """Chinese names are written family name first, others given name first."""
    if re.search(r"[\u3400-\u9fff]", first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


def _phone(value: str) -> str:
    """13912345678 from "+86 139 1234 5678" and the like; what is left is checked by the report service."""
    value = re.sub(r"[\s()]", "", value)
    return re.sub(r"^(?:\+86|0086|86)-?(?=1\d{10}$)", "", value)


def _attributes(data: QueryDict) -> dict[str, list[str]]:
    """attribute[code]=value, and attribute[code][]=value repeated for a multivaluelist."""
    given: dict[str, list[str]] = {}
    for key in data:
        match = ATTRIBUTE.match(key)
        if match:
            given.setdefault(match["code"], []).extend(data.getlist(key))
    return given


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    content_type = request.content_type or ""
    if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise Open311Error(
            400, _("请求体须为 application/x-www-form-urlencoded（收到 %(type)s）。") % {"type": content_type or "—"}
        )
    data = request.POST
    client = _client(_param(data, "api_key") or _param(request.GET, "api_key"))
    district = _jurisdiction(_param(data, "jurisdiction_id") or _param(request.GET, "jurisdiction_id"))
    code = _param(data, "service_code")
    if not code:
        raise Open311Error(400, _("缺少 service_code。"))
    kind = selectors.service(code)
    if kind is None:
        raise Open311Error(404, _("service_code %(code)s 不存在。") % {"code": code})
    problems: list[str] = []
    lon = lat = None
    if not (_param(data, "lat") and _param(data, "long")):
        problems.append(
            _(
                "请提供 lat 和 long（WGS-84 坐标）：本平台按坐标确定问题所在网格，"
                "仅有 address_string 或 address_id 无法受理。"
            )
        )
    else:
        lat = _coordinate(data, "lat", -90, 90, problems)
        lon = _coordinate(data, "long", -180, 180, problems)
    description = data.get("description") or ""
    if not description.strip():
        problems.append(_("请填写 description（问题描述）。"))
    elif len(description.strip()) > workorders.MAX_DESCRIPTION:
        problems.append(
            _("description 不能超过 %(limit)s 个字（现有 %(n)s 个）。")
            % {"limit": workorders.MAX_DESCRIPTION, "n": len(description.strip())}
        )
    email = _param(data, "email")
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            problems.append(_("email 格式不正确。"))
    media_url = _param(data, "media_url")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except DjangoValidationError:
            problems.append(_("media_url 应为 http 或 https 链接。"))
        if len(media_url) > 500:
            problems.append(_("media_url 不能超过 500 个字符。"))
    for name in ("device_id", "account_id"):
        if len(_param(data, name)) > 64:
            problems.append(_("%(name)s 不能超过 64 个字符。") % {"name": name})
    key = request.headers.get("Idempotency-Key", "").strip() or None
    if key is not None and not TOKEN.match(key):
        problems.append(_("Idempotency-Key 应为 1 到 64 个可见 ASCII 字符。"))
    if problems:
        raise Open311Error(400, *problems)
    assert lon is not None and lat is not None
    if district is not None:
        grid = regions.grid_at(lon, lat)
        if grid is not None and not grid.path.startswith(district.path):
            message = _("该位置不在 jurisdiction_id %(code)s（%(name)s）内。")
            raise Open311Error(400, message % {"code": district.code, "name": district.name})
    order, created = services.request_create(
        client=client,
        idempotency_key=key,
        request=services.NewRequest(
            service_code=kind.code,
            lon=lon,
            lat=lat,
            description=description,
            address=_param(data, "address_string"),
            reporter_name=_reporter_name(_param(data, "first_name"), _param(data, "last_name")),
            reporter_phone=_phone(_param(data, "phone")),
            email=email,
            device_id=_param(data, "device_id"),
            account_id=_param(data, "account_id"),
            media_url=media_url,
            attributes=_attributes(data),
        ),
    )
    context = present.Context([order])
    response = render.items(
        fmt,
        "service_requests",
        "request",
        [
            {
                "service_request_id": order.number,
                "service_notice": context.notice(order.incident_type, context.district_of(order)),
                "account_id": order.account_id or None,
            }
        ],
    )
    if not created:
        response["Idempotent-Replayed"] = "true"
    return response
