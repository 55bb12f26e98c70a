"""The statistics of the evaluation, exactly as docs/evaluation.md defines them. Pure numpy: arrays in, numbers out.

- item score of an answer x on a 1..k scale: (x - 1) / (k - 1) * 100; an indicator score is the mean of its items;
- a respondent's overall (dimension, focus area, key) score: the weighted mean of their indicator scores with the
  indicators' tree weights, renormalised over the indicators they answered (`weighted_scores`);
- a street's score from the directed sample: post-stratified by respondent group with the population shares
  W_h = N_h / N, variance sum W_h^2 (1 - n_h/N_h) s_h^2 / n_h, 95 % margin 1.96 SE, Kish n_eff = 1 / sum W_h^2/n_h
  (= (sum w_i)^2 / sum w_i^2 with w_i = W_h / n_h); a group with fewer than 2 responses is reported and its weight
  is shared among the others in proportion to theirs (`poststratify`);
- the online channel: unweighted mean and SE s / sqrt(n) (`simple`);
- two streets: z = (a - b) / sqrt(SE_a^2 + SE_b^2), two-sided p, Holm over all pairs (`compare`, `holm`);
- rank intervals: 95 % percentile intervals of the ranks in seeded stratified bootstrap replicates (`bootstrap_ranks`);
- progress: delta = S_t - S_(t-1), SE sqrt(SE_t^2 + SE_(t-1)^2) (`progress`).
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

Z95 = 1.96
MIN_GROUP = 2  # a group with fewer responses in a street shares its weight among the others
ALPHA = 0.05


def item_scores(answers: np.ndarray, scale: int) -> np.ndarray:
    """(x - 1) / (k - 1) * 100 for answers x on a 1..k scale."""
    return (np.asarray(answers, dtype=float) - 1.0) / (scale - 1) * 100.0


def weighted_scores(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each row's weighted mean over its answered columns (NaN = not answered), weights renormalised per row.

    A row with no answered column gets NaN: that respondent has no score of this kind.
    """
    matrix = np.asarray(matrix, dtype=float)
    answered = ~np.isnan(matrix)
    weights = np.broadcast_to(np.asarray(weights, dtype=float), matrix.shape)
    total = np.where(answered, weights, 0.0).sum(axis=1)
    numerator = np.where(answered, matrix * weights, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, numerator / np.where(total > 0, total, 1.0), np.nan)


@dataclass(frozen=True)
class GroupPart:
    """One respondent group of a street: its sample, its population, its share before and after pooling."""

    n: int
    mean: float | None
    variance: float | None  # s_h^2, the sample variance (n - 1 in the denominator)
    population: int | None
    share: float  # W_h = N_h / N
    weight: float  # W_h after the shares of groups with fewer than 2 responses went to the others
    pooled_out: bool  # fewer than 2 responses: reported, not used


@dataclass(frozen=True)
class Estimate:
    score: float | None
    se: float | None
    n: int
    n_effective: float | None
    groups: dict[str, GroupPart] = field(default_factory=dict)

    @property
    def moe95(self) -> float | None:
        return None if self.se is None else Z95 * self.se

    @property
    def pooled_out(self) -> list[str]:
        return [name for name, part in self.groups.items() if part.pooled_out]


def _mean_and_variance(values: np.ndarray) -> tuple[int, float | None, float | None]:
    n = int(values.size)
    if n == 0:
        return 0, None, None
    mean = float(values.mean())
    variance = float(values.var(ddof=1)) if n >= 2 else None
    return n, mean, variance


