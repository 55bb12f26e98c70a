"""The work-order bench's database: the demo district with a million work orders, generated through history_import.

The demo's planner (`civicgrid.workorders.demo.Planner`) plans a pool of realistic histories over the past year;
each is then repeated a number of times, moved back by whole weeks (so working days stay working days) and a few
metres aside, until the table holds the wanted number of orders. Every copy goes through
`history.history_import` (the replay through the transition table, numbers from the live sequence, COPY into
PostgreSQL), in batches, in two processes. Finally the tables are analysed and API tokens are made for the load
generator (written to var/bench/tokens.json).

Run (after `createdb cg_bench` and `DATABASE_URL=postgres://…/cg_bench civicgrid migrate` and `… civicgrid demo`):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cg_bench .venv/bin/python bench/wo_data.py --orders 1000000
"""

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from civicgrid.demo import generator  # noqa: E402
from civicgrid.demo.hooks import DemoContext  # noqa: E402
from civicgrid.people import services as people  # noqa: E402
from civicgrid.people.models import ApiToken, User  # noqa: E402
from civicgrid.regions import selectors as regions  # noqa: E402
from civicgrid.regions.models import Region  # noqa: E402
from civicgrid.workorders import demo, history  # noqa: E402
from civicgrid.workorders.models import WorkOrder  # noqa: E402

DISTRICT = "320106"
BATCH = 10_000
POOL = 20_000  # distinct planned histories; the rest are copies of them moved back by whole weeks
TOKENS = Path(settings.VAR_DIR) / "bench" / "tokens.json"
# who the load generator acts as: a district operator (sees the district) and a street officer (sees one street)
USERS = {"district": "district.operator", "street": "s001.officer", "reporter": "s001.operator", "admin": "admin"}


def plan_pool(size: int, seed: int) -> list[dict[str, Any]]:
    """`size` histories over the past year, planned as the demo plans them (records with datetimes)."""
    district = Region.objects.get(code=DISTRICT)
    context = DemoContext(district=district, scale="district", seed=seed, password=generator.DEFAULT_PASSWORD)
    demo.HISTORY_DAYS = 365
    demo.ORDERS["district"] = size
    planner = demo.Planner(context, demo.Staff.of(district))
    return planner.plan()


def copy_of(record: dict[str, Any], copy: int, weeks: int, lon: float, lat: float) -> dict[str, Any]:
    shift = timedelta(weeks=weeks)
    events = []
    for step in record["events"]:
        moved = {**step, "at": step["at"] - shift}
        if "into" in moved:
            moved["into"] = f"{moved['into']}-c{copy}"
        events.append(moved)
    return {**record, "key": f"{record['key']}-c{copy}", "lon": lon, "lat": lat, "events": events}


def copies(pool: list[dict[str, Any]], copy: int) -> list[dict[str, Any]]:
    """Copy number `copy` of the pool: each history moved back 0-4 weeks (copy 0 stays) and up to ~30 m aside."""
    rng = random.Random(copy)
    if copy == 0:
        return [copy_of(r, 0, 0, r["lon"], r["lat"]) for r in pool]
    # rounded as records keep them before the test, so a point near the district's edge stays inside
    lons = np.array([round(r["lon"] + rng.gauss(0, 0.0003), 6) for r in pool])
    lats = np.array([round(r["lat"] + rng.gauss(0, 0.0003), 6) for r in pool])
    grids = regions.grids_at(lons, lats)
    result = []
    weeks: dict[str, int] = {}
    for record, lon, lat, grid in zip(pool, lons.tolist(), lats.tolist(), grids, strict=True):
        if grid is None:  # moved out of the district: keep the original point
            lon, lat = record["lon"], record["lat"]
        into = next((step["into"] for step in record["events"] if "into" in step), None)
        # a duplicate moves with the order it was merged into (which comes earlier in the pool)
        weeks[record["key"]] = weeks.get(into, 0) if into else rng.randint(1, 4)
        result.append(copy_of(record, copy, weeks[record["key"]], lon, lat))
    return result


