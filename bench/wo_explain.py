"""EXPLAIN ANALYZE of what the work-order list and the month's figures ask PostgreSQL, with a million orders.

Builds each query exactly as the API does (the list: `selectors.work_orders` narrowed by `selectors.filtered`, one
page of 51 rows; the figures: `command.figures.summary`) for the bench's district operator and street officer, and
prints each plan's execution time and its plan. Run: bash bench/workorders.sh explain
"""

import os
import time
from datetime import date, timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
django.setup()

from django.db import connection  # noqa: E402

from civicgrid.people.models import User  # noqa: E402
from civicgrid.workorders import selectors  # noqa: E402

today = date.today()
month_end = today.replace(day=1) - timedelta(days=1)
month_start = month_end.replace(day=1)
LISTS = {
    "newest": selectors.Filters(),
    "open": selectors.Filters(status="open"),
    "closed parking": selectors.Filters(status="closed", incident_type="0401"),
    "hotline, a month": selectors.Filters(source="hotline", reported_from=month_start, reported_to=month_end),
    "a street's overdue": selectors.Filters(region="320106003", flag="overdue"),
    "a community, page 2": selectors.Filters(region="320106001003"),
    "garbage, a month": selectors.Filters(incident_type="0701", reported_from=month_start, reported_to=month_end),
    "supervised open": selectors.Filters(status="open", flag="supervised"),
}


def explain(label: str, queryset) -> None:  # type: ignore[no-untyped-def]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = [row[0] for row in cursor.fetchall()]
        elapsed = (time.perf_counter() - started) * 1000
    total = next((line for line in plan if line.startswith("Execution Time")), "")
    print(f"\n=== {label}: {total} (round trip {elapsed:.1f} ms)")
    for line in plan:
        print("   ", line)


def main() -> None:
    for username in ("district.operator", "s001.officer"):
        actor = User.objects.get(username=username)
        for label, filters in LISTS.items():
            offset = 50 if "page 2" in label else 0
            if username == "s001.officer" and filters.region == "320106003":
                filters = selectors.Filters(region="320106001", flag="overdue")
            rows = selectors.filtered(selectors.work_orders(actor=actor), filters)[offset : offset + 51]
            explain(f"{username} · {label}", rows)
    try:
        from civicgrid.command import figures
    except ImportError:
        return
    actor = User.objects.get(username="admin")
    for group in ("region", "department", "category", "source"):
        started = time.perf_counter()
        figures.summary(actor, month_start, month_end, group)
        elapsed = (time.perf_counter() - started) * 1000
        print(f"\n=== figures.summary({group}, {month_start}..{month_end}): {elapsed:.0f} ms")


if __name__ == "__main__":
    main()
