"""The registry's reads with the whole demo district loaded (issue 5, "Speed"): the household file page, the four
clears of every grid, and a region's files page. Run against a database holding `civicgrid demo --scale district`:

    DATABASE_URL=sqlite:///$PWD/var/bench-district.sqlite3 .venv/bin/python bench/registry_reads.py [--pages 300]

The pages are requested through Django's test client in this process (routing, middleware, sessions, selectors,
templates: everything but the network), signed in as the district administrator and as grid workers; each time is
from the request to the rendered body. Four clears: `selectors.completeness` (the page's and the API's reader).
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from civicgrid.people.choices import Role  # noqa: E402
from civicgrid.people.models import Post, User  # noqa: E402
from civicgrid.regions.choices import Level  # noqa: E402
from civicgrid.regions.models import Region  # noqa: E402
from civicgrid.registry import selectors  # noqa: E402
from civicgrid.registry.models import Household, Resident  # noqa: E402


def percentiles(times: list[tuple[float, float]]) -> str:
    """Wall and CPU time (this process: Python and SQLite's own work; on a shared machine the CPU time is what an
    idle machine's wall time would be, give or take disk reads)."""
    parts = []
    for label, values in (("wall", [t[0] for t in times]), ("cpu", [t[1] for t in times])):
        ordered = sorted(values)
        p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
        parts.append(
            f"{label} p50={statistics.median(ordered) * 1000:.1f} p95={p95 * 1000:.1f} max={ordered[-1] * 1000:.1f}"
        )
    return f"n={len(times)} ms: " + "; ".join(parts)


def timed_pages(client: Client, urls: list[str]) -> list[tuple[float, float]]:
    times = []
    for url in urls:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        body = response.content
        times.append((time.perf_counter() - started, time.process_time() - cpu))
        assert response.status_code == 200 and body, (url, response.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    setup_test_environment()  # the test client's hosts; nothing else of the test runner
    rng = random.Random(args.seed)
    print(f"database: {connection.vendor}; residents {Resident.objects.count():,}, "
          f"households {Household.objects.count():,}, grids {Region.objects.filter(level=Level.GRID).count():,}; "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    admin = User.objects.get(username="admin")

    # four clears of every grid, community and street (the administrator reads them all)
    for by in ("grid", "community", "street"):
        times = []
        for _run in range(5):
            started, cpu = time.perf_counter(), time.process_time()
            rows = selectors.completeness(actor=User.objects.get(pk=admin.pk), by=by)
            times.append((time.perf_counter() - started, time.process_time() - cpu))
        households = sum(row["households"] for row in rows)
        print(f"four clears by {by}: {len(rows)} rows over {households:,} households: "
              f"wall median {statistics.median(t[0] for t in times):.2f} s, max {max(t[0] for t in times):.2f} s; "
              f"cpu median {statistics.median(t[1] for t in times):.2f} s")  # fmt: skip

    # the household file page (一户一档): random households in residence, as the administrator
    ids = list(Household.objects.filter(status="active").values_list("pk", flat=True))
    sample = rng.sample(ids, args.pages)
    client = Client()
    client.force_login(admin)
    timed_pages(client, [f"/registry/households/{pk}/" for pk in sample[:20]])  # warm up
    print("household file page, district administrator:", percentiles(
        timed_pages(client, [f"/registry/households/{pk}/" for pk in sample])))  # fmt: skip

    # as grid workers, each in their own grid
    posts = list(Post.objects.filter(role=Role.GRID_WORKER, is_active=True).select_related("user", "region"))
    urls_by_worker = []
    for post in rng.sample(posts, 10):
        homes = list(Household.objects.filter(grid=post.region, status="active").values_list("pk", flat=True))
        urls_by_worker.append(
            (post.user, [f"/registry/households/{pk}/" for pk in rng.sample(homes, args.pages // 10)])
        )
    times = []
    for user, urls in urls_by_worker:
        worker = Client()
        worker.force_login(user)
        timed_pages(worker, urls[:2])
        times += timed_pages(worker, urls)
    print("household file page, grid workers in their grids:", percentiles(times))
    api = timed_pages(client, [f"/api/v1/registry/households/{pk}" for pk in sample[:100]])
    print("household file over the API, administrator:", percentiles(api))

    # a region's files (overview with counts and completeness one level down)
    grid = rng.choice(list(Region.objects.filter(level=Level.GRID, grid_kind="comprehensive")))
    for region in (grid, grid.parent, grid.parent.parent, Region.objects.get(code="320106")):
        times = timed_pages(client, [f"/registry/regions/{region.code}/"] * 3)
        print(f"files page of {region.get_level_display()} {region.name}:", percentiles(times))


if __name__ == "__main__":
    main()
