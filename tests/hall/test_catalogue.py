"""The service catalogue: the default one modelled on Daoli, loading from YAML or Excel all or nothing, adjustments."""

from io import BytesIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from civicgrid.core.errors import PermissionDenied, ValidationError
from civicgrid.core.models import AuditEntry
from civicgrid.hall import services
from civicgrid.hall.models import Material, ServiceCategory, ServiceItem
from civicgrid.people.choices import Role
from tests.factories import staff

pytestmark = pytest.mark.django_db

DEFAULT = services.default_catalogue_path()


def document() -> dict:
    return yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_default_catalogue_has_daolis_66_items_in_6_categories_22_on_the_spot_and_44_forwarded(hall):
    items = ServiceItem.objects.filter(is_active=True)
    assert items.count() == 66
    assert list(ServiceCategory.objects.values_list("name", flat=True)) == [
        "人力资源和社会保障",
        "民政",
        "老龄",
        "残联",
        "计生/卫健",
        "城建",
    ]
    assert items.filter(mode="on_the_spot").count() == 22
    assert items.filter(mode="forwarded").count() == 44
    names = set(items.values_list("name", flat=True))
    for expected in ("最低生活保障申请", "残疾人证新办", "高龄津贴申领", "灵活就业人员登记", "独生子女父母光荣证办理"):
        assert expected in names
    assert "城乡居民基本医疗保险参保登记" in names


def test_every_item_says_how_fast_who_handles_it_and_where_each_material_comes_from(hall):
    for item in ServiceItem.objects.prefetch_related("materials"):
        materials = list(item.materials.all())
        assert materials, item
        assert all(m.source_note for m in materials), item
        if item.mode == "forwarded":
            assert item.time_limit_days >= 1 and item.department_key, item
        else:
            assert item.time_limit_days == 0, item
    # the report's example: the only-child certificate is finished on the spot, and its materials say where to go
    certificate = ServiceItem.objects.get(name="独生子女父母光荣证办理")
    assert certificate.mode == "on_the_spot"
    assert certificate.materials.filter(name="结婚证", source_note__contains="婚姻登记处").exists()


def test_a_file_with_bad_rows_lists_every_problem_and_loads_nothing(tmp_path, tree):
    # given the default catalogue with four mistakes in it
    data = document()
    items = data["categories"][0]["items"]
    items[0]["mode"] = "soon"
    items[1]["days"] = 3  # an on-the-spot item with a time limit
    items[6]["department"] = "no_such_department"
    items[7]["materials"] = [{"name": "无来源的材料"}]
    # when it is loaded
    with pytest.raises(services.CatalogueRejected) as caught:
        services.catalogue_load(actor=None, path=write(tmp_path, data))
    # then each problem is named with its item, and nothing at all was loaded
    problems = "\n".join(caught.value.rows)
    assert len(caught.value.rows) == 4, problems
    assert "0101" in problems and "办理方式" in problems
    assert "0102" in problems and "即办事项的承诺时限应为 0" in problems
    assert "no_such_department" in problems
    assert "获取途径必填" in problems
    assert ServiceItem.objects.count() == 0 and Material.objects.count() == 0
    assert not AuditEntry.objects.filter(action="service_catalogue.load").exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["categories"][0]["items"][0].update(code="0201"), "事项编码应为类别代码 01"),
        (lambda d: d["categories"][0]["items"][1].update(code="0101"), "事项编码重复"),
        (lambda d: d["categories"][0]["items"][0].update(group="Z"), "业务分组 Z"),
        (lambda d: d["categories"][0]["items"][0].update(applicants=["neighbour"]), "申请人应为"),
        (lambda d: d["categories"][0]["items"][0].update(colour="red"), "不认识的字段 colour"),
        (lambda d: d["categories"][0]["items"][0].update(materials=["no_such_key"]), "no_such_key"),
        (lambda d: d["categories"][0]["items"][6].update(days=0), "收受分离事项的承诺时限"),
        (lambda d: d["groups"].append({"code": "a", "name": "小写"}), "大写字母"),
    ],
)
def test_each_rule_of_the_file_is_checked(tmp_path, tree, change, expected):
    data = document()
    change(data)
    with pytest.raises(services.CatalogueRejected) as caught:
        services.catalogue_load(actor=None, path=write(tmp_path, data))
    assert any(expected in row for row in caught.value.rows), caught.value.rows
    assert ServiceItem.objects.count() == 0


