"""Importing ledgers from Excel and CSV: every bad row explained, nothing half-imported; all-or-nothing and clean-rows
modes; the file of bad rows to fix; files that are not spreadsheets or lack columns."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.registry import services
from civicgrid.registry.choices import ImportMode, ImportStatus
from civicgrid.registry.models import Building, Estate, Household, ImportBatch, Organisation, Resident
from civicgrid.registry.services import ImportRejected
from tests.registry.conftest import GB_EXAMPLE, id_number

HEADER = [
    "姓名",
    "身份证号",
    "联系电话",
    "小区",
    "楼栋",
    "单元",
    "房号",
    "与户主关系",
    "人口类型",
    "关爱标签",
    "来本地日期",
]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(header), *(",".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["实有人口台账"])  # a title above the header, as an exported ledger has
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = [
    ["张秀英", GB_EXAMPLE, "13912345678", "阳光小区", "1幢", "1", "502", "户主", "户籍人口", "独居老人", ""],
    ["王强", id_number(sequence=1), "", "阳光小区", "1幢", "2", "601", "户主", "流动人口", "", "2024-03-01"],
    ["王小明", id_number(birth="20150601", sequence=3), "", "阳光小区", "1幢", "2", "601", "子", "流动人口", "", ""],
]
BAD = [
    ["李四", "110105194912310021", "", "阳光小区", "1幢", "1", "503", "户主", "", "", ""],  # check digit
    ["赵六", id_number(sequence=5), "", "阳光小区", "9幢", "1", "101", "户主", "", "", ""],  # unknown building
    ["张秀英", GB_EXAMPLE, "", "阳光小区", "1幢", "1", "504", "户主", "", "", ""],  # same person as row 2
    ["钱七", id_number(sequence=7), "", "阳光小区", "1幢", "1", "505", "户主", "流动人口", "", "2099-01-01"],  # future
]


def test_all_or_nothing_imports_nothing_and_explains_every_bad_row(places):
    # given a file with three good rows and four bad ones
    data = csv_bytes(GOOD + BAD)
    # when a district administrator imports it, all or nothing
    batch = services.import_file(actor=places.tree.admin, kind="residents", data=data, file_name="人口.csv")
    # then nothing is written, and each bad row is explained by its line number and column
    assert batch.status == ImportStatus.REJECTED
    assert (batch.total_rows, batch.imported_rows, batch.error_rows) == (7, 0, 4)
    assert not Resident.objects.exists()
    assert Household.objects.count() == 3  # the fixture's own
    by_row = {e["row"]: e for e in batch.errors}
    assert by_row[5]["column"] == "身份证号" and "校验位" in by_row[5]["message"]
    assert by_row[6]["column"] == "楼栋" and "没有找到楼栋“阳光小区9幢”" in by_row[6]["message"]
    assert "与第 2 行是同一人" in by_row[7]["message"]
    assert by_row[8]["column"] == "来本地日期" and "不能晚于今天" in by_row[8]["message"]
    # and no ID number appears in any message
    assert not any(GB_EXAMPLE in e["message"] or "110105194912310021" in e["message"] for e in batch.errors)
    assert AuditEntry.objects.get(action="registry.import_residents").after["status"] == ImportStatus.REJECTED


def test_clean_rows_only_imports_the_good_rows_and_gives_back_the_bad_ones_as_a_file(places):
    batch = services.import_file(
        actor=places.tree.admin, kind="residents", data=csv_bytes(GOOD + BAD), mode=ImportMode.CLEAN_ROWS
    )
    assert batch.status == ImportStatus.PARTIAL
    assert (batch.imported_rows, batch.error_rows) == (3, 4)
    # the good rows are on file, with the households their rooms needed (502 and 601 are new)
    assert sorted(Resident.objects.values_list("name", flat=True)) == ["张秀英", "王小明", "王强"]
    father = Resident.objects.get(name="王强")
    assert father.household == Resident.objects.get(name="王小明").household
    assert father.household.address == "仙霞路 8 号阳光小区1幢2单元601室"
    assert father.grid == places.tree.grid_a1 and father.import_batch == batch
    assert batch.created == {"households": 2, "residents": 3}
    elderly = Resident.objects.get(name="张秀英")
    assert list(elderly.tags.values_list("code", flat=True)) == ["elderly_alone"]
    # the error file holds the four bad rows as written, with what to fix in a last column
    sheet = load_workbook(io.BytesIO(bytes(batch.error_file))).active
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row[0] == "姓名")
    assert rows[header_at][-2:] == ("原行号", "错误说明")
    body = rows[header_at + 1 :]
    assert [row[0] for row in body] == ["李四", "赵六", "张秀英", "钱七"]
    assert "校验位" in body[0][-1] and body[0][1] == "110105194912310021"  # the clerk's own value, to fix


def test_a_clean_file_is_imported_whole_from_excel(places):
    rows = [list(row) for row in GOOD]
    rows[2][1] = id_number(birth="20150601", sequence=3)
    batch = services.import_file(actor=places.tree.admin, kind="residents", data=xlsx_bytes(rows), file_name="a.xlsx")
    assert batch.status == ImportStatus.IMPORTED and batch.imported_rows == 3 and not batch.error_file
    assert Resident.objects.count() == 3


def test_the_same_person_already_on_file_in_another_household_is_refused(places):
    services.resident_register(
        actor=places.tree.admin, household_id=places.home_a2.pk, name="张秀英", id_number=GB_EXAMPLE, relation="02"
    )
    batch = services.import_file(actor=places.tree.admin, kind="residents", data=csv_bytes(GOOD[:1]))
    assert batch.status == ImportStatus.REJECTED
    assert "一人同时只能属于一户" in batch.errors[0]["message"]


def test_two_heads_of_one_household_in_the_file_are_refused(places):
    rows = [GOOD[1], [*GOOD[2][:7], "户主", *GOOD[2][8:]]]
    batch = services.import_file(actor=places.tree.admin, kind="residents", data=csv_bytes(rows))
    assert batch.errors == [
        {"row": 3, "column": "与户主关系", "message": "与第 2 行登记在同一户且都是户主，一户只能有一名户主。"}
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.4 binary \x00\x01\x02", "不是 Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "旧版 Excel"),
        (b"PK\x03\x04 not really a zip", "无法读取该 Excel 文件"),
        (b"", "文件是空的"),
        ("随便写的一段话\n没有表头".encode(), "找不到表头"),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_clear_message(places, data, expected):
    with pytest.raises(ImportRejected) as caught:
        services.import_file(actor=places.tree.admin, kind="residents", data=data)
    assert expected in caught.value.message
    assert not ImportBatch.objects.exists()


def test_missing_columns_are_named(places):
    data = csv_bytes([["张三", GB_EXAMPLE]], header=["姓名", "身份证号"])
    with pytest.raises(ImportRejected) as caught:
        services.import_file(actor=places.tree.admin, kind="residents", data=data)
    assert "单元、房号、与户主关系、楼栋（或楼栋编码）" in caught.value.message


def test_a_file_with_a_header_and_no_rows_is_refused(places):
    with pytest.raises(ImportRejected) as caught:
        services.import_file(actor=places.tree.admin, kind="residents", data=csv_bytes([]))
    assert "没有数据行" in caught.value.message


def test_a_gb18030_csv_from_chinese_excel_is_read(places):
    batch = services.import_file(
        actor=places.tree.admin, kind="residents", data=csv_bytes(GOOD[:1], encoding="gb18030")
    )
    assert batch.status == ImportStatus.IMPORTED


def test_only_the_roles_allowed_import_and_only_into_their_jurisdiction(places):
    with pytest.raises(PermissionDenied):
        services.import_file(actor=places.tree.worker_a1, kind="residents", data=csv_bytes(GOOD))
    # a street officer of street B cannot reach street A's buildings: they are unknown to the import
    batch = services.import_file(actor=places.tree.officer_b, kind="residents", data=csv_bytes(GOOD[:1]))
    assert batch.status == ImportStatus.REJECTED and "不在您的管辖范围内" in batch.errors[0]["message"]


def test_buildings_are_imported_with_their_entrances_and_new_estates(places):
    header = ["网格编码", "小区", "楼栋", "地址", "地上层数", "单元数", "房屋用途", "楼栋长电话"]
    grid = places.tree.grid_a2.code
    data = csv_bytes(
        [
            [grid, "清凉小区", "1幢", "清凉门大街 1 号", "6", "2", "住宅", ""],
            [grid, "阳光小区", "1幢", "仙霞路 8 号", "6", "1", "", ""],  # already on file
            [grid, "清凉小区", "2幢", "清凉门大街 3 号", "0", "1", "飞船", "12345"],
        ],
        header=header,
    )
    batch = services.import_file(actor=places.tree.admin, kind="buildings", data=data, mode=ImportMode.CLEAN_ROWS)
    assert (batch.imported_rows, batch.error_rows) == (1, 2)
    messages = " ".join(e["message"] for e in batch.errors)
    assert "该小区已有同名楼栋" in messages and "地上层数应在 1 到 200 之间" in messages
    assert "房屋用途“飞船”不在代码表中" in messages and "手机号码格式不正确" in messages
    built = Building.objects.get(estate__name="清凉小区")
    assert built.code == f"{grid}0002" and built.entrances.count() == 2
    assert Estate.objects.get(name="清凉小区").community == places.tree.community_a


def test_organisations_are_imported_with_their_credit_codes_checked(places):
    header = ["单位名称", "统一社会信用代码", "单位类型", "地址", "网格编码", "重点单位"]
    grid = places.tree.grid_a1.code
    data = csv_bytes(
        [
            ["仙霞路菜场", "91110000600037341L", "个体工商户", "仙霞路 1 号", grid, "是"],
            ["另一家", "91110000600037341M", "企业", "仙霞路 2 号", grid, ""],
            ["重复的", "91110000600037341L", "企业", "仙霞路 3 号", grid, "也许"],
        ],
        header=header,
    )
    batch = services.import_file(actor=places.tree.admin, kind="organisations", data=data)
    assert batch.status == ImportStatus.REJECTED and not Organisation.objects.exists()
    assert {e["row"] for e in batch.errors} == {3, 4}
    batch = services.import_file(actor=places.tree.admin, kind="organisations", data=data, mode=ImportMode.CLEAN_ROWS)
    market = Organisation.objects.get()
    assert (market.name, market.is_key_unit, market.grid) == ("仙霞路菜场", True, places.tree.grid_a1)


def test_the_template_has_the_required_columns_marked(places):
    sheet = load_workbook(io.BytesIO(services.template_workbook("residents"))).active
    header = next(row for row in sheet.iter_rows(values_only=True) if row and row[0] == "姓名*")
    assert "身份证号*" in header and "楼栋" in header


def test_the_command_imports_a_file_and_writes_the_bad_rows_next_to_it(places, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "人口.csv"
    path.write_bytes(csv_bytes(GOOD + BAD))
    with pytest.raises(CommandError):
        call_command("import_registry", str(path))
    assert not Resident.objects.exists()
    call_command("import_registry", str(path), "--mode", "clean")
    assert Resident.objects.count() == 3
    assert (tmp_path / "人口.csv.errors.xlsx").exists()
    call_command("load_registry_codes")  # again: nothing new, nothing lost
