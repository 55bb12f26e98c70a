"""The statistics' daily roll-up: a centre's figures per day, stored once the day is over, so that a year of a
district's tickets is a sum over a few thousand stored rows instead of an aggregate over hundreds of thousands.

- `DailyFigure` holds, per centre and day, the counts and sums of `statistics.Row` for the centre as a whole and
  per counter, clerk, item and group (the keys the statistics group by). They come from the very aggregates the
  live computation runs, grouped by the finest key and added up here, so stored and live figures are equal.
- `FigureDay` says whether a centre's day is rolled up and still current. Changing a ticket, an application or a
  rating of a past day raises the day's `version` inside the changing transaction: signals on those models (so
  every write path counts, the services', the sweep's and the admin's alike), and `history.history_import` for
  the rows it writes in bulk. `refresh` (run by the background sweep) rolls up every past day whose stored figures
  are missing or older than its version.
- `statistics.figures` sums the stored rows of current days and computes every other day (today, and a day changed
  since the last refresh) from the live rows. The figures never depend on the sweep having run; only the speed does.

Concurrency: `rebuild` reads a day's version before its rows and marks the day rolled up only if the version is
still the one it read (one conditional UPDATE, which on PostgreSQL waits for a changing transaction holding the
row), so a change committed while a day is being rolled up leaves the day marked as changed: it is read live until
the next refresh, never summed from stale rows.

Days are local days in the default time zone (settings.TIME_ZONE), as the statistics count them.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max, Min
from django.db.models.functions import TruncDate
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from civicgrid.core import bulk
from civicgrid.hall.choices import OPEN_TICKET_STATUSES
from civicgrid.hall.models import Application, Centre, DailyFigure, FigureDay, Rating, Ticket, TicketEvent
from civicgrid.hall.statistics import application_figures, figures_of, rating_figures, ticket_figures

DIMENSIONS = ("centre", "counter", "clerk", "item", "group")
# A past day is rolled up this long after midnight: no transaction that began on it is still in flight then.
GRACE = timedelta(minutes=10)
CHUNK_DAYS = 62  # days rolled up in one transaction


def zone() -> Any:
    return timezone.get_default_timezone()


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment, zone()).date()


def today() -> date:
    return local_day(timezone.now())


# ---------------------------------------------------------------- noting changes


def touch(centre_id: int | None, day: date | None) -> None:
    """Note that a centre's day changed (inside the changing transaction). Today is never rolled up: nothing to do."""
    if centre_id is None or day is None or day >= today():
        return
    touch_many([(centre_id, day)])


def touch_many(pairs: Iterable[tuple[int, date]]) -> None:
    """Raise the version of each (centre, day); in a fixed order, so that two writers never wait on each other."""
    rows = sorted(set(pairs))
    if not rows:
        return
    table = connection.ops.quote_name(FigureDay._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (centre_id, day, version, rolled_version) VALUES (%s, %s, 1, 0) "
            f"ON CONFLICT (centre_id, day) DO UPDATE SET version = {table}.version + 1",
            [(centre, connection.ops.adapt_datefield_value(day)) for centre, day in rows],
        )


