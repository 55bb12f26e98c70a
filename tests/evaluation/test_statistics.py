"""The formulas of docs/evaluation.md against small cases worked out by hand (the arithmetic is in the comments)."""

import math

import numpy as np
import pytest

from civicgrid.evaluation import statistics

nan = float("nan")


def test_an_item_score_maps_the_scale_onto_0_to_100():
    # (x - 1) / (k - 1) * 100: on 1..5, 4 is 75; on 1..3, 2 is 50; the ends are 0 and 100
    assert statistics.item_scores(np.array([1, 4, 5]), 5).tolist() == [0.0, 75.0, 100.0]
    assert statistics.item_scores(np.array([2]), 3).tolist() == [50.0]


def test_a_respondents_score_renormalises_the_weights_over_what_they_answered():
    # weights 0.5, 0.3, 0.2; the second indicator unanswered: (0.5*100 + 0.2*50) / 0.7 = 60 / 0.7 = 85.714...
    scores = statistics.weighted_scores(np.array([[100, nan, 50], [nan, nan, nan]]), np.array([0.5, 0.3, 0.2]))
    assert scores[0] == pytest.approx(60 / 0.7)
    assert math.isnan(scores[1])  # answered nothing: no score


def test_post_stratification_with_finite_population_correction_and_kish_n_eff():
    # street A: elderly N=600 scores 80, 100 (mean 90, s^2 200); adults N=400 scores 60, 80, 100 (mean 80, s^2 400)
    # W = 0.6, 0.4; score = 0.6*90 + 0.4*80 = 86
    # var = 0.36*(1 - 2/600)*200/2 + 0.16*(1 - 3/400)*400/3 = 35.88 + 21.17333 = 57.05333
    # n_eff = 1 / (0.36/2 + 0.16/3) = 4.2857
    estimate = statistics.poststratify(
        {"elderly": np.array([80.0, 100.0]), "adult": np.array([60.0, 80.0, 100.0])}, {"elderly": 600, "adult": 400}
    )
    assert estimate.score == pytest.approx(86.0)
    assert estimate.se == pytest.approx(math.sqrt(35.88 + 0.16 * 397 / 3))
    assert estimate.moe95 == pytest.approx(1.96 * math.sqrt(57.053333), rel=1e-6)
    assert estimate.n == 5
    assert estimate.n_effective == pytest.approx(1 / (0.18 + 0.16 / 3))
    # the same n_eff from the weights of the respondents: w_i = W_h / n_h, (sum w)^2 / sum w^2
    w = np.array([0.3, 0.3, 0.4 / 3, 0.4 / 3, 0.4 / 3])
    assert estimate.n_effective == pytest.approx(w.sum() ** 2 / (w**2).sum())


def test_a_group_with_fewer_than_two_responses_is_reported_and_its_weight_shared():
    # street B: elderly N=500 scores 100, 100, 50 (mean 83.33, s^2 833.33); adults N=500 one score 75
    # adults pooled out: elderly weight 0.5 -> 1; var = (1 - 3/500) * 833.33 / 3 = 276.11; n_eff = 3
    estimate = statistics.poststratify(
        {"elderly": np.array([100.0, 100.0, 50.0]), "adult": np.array([75.0])}, {"elderly": 500, "adult": 500}
    )
    assert estimate.score == pytest.approx(250 / 3)
    assert estimate.se == pytest.approx(math.sqrt((1 - 3 / 500) * (2500 / 3) / 3))
    assert estimate.n == 3 and estimate.n_effective == pytest.approx(3)
    assert estimate.pooled_out == ["adult"]
    adults = estimate.groups["adult"]
    assert (adults.n, adults.mean, adults.share, adults.weight) == (1, 75.0, 0.5, 0.0)
    assert estimate.groups["elderly"].weight == 1.0


def test_a_street_with_no_usable_group_has_no_score():
    estimate = statistics.poststratify({"elderly": np.array([90.0])}, {"elderly": 100, "adult": 100})
    assert estimate.score is None and estimate.se is None and estimate.n == 0


def test_the_online_channel_is_an_unweighted_mean():
    # scores 50, 100: mean 75, s^2 1250, SE sqrt(1250/2) = 25
    result = statistics.simple(np.array([50.0, 100.0, nan]))
    assert (result.score, result.se, result.n) == (75.0, 25.0, 2)


def test_comparing_two_streets_and_holm_over_all_pairs():
    # z = (86 - 50) / sqrt(57.0533 + 612.5) = 36 / 25.876 = 1.3912; two-sided p = erfc(1.3912 / sqrt 2) = 0.1642
    z, p = statistics.compare(86.0, math.sqrt(57.053333), 50.0, math.sqrt(612.5))
    assert z == pytest.approx(36 / math.sqrt(669.553333))
    assert p == pytest.approx(0.16416, abs=1e-4)
    # Holm: sorted 0.01, 0.03, 0.04 -> 0.01*3 = 0.03, 0.03*2 = 0.06, max(0.04*1, 0.06) = 0.06, back in input order
    assert statistics.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert statistics.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert statistics.holm([]) == []


def test_progress_index():
    # delta = 86 - 80 = 6, SE sqrt(3^2 + 4^2) = 5
    assert statistics.progress(86.0, 3.0, 80.0, 4.0) == (6.0, 5.0)


def test_bootstrap_rank_intervals_are_reproducible_and_sensible():
    rng = np.random.default_rng(7)
    far_ahead = [(rng.normal(95, 3, 200), 1.0)]
    close_a = [(rng.normal(80, 10, 30), 0.5), (rng.normal(80, 10, 30), 0.5)]
    close_b = [(rng.normal(80.5, 10, 30), 1.0)]
    streets = [far_ahead, close_a, close_b]
    first = statistics.bootstrap_ranks(streets, replicates=2000, seed=11)
    again = statistics.bootstrap_ranks(streets, replicates=2000, seed=11)
    other = statistics.bootstrap_ranks(streets, replicates=2000, seed=12, chunk_elements=50)
    assert [a.tolist() for a in first] == [a.tolist() for a in again]  # same data and seed: the same intervals
    low, high = first
    assert (low[0], high[0]) == (1, 1)  # clearly first
    assert (low[1], high[1]) == (2, 3) and (low[2], high[2]) == (2, 3)  # 2nd and 3rd are not told apart
    assert [a.tolist() for a in other] == [[1, 2, 2], [1, 3, 3]]


def test_ranks_break_ties_by_order():
    assert statistics.ranks_of(np.array([[50.0, 70.0, 50.0]])).tolist() == [[2, 1, 3]]
