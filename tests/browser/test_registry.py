"""The grid files in a real browser: a community head reads the community's files and their completeness, a grid
worker on a phone opens a household file, unmasks a resident's number with a reason and updates the file, and a
district administrator imports a population ledger with bad rows and downloads them to fix."""

import pytest
from openpyxl import load_workbook

from civicgrid.core.models import PersonalDataAccess
from civicgrid.people.choices import Role
from civicgrid.registry import services
from civicgrid.registry.models import Resident
from tests.browser.conftest import screenshot
from tests.browser.test_map import log_in
from tests.factories import Tree, staff
from tests.registry.conftest import GB_EXAMPLE, id_number
from tests.registry.test_imports import BAD, GOOD, csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def community_files(tree: Tree) -> dict[str, object]:
    """Community A with two estates' buildings over grids A1 and A2, households, residents, an organisation."""
    admin = tree.admin
    services.codes_load(actor=None)
    estate = services.estate_create(actor=admin, community_code=tree.community_a.code, name="阳光小区")
    one = services.building_create(
        actor=admin, grid_code=tree.grid_a1.code, estate_id=estate.pk, name="1幢", address="仙霞路 8 号",
        floors_above=6, entrances=2, captain_name="刘楼长",
    )  # fmt: skip
    two = services.building_create(
        actor=admin, grid_code=tree.grid_a2.code, estate_id=estate.pk, name="2幢", address="仙霞路 10 号",
        floors_above=11, floors_below=1, entrances=1,
    )  # fmt: skip
    services.building_check_facilities(actor=admin, building_id=one.pk, facilities=["extinguisher", "cctv"])
    homes = [
        services.household_create(actor=admin, building_id=one.pk, entrance=entrance, room=room)
        for entrance, room in (("1", "101"), ("1", "102"), ("1", "201"), ("2", "301"), ("2", "502"))
    ]
    homes.append(services.household_create(actor=admin, building_id=two.pk, entrance="1", room="1101"))
    people = [
        (homes[0], "张秀英", GB_EXAMPLE, "02", ["elderly_alone"], "registered"),
        (homes[1], "王建国", id_number(birth="19650304", sequence=1), "02", ["retired"], "registered"),
        (homes[1], "李桂兰", id_number(birth="19670812", sequence=2, male=False), "10", ["retired"], "registered"),
        (homes[1], "王小明", id_number(birth="20120101", sequence=3), "20", ["student"], "registered"),
        (homes[2], "赵磊", id_number(birth="19920615", sequence=5), "02", [], "floating"),
        (homes[3], "陈芳", id_number(birth="19450101", sequence=4, male=False), "02", ["disabled"], "registered"),
        (homes[5], "周强", id_number(birth="19880220", sequence=7), "02", [], "registered"),
    ]
    residents = []
    for home, name, number, relation, tags, status in people:
        extra = {"inflow_reason": "work", "floating_since": "2024-03-01"} if status == "floating" else {}
        residents.append(
            services.resident_register(
                actor=admin,
                household_id=home.pk,
                name=name,
                id_number=number,
                relation=relation,
                tags=tags,
                residence_status=status,
                phone="13912345678",
                **extra,
            )
        )
    services.household_check_risks(actor=admin, household_id=homes[0].pk, notes="燃气灶已更换")
    services.organisation_create(
        actor=admin, grid_code=tree.grid_a1.code, building_id=one.pk, name="阳光便利店", org_type="individual",
        uscc="91110000600037341L", address="仙霞路 8 号", contact_name="孙老板", contact_phone="13800001111",
    )  # fmt: skip
    head = staff(Role.COMMUNITY_HEAD, tree.community_a, username="head_a", full_name="仙霞路书记")
    return {"head": head, "homes": homes, "residents": residents, "building": one}