def _ticket_changed(sender: Any, instance: Ticket, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        touch(instance.centre_id, instance.day)


def _ticket_event_changed(sender: Any, instance: TicketEvent, raw: bool = False, **kwargs: Any) -> None:
    # calls change a ticket with a queryset UPDATE (no save signal); every change writes one of these events
    if not raw and instance.ticket_id is not None:
        touch(instance.centre_id, instance.ticket.day)


def _application_changed(sender: Any, instance: Application, raw: bool = False, **kwargs: Any) -> None:
    if not raw and instance.accepted_at is not None:
        touch(instance.centre_id, local_day(instance.accepted_at))


def _rating_changed(sender: Any, instance: Rating, raw: bool = False, **kwargs: Any) -> None:
    if not raw and instance.created_at is not None:
        touch(instance.centre_id, local_day(instance.created_at))


def connect() -> None:
    """Called once from the app's `ready`."""
    for model, receiver in (
        (Ticket, _ticket_changed),
        (TicketEvent, _ticket_event_changed),
        (Application, _application_changed),
        (Rating, _rating_changed),
    ):
        post_save.connect(receiver, sender=model, dispatch_uid=f"hall.rollup.{model.__name__}.save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"hall.rollup.{model.__name__}.delete")


# ---------------------------------------------------------------- rolling up


@dataclass
class RefreshResult:
    days: int = 0  # centre-days rolled up
    rows: int = 0  # stored rows written


def last_rollable_day(now: datetime | None = None) -> date:
    """Yesterday, once the grace after midnight has passed; the day before until then."""
    local = timezone.localtime(now or timezone.now(), zone())
    midnight = datetime.combine(local.date(), time.min, local.tzinfo)
    return local.date() - timedelta(days=1 if local - midnight >= GRACE else 2)


def refresh(*, now: datetime | None = None, centre_ids: Sequence[int] | None = None) -> RefreshResult:
    """Roll up every past day of every centre whose stored figures are missing or out of date.

    A day with tickets still open (the end-of-day sweep closes them first) waits for the next refresh.
    """
    last = last_rollable_day(now)
    result = RefreshResult()
    centres = Centre.objects.order_by("pk").values_list("pk", flat=True)
    for centre_id in centres.filter(pk__in=centre_ids) if centre_ids is not None else centres:
        first = _first_day(centre_id)
        if first is None or first > last:
            continue
        markers = FigureDay.objects.filter(centre_id=centre_id, day__range=(first, last))
        current = set(markers.filter(version=F("rolled_version")).values_list("day", flat=True))
        open_days = set(
            Ticket.objects.filter(centre_id=centre_id, day__range=(first, last), status__in=OPEN_TICKET_STATUSES)
            .values_list("day", flat=True)
            .distinct()
        )
        pending = [d for d in _days(first, last) if d not in current and d not in open_days]
        for start in range(0, len(pending), CHUNK_DAYS):
            result.rows += rebuild(centre_id, pending[start : start + CHUNK_DAYS])
            result.days += len(pending[start : start + CHUNK_DAYS])
    return result


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _first_day(centre_id: int) -> date | None:
    """The centre's first day with a ticket, an application or a rating."""
    found: list[date] = []
    ticket = Ticket.objects.filter(centre_id=centre_id).aggregate(first=Min("day"))["first"]
    if ticket is not None:
        found.append(ticket)
    for model, field in ((Application, "accepted_at"), (Rating, "created_at")):
        moment = model.objects.filter(centre_id=centre_id).aggregate(first=Min(field))["first"]
        if moment is not None:
            found.append(local_day(moment))
    return min(found) if found else None


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first, time.min, zone()),
        datetime.combine(last + timedelta(days=1), time.min, zone()),
    )


Sums = dict[tuple[date, str, int], dict[str, int]]


def _add(sums: Sums, day: date, dimension: str, key: Any, values: dict[str, int]) -> None:
    if key is None:
        return  # an uncalled ticket's counter, a rating without an application's item: counted in the centre's row
    row = sums.setdefault((day, dimension, int(key)), {})
    for name, value in values.items():
        row[name] = row.get(name, 0) + value


