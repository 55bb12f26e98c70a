"""Requests carrying a NUL character are refused at the door with a clear message, on every database."""

import json

import pytest
from django.test import Client

from civicgrid.workorders.models import WorkOrder
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_nul_in_the_address_or_the_query_is_a_clear_400(tree):
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    for url in ("/workorders/320106-2026%00/", "/workorders/track/x%00y/", "/regions/search/?q=a%00b"):
        answer = client.get(url)
        assert answer.status_code == 400, url
        assert "空字符" in answer.content.decode()


def test_a_nul_inside_a_json_or_form_body_is_refused_and_writes_nothing(tree):
    body = json.dumps({"description": "井盖\u0000缺失", "lon": 118.705, "lat": 32.005})
    answer = Client().post("/api/v1/workorders/reports", body, content_type="application/json")
    assert answer.status_code == 400 and "空字符" in answer.json()["detail"]
    form = Client().post(
        "/workorders/report/",
        "description=a%00b&lon=118.705&lat=32.005",
        content_type="application/x-www-form-urlencoded",
    )
    assert form.status_code == 400
    assert WorkOrder.objects.count() == 0


def test_ordinary_requests_pass(tree):
    assert Client().get("/workorders/report/").status_code == 200
