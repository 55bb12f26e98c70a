"""Residents' files: registering, correcting, moving (one household at a time), leaving, key persons; who may do it
where (a grid worker in their grid and the grid they cover, a community head in their community)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.core.models import AuditEntry
from civicgrid.registry import selectors, services
from civicgrid.registry.choices import MoveReason, ResidenceStatus, ResidentStatus, Sex
from civicgrid.registry.models import Code, PastMembership, Resident
from tests.registry.conftest import GB_EXAMPLE, id_number


def register(actor, home, **data):
    data.setdefault("name", "张秀英")
    data.setdefault("relation", "02")
    return services.resident_register(actor=actor, household_id=home.pk, **data)


def test_a_grid_worker_registers_a_resident_whose_birth_date_and_sex_come_from_the_id_number(places):
    # given grid A1's worker and a household of grid A1
    worker = places.tree.worker_a1
    # when they register a resident with the standard's example number and a phone
    person = register(worker, places.home_a1, id_number=GB_EXAMPLE, phone="13912345678", tags=["retired", "独居老人"])
    # then birth date and sex are read from the number, the categories count as reviewed today
    person.refresh_from_db()
    assert (person.birth_date.isoformat(), person.sex) == ("1949-12-31", Sex.FEMALE)
    assert person.household == places.home_a1 and person.grid == places.tree.grid_a1
    assert person.household_since == timezone.localdate()
    assert person.categories_reviewed_on == timezone.localdate()
    assert sorted(person.tags.values_list("code", flat=True)) == ["elderly_alone", "retired"]
    # and the audit row holds the number and phone masked, never whole
    row = AuditEntry.objects.get(action="resident.register")
    assert row.after["id_number"] == "110105********002X"
    assert row.after["phone"] == "139****5678"
    assert GB_EXAMPLE not in str(row.after) and "13912345678" not in str(row.after)


def test_a_resident_cannot_be_registered_twice_or_in_two_households_at_once(places):
    admin = places.tree.admin
    register(admin, places.home_a1, id_number=GB_EXAMPLE)
    # the same person again in another household: a move is what is wanted, and nothing is written
    with pytest.raises(ValidationError) as caught:
        register(admin, places.home_a2, name="张秀英", id_number=GB_EXAMPLE, relation="02")
    assert "一人同时只能属于一户" in caught.value.message
    assert "迁移" in caught.value.message
    assert GB_EXAMPLE not in caught.value.message
    # the same person again in the same household
    with pytest.raises(ValidationError) as again:
        register(admin, places.home_a1, id_number=GB_EXAMPLE, relation="10")
    assert "已登记" in again.value.message
    assert Resident.objects.count() == 1


def test_a_household_has_one_head(places):
    register(places.tree.admin, places.home_a1, id_number=id_number(sequence=1))
    with pytest.raises(ValidationError) as caught:
        register(places.tree.admin, places.home_a1, name="李强", id_number=id_number(sequence=3))
    assert "已有户主" in caught.value.message


def test_a_care_tag_must_fit_the_age_and_floating_fields_only_floating_residents(places):
    young = id_number(birth="20000101")
    with pytest.raises(ValidationError) as caught:
        register(places.tree.admin, places.home_a1, id_number=young, tags=["elderly_alone"])
    assert "60 周岁" in caught.value.message
    with pytest.raises(ValidationError) as floating:
        register(places.tree.admin, places.home_a1, id_number=young, inflow_reason="务工")
    assert "只有流动人口" in floating.value.message
    assert not Resident.objects.exists()


def test_a_correction_that_contradicts_the_id_number_changes_nothing(places):
    person = register(places.tree.worker_a1, places.home_a1, id_number=GB_EXAMPLE)
    with pytest.raises(ValidationError) as caught:
        services.resident_update(actor=places.tree.worker_a1, resident_id=person.pk, birth_date="1950-01-01")
    assert "出生日期与身份证号码" in caught.value.message
    person.refresh_from_db()
    assert person.birth_date.isoformat() == "1949-12-31"
    # a correction that agrees is kept and audited; `reviewed` confirms the categories today
    services.resident_update(
        actor=places.tree.worker_a1, resident_id=person.pk, phone="025-83456789", occupation="退休", reviewed=True
    )
    person.refresh_from_db()
    assert (person.phone, person.occupation) == ("025-83456789", "退休")
    assert AuditEntry.objects.filter(action="resident.update").count() == 1


def test_no_longer_floating_drops_the_floating_fields(places):
    person = register(
        places.tree.admin, places.home_a1, id_number=id_number(birth="19900101"), residence_status="floating",
        inflow_reason="务工", floating_since="2024-03-01",
    )  # fmt: skip
    assert person.inflow_reason is not None
    services.resident_update(actor=places.tree.admin, resident_id=person.pk, residence_status="registered")
    person.refresh_from_db()
    assert (person.residence_status, person.inflow_reason, person.floating_since) == (
        ResidenceStatus.REGISTERED, None, None,
    )  # fmt: skip


def test_a_move_keeps_the_old_household_as_history(places):
    admin = places.tree.admin
    person = register(admin, places.home_a1, id_number=GB_EXAMPLE)
    services.resident_move(actor=admin, resident_id=person.pk, household_id=places.home_a2.pk, relation="02")
    person.refresh_from_db()
    # then the resident is in the new household only, filed in its grid
    assert person.household == places.home_a2 and person.grid == places.tree.grid_a2
    past = PastMembership.objects.get(resident=person)
    assert past.household == places.home_a1 and past.end_reason == MoveReason.MOVED_WITHIN
    # and the old household's file lists them as a former member
    file = selectors.household_file(actor=admin, household_id=places.home_a1.pk)
    assert file.members == [] and [m.resident for m in file.former] == [person]
    with pytest.raises(ValidationError):
        services.resident_move(actor=admin, resident_id=person.pk, household_id=places.home_a2.pk)


def test_a_resident_who_died_leaves_the_household_and_the_file_is_closed(places):
    admin = places.tree.admin
    person = register(admin, places.home_a1, id_number=GB_EXAMPLE)
    services.resident_leave(actor=admin, resident_id=person.pk, reason=MoveReason.DECEASED)
    person.refresh_from_db()
    assert (person.status, person.household) == (ResidentStatus.DECEASED, None)
    with pytest.raises(TransitionNotAllowed):
        services.resident_update(actor=admin, resident_id=person.pk, phone="13912345678")
    with pytest.raises(ValidationError):
        services.resident_leave(actor=admin, resident_id=person.pk, reason="married")


def test_a_grid_worker_edits_only_their_grid(places):
    tree = places.tree
    other = register(tree.admin, places.home_a2, id_number=GB_EXAMPLE)
    # a resident of grid A2 is unknown to A1's worker (404, not 403: nothing is given away)
    with pytest.raises(NotFound):
        services.resident_update(actor=tree.worker_a1, resident_id=other.pk, occupation="教师")
    with pytest.raises(NotFound):
        selectors.resident(actor=tree.worker_a1, resident_id=other.pk)
    with pytest.raises(NotFound):
        register(tree.worker_a1, places.home_b1, id_number=id_number(sequence=5))
    assert Resident.objects.count() == 1


def test_the_ab_partner_covers_a_grid_while_its_worker_is_on_leave(places):
    # given A2's worker on leave, recorded and approved by the grid leader of A1 and A2
    from civicgrid.gridwork.services import leave_request

    tree = places.tree
    person = register(tree.admin, places.home_a2, id_number=GB_EXAMPLE)
    today = timezone.localdate()
    leave_request(
        actor=tree.leader_a, worker_username="worker_a2", starts_on=today, ends_on=today + timedelta(days=2),
        kind="sick", reason="住院",
    )  # fmt: skip
    worker = type(tree.worker_a1).objects.get(pk=tree.worker_a1.pk)  # a fresh request: nothing cached
    # then A1's worker, A2's partner, sees and edits A2's files during the leave
    assert selectors.resident(actor=worker, resident_id=person.pk) == person
    services.resident_update(actor=worker, resident_id=person.pk, occupation="退休")
    # and B1's worker does not
    with pytest.raises(NotFound):
        selectors.resident(actor=tree.worker_b1, resident_id=person.pk)


def test_a_community_head_sees_only_their_community(places):
    tree = places.tree
    in_a = register(tree.admin, places.home_a2, id_number=GB_EXAMPLE)
    in_b = register(tree.admin, places.home_b1, name="赵敏", id_number=id_number(sequence=7))
    seen = set(selectors.residents(actor=places.head_a).values_list("pk", flat=True))
    assert seen == {in_a.pk}
    assert in_b.pk not in set(selectors.residents(actor=tree.worker_a1).values_list("pk", flat=True))


def test_key_persons_are_marked_and_seen_only_by_the_roles_allowed(places):
    tree = places.tree
    person = register(tree.admin, places.home_a1, id_number=GB_EXAMPLE)
    # a grid worker may not mark a key person
    with pytest.raises(PermissionDenied):
        services.resident_set_key_person(
            actor=tree.worker_a1, resident_id=person.pk, is_key_person=True, key_person_type="petitioner"
        )
    # the community police officer may, with a type
    with pytest.raises(ValidationError):
        services.resident_set_key_person(actor=tree.police_a1, resident_id=person.pk, is_key_person=True)
    services.resident_set_key_person(
        actor=tree.police_a1, resident_id=person.pk, is_key_person=True, key_person_type="petitioner"
    )
    person.refresh_from_db()
    assert person.is_key_person and person.key_person_type == Code.objects.get(code="petitioner")
    # the grid worker cannot ask for the list of key persons
    with pytest.raises(PermissionDenied):
        list(selectors.residents(actor=tree.worker_a1, key_persons=True))
    assert list(selectors.residents(actor=places.head_a, key_persons=True)) == [person]


def test_a_correction_from_a_page_opened_before_someone_else_saved_is_refused(places):
    from civicgrid.core.errors import Conflict

    person = register(places.tree.worker_a1, places.home_a1, id_number=GB_EXAMPLE)
    seen = person.updated_at
    # the leader saves first; the worker's form still carries the time it was opened
    services.resident_update(
        actor=places.tree.leader_a, resident_id=person.pk, occupation="退休", expected_updated_at=seen
    )
    with pytest.raises(Conflict) as caught:
        services.resident_update(
            actor=places.tree.worker_a1, resident_id=person.pk, occupation="教师", expected_updated_at=seen
        )
    assert "已被他人修改" in caught.value.message
    person.refresh_from_db()
    assert person.occupation == "退休"
