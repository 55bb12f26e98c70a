"""Open311 GeoReport v2 at /open311/v2/: what a 311 app, a hotline or a civic tool sees and may do.

Every JSON answer is checked against the published schemas (tests/workorders/open311_schemas, one registry, $refs by
file name); every XML answer is parsed with ElementTree. The clock is fixed on a Monday morning (2026-09-28 09:00 in
Shanghai) so dates and deadlines are exact. Requests are filed at IN_A1 (仙霞路第一网格, 宁海路街道) unless said.
"""

import json
import re
import threading
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from civicgrid.core.errors import Conflict, PermissionDenied, ValidationError
from civicgrid.core.models import AuditEntry
from civicgrid.people.choices import Role
from civicgrid.people.models import Department
from civicgrid.regions.choices import Level
from civicgrid.regions.geo import grid_index
from civicgrid.workorders import services
from civicgrid.workorders.choices import Action, Source, Status
from civicgrid.workorders.models import IncidentType, WorkOrder, WorkOrderEvent, WorkOrderSequence
from civicgrid.workorders.open311 import services as open311
from civicgrid.workorders.open311 import views
from tests.factories import make_region, square, staff
from tests.workorders.conftest import IN_A1, IN_B1

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = "/open311/v2"
SCHEMAS = Path(__file__).parent / "open311_schemas"
REGISTRY: Registry = Registry().with_resources(
    (path.name, Resource.from_contents(json.loads(path.read_text("utf-8")), default_specification=DRAFT4))
    for path in SCHEMAS.glob("*.json")
)
W3C_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")
# What a reporter tells the client application about themself: none of it may ever come back out.
PERSONAL = {
    "first_name": "小明",
    "last_name": "王",
    "phone": "+86 139 1234 5678",
    "email": "wangxm@example.cn",
    "device_id": "android-7f3a9c",
    "account_id": "acct-20931",
}
PERSONAL_TRACES = ("王小明", "小明", "13912345678", "139 1234 5678", "wangxm", "android-7f3a9c", "acct-20931")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class Clock:
    def __init__(self) -> None:
        self.at = local("2026-09-28T09:00")  # a Monday

    def now(self) -> datetime:
        return self.at

    def set(self, text: str) -> None:
        self.at = local(text)


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    fixed = Clock()
    monkeypatch.setattr(timezone, "now", fixed.now)
    return fixed


@pytest.fixture
def app(linkage) -> tuple[str, Any]:
    """A registered client application: its api_key (shown once) and its row."""
    return open311.client_create(actor=linkage.tree.admin, name="鼓楼随手拍", contact="区大数据中心 025-83000000")


@pytest.fixture
def web() -> Client:
    return Client()


# ---------------------------------------------------------------- helpers


def valid(schema: str, instance: Any) -> Any:
    """The instance, after checking it against a published schema (and the date-time and uri formats by hand:
    jsonschema skips formats it has no checker for)."""
    validator = Draft4Validator({"$ref": schema}, registry=REGISTRY)
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]
    assert not problems, problems
    for row in instance if isinstance(instance, list) else [instance]:
        for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
            if row.get(name) is not None:
                assert W3C_LOCAL.match(row[name]), (name, row[name])
        if row.get("media_url"):
            assert row["media_url"].startswith(("http://", "https://"))
    return instance


def get_json(web: Client, path: str, **params: Any) -> Any:
    response = web.get(f"{BASE}/{path}", params)
    assert response.status_code == 200, response.content.decode()
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def get_xml(web: Client, path: str, **params: Any) -> ET.Element:
    response = web.get(f"{BASE}/{path}", params)
    assert response.status_code == 200, response.content.decode()
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def post(web: Client, key: str | None, fmt: str = "json", headers: dict | None = None, **fields: Any) -> Any:
    """POST requests.{fmt} with a form body, as the spec says."""
    body = {"service_code": "0201", "lat": IN_A1[1], "long": IN_A1[0], "description": "小区东门下水道堵塞"}
    body.update(fields)
    if key is not None:
        body["api_key"] = key
    body = {name: value for name, value in body.items() if value is not None}
    return web.post(f"{BASE}/requests.{fmt}", body, headers=headers or {})


def filed(web: Client, key: str, **fields: Any) -> WorkOrder:
    response = post(web, key, **fields)
    assert response.status_code == 200, response.content.decode()
    return WorkOrder.objects.get(number=json.loads(response.content)[0]["service_request_id"])


