"""The service centre in Django admin: every list opens; changes go through the services and are audited."""

import pytest
from django.test import Client

from civicgrid.core.models import AuditEntry
from civicgrid.hall.models import Centre, ServiceItem
from civicgrid.people.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(hall) -> Client:
    User.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    assert client.login(username="root", password=PASSWORD)
    return client


@pytest.mark.parametrize(
    "model",
    [
        "servicegroup",
        "servicecategory",
        "serviceitem",
        "centre",
        "counter",
        "ticket",
        "appointment",
        "application",
        "rating",
    ],
)
def test_every_hall_list_opens(root, model):
    assert root.get(f"/admin/hall/{model}/").status_code == 200


def test_an_item_is_adjusted_through_the_service_and_audited(root):
    item = ServiceItem.objects.get(code="0201")
    page = root.get(f"/admin/hall/serviceitem/{item.pk}/change/")
    assert page.status_code == 200 and "家庭经济状况核对授权书" in page.content.decode()
    form = {
        "mode": "forwarded",
        "time_limit_days": "15",
        "department_key": "civil_affairs",
        "applicants": '["resident", "proxy"]',
        "online_bookable": "on",
        "is_active": "on",
        "description": item.description,
    }
    assert root.post(f"/admin/hall/serviceitem/{item.pk}/change/", form).status_code == 302
    item.refresh_from_db()
    assert item.time_limit_days == 15
    assert AuditEntry.objects.filter(action="service_item.update").count() == 1
    # a value the rules refuse is shown as a message and changes nothing
    response = root.post(f"/admin/hall/serviceitem/{item.pk}/change/", {**form, "time_limit_days": "0"}, follow=True)
    assert "收受分离事项的承诺时限" in response.content.decode()
    item.refresh_from_db()
    assert item.time_limit_days == 15


def test_a_centre_is_opened_from_the_admin_through_the_service(root, hall):
    Centre.objects.filter(pk=hall.centre_b.pk).update(is_active=False)
    form = {
        "street_code": hall.tree.street_b.code,
        "name": "湖南路街道第二服务中心",
        "address": "湖南路 1 号",
        "phone": "025-80000000",
        "hours": '[["08:30", "17:30"]]',
        "extended_hours": "{}",
        "slot_minutes": "30",
        "slot_capacity": "4",
        "booking_days": "7",
        "priority_age": "70",
        "ticket_cutoff_minutes": "15",
        "is_active": "on",
    }
    assert root.post("/admin/hall/centre/add/", form).status_code == 302
    centre = Centre.objects.get(name="湖南路街道第二服务中心")
    assert centre.code == f"{hall.tree.street_b.code}02" and centre.region_path == hall.tree.street_b.path
    assert AuditEntry.objects.filter(action="centre.create", object_id=str(centre.pk)).exists()
