"""A year of the demo district's service centres for the statistics benchmark (issue 4, "Speed").

Simulates every centre's days from a year ago up to the demo's own weeks with the demo's planner (arrivals over the
day and week, waits, notices and returns, back-office decisions on the working-day calendar, deliveries, ratings),
busier than the demo (`--volume`), and writes each centre's year through `history.history_import` (COPY on
PostgreSQL; numbers from the live sequences). Then rolls the statistics up. Run it after `civicgrid demo` in the
bench's own database (bench/hall.sh does both):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cg_hall .venv/bin/python bench/hall_data.py --part 0/2

`--part i/n` takes every n-th centre from the i-th, so two processes share the work; `--rollup` only rolls up.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")

import django

django.setup()

from django.utils import timezone  # noqa: E402

from civicgrid.demo.generator import DEFAULT_PASSWORD, DEFAULT_SEED  # noqa: E402
from civicgrid.demo.hooks import DemoContext  # noqa: E402
from civicgrid.hall import demo, history, rollup  # noqa: E402
from civicgrid.regions.models import Region  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--district", default="320106")
    parser.add_argument("--days", type=int, default=365, help="how far back the year starts")
    parser.add_argument("--volume", type=float, default=1.45, help="visits per day against the demo's")
    parser.add_argument("--part", default="0/1", help="i/n: every n-th centre from the i-th")
    parser.add_argument("--rollup", action="store_true", help="only roll the statistics up")
    options = parser.parse_args()
    district = Region.objects.get(code=options.district)
    context = DemoContext(district=district, scale="district", seed=DEFAULT_SEED + 7, password=DEFAULT_PASSWORD)
    halls = demo._open_centres(context)
    if options.rollup:
        started = time.monotonic()
        result = rollup.refresh(centre_ids=[h.centre.pk for h in halls])
        print(f"rolled up {result.days} centre-days into {result.rows:,} rows in {time.monotonic() - started:.0f} s")
        return
    index, parts = (int(n) for n in options.part.split("/"))
    today = timezone.localdate()
    first = today - timedelta(days=options.days - 1)
    # the demo wrote its own weeks already: the year runs up to the day before them
    last = today - timedelta(days=demo.HISTORY_DAYS["district"] + 1)
    for hall in halls[index::parts]:
        started = time.monotonic()
        planner = demo.Planner(context, [hall])
        planner.volume = options.volume
        planner.rng.seed(f"{DEFAULT_SEED}:bench:{hall.centre.code}")
        tickets, applications = planner.plan(first, last)
        planned = time.monotonic()
        result = history.history_import(actor=None, tickets=tickets, applications=applications)
        print(
            f"{hall.centre.name}: {len(result.tickets):,} tickets, {len(result.applications):,} applications, "
            f"{result.ratings:,} ratings; planned in {planned - started:.0f} s, imported in "
            f"{time.monotonic() - planned:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
