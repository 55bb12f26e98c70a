"""A campaign's report: the responses read once into arrays, the estimators of `statistics` applied per street, the
ranking with its rank intervals and tests, the progress, key and cost indices and the rewards.

The report is computed from every street's data (a rank needs all of them) and then cut to what the reader may see
(`for_reader`). It is kept in `ReportSnapshot` with the state of the data it came from (`stamp`): a new response, a
review, a population or a weight changes the stamp, and the next read computes it again.
"""

import json
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.evaluation import statistics
from civicgrid.evaluation.choices import CampaignStatus, Channel, Group, NodeKind, Review
from civicgrid.evaluation.models import Campaign, CampaignStreet, Indicator, ReportSnapshot, Response, Stratum

REPLICATES = 2000
YUAN_UNIT = Decimal(10_000)  # the cost index is per 10,000 yuan
GROUPS = list(Group.values)


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), digits)


# ---------------------------------------------------------------- the data of a campaign as arrays


@dataclass
class Tree:
    dimensions: list[Indicator]
    focus_areas: list[Indicator]
    indicators: list[Indicator]  # of the tree, in tree order
    specials: list[Indicator]
    weights: np.ndarray  # each tree indicator's weight: the product of the weights on its path

    def columns_of(self, node: Indicator) -> list[int]:
        """Columns of the indicators under a dimension or focus area."""
        return [i for i, ind in enumerate(self.indicators) if node.pk in (ind.parent_id, ind.parent.parent_id)]  # type: ignore[union-attr]


def load_tree(campaign: Campaign) -> Tree:
    nodes = list(campaign.indicators.select_related("parent", "parent__parent", "street").order_by("sort", "code"))
    dimensions = [n for n in nodes if n.kind == NodeKind.DIMENSION]
    areas = [n for d in dimensions for n in nodes if n.parent_id == d.pk]
    indicators = [n for a in areas for n in nodes if n.parent_id == a.pk]
    weights = np.array(
        [float(n.weight * n.parent.weight * n.parent.parent.weight) for n in indicators]  # type: ignore[union-attr]
    )
    specials = [n for n in nodes if n.street_id is not None]
    return Tree(dimensions, areas, indicators, specials, weights)


@dataclass
class Data:
    streets: list[CampaignStreet]
    populations: dict[tuple[int, str], int | None]
    street_index: np.ndarray  # per response: the street's position in `streets`
    group_index: np.ndarray  # per response: position in GROUPS
    online: np.ndarray  # per response: from the open link
    matrix: np.ndarray  # responses x (tree indicators + special indicators): indicator scores, NaN = none
    excluded: int


def load(campaign: Campaign, tree: Tree) -> Data:
    """Every response that counts, as arrays. The rows come through one cursor and their score dicts through one
    JSON parse (a quarter-million rows: the ORM's per-row conversion would cost more than all the statistics)."""
    streets = list(CampaignStreet.objects.filter(campaign=campaign).select_related("street").order_by("street__code"))
    position = {row.street_id: i for i, row in enumerate(streets)}
    populations = {(s.street_id, s.group): s.population for s in Stratum.objects.filter(campaign=campaign)}
    codes = [node.code for node in [*tree.indicators, *tree.specials]]
    counted = Response.objects.filter(campaign=campaign).exclude(review=Review.EXCLUDED)
    sql, params = counted.values_list("street_id", "group", "channel", "scores").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    raw = [row[3] if isinstance(row[3], str) else json.dumps(row[3]) for row in rows]
    scores = json.loads("[" + ",".join(raw) + "]")
    matrix = np.array([[one.get(code) for code in codes] for one in scores], dtype=float).reshape(len(rows), len(codes))
    group_position = {group: i for i, group in enumerate(GROUPS)}
    return Data(
        streets,
        populations,
        np.array([position[row[0]] for row in rows], dtype=np.int64),
        np.array([group_position[row[1]] for row in rows], dtype=np.int64),
        np.array([row[2] == Channel.ONLINE for row in rows], dtype=bool),
        matrix,
        Response.objects.filter(campaign=campaign, review=Review.EXCLUDED).count(),
    )


# ---------------------------------------------------------------- computing