def errors_of(response: Any, fmt: str = "json") -> list[tuple[int, str]]:
    """The spec's error body as (code, description) pairs, from either format."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        body = json.loads(response.content.decode("utf-8"))
        assert isinstance(body, list) and body
        return [(row["code"], row["description"]) for row in body]
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "errors"
    return [(int(error.findtext("code")), error.findtext("description")) for error in root.findall("error")]


def footprint() -> dict[str, int]:
    """Everything a refused request must leave as it was."""
    return {
        "orders": WorkOrder.objects.count(),
        "events": WorkOrderEvent.objects.count(),
        "audit": AuditEntry.objects.count(),
        "numbers": sum(WorkOrderSequence.objects.values_list("last", flat=True)),
    }


def do(order: WorkOrder, action: str, actor: Any, note: str = "已到现场核实", **params: Any) -> WorkOrder:
    return services.act(actor=actor, work_order_id=order.pk, action=action, note=note, **params)


def second_district(linkage) -> Any:
    """玄武区 with one street, community and grid east of 鼓楼: the platform now serves two districts."""
    district = make_region("320102", "玄武区", Level.DISTRICT, linkage.tree.city)
    street = make_region("320102002", "梅园新村街道", Level.STREET, district)
    community = make_region("320102002001", "大悲巷社区", Level.COMMUNITY, street)
    make_region("320102002001001", "大悲巷第一网格", Level.GRID, community, boundary=square(118.80, 32.05))
    grid_index.invalidate()
    return district


IN_XUANWU = (118.805, 32.055)


# ---------------------------------------------------------------- discovery and services


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_names_the_endpoint_its_formats_and_how_to_get_a_key(linkage, web, fmt):
    if fmt == "json":
        body = get_json(web, "discovery.json")
        endpoint = body["endpoints"][0]
        assert endpoint["formats"] == ["text/xml", "application/json"]
    else:
        root = get_xml(web, "discovery.xml")
        assert root.tag == "discovery"
        body = {child.tag: child.text for child in root}
        element = root.find("endpoints/endpoint")
        endpoint = {child.tag: child.text for child in element}
        assert [f.text for f in element.findall("formats/format")] == ["text/xml", "application/json"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert "鼓楼区" in body["contact"] and "api_key" in body["key_service"]
    # the catalogue was loaded by the fixture: the changeset says when, so clients know to refresh
    assert W3C_LOCAL.match(body["changeset"])


def test_every_active_incident_type_is_a_service_and_the_list_fits_the_published_schema(linkage, web):
    IncidentType.objects.filter(code="9901").update(is_active=False)
    services_ = valid("services.json", get_json(web, "services.json"))
    active = IncidentType.objects.filter(is_active=True)
    assert [s["service_code"] for s in services_] == list(
        active.order_by("category__sort", "code").values_list("code", flat=True)
    )
    by_code = {s["service_code"]: s for s in services_}
    assert "9901" not in by_code
    noise = by_code["1002"]
    assert noise == {
        "service_code": "1002",
        "service_name": "社会生活噪声",
        "description": "噪声与污染：社会生活噪声",
        "metadata": True,  # it asks when and from where
        "type": "realtime",
        "keywords": "噪音, 广场舞, 吵",
        "group": "噪声与污染",
    }
    assert by_code["0201"]["metadata"] is False


def test_the_service_list_in_xml_carries_the_same_services(linkage, web):
    root = get_xml(web, "services.xml")
    assert root.tag == "services"
    rows = {s.findtext("service_code"): s for s in root.findall("service")}
    assert len(rows) == IncidentType.objects.filter(is_active=True).count()
    assert rows["1002"].findtext("metadata") == "true" and rows["0201"].findtext("metadata") == "false"
    assert rows["1002"].findtext("group") == "噪声与污染" and rows["1002"].findtext("type") == "realtime"


def test_a_service_definition_lists_its_attributes_in_order_with_their_values(linkage, web):
    definition = valid("service-definition.json", get_json(web, "services/1002.json"))
    assert definition["service_code"] == "1002"
    period, source = definition["attributes"]
    assert period == {
        "variable": True,
        "code": "period",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "噪声时段",
        "values": [{"key": "day", "name": "白天（6:00—22:00）"}, {"key": "night", "name": "夜间（22:00—次日6:00）"}],
    }
    assert (source["code"], source["required"], source["order"]) == ("source", False, 2)
    # a type that asks nothing more has an empty definition, still valid
    assert valid("service-definition.json", get_json(web, "services/0201.json")) == {
        "service_code": "0201",
        "attributes": [],
    }
    # free-text and number attributes carry their hint and no values
    lamp_no, count = get_json(web, "services/0303.json")["attributes"]
    assert lamp_no["datatype"] == "string" and "灯杆" in lamp_no["datatype_description"] and "values" not in lamp_no
    assert count["datatype"] == "number"


def test_a_service_definition_in_xml_nests_attribute_and_value_elements(linkage, web):
    root = get_xml(web, "services/1201.xml")
    assert root.tag == "service_definition" and root.findtext("service_code") == "1201"
    (attribute,) = root.findall("attributes/attribute")
    assert attribute.findtext("datatype") == "multivaluelist" and attribute.findtext("required") == "true"
    keys = [value.findtext("key") for value in attribute.findall("values/value")]
    assert keys == ["exit", "extinguisher", "wiring", "storage", "other"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_code_is_404_in_the_spec_s_error_form(linkage, web, fmt):
    response = web.get(f"{BASE}/services/7777.{fmt}")
    assert response.status_code == 404
    assert errors_of(response, fmt) == [(404, "service_code 7777 不存在。")]


# ---------------------------------------------------------------- filing a request


def test_a_client_application_files_a_request_and_it_becomes_a_work_order(linkage, web, app):
    key, client = app
    # when a 311 app files a night-time noise report with the reporter's details and a photo link
    response = post(
        web,
        key,
        service_code="1002",
        description="楼下广场舞音响太响，已持续一周",
        address_string="鼓楼区宁海路 12 号",
        media_url="https://img.example.cn/p/8812.jpg",
        **{"attribute[period]": "night", "attribute[source]": "square_dance", "attribute[report_url]": "x"},
        **PERSONAL,
    )
    # then it answers the new work order's number and what will happen, and gives the account id back
    assert response.status_code == 200, response.content.decode()
    (answer,) = json.loads(response.content)
    order = WorkOrder.objects.get()
    assert answer == {
        "service_request_id": order.number,
        "service_notice": "按事件责任清单由公安分局处置，派遣后 4 个工作小时内办结。",
        "account_id": "acct-20931",
    }
    assert order.number == "320106-20260928-00001"
    # and the work order is a report of the app, in its grid, at the street command centre
    assert (order.source, order.open311_client, order.status) == (Source.APP, client, Status.REPORTED)
    assert (order.region, order.level, order.incident_type.code) == (linkage.tree.grid_a1, Level.STREET, "1002")
    assert (order.lon, order.lat, order.address) == (IN_A1[0], IN_A1[1], "鼓楼区宁海路 12 号")
    # the reporter's details are kept for the staff who may call back (Chinese name order, phone normalised)
    assert (order.reporter_name, order.reporter_phone, order.reporter_email) == (
        "王小明",
        "13912345678",
        "wangxm@example.cn",
    )
    assert (order.device_id, order.account_id) == ("android-7f3a9c", "acct-20931")
    # the answers it asks for (an attribute it does not ask is ignored) and the photo link, not fetched
    assert order.attributes == {"period": "night", "source": "square_dance"}
    assert order.media_url == "https://img.example.cn/p/8812.jpg"
    # the dispatcher reads the answers on the report step; the step is signed by the application
    step = order.events.get()
    assert step.actor_label == "鼓楼随手拍"
    assert (
        step.note == "噪声时段：夜间（22:00—次日6:00）\n噪声来源：广场舞\n附件链接：https://img.example.cn/p/8812.jpg"
    )
    # and the audit log says which application filed what, without anything personal
    row = AuditEntry.objects.get(action="open311.request_create")
    assert row.after == {
        "client": "鼓楼随手拍",
        "service_code": "1002",
        "attributes": ["period", "source"],
        "media_url": True,
    }
    assert not any(trace in json.dumps(row.after, ensure_ascii=False) for trace in PERSONAL_TRACES)


def test_the_answer_to_a_post_in_xml_is_the_spec_s_service_requests_element(linkage, web, app):
    response = post(web, app[0], fmt="xml")
    assert response.status_code == 200 and response["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request.findtext("service_request_id") == WorkOrder.objects.get().number
    assert "水务局" in request.findtext("service_notice")
    assert request.find("account_id") is not None and request.findtext("account_id") == ""  # empty element


def test_a_multivaluelist_takes_repeated_values_in_either_bracket_form(linkage, web, app):
    order = filed(
        web,
        app[0],
        service_code="1201",
        description="楼道里堆满纸箱，安全出口被堵",
        **{"attribute[hazards][]": ["exit", "storage", "exit"]},
    )
    assert order.attributes == {"hazards": ["exit", "storage"]}
    order = filed(web, app[0], service_code="0303", **{"attribute[count]": "03", "attribute[lamp_no]": "GL-0412"})
    assert order.attributes == {"count": "3", "lamp_no": "GL-0412"}
    # a moment in any offset is kept in the district's time
    answers = {
        "attribute[signs]": ["yellow", "smell"],
        "attribute[scope]": "building",
        "attribute[since]": "2026-09-28T07:30Z",
    }
    order = filed(web, app[0], service_code="0103", **answers)
    assert order.attributes == {"signs": ["yellow", "smell"], "scope": "building", "since": "2026-09-28T15:30:00+08:00"}
    assert order.events.get().note == "异常现象：发黄、有异味\n影响范围：整栋楼\n发现时间：2026-09-28T15:30:00+08:00"


@pytest.mark.parametrize(
    ("fields", "status", "description"),
    [
        ({"api_key": None}, 403, "缺少 api_key。接入应用须先由区平台管理员登记。"),
        ({"api_key": "o311_not-a-key"}, 403, "api_key 无效或已被吊销，无法受理。"),
        (
            {"jurisdiction_id": "320199"},
            404,
            "jurisdiction_id 320199 不存在：应为本平台所服务的区的行政区划代码（320106）。",
        ),
        ({"service_code": ""}, 400, "缺少 service_code。"),
        ({"service_code": "7777"}, 404, "service_code 7777 不存在。"),
        (
            {"lat": None, "long": None, "address_string": "宁海路 12 号"},
            400,
            "请提供 lat 和 long（WGS-84 坐标）：本平台按坐标确定问题所在网格，"
            "仅有 address_string 或 address_id 无法受理。",
        ),
        ({"lat": "北纬32度"}, 400, "lat 应为数字（WGS-84 坐标）。"),
        ({"lat": "132.5"}, 400, "lat 超出范围（-90 到 90）。"),
        ({"long": "nan"}, 400, "long 超出范围（-180 到 180）。"),
        ({"lat": "30.0", "long": "100.0"}, 400, "该位置不在本平台管辖的任何网格内，请在地图上重新选择。"),
        ({"description": "   "}, 400, "请填写 description（问题描述）。"),
        ({"description": "堵" * 10_000}, 400, "description 不能超过 2000 个字（现有 10000 个）。"),
        ({"email": "not-an-email"}, 400, "email 格式不正确。"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url 应为 http 或 https 链接。"),
        ({"phone": "12345"}, 400, "手机号码格式不正确。"),
        ({"first_name": "名" * 41}, 400, "称呼不能超过 40 个字（现有 41 个）。"),
        ({"device_id": "d" * 65}, 400, "device_id 不能超过 64 个字符。"),
        ({"service_code": "1002"}, 400, "请填写“噪声时段”（attribute[period]）。"),
        (
            {"service_code": "1002", "attribute[period]": "evening"},
            400,
            "“噪声时段”（attribute[period]） 没有选项 evening，可选：day、night。",
        ),
        ({"service_code": "0303", "attribute[count]": "三"}, 400, "“不亮的路灯数量”（attribute[count]） 应为数字。"),
        (
            {"service_code": "0103", "attribute[signs]": "yellow", "attribute[since]": "昨天早上"},
            400,
            "“发现时间”（attribute[since]） 应为 W3C 日期时间，如 2026-11-24T07:30:00+08:00。",
        ),
    ],
)
def test_a_bad_request_gets_the_spec_s_error_and_writes_nothing(linkage, web, app, fields, status, description):
    before = footprint()
    fields = {"api_key": app[0], **fields}
    response = post(web, None, **fields)
    assert response.status_code == status
    assert errors_of(response) == [(status, description)]
    assert footprint() == before


def test_several_problems_are_named_at_once_in_xml_too(linkage, web, app):
    before = footprint()
    response = post(web, app[0], fmt="xml", lat="abc", description="", email="@", media_url="ftp://x")
    assert response.status_code == 400
    assert errors_of(response, "xml") == [
        (400, "lat 应为数字（WGS-84 坐标）。"),
        (400, "请填写 description（问题描述）。"),
        (400, "email 格式不正确。"),
        (400, "media_url 应为 http 或 https 链接。"),
    ]
    assert footprint() == before


def test_a_nul_character_sent_anywhere_is_refused_before_it_reaches_the_database(linkage, web, app):
    before = footprint()
    response = post(web, app[0], description="下水道\x00堵塞")
    assert response.status_code == 400 and errors_of(response) == [(400, "请求中含有不允许的空字符（NUL）。")]
    response = web.get(f"{BASE}/requests/320106%00.xml")
    assert response.status_code == 400 and errors_of(response, "xml") == [(400, "请求中含有不允许的空字符（NUL）。")]
    assert footprint() == before


def test_a_json_body_is_refused_with_a_clear_description(linkage, web, app):
    body = json.dumps({"api_key": app[0], "service_code": "0201", "lat": IN_A1[1], "long": IN_A1[0]})
    response = web.post(f"{BASE}/requests.json", body, content_type="application/json")
    assert response.status_code == 400
    assert errors_of(response) == [(400, "请求体须为 application/x-www-form-urlencoded（收到 application/json）。")]


def test_a_revoked_application_is_refused_with_403(linkage, web, app):
    key, client = app
    open311.client_revoke(actor=linkage.tree.admin, client_id=client.pk)
    response = post(web, key)
    assert response.status_code == 403 and errors_of(response)[0][1] == "api_key 无效或已被吊销，无法受理。"
    assert not WorkOrder.objects.exists()


def test_a_point_in_another_district_than_the_jurisdiction_named_is_refused(linkage, web, app):
    second_district(linkage)
    before = footprint()
    response = post(web, app[0], jurisdiction_id="320106", lat=IN_XUANWU[1], long=IN_XUANWU[0])
    assert response.status_code == 400
    assert errors_of(response) == [(400, "该位置不在 jurisdiction_id 320106（鼓楼区）内。")]
    assert footprint() == before
    # with two districts served, the jurisdiction must be named
    response = post(web, app[0])
    assert response.status_code == 400
    assert errors_of(response) == [
        (400, "本平台服务多个区，请提供 jurisdiction_id（区的行政区划代码：320102、320106）。")
    ]
    assert filed(web, app[0], jurisdiction_id="320106").region == linkage.tree.grid_a1


def test_a_phone_that_retries_with_the_same_idempotency_key_makes_one_work_order(linkage, web, app):
    key, _client = app
    headers = {"Idempotency-Key": "phone-7f3a-0001"}
    first = post(web, key, headers=headers)
    again = post(web, key, headers=headers, description="重试时内容相同")
    assert first.status_code == again.status_code == 200
    assert json.loads(first.content) == json.loads(again.content)
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert WorkOrder.objects.count() == 1 and AuditEntry.objects.filter(action="open311.request_create").count() == 1
    # another application's key of the same text is another request
    other_key, _other = open311.client_create(actor=None, name="12345 热线")
    assert json.loads(post(web, other_key, headers=headers).content) != json.loads(first.content)
    # a key that is not printable ASCII is refused
    response = post(web, key, headers={"Idempotency-Key": "重复键"})
    assert response.status_code == 400 and "Idempotency-Key" in errors_of(response)[0][1]


def test_a_token_is_the_idempotency_key_and_resolves_at_once_for_its_own_application(linkage, web, app):
    key, _client = app
    order = filed(web, key, headers={"Idempotency-Key": "phone-7f3a-0002"})
    assert get_json(web, "tokens/phone-7f3a-0002.json", api_key=key) == [
        {"service_request_id": order.number, "token": "phone-7f3a-0002"}
    ]
    root = get_xml(web, "tokens/phone-7f3a-0002.xml", api_key=key)
    assert root.findtext("request/service_request_id") == order.number
    assert root.findtext("request/token") == "phone-7f3a-0002"
    # without the application's key, or with another one's, the token is nobody's business
    assert web.get(f"{BASE}/tokens/phone-7f3a-0002.json").status_code == 403
    other_key, _other = open311.client_create(actor=None, name="12345 热线")
    response = web.get(f"{BASE}/tokens/phone-7f3a-0002.json", {"api_key": other_key})
    assert response.status_code == 404
    assert errors_of(response) == [(404, "没有找到 token phone-7f3a-0002 对应的请求。")]


def test_a_device_that_files_too_often_is_slowed_down(linkage, web, app, settings):
    settings.ANONYMOUS_REPORTS_PER_HOUR = 2
    for _n in range(2):
        filed(web, app[0], device_id="android-7f3a9c")
    response = post(web, app[0], device_id="android-7f3a9c")
    assert response.status_code == 400
    assert errors_of(response) == [(400, "同一设备一小时内最多上报 2 件，请稍后再试或拨打热线。")]
    # another device of the same application is not held up
    filed(web, app[0], device_id="iphone-11bc")
    assert WorkOrder.objects.count() == 3


# ---------------------------------------------------------------- reading requests


def test_one_request_fits_the_schema_and_shows_nothing_personal(linkage, web, app):
    order = filed(
        web,
        app[0],
        description="东门下水道堵了，有事打我电话 13800001111，或发 liu@example.cn",
        address_string="宁海路 12 号东门",
        media_url="https://img.example.cn/p/1.jpg",
        **PERSONAL,
    )
    response = web.get(f"{BASE}/requests/{order.number}.json")
    body = response.content.decode("utf-8")
    (request,) = valid("requests.json", json.loads(body))
    assert request == {
        "service_request_id": order.number,
        "status": "open",
        "status_notes": "已上报",
        "service_name": "下水道堵塞",
        "service_code": "0201",
        # phone numbers and e-mail addresses a reporter typed into the description are masked
        "description": "东门下水道堵了，有事打我电话 138****1111，或发 ***@example.cn",
        "agency_responsible": "宁海路街道",
        "service_notice": "按事件责任清单由水务局处置，派遣后 1 个工作日内办结。",
        "requested_datetime": "2026-09-28T09:00:00+08:00",
        "updated_datetime": "2026-09-28T09:00:00+08:00",
        "expected_datetime": None,
        "address": "宁海路 12 号东门",
        "lat": IN_A1[1],
        "long": IN_A1[0],
        "media_url": "https://img.example.cn/p/1.jpg",
    }
    assert not any(trace in body for trace in PERSONAL_TRACES)
    assert "13800001111" not in body and "liu@" not in body


def test_one_request_in_xml_is_an_array_of_one(linkage, web, app):
    order = filed(web, app[0], description='井盖 <松动> & "异响"\x0b 有人绊倒', **PERSONAL)
    response = web.get(f"{BASE}/requests/{order.number}.xml")
    root = ET.fromstring(response.content)  # well-formed, even with markup and a control character sent in
    assert root.tag == "service_requests" and len(root) == 1
    request = root.find("request")
    assert request.findtext("service_request_id") == order.number
    assert request.findtext("description") == '井盖 <松动> & "异响" 有人绊倒'
    assert request.findtext("lat") == str(IN_A1[1]) and request.findtext("long") == str(IN_A1[0])
    assert request.find("expected_datetime") is not None and request.findtext("expected_datetime") == ""
    assert not any(trace in response.content.decode() for trace in PERSONAL_TRACES)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_request_is_404(linkage, web, fmt):
    response = web.get(f"{BASE}/requests/320106-20260928-09999.{fmt}")
    assert response.status_code == 404
    assert errors_of(response, fmt) == [(404, "没有编号为 320106-20260928-09999 的请求。")]


def test_the_requests_list_filters_as_the_spec_says(linkage, web, app, clock):
    key = app[0]
    clock.set("2026-05-01T10:00")
    old = filed(web, key, description="半年前的堵塞")
    clock.set("2026-09-20T10:00")
    drain = filed(web, key)
    lamp = filed(web, key, service_code="0303")
    clock.set("2026-09-27T10:00")
    noise = filed(web, key, service_code="1002", **{"attribute[period]": "day"})
    do(noise, Action.VOID, linkage.operator_a, note="现场核实无噪声")
    clock.set("2026-09-28T09:00")

    def numbers(**params: Any) -> list[str]:
        rows = valid("requests.json", get_json(web, "requests.json", **params))
        return [row["service_request_id"] for row in rows]

    # by default the last 90 days, newest first
    assert numbers() == [noise.number, lamp.number, drain.number]
    # service codes, comma separated
    assert numbers(service_code="0303,1002") == [noise.number, lamp.number]
    # status open or closed (voided is closed)
    assert numbers(status="open") == [lamp.number, drain.number]
    assert numbers(status="closed") == [noise.number]
    assert numbers(status="open,closed") == [noise.number, lamp.number, drain.number]
    # a date range in W3C form, with any offset; a "+" sent unencoded still counts as one
    assert numbers(start_date="2026-09-20T00:00:00+08:00", end_date="2026-09-26T23:59:59+08:00") == [
        lamp.number,
        drain.number,
    ]
    assert numbers(start_date="2026-09-27T01:00:00Z") == [noise.number]
    response = web.get(f"{BASE}/requests.json?start_date=2026-09-27T09:00:00+08:00")
    assert [row["service_request_id"] for row in json.loads(response.content)] == [noise.number]
    assert numbers(start_date="2026-04-15", end_date="2026-05-15") == [old.number]
    # service_request_id overrides every other argument, the old one included
    assert set(numbers(service_request_id=f"{old.number}, {lamp.number},320106-20260101-00001", status="closed")) == {
        old.number,
        lamp.number,
    }


def test_the_requests_list_stops_at_its_limit(linkage, web, app, monkeypatch):
    monkeypatch.setattr(views, "MAX_RESULTS", 2)
    made = [filed(web, app[0], description=f"第{n}处堵塞").number for n in range(3)]
    assert [row["service_request_id"] for row in get_json(web, "requests.json")] == made[:0:-1]


@pytest.mark.parametrize(
    ("params", "status", "description"),
    [
        ({"start_date": "2026-09-01"}, 200, None),
        (
            {"start_date": "2026-09-01T00:00:00"},
            400,
            "start_date 格式不正确：应为带时区的 W3C 日期时间，如 2026-11-01T00:00:00+08:00。",
        ),
        (
            {"end_date": "last week"},
            400,
            "end_date 格式不正确：应为带时区的 W3C 日期时间，如 2026-11-01T00:00:00+08:00。",
        ),
        ({"start_date": "2026-01-01", "end_date": "2026-09-01"}, 400, "start_date 到 end_date 不能超过 90 天。"),
        ({"start_date": "2026-09-10", "end_date": "2026-09-01"}, 400, "end_date 不能早于 start_date。"),
        ({"status": "pending"}, 400, "status 只能是 open 或 closed（收到 pending）。"),
        ({"start_date": "9999-12-31"}, 400, "start_date 或 end_date 超出可查询的年份。"),
        ({"end_date": "0001-01-01"}, 400, "start_date 或 end_date 超出可查询的年份。"),
        ({"service_request_id": "320106\x00"}, 400, "请求中含有不允许的空字符（NUL）。"),
        ({"service_code": "0201,7777"}, 404, "service_code 7777 不存在。"),
        (
            {"jurisdiction_id": "sfgov.org"},
            404,
            "jurisdiction_id sfgov.org 不存在：应为本平台所服务的区的行政区划代码（320106）。",
        ),
    ],
)
def test_bad_list_parameters_get_the_spec_s_errors(linkage, web, params, status, description):
    response = web.get(f"{BASE}/requests.json", params)
    assert response.status_code == status
    if description:
        assert errors_of(response) == [(status, description)]


def test_jurisdiction_id_scopes_every_list_to_its_district(linkage, web, app):
    second_district(linkage)
    gulou = filed(web, app[0], jurisdiction_id="320106")
    xuanwu = filed(web, app[0], jurisdiction_id="320102", lat=IN_XUANWU[1], long=IN_XUANWU[0])
    assert xuanwu.region_path.startswith("/320100/320102/")
    listed = get_json(web, "requests.json", jurisdiction_id="320106")
    assert [row["service_request_id"] for row in listed] == [gulou.number]
    assert "玄武" not in json.dumps(listed, ensure_ascii=False) and "大悲巷" not in json.dumps(
        listed, ensure_ascii=False
    )
    # nor does it reach the other district's request by its number, or its steps
    assert web.get(f"{BASE}/requests/{xuanwu.number}.json", {"jurisdiction_id": "320106"}).status_code == 404
    steps = get_json(web, "servicerequestupdates.json", jurisdiction_id="320106")
    assert {row["service_request_id"] for row in steps} == {gulou.number}
    # and without a jurisdiction, with two served, the lists say which to name
    response = web.get(f"{BASE}/requests.xml")
    assert response.status_code == 400
    assert errors_of(response, "xml") == [
        (400, "本平台服务多个区，请提供 jurisdiction_id（区的行政区划代码：320102、320106）。")
    ]
    assert web.get(f"{BASE}/services.json").status_code == 400


def test_a_private_type_shows_no_description_place_or_notes(linkage, web, app):
    # a request about an elderly person living alone says where they live: the public sees only the community
    order = filed(
        web, app[0], service_code="1302", description="3栋201独居老人几天没出门", address_string="宁海路 12 号 3 栋 201"
    )
    do(order, Action.DISPATCH, linkage.community_head_a, department_code="320106-civil_affairs")
    civil = staff(Role.DEPARTMENT_HANDLER, department=Department.objects.get(code="320106-civil_affairs"))
    do(order, Action.SIGN, civil)
    do(order, Action.HANDLE, civil, note="已上门，老人身体不适，已联系其女儿")
    (request,) = valid("requests.json", get_json(web, f"requests/{order.number}.json"))
    assert (request["description"], request["lat"], request["long"]) == (None, None, None)
    assert request["address"] == "宁海路街道仙霞路社区"
    assert request["status_notes"] == "待核查"
    steps = get_json(web, "servicerequestupdates.json", service_request_id=order.number)
    assert [row["description"] for row in steps] == ["上报", "派遣：民政局", "签收", "处置反馈"]
    shown = json.dumps([request, steps], ensure_ascii=False)
    assert "3栋" not in shown and "3 栋" not in shown and "女儿" not in shown


# ---------------------------------------------------------------- states and the round trip


@pytest.mark.parametrize(
    ("status", "expected", "notes"),
    [
        (Status.REPORTED, "open", "已上报"),
        (Status.REGISTERED, "open", "已立案"),
        (Status.DISPATCHED, "open", "已派遣：承办单位 水务局。"),
        (Status.SIGNED, "open", "处置中：承办单位 水务局。"),
        (Status.HANDLED, "open", "待核查"),
        (Status.SUSPENDED, "open", "已挂起"),
        (Status.CLOSED, "closed", "已结案"),
        (Status.RATED, "closed", "已评价"),
        (Status.VOIDED, "closed", "不予立案：现场核实无此问题，联系电话 139****5678"),
        (Status.MERGED, "closed", "已合并：与工单 {survivor} 重复，已合并办理，请查看 {survivor} 的进度。"),
    ],
)
def test_every_civicgrid_state_maps_to_open_or_closed_with_notes(linkage, web, app, status, expected, notes):
    t = linkage.tree
    order = filed(web, app[0])
    survivor = None
    if status == Status.VOIDED:
        do(order, Action.VOID, linkage.operator_a, note="现场核实无此问题，联系电话 13912345678")
    elif status == Status.MERGED:
        survivor = filed(web, app[0], description="同一处下水道堵塞")
        do(order, Action.MERGE, linkage.operator_a, into=survivor.number)
    elif status != Status.REPORTED:
        do(order, Action.REGISTER, linkage.operator_a)
        if status not in (Status.REGISTERED, Status.SUSPENDED):
            do(order, Action.DISPATCH, linkage.operator_a)
        if status == Status.SUSPENDED:
            do(order, Action.SUSPEND, linkage.operator_a, note="等待道路开挖许可")
        if status in (Status.SIGNED, Status.HANDLED, Status.CLOSED, Status.RATED):
            do(order, Action.SIGN, linkage.water_handler)
        if status in (Status.HANDLED, Status.CLOSED, Status.RATED):
            do(order, Action.HANDLE, linkage.water_handler, note="已疏通")
        if status in (Status.CLOSED, Status.RATED):
            do(order, Action.VERIFY_PASS, t.worker_a1)
        if status == Status.RATED:
            order.refresh_from_db()
            services.act(
                actor=None, tracking_key=order.tracking_key, work_order_id=order.pk, action=Action.RATE, rating=5
            )
    order.refresh_from_db()
    assert order.status == status
    (request,) = valid("requests.json", get_json(web, f"requests/{order.number}.json"))
    assert request["status"] == expected
    assert request["status_notes"] == notes.format(survivor=survivor.number if survivor else "")


def test_round_trip_filed_dispatched_handled_verified_and_followed_step_by_step(linkage, web, app, clock):
    t = linkage.tree
    # a resident's app files a blocked drain
    order = filed(
        web, app[0], description="小区东门下水道堵塞，污水漫到路上", media_url="https://img.example.cn/p/2.jpg"
    )
    # the street's operator dispatches it to the water department the next half hour
    clock.set("2026-09-28T09:30")
    do(order, Action.DISPATCH, linkage.operator_a, department_code="320106-water")
    (request,) = get_json(web, f"requests/{order.number}.json")
    assert (request["status"], request["status_notes"]) == ("open", "已派遣：承办单位 水务局。")
    assert request["agency_responsible"] == "水务局"
    assert request["expected_datetime"] == "2026-09-29T17:30:00+08:00"  # 1 working day after dispatch
    # the department signs, handles, and the grid worker verifies on site
    clock.set("2026-09-28T10:00")
    do(order, Action.SIGN, linkage.water_handler)
    clock.set("2026-09-28T15:00")
    do(order, Action.HANDLE, linkage.water_handler, note="已疏通管道，恢复排水；居民 13912345678 已确认")
    clock.set("2026-09-29T09:00")
    do(order, Action.VERIFY_PASS, t.worker_a1)
    # then the request is closed, as of the verification
    (request,) = valid("requests.json", get_json(web, f"requests/{order.number}.json"))
    assert (request["status"], request["status_notes"]) == ("closed", "已结案")
    assert request["updated_datetime"] == "2026-09-29T09:00:00+08:00"
    # and the updates tell the story, public steps only, with no staff names
    response = web.get(f"{BASE}/servicerequestupdates.json", {"start_date": "2026-09-28T00:00:00+08:00"})
    steps = json.loads(response.content)
    assert [(s["status"], s["description"], s["updated_datetime"]) for s in steps] == [
        ("open", "上报", "2026-09-28T09:00:00+08:00"),
        ("open", "派遣：水务局", "2026-09-28T09:30:00+08:00"),
        ("open", "签收", "2026-09-28T10:00:00+08:00"),
        ("open", "处置反馈：已疏通管道，恢复排水；居民 139****5678 已确认", "2026-09-28T15:00:00+08:00"),
        ("closed", "核查通过", "2026-09-29T09:00:00+08:00"),
    ]
    assert {s["service_request_id"] for s in steps} == {order.number}
    assert steps[0]["media_url"] == "https://img.example.cn/p/2.jpg" and steps[1]["media_url"] is None
    assert len({s["update_id"] for s in steps}) == 5
    body = response.content.decode()
    for name in ("宁海路指挥员", "水务甲", "王网格", "operator_a", "water_1"):
        assert name not in body
    # the same in XML, FixMyStreet's element names
    root = get_xml(web, "servicerequestupdates.xml", service_request_id=order.number)
    assert root.tag == "service_request_updates"
    updates = root.findall("request_update")
    assert [u.findtext("description") for u in updates] == [s["description"] for s in steps]
    assert updates[-1].findtext("status") == "closed" and updates[0].findtext("update_id") == steps[0]["update_id"]


def test_updates_leave_out_internal_steps_and_default_to_the_last_day(linkage, web, app, clock):
    clock.set("2026-09-26T10:00")
    earlier = filed(web, app[0])
    clock.set("2026-09-28T08:00")
    order = filed(web, app[0])
    do(order, Action.NOTE, linkage.operator_a, note="内部备注：先联系物业")
    do(order, Action.SUPERVISE, linkage.operator_a, note="督办", supervision="yellow")
    do(order, Action.ESCALATE, linkage.operator_a, note="街道无法处置")
    clock.set("2026-09-28T09:00")
    steps = get_json(web, "servicerequestupdates.json")
    assert [(s["service_request_id"], s["description"]) for s in steps] == [
        (order.number, "上报"),
        (order.number, "上报上级：区"),
    ]
    assert earlier.number not in json.dumps(steps)
    assert "内部备注" not in json.dumps(steps, ensure_ascii=False)
    response = web.get(f"{BASE}/servicerequestupdates.json", {"start_date": "2026-01-01", "end_date": "2026-09-28"})
    assert response.status_code == 400 and errors_of(response) == [(400, "start_date 到 end_date 不能超过 90 天。")]


# ---------------------------------------------------------------- formats, resources, methods


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("services.html", "xml"),
        ("requests.csv", "xml"),
        ("services/0201.yaml", "xml"),
        ("nonsense.json", "json"),
        ("", "xml"),
    ],
)
def test_an_unknown_suffix_or_resource_is_404_in_the_spec_s_form(linkage, web, path, fmt):
    response = web.get(f"{BASE}/{path}")
    assert response.status_code == 404
    ((code, description),) = errors_of(response, fmt)
    assert code == 404 and f"/open311/v2/{path}" in description


def test_a_method_a_resource_does_not_take_is_400(linkage, web, app):
    response = web.post(f"{BASE}/services.json", {"api_key": app[0]})
    assert response.status_code == 400
    assert errors_of(response) == [(400, "该资源不支持 POST 请求，只支持 GET。")]
    response = web.delete(f"{BASE}/requests.xml")
    assert response.status_code == 400 and "DELETE" in errors_of(response, "xml")[0][1]


def test_errors_are_chinese_by_default_and_keep_their_form_for_an_english_client(linkage, web):
    chinese = web.get(f"{BASE}/services/7777.json")
    assert errors_of(chinese) == [(404, "service_code 7777 不存在。")]
    english = web.get(f"{BASE}/services/7777.json", headers={"Accept-Language": "en"})
    assert english.status_code == 404 and errors_of(english)[0][0] == 404  # the text is the English catalogue's


# ---------------------------------------------------------------- client applications


def test_registering_and_revoking_an_application_is_audited_and_keeps_only_a_digest(linkage):
    key, client = open311.client_create(actor=linkage.tree.admin, name="鼓楼随手拍", contact="区大数据中心")
    assert key.startswith("o311_") and len(key) > 40
    assert client.key_digest == client.digest_of(key) and key not in str(client.__dict__)
    assert open311.client_for_key(key) == client
    created = AuditEntry.objects.get(action="open311_client.create")
    assert created.actor == linkage.tree.admin and key not in json.dumps(created.after)
    open311.client_revoke(actor=linkage.tree.admin, client_id=client.pk)
    assert open311.client_for_key(key) is None
    assert AuditEntry.objects.get(action="open311_client.revoke").after == {
        "is_active": False,
        "key_prefix": client.key_prefix,
    }


def test_only_an_administrator_registers_applications(linkage):
    with pytest.raises(PermissionDenied):
        open311.client_create(actor=linkage.operator_a, name="某应用")
    with pytest.raises(ValidationError, match="请填写应用名称"):
        open311.client_create(actor=None, name="  ")
    open311.client_create(actor=None, name="某应用")
    with pytest.raises(Conflict, match="已有名为“某应用”的有效接入应用"):
        open311.client_create(actor=None, name="某应用")


def test_the_management_command_adds_lists_and_revokes(linkage, capsys):
    from django.core.management import call_command

    call_command("open311_client", "add", "鼓楼随手拍", "--contact", "区大数据中心")
    out = capsys.readouterr().out
    key = re.search(r"api_key: (\S+)", out).group(1)
    client = open311.client_for_key(key)
    assert client is not None and client.name == "鼓楼随手拍"
    call_command("open311_client", "list")
    assert f"{client.pk}\t{client.key_prefix}…\tactive" in capsys.readouterr().out
    call_command("open311_client", "revoke", client.key_prefix)
    assert open311.client_for_key(key) is None
    assert AuditEntry.objects.filter(action__startswith="open311_client.").count() == 2


def test_the_admin_registers_an_application_and_shows_its_key_once(linkage):
    admin_user = linkage.tree.admin
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    browser = Client()
    browser.force_login(admin_user)
    response = browser.post(
        "/admin/workorders/open311client/add/", {"name": "鼓楼随手拍", "contact": "区大数据中心"}, follow=True
    )
    assert response.status_code == 200
    shown = re.search(r"api_key：(o311_[\w-]+)", response.content.decode())
    assert shown and open311.client_for_key(shown.group(1)).name == "鼓楼随手拍"
    client = open311.client_for_key(shown.group(1))
    page = browser.get(f"/admin/workorders/open311client/{client.pk}/change/").content.decode()
    assert shown.group(1) not in page
    browser.post("/admin/workorders/open311client/", {"action": "revoke", "_selected_action": [client.pk]}, follow=True)
    assert open311.client_for_key(shown.group(1)) is None


# ---------------------------------------------------------------- on PostgreSQL and SQLite alike


@pytest.mark.django_db(transaction=True)
def test_copies_of_one_retry_arriving_at_once_make_one_work_order_on_any_database(linkage, monkeypatch):
    # given an application whose phone sends the same request three times at once (a flaky network)
    key, _client = open311.client_create(actor=None, name="鼓楼随手拍")
    original = services._create
    creating: list[int] = []

    def slow_create(**kwargs: Any) -> WorkOrder:
        creating.append(1)
        order = original(**kwargs)
        threading.Event().wait(0.2)  # hold the transaction open so the other copies really collide with it
        return order

    monkeypatch.setattr(services, "_create", slow_create)
    count = 3
    barrier = threading.Barrier(count)
    answers: list[tuple[int, str]] = []

    def send() -> None:
        try:
            barrier.wait()
            response = post(
                Client(),
                key,
                service_code="1002",
                headers={"Idempotency-Key": "phone-7f3a-0009"},
                **{"attribute[period]": "night"},
                **PERSONAL,
            )
            answers.append((response.status_code, response.content.decode()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every copy got the same answer and there is one work order, completed once
    assert len(answers) == count and {status for status, _body in answers} == {200}, answers
    assert len({body for _status, body in answers}) == 1
    order = WorkOrder.objects.get()
    assert order.attributes == {"period": "night"} and order.reporter_email == "wangxm@example.cn"
    assert AuditEntry.objects.filter(action="open311.request_create").count() == 1
    if connection.vendor == "postgresql":
        # PostgreSQL let the copies run side by side: they really raced to the unique key (SQLite queues writers)
        assert len(creating) > 1
    # and the JSON answers, dates and prefix filters read back the same on either database
    web = Client()
    (request,) = valid("requests.json", get_json(web, f"requests/{order.number}.json", jurisdiction_id="320106"))
    assert request["requested_datetime"] == "2026-09-28T09:00:00+08:00"
    listed = get_json(web, "requests.json", start_date="2026-09-28T01:00:00Z", end_date="2026-09-28T01:00:00Z")
    assert [row["service_request_id"] for row in listed] == [order.number]


def test_a_request_filed_in_grid_b1_is_placed_there(linkage, web, app):
    order = filed(web, app[0], lat=IN_B1[1], long=IN_B1[0])
    assert order.region == linkage.tree.grid_b1
    (request,) = get_json(web, f"requests/{order.number}.json")
    assert request["agency_responsible"] == "湖南路街道"