def poststratify(samples: Mapping[str, np.ndarray], populations: Mapping[str, int | None]) -> Estimate:
    """A street's post-stratified score from its groups' scores (NaN = no score) and the groups' populations.

    Groups are those of `populations` (the plan); a group with no or zero population has no share. Groups with fewer
    than 2 scores keep their n and mean in the result but their share goes to the others, in proportion.
    """
    total = sum(p for p in populations.values() if p)
    parts: dict[str, tuple[int, float | None, float | None, int | None, float]] = {}
    for name, population in populations.items():
        values = np.asarray(samples.get(name, np.empty(0)), dtype=float)
        n, mean, variance = _mean_and_variance(values[~np.isnan(values)])
        share = (population or 0) / total if total else 0.0
        parts[name] = (n, mean, variance, population, share)
    usable = {name for name, (n, _m, _v, population, share) in parts.items() if n >= MIN_GROUP and share > 0}
    kept = sum(parts[name][4] for name in usable)
    groups: dict[str, GroupPart] = {}
    score = variance_sum = inverse_neff = 0.0
    for name, (n, mean, variance, population, share) in parts.items():
        weight = share / kept if name in usable and kept > 0 else 0.0
        groups[name] = GroupPart(n, mean, variance, population, share, weight, pooled_out=name not in usable)
        if name in usable:
            assert mean is not None and variance is not None and population
            fpc = max(0.0, 1.0 - n / population)
            score += weight * mean
            variance_sum += weight**2 * fpc * variance / n
            inverse_neff += weight**2 / n
    n_used = sum(parts[name][0] for name in usable)
    if not usable:
        return Estimate(None, None, 0, None, groups)
    return Estimate(score, math.sqrt(variance_sum), n_used, 1.0 / inverse_neff, groups)


@dataclass(frozen=True)
class Simple:
    score: float | None
    se: float | None
    n: int


def simple(values: np.ndarray) -> Simple:
    """The unweighted mean and its standard error s / sqrt(n) (the online channel, a group on its own)."""
    values = np.asarray(values, dtype=float)
    n, mean, variance = _mean_and_variance(values[~np.isnan(values)])
    se = math.sqrt(variance / n) if variance is not None else None
    return Simple(mean, se, n)


def compare(a: float, se_a: float, b: float, se_b: float) -> tuple[float, float]:
    """z = (a - b) / sqrt(se_a^2 + se_b^2) and its two-sided p-value under the normal distribution."""
    spread = math.sqrt(se_a**2 + se_b**2)
    if spread == 0:
        return (0.0, 1.0) if a == b else (math.copysign(math.inf, a - b), 0.0)
    z = (a - b) / spread
    return z, math.erfc(abs(z) / math.sqrt(2))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values: the i-th smallest times (m - i + 1), running maximum, at most 1.

    A hypothesis is rejected at level alpha exactly when its adjusted p-value is at most alpha.
    """
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = stepped
    return adjusted.tolist()


def ranks_of(scores: np.ndarray) -> np.ndarray:
    """Ranks (1 = highest) of the columns of each row; equal scores keep column order."""
    scores = np.atleast_2d(scores)
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(scores.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, scores.shape[1] + 1)
    return ranks


def bootstrap_ranks(
    streets: Sequence[Sequence[tuple[np.ndarray, float]]],
    *,
    replicates: int,
    seed: int,
    chunk_elements: int = 4_000_000,
) -> tuple[np.ndarray, np.ndarray]:
    """95 % percentile intervals of each street's rank over stratified bootstrap replicates.

    `streets` lists, per street, its usable groups as (scores, weight after pooling). Each replicate draws n_h scores
    with replacement within every group of every street, recomputes each street's post-stratified score with the
    same weights, and ranks the streets. Streets and groups are drawn in the given order from one seeded generator,
    so the same data and seed give the same intervals. Returns (low, high) ranks, as integers of the replicates.
    """
    rng = np.random.default_rng(seed)
    totals = np.zeros((replicates, len(streets)))
    for column, groups in enumerate(streets):
        for values, weight in groups:
            # float32 halves the memory the gather reads; the means are summed in float64
            values = np.ascontiguousarray(values, dtype=np.float32)
            n = values.size
            step = max(1, chunk_elements // max(n, 1))
            for start in range(0, replicates, step):
                rows = min(step, replicates - start)
                draws = rng.integers(0, n, size=(rows, n), dtype=np.int32 if n < 2**31 else np.int64)
                totals[start : start + rows, column] += weight * values[draws].mean(axis=1, dtype=np.float64)
    ranks = ranks_of(totals)
    low = np.quantile(ranks, 0.025, axis=0, method="inverted_cdf")
    high = np.quantile(ranks, 0.975, axis=0, method="inverted_cdf")
    return low.astype(int), high.astype(int)


def progress(score: float, se: float, previous: float, previous_se: float) -> tuple[float, float]:
    """The progress index: delta = S_t - S_(t-1) with SE sqrt(SE_t^2 + SE_(t-1)^2)."""
    return score - previous, math.sqrt(se**2 + previous_se**2)