def compute(centre_id: int, first: date, last: date) -> Sums:
    """The day's figures of a centre for every day from `first` to `last` and every dimension's keys.

    Each kind is aggregated once by the finest key (counter, clerk, item, group as each kind has them) and the rows
    are added up per dimension here: the aggregates are counts and sums, so the parts add up to the whole exactly.
    """
    begin, finish = _bounds(first, last)
    sums: Sums = {}
    tickets = (
        Ticket.objects.filter(centre_id=centre_id, day__range=(first, last))
        .values("day", "counter_id", "clerk_id", "group_id")
        .annotate(**ticket_figures())
        .order_by()
    )
    for row in tickets:
        values = figures_of(row)
        day = row["day"]
        _add(sums, day, "centre", centre_id, values)
        _add(sums, day, "counter", row["counter_id"], values)
        _add(sums, day, "clerk", row["clerk_id"], values)
        _add(sums, day, "group", row["group_id"], values)
    applications = (
        Application.objects.filter(centre_id=centre_id, accepted_at__gte=begin, accepted_at__lt=finish)
        .annotate(local_day=TruncDate("accepted_at", tzinfo=zone()))
        .values("local_day", "counter_id", "first_contact_id", "item_id")
        .annotate(**application_figures())
        .order_by()
    )
    for application in applications:
        values = figures_of(application)
        day = application["local_day"]
        _add(sums, day, "centre", centre_id, values)
        _add(sums, day, "counter", application["counter_id"], values)
        _add(sums, day, "clerk", application["first_contact_id"], values)
        # by group, applications count under their item's group as it is when the statistics are read (an item
        # may move to another group in a later catalogue): statistics map the item rows to groups then
        _add(sums, day, "item", application["item_id"], values)
    ratings = (
        Rating.objects.filter(centre_id=centre_id, created_at__gte=begin, created_at__lt=finish)
        .annotate(local_day=TruncDate("created_at", tzinfo=zone()))
        .values("local_day", "counter_id", "clerk_id", "application__item_id", "ticket__group_id")
        .annotate(**rating_figures())
        .order_by()
    )
    for rating in ratings:
        values = figures_of(rating)
        day = rating["local_day"]
        _add(sums, day, "centre", centre_id, values)
        _add(sums, day, "counter", rating["counter_id"], values)
        _add(sums, day, "clerk", rating["clerk_id"], values)
        _add(sums, day, "item", rating["application__item_id"], values)
        _add(sums, day, "group", rating["ticket__group_id"], values)
    return sums


def rebuild(centre_id: int, days: Sequence[date]) -> int:
    """Roll up the given days of a centre (one transaction); returns the number of stored rows written."""
    if not days:
        return 0
    wanted = sorted(set(days))
    with transaction.atomic():
        table = connection.ops.quote_name(FigureDay._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (centre_id, day, version, rolled_version) VALUES (%s, %s, 1, 0) "
                "ON CONFLICT (centre_id, day) DO NOTHING",
                [(centre_id, connection.ops.adapt_datefield_value(day)) for day in wanted],
            )
        # the versions first, then the rows: a change committed after this read leaves its day marked changed
        versions = dict(
            FigureDay.objects.filter(centre_id=centre_id, day__in=wanted).values_list("day", "version").order_by()
        )
        sums = compute(centre_id, wanted[0], wanted[-1])
        keep = set(wanted)
        rows = [
            bulk.draft(DailyFigure, centre_id=centre_id, day=day, dimension=dimension, key=key, **values)
            for (day, dimension, key), values in sorted(sums.items())
            if day in keep
        ]
        DailyFigure.objects.filter(centre_id=centre_id, day__in=wanted).delete()
        bulk.write(DailyFigure, rows, with_id=False)
        by_version: dict[int, list[date]] = {}
        for day, version in versions.items():
            by_version.setdefault(version, []).append(day)
        for version, members in by_version.items():
            FigureDay.objects.filter(centre_id=centre_id, day__in=members, version=version).update(
                rolled_version=version
            )
    return len(rows)


def coverage(centre_ids: Sequence[int]) -> dict[str, Any]:
    """How much of the centres' history is rolled up and current (for the bench and the operators)."""
    days = FigureDay.objects.filter(centre_id__in=centre_ids)
    return {
        "days": days.count(),
        "current": days.filter(version=F("rolled_version")).count(),
        "rows": DailyFigure.objects.filter(centre_id__in=centre_ids).count(),
        "last": days.aggregate(last=Max("day"))["last"],
    }
