"""Where one request of a load scenario spends its time: the requests of `bench/load.py`'s scenario sent through
Django's test client in this process (no network, no server), with the SQL statements per request, the CPU time per
request, and optionally the hottest functions (cProfile).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cg_hall .venv/bin/python bench/profile_requests.py hall-ticket
    DATABASE_URL=... .venv/bin/python bench/profile_requests.py cg-report --requests 300 --profile 25

Run it after the scenario's own setup (`bash bench/hall.sh setup`, `bash bench/workorders.sh setup`): the tokens and
points come from the same files as the load generator's.
"""

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

import load  # noqa: E402


def send(client: Client, scenario: load.Scenario, rng: random.Random, seat: int) -> int:
    method, path, body, headers = scenario.request(rng, seat)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    kind = headers.get("Content-Type", "application/octet-stream")
    answer = client.generic(method, path, body or b"", content_type=kind, **extra)
    scenario.answer(seat, answer.status_code, answer.content)
    return answer.status_code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(load.SCENARIOS))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", type=int, default=0, help="print this many of the hottest functions")
    options = parser.parse_args()
    setup_test_environment()
    scenario = load.SCENARIOS[options.scenario]()
    client, rng = Client(), random.Random(1)
    for seat in range(20):  # warm up: caches, prepared statements, the grid index
        send(client, scenario, rng, seat % 4 + 1)
    statuses: Counter[int] = Counter()
    statements: Counter[str] = Counter()
    profile = cProfile.Profile(time.process_time) if options.profile else None  # CPU, not waiting
    cpu, wall = time.process_time(), time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        if profile:
            profile.enable()
        for n in range(options.requests):
            statuses[send(client, scenario, rng, n % 4 + 1)] += 1
        if profile:
            profile.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    for query in queries.captured_queries:
        statements[" ".join(query["sql"].split()[:4])[:70]] += 1
    n = options.requests
    print(f"{options.scenario}: {n} requests, statuses {dict(statuses)}")
    per = f"{len(queries) / n:.1f} statements, {cpu / n * 1000:.2f} ms CPU, {wall / n * 1000:.2f} ms wall"
    print(f"  {per} per request")
    for sql, count in statements.most_common():
        print(f"  {count / n:5.2f}  {sql}")
    if profile:
        if os.environ.get("PROFILE_DUMP"):
            profile.dump_stats(os.environ["PROFILE_DUMP"])
        pstats.Stats(profile).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(options.profile)


if __name__ == "__main__":
    main()
