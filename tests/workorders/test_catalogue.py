"""The incident catalogue and responsibility list: the shipped file loads; a bad file is refused whole, row by row."""

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.workorders import services
from civicgrid.workorders.choices import LimitUnit
from civicgrid.workorders.models import IncidentCategory, IncidentType

pytestmark = pytest.mark.django_db

SHIPPED = Path(settings.DATA_DIR) / "incident_types.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "incident_types.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def loaded() -> tuple[list[tuple[str, str]], list[tuple]]:
    return (
        list(IncidentCategory.objects.order_by("code").values_list("code", "name")),
        list(IncidentType.objects.order_by("code").values_list()),
    )


def test_the_shipped_catalogue_loads_as_the_file_says(tree):
    document = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    type_count = sum(len(category["types"]) for category in document["categories"])
    counts = services.incident_types_load(actor=tree.admin, path=SHIPPED)
    assert counts == {"categories": len(document["categories"]), "types": type_count}
    assert (
        IncidentCategory.objects.count() == len(document["categories"]) and IncidentType.objects.count() == type_count
    )
    # a line with its own limits and flags
    leak = IncidentType.objects.get(code="0102")
    assert (leak.name, leak.category.code, leak.handling_level, leak.department_key) == (
        "水管破裂漏水",
        "01",
        "district",
        "water",
    )
    assert (leak.sign_hours, leak.handle_limit, leak.handle_unit) == (Decimal(1), Decimal(8), LimitUnit.HOURS)
    assert leak.field_dispatch and leak.auto_dispatch and leak.emergency_fund and not leak.auto_escalate
    assert "漏水" in leak.keywords
    # a line that takes the defaults
    other = IncidentType.objects.get(code="9901")
    assert (other.dispatch_hours, other.sign_hours, other.handle_unit) == (Decimal(1), Decimal(2), LimitUnit.DAYS)
    assert not (other.field_dispatch or other.auto_dispatch or other.auto_escalate) and other.department_key == ""
    # every type that goes out at once has a department to go to
    assert not IncidentType.objects.filter(auto_dispatch=True, department_key="").exists()
    row = AuditEntry.objects.get(action="incident_types.load")
    assert row.actor == tree.admin and row.after == {**counts, "file": "incident_types.yaml"}


def test_loading_the_catalogue_again_updates_in_place(tree, tmp_path):
    services.incident_types_load(actor=None, path=SHIPPED)
    before = IncidentType.objects.count()
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "name: 停水, level: district", "name: 计划外停水, level: district"
    )
    services.incident_types_load(actor=None, path=write(tmp_path, text))
    assert IncidentType.objects.count() == before
    assert IncidentType.objects.get(code="0101").name == "计划外停水"


def test_only_administrators_load_the_catalogue(tree):
    for actor in (tree.officer_a, tree.worker_a1):
        with pytest.raises(PermissionDenied):
            services.incident_types_load(actor=actor, path=SHIPPED)
    assert loaded() == ([], []) and not AuditEntry.objects.exists()


BAD_FILE = """
defaults: {dispatch_hours: 1, sign_hours: 2, handle: 3, unit: days}
categories:
  - code: "01"
    name: 供水
    types:
      - {code: "0101", name: 停水, level: district, department: water}
      - {code: "1X02", name: 代码错误, level: street, department: water}
      - {code: "0103", name: 没有的部门, level: street, department: dragons}
      - {code: "0104", name: 没有的层级, level: province, department: water}
      - {code: "0101", name: 代码重复, level: street, department: water}
      - {code: "0105", name: 自动派遣无部门, level: street, auto: true}
"""


def test_a_bad_file_is_refused_with_every_bad_row_named_and_nothing_loaded(tmp_path):
    with pytest.raises(services.CatalogueError) as refused:
        services.incident_types_load(actor=None, path=write(tmp_path, BAD_FILE))
    rows = refused.value.rows
    assert len(rows) == 5, rows
    expected = {
        "1X02": "code must be",
        "0103": "unknown department 'dragons'",
        "0104": "level must be",
        "0101": "appears twice",
        "0105": "auto dispatch needs a department",
    }
    for code, words in expected.items():
        assert any(code in row and words in row for row in rows), (code, rows)
    assert "5" in refused.value.message
    assert loaded() == ([], []) and not AuditEntry.objects.exists()


