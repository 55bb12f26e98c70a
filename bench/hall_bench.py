"""The service centre's benchmark helpers (issue 4, "Speed"), run in the bench's own database by bench/hall.sh.

    .venv/bin/python bench/hall_bench.py prepare   # the bench centre: all-day hours, 20 counters, 20 clerks signed
                                                   # in, API tokens -> var/bench/hall.json
    .venv/bin/python bench/hall_bench.py stats     # centre statistics over the year, in process: stored and live
    .venv/bin/python bench/hall_bench.py check     # after the HTTP loads: numbers unique and gapless, one call each

The bench centre is a second centre of 宁海路街道 open around the clock (the kiosk issues tickets only in opening
hours; a public holiday still closes it), so the loads never depend on the time of day.
"""

import argparse
import json
import os
import statistics as stats
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")

import django

django.setup()

from django.db.models import Count, Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from civicgrid.hall import rollup, selectors, services, statistics  # noqa: E402
from civicgrid.hall.choices import TicketAction, TicketStatus  # noqa: E402
from civicgrid.hall.models import Centre, Counter, DailyFigure, FigureDay, Ticket, TicketEvent  # noqa: E402
from civicgrid.people import services as people  # noqa: E402
from civicgrid.people.choices import Role  # noqa: E402
from civicgrid.people.models import User  # noqa: E402
from civicgrid.regions.choices import Level  # noqa: E402
from civicgrid.regions.models import Region  # noqa: E402

VAR = Path(os.environ.get("CIVICGRID_VAR_DIR", Path(__file__).resolve().parent.parent / "var")) / "bench"
NAME = "宁海路街道压测服务中心"
ALL_DAY = [["00:00", "23:59"]]
COUNTERS = 20


def prepare() -> None:
    street = Region.objects.filter(level=Level.STREET).order_by("code").first()
    assert street is not None, "load the demo district first (civicgrid demo)"
    centre = Centre.objects.filter(street=street, name=NAME).first() or services.centre_create(
        actor=None,
        street_code=street.code,
        name=NAME,
        hours=ALL_DAY,
        extended_hours={"5": ALL_DAY, "6": ALL_DAY},
        ticket_cutoff_minutes=0,
    )
    for number in range(1, COUNTERS + 1):
        if not Counter.objects.filter(centre=centre, number=number).exists():
            services.counter_create(actor=None, centre_code=centre.code, number=number)
    usernames = [f"bench.clerk{n:02d}" for n in range(1, COUNTERS + 1)] + ["bench.kiosk"]
    missing = [u for u in usernames if not User.objects.filter(username=u).exists()]
    if missing:
        rows = [
            people.StaffRow(u, u, f"压测{n:02d}号", Role.WINDOW_CLERK, street.code) for n, u in enumerate(missing, 1)
        ]
        people.staff_import(actor=None, rows=rows, password="bench-password-not-for-use")
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    counters = []
    for number in range(1, COUNTERS + 1):
        clerk = users[f"bench.clerk{number:02d}"]
        counter = Counter.objects.get(centre=centre, number=number)
        if counter.clerk_id != clerk.pk:
            services.counter_sign_in(actor=clerk, counter_id=counter.pk)
        # a ticket the last run called and left: served now, so the first call of this run finishes it
        for called in Ticket.objects.filter(counter=counter, status=TicketStatus.CALLED):
            services.ticket_act(actor=clerk, ticket_id=called.pk, action=TicketAction.START)
        token, _record = people.api_token_create(actor=clerk, name="压测", days=30)
        counters.append({"id": counter.pk, "number": number, "token": token})
    # the last run's presses nobody called: set aside, so that every run starts, as a centre's morning does, from
    # an empty queue (otherwise each run's "how many before me" counts all earlier runs' tickets)
    left = Ticket.objects.filter(centre=centre, day=timezone.localdate(), status=TicketStatus.WAITING)
    left.update(status=TicketStatus.CANCELLED)
    kiosk, _record = people.api_token_create(actor=users["bench.kiosk"], name="压测取号机", days=30)
    admin, _record = people.api_token_create(actor=User.objects.get(username="admin"), name="压测统计", days=30)
    today = timezone.localdate()
    VAR.mkdir(parents=True, exist_ok=True)
    (VAR / "hall.json").write_text(
        json.dumps(
            {
                "centre": centre.code,
                "groups": [g.code for g in selectors.groups()],
                "counters": counters,
                "kiosk": kiosk,
                "admin": admin,
                "year": {"start": (today - timedelta(days=364)).isoformat(), "end": today.isoformat()},
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    print(f"bench centre {centre.code} with {COUNTERS} counters signed in; tokens in {VAR / 'hall.json'}")


def timed(call, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def stats_in_process(repeat: int) -> None:
    """Centre statistics over the year of the district's centres: through the roll-up, and all live."""
    admin = User.objects.get(username="admin")
    ids = [c.pk for c in statistics.readable_centres(actor=admin)]
    today = timezone.localdate()
    start = today - timedelta(days=364)
    tickets = Ticket.objects.filter(centre_id__in=ids, day__range=(start, today)).count()
    rolled = FigureDay.objects.filter(centre_id__in=ids)
    print(
        f"{len(ids)} centres, {tickets:,} tickets from {start} to {today}; "
        f"{rolled.count():,} centre-days rolled up ({DailyFigure.objects.count():,} stored rows); "
        f"load {os.getloadavg()[0]:.2f}"
    )
    print(f"{'by':<8} {'stored p50':>11} {'p95':>8} {'live p50':>10} {'p95':>8}   rows")
    for by in statistics.GROUPINGS:
        stored = timed(lambda by=by: statistics.statistics(actor=admin, start=start, end=today, by=by), repeat)
        live = timed(lambda by=by: statistics.figures(ids, start, today, by, stored=False), max(3, repeat // 3))
        rows = len(statistics.statistics(actor=admin, start=start, end=today, by=by).rows)
        print(
            f"{by:<8} {stats.median(stored):>9.1f}ms {sorted(stored)[int(0.95 * len(stored))]:>6.1f}ms "
            f"{stats.median(live):>8.1f}ms {max(live):>6.1f}ms   {rows}"
        )


def check() -> None:
    """The numbers the loads gave out: unique and gapless per day and group; every ticket called once."""
    data = json.loads((VAR / "hall.json").read_text(encoding="utf-8"))
    centre = Centre.objects.get(code=data["centre"])
    tickets = Ticket.objects.filter(centre=centre)
    duplicates = tickets.values("day", "code").annotate(n=Count("id")).filter(n__gt=1).count()
    gaps = 0
    for row in tickets.values("day", "group_id").annotate(n=Count("id"), top=Max("number")):
        gaps += row["top"] - row["n"]
    calls = TicketEvent.objects.filter(centre=centre, action="call")
    twice = calls.values("ticket_id").annotate(n=Count("id")).filter(n__gt=1).count()
    print(
        f"bench centre: {tickets.count():,} tickets, {duplicates} duplicate numbers, {gaps} gaps; "
        f"{calls.count():,} calls, {twice} tickets called more than once"
    )
    if duplicates or gaps or twice:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["prepare", "stats", "check", "rollup"])
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args()
    if options.what == "prepare":
        prepare()
    elif options.what == "stats":
        stats_in_process(options.repeat)
    elif options.what == "rollup":
        print(rollup.refresh())
    else:
        check()


if __name__ == "__main__":
    main()
