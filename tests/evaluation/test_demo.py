"""The demo district's evaluation at small scale: last year's campaign closed with published rectifications, this
year's in progress, a report that ranks the streets; a second run adds nothing."""

import pytest
from django.core.management import call_command

from civicgrid.evaluation import reporting
from civicgrid.evaluation.models import Campaign, Response, ReverseItem

pytestmark = pytest.mark.django_db


def test_the_demo_runs_an_evaluation_and_a_second_run_adds_nothing(capsys):
    call_command("demo", scale="small")
    assert "evaluation: " in capsys.readouterr().out
    last, this = Campaign.objects.order_by("year")
    assert (last.status, this.status) == ("closed", "open")
    assert this.previous == last
    assert Response.objects.filter(campaign=this, channel="directed").count() > 60
    published = ReverseItem.objects.filter(campaign=last, status="published")
    assert published.exists() and all(item.work_order.source == "evaluation" for item in published)
    assert Response.objects.filter(campaign=this, review="excluded").exists()  # the burst a person threw out
    report = reporting.report(this)
    assert [r["rank"] for r in sorted(report["regions"], key=lambda r: r["rank"])] == [1, 2]
    assert all(r["progress"] is not None for r in report["regions"])
    responses = Response.objects.count()
    call_command("demo", scale="small")
    assert Response.objects.count() == responses
