"""The grid files pages: what a community head, a grid worker and an administrator see and do, masked personal data,
unmasking with a reason, and refusals that change nothing."""

import io

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.core.models import PersonalDataAccess
from civicgrid.registry import services
from civicgrid.registry.models import Household, ImportBatch, Resident
from tests.factories import PASSWORD
from tests.registry.conftest import GB_EXAMPLE, id_number
from tests.registry.test_imports import BAD, GOOD, csv_bytes


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def filed(places):
    admin = places.tree.admin
    elderly = services.resident_register(
        actor=admin, household_id=places.home_a1.pk, name="张秀英", id_number=GB_EXAMPLE, relation="02",
        phone="13912345678", tags=["elderly_alone"],
    )  # fmt: skip
    services.resident_register(
        actor=admin, household_id=places.home_a2.pk, name="王强", id_number=id_number(birth="19900101"),
        relation="02", residence_status="floating", inflow_reason="务工", floating_since="2024-03-01",
    )  # fmt: skip
    return elderly


def test_the_community_head_sees_the_grid_files_and_completeness_of_the_community(places, filed):
    client = signed_in(places.head_a)
    # the nav and the home page lead there
    home = client.get("/").content.decode()
    assert reverse("registry:home") in home and "网格档案" in home
    response = client.get(reverse("registry:home"), follow=True)
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("registry:region", args=[places.tree.community_a.code])
    # counts, care recipients, and four-clears completeness per grid
    assert "仙霞路第一网格" in body and "仙霞路第二网格" in body and "湖北路" not in body
    assert "独居老人" in body and "四清完整率" in body and "重点人员" in body
    households = client.get(reverse("registry:region", args=[places.tree.community_a.code]), {"tab": "households"})
    assert "阳光小区1幢1单元301室" in households.content.decode()
    floating = client.get(
        reverse("registry:region", args=[places.tree.community_a.code]), {"tab": "residents", "category": "floating"}
    ).content.decode()
    assert "王强" in floating and "张秀英" not in floating
    care = client.get(reverse("registry:region", args=[places.tree.community_a.code]), {"tab": "care"})
    assert "张秀英" in care.content.decode() and "王强" not in care.content.decode()


def test_a_grid_worker_has_no_key_person_tab_and_no_other_community(places, filed):
    client = signed_in(places.tree.worker_a1)
    page = client.get(reverse("registry:region", args=[places.tree.grid_a1.code])).content.decode()
    assert "?tab=key_persons" not in page
    refused = client.get(reverse("registry:region", args=[places.tree.grid_a1.code]), {"tab": "key_persons"})
    assert refused.status_code == 403 and "社区负责人" in refused.content.decode()
    assert client.get(reverse("registry:region", args=[places.tree.community_b.code])).status_code == 404
    assert client.get(reverse("registry:household", args=[places.home_b1.pk])).status_code == 404


def test_the_household_file_shows_members_masked_and_the_four_clears(places, filed):
    client = signed_in(places.tree.worker_a1)
    body = client.get(reverse("registry:household", args=[places.home_a1.pk])).content.decode()
    assert "一户一档" in body and "张秀英" in body and "户主" in body
    assert "110105********002X" in body and GB_EXAMPLE not in body
    assert "139****5678" in body and "13912345678" not in body
    assert "家庭情况清" in body and "隐患矛盾清" in body
    dossier = client.get(reverse("registry:building", args=[places.building_a1.pk])).content.decode()
    assert "一栋一卷" in dossier and "301" in dossier


def test_unmasking_on_the_page_needs_a_reason_and_is_logged(places, filed):
    client = signed_in(places.tree.worker_a1)
    url = reverse("registry:resident_reveal", args=[filed.pk])
    refused = client.post(url, {"reason": ""})
    assert GB_EXAMPLE not in refused.content.decode() and not PersonalDataAccess.objects.exists()
    shown = client.post(url, {"reason": "核实身份办理高龄补贴"}, headers={"HX-Request": "true"})
    assert GB_EXAMPLE in shown.content.decode() and shown["Cache-Control"] == "no-store"
    assert PersonalDataAccess.objects.get().reason == "核实身份办理高龄补贴"
    # a volunteer assistant reads the files but may not unmask
    from civicgrid.people.choices import Role
    from tests.factories import staff

    volunteer = staff(Role.GRID_ASSISTANT, places.tree.grid_a1, username="vol_a1", assistant_kind="volunteer")
    assert signed_in(volunteer).post(url, {"reason": "想看看"}).status_code == 403


