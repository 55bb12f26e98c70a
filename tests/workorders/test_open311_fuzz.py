"""Open311 under generated input: whatever a client sends, the answer is the spec's (2xx, or 400/403/404 with the
error body in the format asked for), never a server error, and a refused request writes nothing."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.workorders.models import WorkOrder
from civicgrid.workorders.open311 import services as open311
from tests.workorders.conftest import IN_A1

pytestmark = pytest.mark.django_db

text = st.text(max_size=60)
maybe = st.one_of(st.none(), text)
POST_FIELDS = (
    *("email", "phone", "first_name", "media_url", "address_string", "jurisdiction_id", "device_id", "account_id"),
    *("attribute[period]", "attribute[hazards][]", "attribute[]", "attribute[[x]]"),
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def key(linkage) -> str:
    # one application for every generated example (the fixture is not rebuilt between them)
    return open311.client_create(actor=None, name="鼓楼随手拍")[0]


def answer_is_well_formed(response, fmt: str) -> None:
    assert response.status_code in (200, 400, 403, 404), response.content[:300]
    if fmt == "json":
        json.loads(response.content.decode("utf-8"))
    else:
        root = ET.fromstring(response.content)
        assert root.tag == ("errors" if response.status_code >= 400 else "service_requests")


@FUZZ
@given(
    fmt=st.sampled_from(["json", "xml"]),
    service_code=st.one_of(st.sampled_from(["0201", "1002", "1201", "1302"]), text),
    lat=st.one_of(st.floats(allow_nan=True), text, st.just(IN_A1[1])),
    long=st.one_of(st.floats(allow_nan=True), text, st.just(IN_A1[0])),
    description=maybe,
    extra=st.dictionaries(
        st.sampled_from(POST_FIELDS),
        text,
        max_size=4,
    ),
)
def test_whatever_is_posted_the_answer_follows_the_spec(key, fmt, service_code, lat, long, description, extra):
    before = WorkOrder.objects.count()
    body = {"api_key": key, "service_code": service_code, "lat": lat, "long": long, "description": description}
    body.update(extra)
    response = Client().post(f"/open311/v2/requests.{fmt}", {k: v for k, v in body.items() if v is not None})
    answer_is_well_formed(response, fmt)
    assert WorkOrder.objects.count() == before + (1 if response.status_code == 200 else 0)


@FUZZ
@given(
    fmt=st.sampled_from(["json", "xml"]),
    params=st.dictionaries(
        st.sampled_from(
            ["service_request_id", "service_code", "start_date", "end_date", "status", "jurisdiction_id", "api_key"]
        ),
        st.one_of(text, st.sampled_from(["2026-09-01", "2026-09-01T00:00:00+08:00", "open,closed", "0201"])),
        max_size=4,
    ),
    resource=st.sampled_from(["requests", "servicerequestupdates", "services", "discovery"]),
)
def test_whatever_is_asked_the_lists_answer_in_the_spec_s_form(linkage, fmt, params, resource):
    response = Client().get(f"/open311/v2/{resource}.{fmt}", params)
    assert response.status_code in (200, 400, 403, 404), response.content[:300]
    if fmt == "json":
        json.loads(response.content.decode("utf-8"))
    else:
        ET.fromstring(response.content)
