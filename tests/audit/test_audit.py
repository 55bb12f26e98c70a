"""The audit log and the personal-data access log: what a change or an unmasked view leaves behind."""

import pytest

from civicgrid.core import audit, context, personal_data
from civicgrid.core.errors import PermissionDenied, ValidationError
from civicgrid.core.masking import mask_id_number, mask_name, mask_phone
from civicgrid.core.models import AuditEntry, PersonalDataAccess
from civicgrid.regions import services

pytestmark = pytest.mark.django_db


def test_given_a_request_id_when_a_service_changes_something_then_the_row_carries_actor_object_and_request(tree):
    token = context.set_request_id("req-12345678")
    try:
        services.grid_set_partner(actor=tree.officer_a, grid_id=tree.grid_a1.pk, partner_id=None)
    finally:
        context.reset_request_id(token)
    rows = list(AuditEntry.objects.order_by("id"))
    assert [r.action for r in rows] == ["grid.unpair", "grid.unpair"]
    first = rows[0]
    assert first.actor == tree.officer_a and first.actor_name == "officer_a"
    assert first.object_id == str(tree.grid_a1.pk) and first.object_repr.startswith("仙霞路第一网格")
    assert first.before == {"partner": tree.grid_a2.pk} and first.after == {"partner": None}
    assert first.request_id == "req-12345678" and first.region_path == tree.grid_a1.path


def test_given_a_system_change_then_the_actor_is_recorded_as_system(tree):
    row = audit.record(actor=None, action="demo.load", obj=tree.district, after={"grids": 4})
    assert row.actor is None and row.actor_name == "system" and row.region_path == tree.district.path


def test_given_grids_of_two_streets_when_paired_across_streets_then_it_is_refused_and_nothing_changes(tree):
    with pytest.raises(ValidationError, match="同一街道"):
        services.grid_set_partner(actor=tree.admin, grid_id=tree.grid_a1.pk, partner_id=tree.grid_b1.pk)
    with pytest.raises(PermissionDenied):
        services.grid_set_partner(actor=tree.worker_a1, grid_id=tree.grid_a1.pk, partner_id=None)
    tree.grid_a1.refresh_from_db()
    assert tree.grid_a1.partner == tree.grid_a2 and not AuditEntry.objects.exists()


def test_given_new_partners_then_old_partners_are_released(tree):
    services.grid_set_partner(actor=tree.officer_b, grid_id=tree.grid_b1.pk, partner_id=tree.grid_b2.pk)
    tree.grid_b2.refresh_from_db()
    assert tree.grid_b2.partner == tree.grid_b1
    from tests.factories import make_region, square

    third = make_region("320106001003003", "仙霞路第三网格", "grid", tree.community_a, boundary=square(118.70, 32.01))
    services.grid_set_partner(actor=tree.admin, grid_id=third.pk, partner_id=tree.grid_a1.pk)
    tree.grid_a1.refresh_from_db()
    tree.grid_a2.refresh_from_db()
    assert tree.grid_a1.partner == third and tree.grid_a2.partner is None


def test_given_a_reason_when_an_administrator_reveals_a_phone_then_the_view_is_logged_without_the_value(tree):
    values = personal_data.reveal(
        actor=tree.admin, obj=tree.worker_a1, fields=["phone"], reason="联系核实", allowed=True
    )
    assert values == {"phone": tree.worker_a1.phone}
    row = PersonalDataAccess.objects.get()
    assert (row.actor, row.subject_id, row.fields, row.reason) == (
        tree.admin,
        str(tree.worker_a1.pk),
        ["phone"],
        "联系核实",
    )
    assert tree.worker_a1.phone not in str(row.__dict__)


def test_given_no_reason_or_no_permission_then_nothing_is_revealed_or_logged(tree):
    with pytest.raises(ValidationError):
        personal_data.reveal(actor=tree.admin, obj=tree.worker_a1, fields=["phone"], reason=" ", allowed=True)
    with pytest.raises(PermissionDenied):
        personal_data.reveal(actor=tree.worker_a2, obj=tree.worker_a1, fields=["phone"], reason="好奇", allowed=False)
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.parametrize(
    ("function", "value", "masked"),
    [
        (mask_phone, "13812345678", "138****5678"),
        (mask_phone, "025-83123456", "025*****3456"),
        (mask_phone, "12345", "***45"),
        (mask_phone, "", ""),
        (mask_id_number, "32010619800101123X", "320106********123X"),
        (mask_id_number, "123", "***"),
        (mask_name, "张三丰", "张**"),
        (mask_name, "李", "李"),
    ],
)
def test_masking(function, value, masked):
    assert function(value) == masked