def test_a_grid_worker_updates_a_resident_from_the_phone_form(places, filed):
    client = signed_in(places.tree.worker_a1)
    url = reverse("registry:resident_edit", args=[filed.pk])
    form = client.get(url).content.decode()
    # the form never carries the whole number or phone: they are placeholders, empty means "keep"
    assert GB_EXAMPLE not in form and "13912345678" not in form and "139****5678" in form
    filed.refresh_from_db()
    data = {
        "name": "张秀英", "residence_status": "registered", "relation": "02", "occupation": "退休教师",
        "tags": ["elderly_alone", "retired"], "reviewed": "on",
        "expected_updated_at": filed.updated_at.isoformat(),
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.occupation == "退休教师" and filed.id_number == GB_EXAMPLE and filed.phone == "13912345678"
    assert sorted(filed.tags.values_list("code", flat=True)) == ["elderly_alone", "retired"]
    # the same form sent again after that save: someone (here: the same worker) changed the file since
    stale = client.post(url, {**data, "occupation": "教师"})
    assert stale.status_code == 422 and "已被他人修改" in stale.content.decode()
    # a wrong new number: the page says what is wrong, nothing changes
    bad = client.post(url, {**data, "id_number": "110105194912310021", "expected_updated_at": filed.updated_at})
    assert bad.status_code == 422 and "校验位不对" in bad.content.decode()
    filed.refresh_from_db()
    assert filed.id_number == GB_EXAMPLE


def test_registering_a_member_from_the_household_file(places, filed):
    client = signed_in(places.tree.worker_a1)
    url = reverse("registry:resident_new", args=[places.home_a1.pk])
    response = client.post(
        url, {"name": "张小明", "id_number": id_number(birth="20150601", sequence=3), "relation": "40",
              "residence_status": "registered"},
    )  # fmt: skip
    assert response.status_code == 302
    assert Resident.objects.get(name="张小明").household == places.home_a1
    twice = client.post(url, {"name": "张秀英", "id_number": GB_EXAMPLE, "residence_status": "registered"})
    assert twice.status_code == 422 and "已登记" in twice.content.decode()


def test_a_move_from_the_resident_page(places, filed):
    client = signed_in(places.tree.admin)
    page = client.get(reverse("registry:resident", args=[filed.pk]), {"move_q": "1201"}).content.decode()
    assert "阳光小区2幢1单元1201室" in page
    client.post(
        reverse("registry:resident_move", args=[filed.pk]),
        {"household_id": places.home_a2.pk, "relation": "10", "reason": "moved_within"},
    )
    filed.refresh_from_db()
    assert filed.household == places.home_a2


def test_ledgers_export_and_import_pages(places, filed):
    client = signed_in(places.tree.admin)
    assert "实有人口台账" in client.get(reverse("registry:ledgers")).content.decode()
    ledger = client.get(reverse("registry:ledger", args=["elderly_alone"])).content.decode()
    assert "张秀英" in ledger and "110105********002X" in ledger
    export = client.get(reverse("registry:ledger_export", args=["population"]))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats") and PersonalDataAccess.objects.count()
    upload = io.BytesIO(csv_bytes(GOOD[1:] + BAD))
    upload.name = "人口.csv"
    response = client.post(reverse("registry:imports"), {"kind": "residents", "mode": "all", "file": upload})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("registry:import", args=[batch.pk])
    result = client.get(response["Location"]).content.decode()
    assert "未导入" in result and "校验位不对" in result and "下载错误行文件" in result
    assert client.get(reverse("registry:import_errors", args=[batch.pk])).status_code == 200
    # the bad rows hold whole ID numbers: the download is in the access log
    assert PersonalDataAccess.objects.filter(subject_id=f"import:{batch.pk}", actor=places.tree.admin).exists()
    assert not Household.objects.filter(room="601").exists()
    not_excel = io.BytesIO(b"\x00\x01 a picture")
    not_excel.name = "photo.png"
    refused = client.post(reverse("registry:imports"), {"kind": "residents", "mode": "all", "file": not_excel})
    assert refused.status_code == 422 and "不是 Excel" in refused.content.decode()


def test_a_grid_worker_cannot_open_the_import_page(places):
    response = signed_in(places.tree.worker_a1).get(reverse("registry:imports"))
    assert response.status_code == 403 and "区级管理员" in response.content.decode()


def test_the_pages_speak_english_too(places, filed):
    client = signed_in(places.head_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get(reverse("registry:region", args=[places.tree.community_a.code])).content.decode()
    assert "Four-clears completeness" in body and "Residents on file" in body and "仙霞路第一网格" in body


def test_every_word_the_data_files_show_has_a_place_in_the_catalog():
    from civicgrid.registry import data_strings, fourclears, ledgers

    for ledger in ledgers.definitions().values():
        assert ledger.name in data_strings.LEDGER_NAMES, ledger.name
    for rule in fourclears.rules():
        assert rule.label in data_strings.FOUR_CLEARS and rule.description in data_strings.FOUR_CLEARS, rule.key
