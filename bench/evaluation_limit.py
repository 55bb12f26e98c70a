"""The limit for the evaluation's scores: the same post-stratified street scores (W_h = N_h / N, variance with the
finite population correction, Kish n_eff, groups under 2 responses pooled out) computed by plain pandas and by one
DuckDB query, from the same rows in PostgreSQL. Runs in its own venv (var/bench/analytics: pandas, duckdb; psycopg
from the project's venv), never as a dependency of CivicGrid. Prints timings and the largest difference to
CivicGrid's scores, then one JSON line.

    var/bench/analytics/bin/python bench/evaluation_limit.py --campaign 7 --expect var/bench/evaluation-civicgrid.json
"""

import argparse
import json
import os
import time

import duckdb
import numpy as np
import pandas as pd
import psycopg

ROWS = """SELECT s.code AS street, r."group", r.channel, r.scores::text AS scores
FROM evaluation_response r JOIN regions_region s ON s.id = r.street_id
WHERE r.campaign_id = %s AND r.review <> 'excluded'"""
TREE = """SELECT i.code, i.weight * f.weight * d.weight AS weight
FROM evaluation_indicator i JOIN evaluation_indicator f ON f.id = i.parent_id
JOIN evaluation_indicator d ON d.id = f.parent_id
WHERE i.campaign_id = %s AND i.kind = 'indicator'"""
STRATA = """SELECT s.code AS street, t."group", t.population
FROM evaluation_stratum t JOIN regions_region s ON s.id = t.street_id WHERE t.campaign_id = %s"""


def fetch(connection: psycopg.Connection, sql: str, campaign: int) -> pd.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign])
        return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])


def with_pandas(connection: psycopg.Connection, campaign: int) -> pd.DataFrame:
    rows = fetch(connection, ROWS, campaign)
    tree = fetch(connection, TREE, campaign)
    strata = fetch(connection, STRATA, campaign)
    codes = list(tree["code"])
    weights = tree["weight"].astype(float).to_numpy()
    scores = pd.DataFrame.from_records(rows["scores"].map(json.loads).tolist(), columns=codes).to_numpy(dtype=float)
    answered = ~np.isnan(scores)
    overall = np.where(answered, scores * weights, 0).sum(1) / np.where(answered, weights, 0).sum(1)
    frame = pd.DataFrame({"street": rows["street"], "group": rows["group"], "y": overall})[
        rows["channel"] == "directed"
    ]
    groups = frame.groupby(["street", "group"])["y"].agg(["mean", "var", "count"]).reset_index()
    groups = groups.merge(strata, on=["street", "group"], how="right")
    groups["share"] = groups["population"] / groups.groupby("street")["population"].transform("sum")
    kept = groups[groups["count"] >= 2].copy()
    kept["w"] = kept["share"] / kept.groupby("street")["share"].transform("sum")
    kept["part"] = kept["w"] * kept["mean"]
    kept["v"] = kept["w"] ** 2 * (1 - kept["count"] / kept["population"]).clip(lower=0) * kept["var"] / kept["count"]
    kept["inv"] = kept["w"] ** 2 / kept["count"]
    out = kept.groupby("street").agg(score=("part", "sum"), v=("v", "sum"), inv=("inv", "sum"), n=("count", "sum"))
    out["se"] = np.sqrt(out["v"])
    out["n_effective"] = 1 / out["inv"]
    return out[["score", "se", "n", "n_effective"]]


DUCK = """
WITH w AS (SELECT * FROM tree),
r AS (SELECT row_number() OVER () AS id, street, "group", channel, scores FROM rows WHERE channel = 'directed'),
cell AS (SELECT r.id, r.street, r."group", w.weight, CAST(json_extract(r.scores, '$.' || w.code) AS DOUBLE) AS s
         FROM r CROSS JOIN w),
person AS (SELECT id, street, "group", sum(s * weight) / sum(CASE WHEN s IS NULL THEN 0 ELSE weight END) AS y
           FROM cell GROUP BY id, street, "group"),
g AS (SELECT st.street, st."group", st.population, avg(p.y) AS m, var_samp(p.y) AS v, count(p.y) AS n
      FROM strata st LEFT JOIN person p ON p.street = st.street AND p."group" = st."group"
      GROUP BY st.street, st."group", st.population),
sh AS (SELECT *, population / sum(population) OVER (PARTITION BY street) AS share FROM g),
k AS (SELECT *, share / sum(share) OVER (PARTITION BY street) AS w FROM sh WHERE n >= 2)
SELECT street, sum(w * m) AS score, sqrt(sum(w * w * greatest(0, 1 - n / population) * v / n)) AS se,
       sum(n) AS n, 1 / sum(w * w / n) AS n_effective
FROM k GROUP BY street ORDER BY street
"""


def with_duckdb(connection: psycopg.Connection, campaign: int) -> pd.DataFrame:
    rows = fetch(connection, ROWS, campaign)  # noqa: F841 - read by DuckDB's replacement scan
    tree = fetch(connection, TREE, campaign)
    tree["weight"] = tree["weight"].astype(float)
    strata = fetch(connection, STRATA, campaign)  # noqa: F841
    return duckdb.sql(DUCK).df().set_index("street")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaign", type=int, required=True)
    parser.add_argument(
        "--expect", required=True, help="CivicGrid's scores (JSON: street -> score, se, n, n_effective)"
    )
    default = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/cg_evaluation_bench")
    parser.add_argument("--dsn", default=default)
    options = parser.parse_args()
    with open(options.expect, encoding="utf-8") as handle:
        expected = pd.DataFrame(json.load(handle)).T.astype(float)
    result = {}
    with psycopg.connect(options.dsn.replace("postgres://", "postgresql://")) as connection:
        for name, work in (("pandas", with_pandas), ("duckdb", with_duckdb)):
            runs = []
            for _run in range(3):
                started = time.perf_counter()
                scores = work(connection, options.campaign)
                runs.append(time.perf_counter() - started)
            joined = scores.astype(float).join(expected, rsuffix="_cg")
            # CivicGrid's JSON rounds scores and SEs to 4 decimals, n_eff to 1
            gaps = {c: float((joined[c] - joined[f"{c}_cg"]).abs().max()) for c in ("score", "se", "n_effective", "n")}
            print(
                f"{name}: best {min(runs):.2f} s, median {sorted(runs)[1]:.2f} s; largest differences to CivicGrid "
                + ", ".join(f"{c} {g:.1g}" for c, g in gaps.items())
            )
            result[f"{name}_s"] = round(min(runs), 3)
            result[f"{name}_gaps"] = gaps
    print(json.dumps(result))


if __name__ == "__main__":
    main()