def test_the_catalogue_goes_to_excel_and_an_edited_sheet_loads_back(hall, tmp_path):
    # given the catalogue exported to Excel, where a district renames an item and drops another
    data = services.catalogue_workbook()
    workbook = load_workbook(BytesIO(data))
    items = workbook["事项"]
    header = [c.value for c in items[1]]
    assert header[:3] == ["类别代码", "事项编码", "事项名称"]
    for row in items.iter_rows(min_row=2):
        if row[1].value == "0101":
            row[2].value = "就业创业证申领（含补办）"
    last = items.max_row
    dropped = items.cell(last, 2).value
    items.delete_rows(last)
    materials = workbook["材料"]
    for row in reversed(list(materials.iter_rows(min_row=2))):
        if row[0].value == dropped:
            materials.delete_rows(row[0].row)
    path = tmp_path / "district.xlsx"
    workbook.save(path)
    # when it is loaded
    result = services.catalogue_load(actor=None, path=path)
    # then the rename is there, the dropped item is retired (not deleted) and the materials came along
    assert result.items == 65 and result.retired == 1
    assert ServiceItem.objects.get(code="0101").name == "就业创业证申领（含补办）"
    assert not ServiceItem.objects.get(code=dropped).is_active
    assert ServiceItem.objects.get(code="0201").materials.count() == 7


def test_an_excel_sheet_with_bad_rows_names_the_sheet_and_row_and_loads_nothing(hall, tmp_path):
    workbook = load_workbook(BytesIO(services.catalogue_workbook()))
    workbook["事项"]["D2"] = "马上办"  # mode
    workbook["材料"].append(["9999", "孤儿材料", "1份", "某处", "是"])
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    before = ServiceItem.objects.get(code="0101").mode
    with pytest.raises(services.CatalogueRejected) as caught:
        services.catalogue_load(actor=None, path=path)
    rows = "\n".join(caught.value.rows)
    assert "“事项”表第 2 行" in rows and "办理方式" in rows
    assert "9999" in rows
    assert ServiceItem.objects.get(code="0101").mode == before


def test_a_file_that_is_not_a_catalogue_is_refused_clearly(tree, tmp_path):
    path = tmp_path / "catalogue.xlsx"
    path.write_bytes(b"not a spreadsheet")
    with pytest.raises(services.CatalogueRejected, match="未导入任何内容"):
        services.catalogue_load(actor=None, path=path)
    other = tmp_path / "catalogue.csv"
    other.write_text("a,b")
    with pytest.raises(services.CatalogueRejected) as caught:
        services.catalogue_load(actor=None, path=other)
    assert "xlsx" in caught.value.rows[0]


def test_the_command_loads_the_default_catalogue_and_reports_a_bad_file_row_by_row(tree, tmp_path, capsys):
    call_command("load_service_catalogue")
    assert "66 items (22 on the spot, 44 forwarded)" in capsys.readouterr().out
    data = document()
    data["categories"][1]["items"][0]["mode"] = "later"
    with pytest.raises(CommandError, match="未导入任何内容"):
        call_command("load_service_catalogue", str(write(tmp_path, data)))
    assert "0201" in capsys.readouterr().err
    assert AuditEntry.objects.filter(action="service_catalogue.load").count() == 1


def test_only_a_district_administrator_loads_or_adjusts_the_catalogue(hall, tmp_path):
    clerk = hall.clerk_a1
    with pytest.raises(PermissionDenied):
        services.catalogue_load(actor=clerk, path=DEFAULT)
    item = ServiceItem.objects.get(code="0201")
    with pytest.raises(PermissionDenied):
        services.item_update(actor=clerk, item_id=item.pk, changes={"time_limit_days": 15})
    admin = staff(Role.DISTRICT_ADMIN, hall.tree.district, username="district_admin_2")
    services.item_update(actor=admin, item_id=item.pk, changes={"time_limit_days": 15})
    item.refresh_from_db()
    assert item.time_limit_days == 15
    entry = AuditEntry.objects.get(action="service_item.update")
    assert entry.before == {"time_limit_days": 20} and entry.after == {"time_limit_days": 15}


def test_an_adjustment_that_breaks_a_rule_is_refused_and_changes_nothing(hall):
    item = ServiceItem.objects.get(code="0201")
    with pytest.raises(ValidationError, match="收受分离事项的承诺时限"):
        services.item_update(actor=None, item_id=item.pk, changes={"time_limit_days": 0})
    with pytest.raises(ValidationError, match="即办事项的承诺时限应为 0"):
        services.item_update(actor=None, item_id=item.pk, changes={"mode": "on_the_spot"})
    item.refresh_from_db()
    assert item.mode == "forwarded" and item.time_limit_days == 20
