"""The pages as people use them: the administrator builds and reads, a resident answers on a phone, a street officer
sees their street, the reverse list from answers to a published rectification."""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.evaluation import services
from civicgrid.evaluation.models import Response, ReverseItem
from civicgrid.workorders import services as workorders
from tests.evaluation.conftest import answers
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def client_of(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_every_page_of_a_campaign_opens_for_its_administrator(world):
    campaign = world.campaign
    services.invitations_create(
        actor=world.admin, campaign_id=campaign.pk, street_code=world.tree.street_a.code, group="adult", count=2
    )
    client = client_of("admin")
    for name in (
        "",
        "tree/",
        "questionnaires/elderly/",
        "plan/",
        "invitations/1/",
        "progress/",
        "review/",
        "paper/",
        "report/",
        "reverse/",
    ):
        response = client.get(f"/evaluation/{campaign.pk}/{name}")
        assert response.status_code == 200, name
    assert b"<svg" in client.get(f"/evaluation/{campaign.pk}/invitations/1/").content  # the QR codes
    assert client.get("/evaluation/").status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/evaluation/{campaign.pk}/report.xlsx").content))
    assert "街道得分" in book.sheetnames
    csv_text = client.get(f"/evaluation/{campaign.pk}/responses.csv").content.decode()
    assert csv_text.startswith("resp_id,street,group,channel,entry,day")


def test_a_resident_answers_through_an_invitation_and_cannot_answer_twice(world):
    campaign = world.campaign
    token = services.invitations_create(
        actor=world.admin, campaign_id=campaign.pk, street_code=world.tree.street_a.code, group="elderly", count=1
    )[0].token
    resident = Client()
    page = resident.get(f"/evaluation/t/{token}/")
    assert page.status_code == 200 and "eval-large" in page.content.decode()  # the elderly questionnaire, large text
    form = {f"q-{code}": value for code, value in answers(campaign, "elderly", 4).items()}
    form["q-E02"] = "9"  # out of scale
    refused = resident.post(f"/evaluation/t/{token}/", form)
    assert refused.status_code == 422 and "E02" in refused.content.decode()
    assert Response.objects.count() == 0
    form["q-E02"] = "2"
    form["q-E90"] = "楼下广场舞太吵，请联系我 13812345678"
    done = resident.post(f"/evaluation/t/{token}/", form)
    assert done.status_code == 201 and "提交成功" in done.content.decode()
    again = resident.get(f"/evaluation/t/{token}/")
    assert again.status_code == 409 and "已经使用过" in again.content.decode()
    item = ReverseItem.objects.get()
    assert item.title == "噪声扰民" and item.comments.get().text == "楼下广场舞太吵，请联系我 138****5678"


def test_the_open_link_by_device_on_a_phone(world):
    campaign = world.campaign
    services.campaign_update(actor=world.admin, campaign_id=campaign.pk, changes={"online_check": "device"})
    phone = Client()
    start = phone.get(f"/evaluation/o/{campaign.online_key}/")
    assert start.status_code == 200 and "cg_eval_device" in start.cookies
    page = phone.get(f"/evaluation/o/{campaign.online_key}/", {"street": world.street_c.code, "group": "adult"})
    assert "中青年居民满意度问卷" in page.content.decode()
    form = {f"q-{c}": v for c, v in answers(campaign, "adult", 5).items()}
    form.update(street=world.street_c.code, group="adult", do="submit")
    assert phone.post(f"/evaluation/o/{campaign.online_key}/", form).status_code == 201
    assert phone.post(f"/evaluation/o/{campaign.online_key}/", form).status_code == 409
    assert Response.objects.get().channel == "online"


def test_a_street_officer_sees_their_street_only_and_cannot_build(world):
    campaign = world.campaign
    services.surveyor_submit(
        actor=world.surveyor,
        campaign_id=campaign.pk,
        street_code=world.tree.street_a.code,
        group="adult",
        answers=answers(campaign, "adult", 4),
        client_key="page-test-01",
    )
    officer = client_of("officer_b")
    assert officer.get(f"/evaluation/{campaign.pk}/tree/").status_code == 403
    progress = officer.get(f"/evaluation/{campaign.pk}/progress/").content.decode()
    assert "湖南路街道" in progress and "宁海路街道" not in progress
    report = officer.get(f"/evaluation/{campaign.pk}/report/").content.decode()
    assert "宁海路街道" not in report
    api = officer.get(f"/api/v1/evaluation/campaigns/{campaign.pk}/report").json()
    assert [r["code"] for r in api["regions"]] == [world.tree.street_b.code]
    assert api["rewards"] == {"places": [], "warnings": []}
    assert client_of("worker_a1").get(f"/api/v1/evaluation/campaigns/{campaign.pk}/report").status_code == 403


def _upload(book: openpyxl.Workbook) -> io.BytesIO:
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "paper.xlsx"
    return buffer


def test_a_paper_import_with_wrong_columns_reports_every_bad_row_and_stores_nothing(world):
    campaign = world.campaign
    client = client_of("admin")
    template = openpyxl.load_workbook(io.BytesIO(client.get(f"/evaluation/{campaign.pk}/paper/adult.xlsx").content))
    header = [cell.value for cell in template.active[1]]
    assert header[:4] == ["问卷编号", "街道", "调查员", "填写日期"] and "A17" in header
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([*header, "X99"])
    good = {code: 4 for code in header[4:] if code != "A90"}
    sheet.append(["P-001", "宁海路街道", "surveyor_a", "2026-05-12", *(good.get(c, "") for c in header[4:]), ""])
    buffer = _upload(book)
    response = client.post(f"/evaluation/{campaign.pk}/paper/", {"group": "adult", "file": buffer})
    body = response.content.decode()
    assert "未知的列“X99”" in body, body[body.find("eval-problems") :][:600]
    # the right columns but a bad row among good ones: every problem listed, nothing stored
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    sheet.append(["P-001", "宁海路街道", "surveyor_a", "2026-05-12", *(good.get(c, "") for c in header[4:])])
    sheet.append(["P-002", "不存在街道", "", "", *(good.get(c, "") for c in header[4:])])
    sheet.append(["P-003", "湖南路街道", "", "昨天", *(good.get(c, "") for c in header[4:])])
    buffer = _upload(book)
    body = client.post(f"/evaluation/{campaign.pk}/paper/", {"group": "adult", "file": buffer}).content.decode()
    assert "第 4 行：填写日期" in body
    assert Response.objects.count() == 0
    # all good: stored
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for number in range(3):
        sheet.append([f"P-{number}", "宁海路街道", "surveyor_a", "2026-05-12", *(good.get(c, "") for c in header[4:])])
    buffer = _upload(book)
    client.post(f"/evaluation/{campaign.pk}/paper/", {"group": "adult", "file": buffer})
    assert Response.objects.filter(entry="paper").count() == 3


def test_the_reverse_list_from_answers_to_a_published_rectification(world, django_capture_on_commit_callbacks):
    from pathlib import Path

    from django.conf import settings

    from civicgrid.people import services as people
    from civicgrid.people.choices import Role
    from civicgrid.workorders.models import IncidentType
    from tests.factories import staff

    workorders.incident_types_load(actor=None, path=Path(settings.DATA_DIR) / "incident_types.yaml")
    people.load_departments(
        actor=None,
        district=world.tree.district,
        entries=[{"key": "housing", "name": "住房和城乡建设局", "short_name": "住建", "duties": ""}],
    )
    handler = staff(
        Role.DEPARTMENT_HANDLER,
        None,
        department=world.tree.district.departments.get(code="320106-housing"),
        username="housing_handler",
    )
    campaign = world.campaign
    # three residents of street A complain about charging; one says there is nothing to report
    for n, text in enumerate(["电动车没地充电，充电桩太少", "希望多装几个充电桩", "充电设施不够用", "没有"]):
        services.surveyor_submit(
            actor=world.surveyor,
            campaign_id=campaign.pk,
            street_code=world.tree.street_a.code,
            group="adult",
            answers=answers(campaign, "adult", 3 + n % 2, A90=text),
            client_key=f"reverse-{n:04d}",
        )
    item = ReverseItem.objects.get()
    assert item.comments.count() == 3 and item.department_key == "housing"
    assert IncidentType.objects.filter(code=item.incident_type_code).exists()
    admin = client_of("admin")
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    admin.post(
        f"/evaluation/{campaign.pk}/reverse/{item.pk}/",
        {"do": "route", "department": "housing", "incident_type": item.incident_type_code, "due_on": due},
    )
    item.refresh_from_db()
    order = item.work_order
    assert item.status == "routed" and order.source == "evaluation" and order.department.code == "320106-housing"
    assert "充电桩太少" in order.description
    # publishing before the work order is closed is refused
    refused = admin.post(
        f"/evaluation/{campaign.pk}/reverse/{item.pk}/", {"do": "publish", "action_text": "x"}, follow=True
    )
    assert "尚未办结" in refused.content.decode()
    # the department signs and feeds back, the grid worker verifies: the work order closes
    workorders.act(actor=handler, work_order_id=order.pk, action="sign")
    workorders.act(actor=handler, work_order_id=order.pk, action="handle", note="已在小区东侧新建 20 个充电桩")
    workorders.act(actor=world.tree.worker_a1, work_order_id=order.pk, action="verify_pass")
    admin.post(f"/evaluation/{campaign.pk}/reverse/{item.pk}/", {"do": "publish", "summary": "", "action_text": ""})
    item.refresh_from_db()
    assert item.status == "published" and item.public_action == "已在小区东侧新建 20 个充电桩"
    public = Client().get("/evaluation/public/").content.decode()
    assert "电动车充电设施不足" in public and "已在小区东侧新建 20 个充电桩" in public
    listed = Client().get("/api/v1/evaluation/public/reverse-list").json()
    assert listed[0]["what_was_done"] == "已在小区东侧新建 20 个充电桩" and listed[0]["comments"] == 3