def test_a_community_head_reads_the_grid_files_and_a_grid_worker_updates_one_from_a_phone(chromium, live_server):
    tree = Tree()
    files = community_files(tree)
    # given the community head at a desk
    desk = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 860})
    head = desk.new_page()
    head.set_default_timeout(15_000)
    log_in(head, live_server, "head_a")
    # when they follow the navigation to the grid files
    head.click("nav.nav >> text=网格档案")
    head.wait_for_url(f"**/registry/regions/{tree.community_a.code}/")
    # then they see the community's figures and each grid's four-clears completeness
    assert "仙霞路第一网格" in head.inner_text("table.reg-completeness")
    assert "独居老人" in head.inner_text("main")
    screenshot(head, "registry-community-files.png")
    head.click("nav.tabs >> text=户")
    head.wait_for_selector("table.reg-table-cards")
    assert "阳光小区1幢1单元101室" in head.inner_text("main")
    screenshot(head, "registry-community-households.png")
    head.click("nav.tabs >> text=关爱对象")
    assert "张秀英" in head.inner_text("main") and "王建国" not in head.inner_text("table")
    head.goto(f"{live_server.url}/registry/buildings/{files['building'].pk}/")
    assert "一栋一卷" in head.inner_text("h1")
    screenshot(head, "registry-building-dossier.png")
    desk.close()

    # a grid worker of A1 on a phone opens a household file
    phone = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844}, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    worker = phone.new_page()
    worker.set_default_timeout(15_000)
    log_in(worker, live_server, "worker_a1")
    home = files["homes"][1]
    worker.goto(f"{live_server.url}/registry/households/{home.pk}/")
    members = worker.inner_text("#members")
    assert "王建国" in members and "139****5678" in members and "13912345678" not in members
    screenshot(worker, "registry-household-file-phone.png")
    # unmasks the head's ID number with a reason: shown in place, and logged
    worker.click("#members >> text=王建国")
    worker.fill("#reveal input[name=reason]", "核实身份，办理高龄津贴")
    worker.click("#reveal button")
    worker.wait_for_selector("#revealed")
    assert id_number(birth="19650304", sequence=1) in worker.inner_text("#revealed")
    assert PersonalDataAccess.objects.get().reason == "核实身份，办理高龄津贴"
    screenshot(worker, "registry-resident-revealed-phone.png")
    # and updates the file: a new occupation and the categories confirmed today
    worker.click("text=更新档案")
    worker.fill("input[name=occupation]", "社区志愿者")
    screenshot(worker, "registry-resident-edit-phone.png")
    worker.click("#resident-form button.primary")
    worker.wait_for_selector(".messages .success")
    assert Resident.objects.get(name="王建国").occupation == "社区志愿者"
    phone.close()


def test_an_administrator_imports_a_ledger_with_bad_rows_and_downloads_them(chromium, live_server, tmp_path):
    tree = Tree()
    community_files(tree)
    upload = tmp_path / "人口台账.csv"
    upload.write_bytes(csv_bytes(GOOD[1:] + BAD))
    context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 860}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "admin")
    page.click("text=台账导入")
    page.wait_for_url("**/registry/imports/")
    # when they upload the file in "clean rows only" mode
    page.check("input[name=mode][value=clean]")
    page.set_input_files("input[name=file]", str(upload))
    page.click("#import-form button.primary")
    page.wait_for_url("**/registry/imports/*/")
    # then the good rows are in, and every bad row is explained
    assert "部分导入" in page.inner_text("#import-status")
    errors = page.inner_text("#import-errors")
    assert "校验位不对" in errors and "没有找到楼栋“阳光小区9幢”" in errors and "不能晚于今天" in errors
    assert Resident.objects.filter(name="王强").exists()
    screenshot(page, "registry-import-errors.png")
    # and the bad rows come down as an Excel file to fix
    with page.expect_download() as download:
        page.click("#error-file")
    path = tmp_path / "errors.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert any(row and row[0] == "李四" for row in rows)
    # a file that is not a spreadsheet is refused on the form, nothing imported
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    page.goto(f"{live_server.url}/registry/imports/")
    page.set_input_files("input[name=file]", str(picture))
    page.click("#import-form button.primary")
    page.wait_for_selector("#import-error")
    assert "不是 Excel" in page.inner_text("#import-error")
    screenshot(page, "registry-import-not-excel.png")
    context.close()
