"""The report end to end: three streets, two groups, answers whose scores are known, worked out by hand.

Every respondent answers all their questions with one value x, so each of their indicator scores, dimension scores
and overall score is (x - 1) / 4 * 100 (SCORE_OF). Populations: A 600 elderly / 400 adults, B 500 / 500, C 100 / 100.

- A: elderly 75, 100 (mean 87.5, s^2 312.5); adults 50, 75, 100 (mean 75, s^2 625)
  score 0.6*87.5 + 0.4*75 = 82.5; var 0.36*(1-2/600)*312.5/2 + 0.16*(1-3/400)*625/3; n_eff 1/(0.36/2 + 0.16/3)
- B: elderly 100, 100, 50 (mean 83.33, s^2 833.33); one adult 75: pooled out, elderly weight 1
  score 83.33; var (1-3/500)*833.33/3; n_eff 3
- C: elderly 50, 50 (s^2 0); adults 0, 100 (mean 50, s^2 5000): score 50; var 0.25*(1-2/100)*5000/2 = 612.5
- ranks: B, A, C. Last year (2025) every street scored 50 with SE 0, so progress is score - 50 with the same SE.
"""

import math

import pytest

from civicgrid.evaluation import reporting, services
from civicgrid.evaluation.models import Campaign, Response
from tests.evaluation.conftest import answers, open_campaign

pytestmark = pytest.mark.django_db

A_VAR = 0.36 * (1 - 2 / 600) * 312.5 / 2 + 0.16 * (1 - 3 / 400) * 625 / 3
B_VAR = (1 - 3 / 500) * (2500 / 3) / 3
C_VAR = 0.25 * (1 - 2 / 100) * 5000 / 2


def _rows(campaign: Campaign, plan: dict[str, dict[str, list[int]]], channel: str = "directed") -> list:
    rows = []
    for street, groups in plan.items():
        for group, values in groups.items():
            for value in values:
                rows.append(
                    services.ResponseRow(
                        street=street,
                        group=group,
                        answers=answers(campaign, group, value),
                        channel=channel,
                        entry="paper" if channel == "directed" else "online",
                        key=f"{street}-{group}-{len(rows)}-{channel}",
                        device=f"dev-{len(rows)}" if channel == "online" else "",
                    )
                )
    return rows


@pytest.fixture
def report(world):
    tree, c = world.tree, world.street_c.code
    a, b = tree.street_a.code, tree.street_b.code
    # last year: every street 50 in both groups, no spread
    Campaign.objects.filter(pk=world.campaign.pk).update(year=2025)
    last = world.campaign
    services.responses_import(
        actor=None, campaign_id=last.pk, rows=_rows(last, {s: {"elderly": [3, 3], "adult": [3, 3]} for s in (a, b, c)})
    )
    services.campaign_act(actor=tree.admin, campaign_id=last.pk, action="close")
    this = open_campaign(tree, world.street_c, year=2026)
    assert this.previous_id == last.pk
    services.population_set(
        actor=tree.admin,
        campaign_id=this.pk,
        table={
            (a, "elderly"): 600,
            (a, "adult"): 400,
            (b, "elderly"): 500,
            (b, "adult"): 500,
            (c, "elderly"): 100,
            (c, "adult"): 100,
        },
    )
    services.spending_set(actor=tree.admin, campaign_id=this.pk, street_code=a, spending=1_000_000)
    plan = {
        a: {"elderly": [4, 5], "adult": [3, 4, 5]},
        b: {"elderly": [5, 5, 3], "adult": [4]},
        c: {"elderly": [3, 3], "adult": [1, 5]},
    }
    services.responses_import(actor=None, campaign_id=this.pk, rows=_rows(this, plan))
    services.responses_import(actor=None, campaign_id=this.pk, rows=_rows(this, {a: {"adult": [5, 2]}}, "online"))
    return reporting.report(this)


def _region(report: dict, code: str) -> dict:
    return next(r for r in report["regions"] if r["code"] == code)


def test_every_street_has_the_fields_the_issue_lists(report):
    for region in report["regions"]:
        assert {
            "code",
            "name",
            "score",
            "se",
            "moe95",
            "n",
            "n_effective",
            "rank",
            "rank_low",
            "rank_high",
            "dimensions",
            "groups",
            "progress",
            "online",
        } <= set(region)
        assert set(region["online"]) == {"score", "se", "n"}
        assert set(region["dimensions"]) == {"D1", "D2", "D3", "D4"}
        assert all(set(g) >= {"score", "n"} for g in region["groups"].values())


def test_scores_margins_and_n_eff_match_the_hand_computation(report, world):
    a = _region(report, world.tree.street_a.code)
    assert a["score"] == pytest.approx(82.5)
    assert a["se"] == pytest.approx(math.sqrt(A_VAR), abs=1e-4)
    assert a["moe95"] == pytest.approx(1.96 * math.sqrt(A_VAR), abs=1e-4)
    assert a["n"] == 5 and a["n_effective"] == pytest.approx(1 / (0.36 / 2 + 0.16 / 3), abs=0.05)
    assert a["groups"]["elderly"] == {"score": 87.5, "n": 2, "population": 600, "weight": 0.6, "pooled_out": False}
    assert a["dimensions"] == {"D1": 82.5, "D2": 82.5, "D3": 82.5, "D4": 82.5}
    b = _region(report, world.tree.street_b.code)
    assert b["score"] == pytest.approx(250 / 3, abs=1e-4)
    assert b["se"] == pytest.approx(math.sqrt(B_VAR), abs=1e-4)
    assert b["n"] == 3 and b["n_effective"] == 3.0
    assert b["pooled_groups"] == ["adult"]  # reported, its weight shared
    assert b["groups"]["adult"] == {"score": 75.0, "n": 1, "population": 500, "weight": 0.0, "pooled_out": True}
    c = _region(report, world.street_c.code)
    assert (c["score"], c["se"]) == (50.0, pytest.approx(math.sqrt(C_VAR), abs=1e-4))


