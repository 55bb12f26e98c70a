"""The satisfaction evaluation in a real browser: a resident answers the elderly questionnaire on a phone through an
invitation's QR link, a field surveyor fills one offline that is sent when the phone is back online, and the
administrator watches the progress and reads the report with its charts, also as printed.
Screenshots are kept in test-artifacts/browser/evaluation-*.png."""

import pytest

from civicgrid.evaluation import services
from civicgrid.evaluation.models import Response
from tests.browser.conftest import screenshot
from tests.browser.test_map import log_in
from tests.evaluation.conftest import answers, open_campaign, third_street
from tests.factories import Tree, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def phone(chromium):
    context = chromium.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def test_a_resident_answers_on_a_phone_and_the_administrator_reads_the_report(chromium, live_server):
    from civicgrid.people.choices import Role

    tree = Tree()
    street_c = third_street(tree)
    campaign = open_campaign(tree, street_c)
    surveyor = staff(Role.FIELD_SURVEYOR, tree.street_a, username="surveyor_a", full_name="宁海路调查员")
    # earlier answers in every street, so the report has something to rank
    for street, values in ((tree.street_a, (4, 5, 5)), (tree.street_b, (3, 4, 4)), (street_c, (2, 3, 4))):
        for group in ("elderly", "adult"):
            for n, value in enumerate(values):
                services.surveyor_submit(
                    actor=surveyor if street == tree.street_a else tree.admin,
                    campaign_id=campaign.pk,
                    street_code=street.code,
                    group=group,
                    answers=answers(campaign, group, value),
                    client_key=f"seed-{street.code}-{group}-{n}",
                )
    token = services.invitations_create(
        actor=tree.admin, campaign_id=campaign.pk, street_code=tree.street_a.code, group="elderly", count=1
    )[0].token

    # a resident scans the QR code: the elderly questionnaire in large text
    context, resident = phone(chromium)
    resident.goto(f"{live_server.url}/evaluation/t/{token}/")
    assert resident.locator("form.eval-large").count() == 1
    font = resident.evaluate("getComputedStyle(document.querySelector('.eval-question legend')).fontSize")
    assert float(font.rstrip("px")) >= 20
    screenshot(resident, "evaluation-phone-questionnaire.png")
    for n, fieldset in enumerate(resident.locator("fieldset.eval-question").all()):
        choices = fieldset.locator(".eval-choice span")
        if choices.count():
            choices.nth(3 if n % 3 else 4).tap()
        else:
            fieldset.locator("textarea").fill("小区电动车没地充电，希望多装充电桩，电话 13912345678")
    resident.click("button.eval-submit")
    resident.wait_for_selector(".eval-thanks")
    screenshot(resident, "evaluation-phone-thanks.png")
    context.close()
    stored = Response.objects.get(invitation__token=token)
    assert stored.channel == "directed" and stored.comments.get().text.endswith("139****5678")

    # a field surveyor fills one with no network; it goes when the phone is back online
    context, field = phone(chromium)
    log_in(field, live_server, "surveyor_a")
    field.goto(f"{live_server.url}/evaluation/field/")
    field.wait_for_selector("#eval-campaign option", state="attached")
    context.set_offline(True)
    field.evaluate("window.dispatchEvent(new Event('offline'))")
    field.select_option("#eval-group", "adult")
    field.click("#eval-setup button.primary")
    for fieldset in field.locator("#eval-questions fieldset").all():
        if fieldset.locator(".eval-choice span").count():
            fieldset.locator(".eval-choice span").nth(3).tap()
    field.click("#eval-form button.eval-submit")
    field.wait_for_selector("#eval-queue-count:text-is('1')")
    screenshot(field, "evaluation-field-offline.png")
    before = Response.objects.count()
    context.set_offline(False)
    field.evaluate("window.dispatchEvent(new Event('online'))")
    field.wait_for_selector("#eval-queue-count:text-is('0')")
    field.wait_for_selector("#eval-sent-count:text-is('1')")
    assert Response.objects.count() == before + 1
    assert Response.objects.filter(entry="surveyor", surveyor=surveyor).count() == 2 * 3 + 1
    context.close()

    # the administrator watches progress and reads the report
    admin = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900})
    page = admin.new_page()
    page.set_default_timeout(20_000)
    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/evaluation/{campaign.pk}/progress/")
    row = page.locator(f"tr[data-street='{tree.street_a.code}'][data-group='elderly']")
    assert row.locator("td").nth(3).inner_text() == "4"  # 3 seeded + the resident
    screenshot(page, "evaluation-progress.png")
    page.goto(f"{live_server.url}/evaluation/{campaign.pk}/report/")
    page.wait_for_selector("#eval-scores svg")
    page.wait_for_selector("#eval-ranks svg")
    page.wait_for_selector("#eval-dimensions svg")
    ranked = page.locator("table.eval-ranking tbody tr[data-code]")
    assert ranked.first.get_attribute("data-code") == tree.street_a.code
    assert "宁海路街道" in page.inner_text(".eval-ranking")
    screenshot(page, "evaluation-report.png")
    page.emulate_media(media="print")
    assert not page.is_visible(".tabs")
    screenshot(page, "evaluation-report-print.png")
    admin.close()