def measures(tree: Tree, matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Each respondent's score of every kind the report shows (NaN: no score of that kind)."""
    count = len(tree.indicators)
    scored = matrix[:, :count]
    result = {"overall": statistics.weighted_scores(scored, tree.weights)}
    for node in [*tree.dimensions, *tree.focus_areas]:
        columns = tree.columns_of(node)
        result[node.code] = statistics.weighted_scores(scored[:, columns], tree.weights[columns])
    for i, node in enumerate(tree.indicators):
        result[node.code] = scored[:, i]
    key = [i for i, node in enumerate(tree.indicators) if node.is_key]
    if key:
        result["key"] = statistics.weighted_scores(scored[:, key], tree.weights[key])
    for j, node in enumerate(tree.specials):
        result[node.code] = matrix[:, count + j]
    return result


def compute(campaign: Campaign, *, bootstrap: bool = True, with_progress: bool = True) -> dict[str, Any]:
    started = time.monotonic()
    tree = load_tree(campaign)
    data = load(campaign, tree)
    scores = measures(tree, data.matrix)
    directed = {
        (s, g): np.flatnonzero((data.street_index == s) & (data.group_index == g) & ~data.online)
        for s in range(len(data.streets))
        for g in range(len(GROUPS))
    }
    online = {s: np.flatnonzero((data.street_index == s) & data.online) for s in range(len(data.streets))}

    def estimate(name: str, s: int) -> statistics.Estimate:
        street_id = data.streets[s].street_id
        samples = {group: scores[name][directed[(s, g)]] for g, group in enumerate(GROUPS)}
        return statistics.poststratify(samples, {group: data.populations.get((street_id, group)) for group in GROUPS})

    regions: list[dict[str, Any]] = []
    overall: list[statistics.Estimate] = []
    for s, row in enumerate(data.streets):
        main = estimate("overall", s)
        overall.append(main)
        key = estimate("key", s) if "key" in scores else None
        online_score = statistics.simple(scores["overall"][online[s]])
        regions.append(
            {
                "code": row.street.code,
                "name": row.street.name,
                "score": _r(main.score),
                "se": _r(main.se),
                "moe95": _r(main.moe95),
                "n": main.n,
                "n_effective": _r(main.n_effective, 1),
                "rank": None,
                "rank_low": None,
                "rank_high": None,
                "dimensions": {d.code: _r(estimate(d.code, s).score) for d in tree.dimensions},
                "focus_areas": {f.code: _r(estimate(f.code, s).score) for f in tree.focus_areas},
                "indicators": {i.code: _r(estimate(i.code, s).score) for i in tree.indicators},
                "groups": {
                    group: {
                        "score": _r(part.mean),
                        "n": part.n,
                        "population": part.population,
                        "weight": _r(part.weight),
                        "pooled_out": part.pooled_out,
                    }
                    for group, part in main.groups.items()
                },
                "pooled_groups": [
                    g for g, part in main.groups.items() if part.pooled_out and (part.n or part.population)
                ],
                "online": _simple_out(online_score),
                "online_groups": {
                    group: _simple_out(
                        statistics.simple(scores["overall"][online[s][data.group_index[online[s]] == g]])
                    )
                    for g, group in enumerate(GROUPS)
                },
                "key_index": None
                if key is None
                else {"score": _r(key.score), "se": _r(key.se), "moe95": _r(key.moe95), "n": key.n},
                "special": [
                    {"code": node.code, "name": node.name, **_simple_block(estimate(node.code, s))}
                    for node in tree.specials
                    if node.street_id == row.street_id
                ],
                "spending": float(row.spending) if row.spending is not None else None,
                "progress": None,
                "cost_index": None,
                "next_difference": None,
            }
        )
    pairs = _rank_and_test(regions, overall)
    if bootstrap:
        _rank_intervals(campaign, regions, overall, scores["overall"], directed)
    if with_progress and campaign.previous_id:
        _progress(campaign, regions)
    district = _district(data, scores["overall"], directed, online)
    return {
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "year": campaign.year,
            "status": campaign.status,
            "provisional": campaign.status != CampaignStatus.CLOSED,
            "previous": campaign.previous_id,
        },
        "computed_at": timezone.now().isoformat(),
        "seconds": round(time.monotonic() - started, 3),
        "bootstrap": {"replicates": REPLICATES if bootstrap else 0, "seed": campaign.bootstrap_seed},
        "district": district,
        "excluded": data.excluded,
        "tree": _tree_out(tree),
        "regions": regions,
        "pairs": pairs,
        "rewards": _rewards(campaign, regions, pairs),
    }


