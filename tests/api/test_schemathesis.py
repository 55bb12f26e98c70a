"""Generated input against every GET endpoint of the OpenAPI schema: nothing may answer with a server error.

Schemathesis generates the cases from the served schema; Django's test client sends them, so each case runs
inside the test's transaction against the `tree` data.
"""

from urllib.parse import urlencode

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, settings

from civicgrid.api import api
from tests.factories import PASSWORD

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())


@pytest.fixture
def admin_client(tree) -> Client:
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    return client


@pytest.mark.django_db
@schema.include(method="GET").parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_get_endpoint_answers_a_server_error(case, admin_client):
    query = urlencode(case.query or {}, doseq=True)
    path = case.formatted_path + (f"?{query}" if query else "")
    response = admin_client.get(path, headers=case.headers or {})
    assert response.status_code < 500, f"{path} -> {response.status_code}: {response.content[:300]!r}"