def test_the_online_channel_is_reported_beside_never_mixed_in(report, world):
    a = _region(report, world.tree.street_a.code)
    # online answers 5 and 2: scores 100 and 25, mean 62.5, SE sqrt(2812.5 / 2) = 37.5
    assert a["online"] == {"score": 62.5, "se": 37.5, "n": 2}
    assert a["score"] == pytest.approx(82.5)  # unchanged by the online answers
    assert _region(report, world.street_c.code)["online"] == {"score": None, "se": None, "n": 0}


def test_ranking_rank_intervals_and_the_significance_of_neighbours(report, world):
    a, b, c = (
        _region(report, code) for code in (world.tree.street_a.code, world.tree.street_b.code, world.street_c.code)
    )
    assert (b["rank"], a["rank"], c["rank"]) == (1, 2, 3)
    for region in (a, b, c):
        assert 1 <= region["rank_low"] <= region["rank"] <= region["rank_high"] <= 3
    # B vs A: 0.83 points apart with SEs of 16.6 and 9.4: not significant after Holm
    assert b["next_difference"]["code"] == a["code"] and b["next_difference"]["significant"] is False
    assert len(report["pairs"]) == 3
    z = (82.5 - 50) / math.sqrt(A_VAR + C_VAR)
    pair = next(p for p in report["pairs"] if (p["a"], p["b"]) == (a["code"], c["code"]))
    assert pair["z"] == pytest.approx(z, abs=1e-3)
    assert pair["p"] == pytest.approx(math.erfc(z / math.sqrt(2)), abs=1e-5)
    smallest = min(report["pairs"], key=lambda p: p["p"])
    assert smallest["p_holm"] == pytest.approx(min(1.0, 3 * smallest["p"]), abs=1e-5)  # Holm over all 3 pairs
    assert report["bootstrap"] == {"replicates": 2000, "seed": 20200101}


def test_progress_key_and_cost_indices(report, world):
    a = _region(report, world.tree.street_a.code)
    assert a["progress"] == {"delta": 32.5, "se": pytest.approx(math.sqrt(A_VAR), abs=1e-4), "previous": 50.0}
    assert a["key_index"]["score"] == pytest.approx(82.5)
    # 1,000,000 yuan = 100 units of 10,000: 32.5 / 100
    assert a["cost_index"]["value"] == pytest.approx(0.325)
    assert _region(report, world.tree.street_b.code)["cost_index"] is None  # no spending entered


def test_rewards_warn_when_the_top_places_are_not_distinguishable(report, world):
    places = report["rewards"]["places"]
    assert [(p["rank"], p["code"], p["amount"]) for p in places] == [
        (1, world.tree.street_b.code, 500_000),
        (2, world.tree.street_a.code, 400_000),
        (3, world.street_c.code, 300_000),
    ]
    warnings = report["rewards"]["warnings"]
    assert len(warnings) == 2 and "第 1 名湖南路街道与第 2 名宁海路街道" in warnings[0]


def test_the_report_is_reproducible_and_cached_until_the_data_changes(report, world):
    campaign = Campaign.objects.get(pk=report["campaign"]["id"])
    again = reporting.compute(campaign)
    assert [(r["rank_low"], r["rank_high"]) for r in again["regions"]] == [
        (r["rank_low"], r["rank_high"]) for r in report["regions"]
    ]
    assert reporting.report(campaign)["computed_at"] == report["computed_at"]  # from the snapshot
    services.spending_set(actor=world.admin, campaign_id=campaign.pk, street_code=world.street_c.code, spending=5000)
    assert reporting.report(campaign)["computed_at"] != report["computed_at"]


def test_a_street_officer_reads_only_their_street(report, world):
    mine = reporting.for_reader(report, streets=[world.tree.street_a.code], administrator=False)
    assert [r["code"] for r in mine["regions"]] == [world.tree.street_a.code]
    assert mine["regions"][0]["rank"] == 2  # the rank among all streets
    assert mine["pairs"] == [] and mine["rewards"] == {"places": [], "warnings": []}
    assert mine["regions"][0]["next_difference"]["code"] is None  # not told who is next


def test_a_large_import_leaves_the_responses_table_with_fresh_statistics(world, monkeypatch):
    # given an import of at least ANALYZE_AFTER responses (lowered here), when it is stored, then the planner's
    # statistics of the table are refreshed (without them the next submissions' checks plan for an empty table)
    from django.db import connection

    from civicgrid.evaluation.services import imports

    monkeypatch.setattr(imports, "ANALYZE_AFTER", 2)
    rows = _rows(world.campaign, {world.street_c.code: {"elderly": [3, 4], "adult": [5]}})
    assert services.responses_import(actor=None, campaign_id=world.campaign.pk, rows=rows).count == 3
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'evaluation_response'")
            assert cursor.fetchone()[0] == Response.objects.count()  # what ANALYZE counted just now
        else:
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'evaluation_response'")
            assert cursor.fetchone()[0] > 0