def _simple_out(value: statistics.Simple) -> dict[str, Any]:
    return {"score": _r(value.score), "se": _r(value.se), "n": value.n}


def _simple_block(estimate: statistics.Estimate) -> dict[str, Any]:
    return {"score": _r(estimate.score), "se": _r(estimate.se), "moe95": _r(estimate.moe95), "n": estimate.n}


def _rank_and_test(regions: list[dict[str, Any]], overall: list[statistics.Estimate]) -> list[dict[str, Any]]:
    """Ranks by score, every pair's z test with Holm's correction, and each street against the next one down."""
    ranked = sorted(
        (i for i, e in enumerate(overall) if e.score is not None),
        key=lambda i: (-overall[i].score, regions[i]["code"]),  # type: ignore[operator]
    )
    for rank, i in enumerate(ranked, start=1):
        regions[i]["rank"] = rank
    tests = []
    for x, i in enumerate(ranked):
        for j in ranked[x + 1 :]:
            a, b = overall[i], overall[j]
            z, p = statistics.compare(a.score, a.se, b.score, b.se)  # type: ignore[arg-type]
            tests.append((i, j, z, p))
    adjusted = statistics.holm([p for *_ij, p in tests])
    pairs = []
    for (i, j, z, p), p_holm in zip(tests, adjusted, strict=True):
        pair = {
            "a": regions[i]["code"],
            "b": regions[j]["code"],
            "difference": _r(overall[i].score - overall[j].score),  # type: ignore[operator]
            "z": _r(z, 3) if math.isfinite(z) else None,
            "p": _r(p, 6),
            "p_holm": _r(p_holm, 6),
            "significant": p_holm <= statistics.ALPHA,
        }
        pairs.append(pair)
        if regions[j]["rank"] == regions[i]["rank"] + 1:
            regions[i]["next_difference"] = {
                "code": pair["b"],
                "z": pair["z"],
                "p_holm": pair["p_holm"],
                "significant": pair["significant"],
            }
    return pairs


def _rank_intervals(
    campaign: Campaign,
    regions: list[dict[str, Any]],
    overall: list[statistics.Estimate],
    scores: np.ndarray,
    directed: dict[tuple[int, int], np.ndarray],
) -> None:
    ranked = [i for i, r in enumerate(regions) if r["rank"] is not None]
    if not ranked:
        return
    streets = []
    for i in ranked:
        groups = []
        for g, group in enumerate(GROUPS):
            part = overall[i].groups[group]
            if not part.pooled_out:
                values = scores[directed[(i, g)]]
                groups.append((values[~np.isnan(values)], part.weight))
        streets.append(groups)
    low, high = statistics.bootstrap_ranks(streets, replicates=REPLICATES, seed=campaign.bootstrap_seed)
    for position, i in enumerate(ranked):
        regions[i]["rank_low"], regions[i]["rank_high"] = int(low[position]), int(high[position])


def _progress(campaign: Campaign, regions: list[dict[str, Any]]) -> None:
    previous = campaign.previous
    if previous is None:
        return
    snapshot = ReportSnapshot.objects.filter(campaign=previous).first()
    if snapshot is not None and snapshot.stamp == stamp(previous):
        before = snapshot.data
    else:
        before = compute(previous, bootstrap=False, with_progress=False)
    earlier = {r["code"]: r for r in before["regions"]}
    for region in regions:
        old = earlier.get(region["code"])
        if old is None or old["score"] is None or region["score"] is None:
            continue
        delta, se = statistics.progress(region["score"], region["se"], old["score"], old["se"])
        region["progress"] = {"delta": _r(delta), "se": _r(se), "previous": old["score"]}
        if region["spending"]:
            per = region["spending"] / float(YUAN_UNIT)
            region["cost_index"] = {"value": _r(delta / per, 6), "se": _r(se / per, 6)}


def _district(
    data: Data, scores: np.ndarray, directed: dict[tuple[int, int], np.ndarray], online: dict[int, np.ndarray]
) -> dict[str, Any]:
    """The whole district, post-stratified over every street's groups with their populations."""
    samples, populations = {}, {}
    for (s, g), rows in directed.items():
        key = f"{s}/{g}"
        samples[key] = scores[rows]
        populations[key] = data.populations.get((data.streets[s].street_id, GROUPS[g]))
    estimate = statistics.poststratify(samples, populations)
    everyone_online = statistics.simple(scores[np.concatenate(list(online.values()))] if online else np.empty(0))
    return {
        **_simple_block(estimate),
        "n_effective": _r(estimate.n_effective, 1),
        "online": _simple_out(everyone_online),
    }