def work(args: tuple[list[dict[str, Any]], list[tuple[int, int]], int]) -> tuple[int, float]:
    """One process: import the given copies of the pool, batch by batch, in order (survivors before duplicates,
    so a duplicate's merge finds its survivor already written)."""
    pool, assigned, worker = args
    connection.close()  # a fresh connection per process
    started = time.monotonic()
    done = 0
    for copy, limit in assigned:
        records = copies(pool, copy)[:limit]  # duplicates come last in the pool: a cut drops them, not survivors
        for start in range(0, len(records), BATCH):
            try:
                done += history.history_import(actor=None, records=records[start : start + BATCH]).count
            except history.HistoryRejected as error:  # a bench should say so and go on, not lose the hour
                print(f"  worker {worker}: copy {copy} batch {start} refused: {error.rows[:3]}", flush=True)
        print(f"  worker {worker}: copy {copy} done ({done:,} orders, {time.monotonic() - started:.0f} s)", flush=True)
    return done, time.monotonic() - started


def make_points(count: int = 5000) -> None:
    """Where the load generator's reports are made (points inside grids), with what types, and a month to ask for."""
    district = Region.objects.get(code=DISTRICT)
    rng = random.Random(1)
    grids = demo._grids(district)
    points = [p for grid in rng.choices(grids, k=count) for p in grid.points(rng, 1)]
    from civicgrid.workorders.models import IncidentType

    types = [{"code": t.code, "name": t.name} for t in IncidentType.objects.filter(is_active=True).order_by("code")]
    today = datetime.now().date()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    month = {"start": last_month_end.replace(day=1).isoformat(), "end": last_month_end.isoformat()}
    regions_for = {"district": f"{DISTRICT}003", "street": f"{DISTRICT}001003"}  # a street; a community of s001
    TOKENS.parent.mkdir(parents=True, exist_ok=True)
    (TOKENS.parent / "points.json").write_text(
        json.dumps({"points": points, "types": types, "month": month, "regions": regions_for}, ensure_ascii=False)
    )


def make_tokens() -> dict[str, str]:
    tokens = {}
    for role, username in USERS.items():
        user = User.objects.get(username=username)
        ApiToken.objects.filter(user=user, name="bench").update(is_active=False)
        token, _record = people.api_token_create(actor=user, name="bench", days=30)
        tokens[role] = token
    TOKENS.parent.mkdir(parents=True, exist_ok=True)
    TOKENS.write_text(json.dumps(tokens, indent=2))
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="how many work orders the table should hold")
    parser.add_argument("--pool", type=int, default=POOL)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tokens-only", action="store_true", help="only (re)make the tokens and the report points")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to the bench's PostgreSQL database")
    if options.tokens_only:
        make_tokens()
        make_points()
        return
    have = WorkOrder.objects.count()
    wanted = options.orders - have
    if wanted <= 0:
        print(f"{have:,} work orders already; nothing to do")
        make_tokens()
        make_points()
        return
    started = time.monotonic()
    pool = plan_pool(min(options.pool, wanted), seed=int(time.time()))  # a new seed: keys never repeat a run
    planned = time.monotonic() - started
    print(f"pool of {len(pool):,} histories planned in {planned:.0f} s", flush=True)
    count = -(-wanted // len(pool))
    limits = [min(len(pool), wanted - copy * len(pool)) for copy in range(count)]
    assignments = [[(copy, limits[copy]) for copy in range(w, count, options.workers)] for w in range(options.workers)]
    connection.close()
    with multiprocessing.get_context("fork").Pool(options.workers) as processes:
        results = processes.map(work, [(pool, numbers, w) for w, numbers in enumerate(assignments)])
    imported = sum(n for n, _s in results)
    elapsed = time.monotonic() - started
    print(f"imported {imported:,} work orders in {elapsed:.0f} s ({imported / (elapsed - planned):,.0f} orders/s)")
    analysed = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE workorders_workorder")
        cursor.execute("VACUUM ANALYZE workorders_workorderevent")
    print(f"VACUUM ANALYZE {time.monotonic() - analysed:.0f} s; {WorkOrder.objects.count():,} work orders in all")
    make_tokens()
    make_points()


if __name__ == "__main__":
    main()
