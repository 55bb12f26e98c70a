"""Ledgers over the one set of records, their Excel export (exporter and time in the file, every export in the
access log), and personal data: masked by default, shown whole only to roles that may, with a reason, logged."""

import io

import pytest
from openpyxl import load_workbook

from civicgrid.core.errors import NotFound, PermissionDenied, ValidationError
from civicgrid.core.models import PersonalDataAccess
from civicgrid.registry import ledgers, selectors, services
from tests.registry.conftest import GB_EXAMPLE, id_number


@pytest.fixture
def people(places):
    admin = places.tree.admin
    elderly = services.resident_register(
        actor=admin, household_id=places.home_a1.pk, name="张秀英", id_number=GB_EXAMPLE, relation="02",
        phone="13912345678", tags=["elderly_alone"],
    )  # fmt: skip
    floating = services.resident_register(
        actor=admin, household_id=places.home_a2.pk, name="王强", id_number=id_number(birth="19900101"),
        relation="02", residence_status="floating", inflow_reason="务工", floating_since="2024-03-01",
    )  # fmt: skip
    other_street = services.resident_register(
        actor=admin, household_id=places.home_b1.pk, name="赵敏", id_number=id_number(sequence=9), relation="02",
        tags=["disabled"],
    )  # fmt: skip
    services.resident_set_key_person(
        actor=admin, resident_id=floating.pk, is_key_person=True, key_person_type="petitioner"
    )
    return elderly, floating, other_street


def sheet_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_the_shipped_ledgers_are_valid_and_a_key_person_ledger_must_be_restricted():
    assert "population" in ledgers.definitions() and ledgers.definitions()["key_persons"].restricted
    with pytest.raises(ledgers.LedgersRejected) as caught:
        ledgers.parse_ledgers(
            {
                "ledgers": [
                    {
                        "key": "k",
                        "name": "K",
                        "of": "residents",
                        "filters": {"is_key_person": True},
                        "columns": ["name", "shoe_size"],
                    }
                ]
            }
        )
    assert "shoe_size" in str(caught.value) and "must be restricted" in str(caught.value)


def test_a_ledger_is_a_filtered_view_of_the_one_set_of_records(places, people):
    elderly, floating, _other = people
    _definition, rows = selectors.ledger_queryset(actor=places.tree.officer_a, key="elderly_alone")
    assert list(rows) == [elderly]
    _definition, rows = selectors.ledger_queryset(actor=places.tree.officer_a, key="floating")
    assert list(rows) == [floating]
    # a street officer of street A sees nothing of street B's disabled resident
    _definition, rows = selectors.ledger_queryset(actor=places.tree.officer_a, key="disabled")
    assert list(rows) == []


def test_the_key_person_ledger_is_not_there_for_a_grid_worker(places, people):
    assert "key_persons" not in [item.key for item in selectors.available_ledgers(actor=places.tree.worker_a1)]
    with pytest.raises(NotFound):
        selectors.ledger_queryset(actor=places.tree.worker_a1, key="key_persons")
    _definition, rows = selectors.ledger_queryset(actor=places.head_a, key="key_persons")
    assert [r.name for r in rows] == ["王强"]


def test_an_export_is_masked_carries_the_exporter_and_time_and_is_logged(places, people):
    officer = places.tree.officer_a
    exported = services.ledger_export(actor=officer, key="population")
    rows = sheet_rows(exported.content)
    text = " ".join(str(c) for row in rows for c in row if c is not None)
    # the exporter and the time are in the file, the numbers masked, street B absent
    assert "导出人：宁海路干部" in text and "导出时间：" in text and "已脱敏" in text
    assert "110105********002X" in text and GB_EXAMPLE not in text
    assert "139****5678" in text and "13912345678" not in text
    assert "赵敏" not in text
    # and the export is in the access log with the number of rows, never the values
    log = PersonalDataAccess.objects.get()
    assert log.actor == officer and log.subject_id == "ledger:population" and log.fields == []
    assert "共 2 行" in log.reason and "个人信息已脱敏" in log.reason
    assert exported.rows == 2 and exported.file_name.startswith("实有人口台账-")


def test_an_unmasked_export_needs_the_role_and_a_reason(places, people):
    with pytest.raises(PermissionDenied):
        services.ledger_export(actor=places.head_a, key="population", unmasked=True, reason="核对低保")
    with pytest.raises(ValidationError):
        services.ledger_export(actor=places.tree.officer_a, key="population", unmasked=True, reason="")
    assert not PersonalDataAccess.objects.exists()
    exported = services.ledger_export(actor=places.tree.officer_a, key="population", unmasked=True, reason="民政核对")
    assert GB_EXAMPLE in " ".join(str(c) for row in sheet_rows(exported.content) for c in row if c)
    log = PersonalDataAccess.objects.get()
    assert log.fields == ["id_number", "phone"] and "民政核对" in log.reason


def test_the_key_person_type_column_is_empty_for_whoever_may_not_know(places, people):
    # the population ledger has no key-person column; the key-person ledger is restricted; and a custom column
    # in another ledger would still be blanked: shown here through the column itself
    column = ledgers.RESIDENT_COLUMNS["key_person_type"]
    _elderly, floating, _other = people
    floating.refresh_from_db()
    blind = ledgers.context(unmasked=False, key_person_paths=())
    seeing = ledgers.context(unmasked=False, key_person_paths=(places.tree.grid_a2.path,))
    assert column.get(floating, blind) == "" and column.get(floating, seeing) == "重点信访人员"


def test_revealing_a_number_needs_a_role_that_may_and_a_reason_and_is_logged(places, people):
    elderly, _floating, _other = people
    tree = places.tree
    # a grid worker of the resident's grid may, with a reason
    values = services.reveal(actor=tree.worker_a1, kind="resident", pk=elderly.pk, reason="核实身份，办理高龄补贴")
    assert values == {"id_number": GB_EXAMPLE, "phone": "13912345678"}
    log = PersonalDataAccess.objects.get()
    assert (log.actor, log.subject_id, log.fields) == (tree.worker_a1, str(elderly.pk), ["id_number", "phone"])
    assert log.region_path == tree.grid_a1.path
    # without a reason: refused, and nothing logged
    with pytest.raises(ValidationError):
        services.reveal(actor=tree.worker_a1, kind="resident", pk=elderly.pk, reason=" ")
    # an assistant who is not the police officer may read the files but not unmask
    from civicgrid.people.choices import Role
    from tests.factories import staff

    volunteer = staff(Role.GRID_ASSISTANT, tree.grid_a1, username="vol_a1", assistant_kind="volunteer")
    with pytest.raises(PermissionDenied):
        services.reveal(actor=volunteer, kind="resident", pk=elderly.pk, reason="想看看")
    # a worker of another grid does not find the resident at all
    with pytest.raises(NotFound):
        services.reveal(actor=tree.worker_b1, kind="resident", pk=elderly.pk, reason="核实")
    assert PersonalDataAccess.objects.count() == 1