def _tree_out(tree: Tree) -> dict[str, Any]:
    def node(n: Indicator, **extra: Any) -> dict[str, Any]:
        return {"code": n.code, "name": n.name, "weight": float(n.weight), **extra}

    return {
        "dimensions": [
            node(
                d,
                focus_areas=[
                    node(f, indicators=[node(i, key=i.is_key) for i in tree.indicators if i.parent_id == f.pk])
                    for f in tree.focus_areas
                    if f.parent_id == d.pk
                ],
            )
            for d in tree.dimensions
        ]
    }


def _rewards(campaign: Campaign, regions: list[dict[str, Any]], pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """The top places and their awards, with a warning wherever a place is not distinguishable from the next."""
    by_rank = {r["rank"]: r for r in regions if r["rank"] is not None}
    places = [
        {
            "rank": rank,
            "code": by_rank[rank]["code"],
            "name": by_rank[rank]["name"],
            "amount": amount,
            "score": by_rank[rank]["score"],
        }
        for rank, amount in enumerate(campaign.rewards, start=1)
        if rank in by_rank
    ]
    warnings = []
    for place in places:
        region = by_rank[place["rank"]]
        following = by_rank.get(place["rank"] + 1)
        test = region["next_difference"]
        if following is not None and test is not None and not test["significant"]:
            warnings.append(
                _(
                    "第 %(r)s 名%(a)s与第 %(r1)s 名%(b)s的得分差异在统计上不显著"
                    "（Holm 校正后 p = %(p)s），两者的名次无法区分。"
                )
                % {
                    "r": place["rank"],
                    "a": region["name"],
                    "r1": place["rank"] + 1,
                    "b": following["name"],
                    "p": f"{test['p_holm']:.3f}",
                }
            )
    return {"places": places, "warnings": warnings}


# ---------------------------------------------------------------- cached reads


def stamp(campaign: Campaign) -> str:
    """The state of everything the report depends on: a different stamp, a different report."""
    counts = Response.objects.filter(campaign=campaign).aggregate(
        n=Count("id"), last=Max("id"), reviewed=Max("reviewed_at")
    )
    reviewed = counts["reviewed"].timestamp() if counts["reviewed"] else 0
    revision = Campaign.objects.filter(pk=campaign.pk).values_list("revision", "status", "previous_id").first()
    previous = (
        Campaign.objects.filter(pk=campaign.previous_id).values_list("revision", flat=True).first()
        if campaign.previous_id
        else None
    )
    return f"{revision}:{counts['n']}:{counts['last']}:{reviewed:.0f}:{previous}"[:80]


def report(campaign: Campaign) -> dict[str, Any]:
    """The campaign's report, from the snapshot when the data has not changed since (a cache of `compute`)."""
    current = stamp(campaign)
    snapshot = ReportSnapshot.objects.filter(campaign=campaign).first()
    if snapshot is not None and snapshot.stamp == current:
        return snapshot.data
    data = compute(campaign)
    try:
        with transaction.atomic():
            ReportSnapshot.objects.update_or_create(
                campaign=campaign,
                defaults={"stamp": current, "computed_at": timezone.now(), "seconds": data["seconds"], "data": data},
            )
    except IntegrityError:
        pass  # another reader stored the same computation at the same moment
    return data


def for_reader(data: dict[str, Any], *, streets: Iterable[str], administrator: bool) -> dict[str, Any]:
    """The report as one reader may see it: their streets' rows (ranks stay those of the whole district), the pairs
    among them, the rewards only for an administrator."""
    visible = set(streets)
    regions = []
    for region in data["regions"]:
        if region["code"] in visible:
            test = region["next_difference"]
            if test is not None and test["code"] not in visible:  # whether it is ahead of the next, not who that is
                region = {**region, "next_difference": {**test, "code": None}}
            regions.append(region)
    return {
        **data,
        "regions": regions,
        "pairs": [p for p in data["pairs"] if p["a"] in visible and p["b"] in visible],
        "rewards": data["rewards"] if administrator else {"places": [], "warnings": []},
    }