def test_a_bad_file_leaves_the_catalogue_already_loaded_as_it_was(tmp_path):
    services.incident_types_load(actor=None, path=SHIPPED)
    before = loaded()
    bad = SHIPPED.read_text(encoding="utf-8").replace("name: 停水, level: district", "name: 停水, level: galaxy")
    with pytest.raises(services.CatalogueError) as refused:
        services.incident_types_load(actor=None, path=write(tmp_path, bad))
    assert refused.value.rows == ["type 0101 (停水): level must be grid, community, street, district or city"]
    assert loaded() == before


MALFORMED = {
    "not yaml": "categories: [unclosed\n",
    "a list, not a mapping": "- code: '01'\n",
    "categories not a list": "categories: {code: '01'}\n",
    "a category that is a string": "categories: [供水]\n",
    "a category without a name": "categories: [{code: '01', types: []}]\n",
    "an unquoted code read as a number": "categories: [{code: 01, name: 供水, types: []}]\n",
    "the same category twice": (
        "categories: [{code: '01', name: 供水, types: []}, {code: '01', name: 排水, types: []}]\n"
    ),
    "types not a list": "categories: [{code: '01', name: 供水, types: {code: '0101'}}]\n",
    "a type that is a string": "categories: [{code: '01', name: 供水, types: [停水]}]\n",
    "a misspelt key": (
        "categories: [{code: '01', name: 供水, types: [{code: '0101', name: 停水, level: street, "
        "departmnet: water, handle: 1, unit: days, dispatch_hours: 1, sign_hours: 1}]}]\n"
    ),
    "keywords as one string": (
        "categories: [{code: '01', name: 供水, types: [{code: '0101', name: 停水, level: street, "
        "keywords: 停水, handle: 1, unit: days, dispatch_hours: 1, sign_hours: 1}]}]\n"
    ),
    "a flag that is not true or false": (
        "categories: [{code: '01', name: 供水, types: [{code: '0101', name: 停水, level: street, "
        "auto: 'yes please', department: water, handle: 1, unit: days, dispatch_hours: 1, sign_hours: 1}]}]\n"
    ),
    "a limit of true": (
        "categories: [{code: '01', name: 供水, types: [{code: '0101', name: 停水, level: street, "
        "handle: true, unit: days, dispatch_hours: 1, sign_hours: 1}]}]\n"
    ),
    "half a day": (
        "categories: [{code: '01', name: 供水, types: [{code: '0101', name: 停水, level: street, "
        "handle: 1.5, unit: days, dispatch_hours: 1, sign_hours: 1}]}]\n"
    ),
    "a zero limit": (
        "categories: [{code: '01', name: 供水, types: [{code: '0101', name: 停水, level: street, "
        "handle: 1, unit: days, dispatch_hours: 0, sign_hours: 1}]}]\n"
    ),
    "an unknown unit": (
        "categories: [{code: '01', name: 供水, types: [{code: '0101', name: 停水, level: street, "
        "handle: 1, unit: weeks, dispatch_hours: 1, sign_hours: 1}]}]\n"
    ),
    "a name too long": (
        "categories: [{code: '01', name: 供水, types: [{code: '0101', name: "
        + "长" * 41
        + ", level: street, handle: 1, unit: days, dispatch_hours: 1, sign_hours: 1}]}]\n"
    ),
}


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_file_is_refused_with_a_reason_and_nothing_loaded(tmp_path, text):
    with pytest.raises(services.CatalogueError) as refused:
        services.incident_types_load(actor=None, path=write(tmp_path, text))
    assert refused.value.rows and all(isinstance(row, str) and row for row in refused.value.rows)
    assert loaded() == ([], [])


def test_a_missing_file_is_refused_with_its_name(tmp_path):
    with pytest.raises(services.CatalogueError) as refused:
        services.incident_types_load(actor=None, path=tmp_path / "nowhere.yaml")
    assert "nowhere.yaml" in refused.value.rows[0]
