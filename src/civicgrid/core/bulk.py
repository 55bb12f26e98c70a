"""Rows written in bulk (the service centre's and grid work's history imports, the statistics' roll-up): drafts
instead of model instances, and COPY (PostgreSQL) or one executemany (SQLite) instead of `bulk_create`; ids reserved
before writing (`new_ids`, also for the registry and the work-order history); custom plans while a table grows
(`custom_plans`) and fresh statistics after (`analyze`).

A model instance per row, and `bulk_create` compiling every value of every row through its field, cost more than
all the rest of a large import; `auto_now` fields would also overwrite the times the steps really happened. A draft
is a plain object with the model's column attributes (`ticket.counter_id`), starting from the model's defaults.
"""

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models


class Draft:
    """An unsaved row as plain attributes named like the model's columns."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


_DEFAULTS: dict[type[models.Model], tuple[dict[str, Any], list[tuple[str, Any]]]] = {}


def draft(model: type[models.Model], **values: Any) -> Any:
    """A draft row of `model` with its defaults (mutable ones, such as a JSON list, fresh for every row)."""
    found = _DEFAULTS.get(model)
    if found is None:
        fixed: dict[str, Any] = {}
        fresh: list[tuple[str, Any]] = []
        for f in model._meta.concrete_fields:
            if f.has_default() and callable(f.default):
                fresh.append((f.attname, f.default))
            else:
                fixed[f.attname] = f.get_default()
        found = _DEFAULTS[model] = (fixed, fresh)
    fixed, fresh = found
    row = dict(fixed)
    for name, make in fresh:
        row[name] = make()
    row.update(values)
    return Draft(row)


def new_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` primary keys the table will never give out again: the rows are written with them.

    On SQLite the caller's transaction must already hold the write lock (CivicGrid opens transactions IMMEDIATE), so
    nobody else can insert between reading the highest id and the insert.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        (top,) = cursor.fetchone()
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        top = max(top, found[0] if found else 0)  # AUTOINCREMENT: never the id of a deleted row again
        return list(range(top + 1, top + 1 + count))


# Columns whose Python values the database drivers take as they are.
PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "FloatField",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "ForeignKey",
        "OneToOneField",
        "TextField",
    }
)


def _sqlite_moment(value: datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime (naive UTC as text), a few times faster."""
    return str(value.astimezone(UTC).replace(tzinfo=None))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if value else ("[]" if isinstance(value, list) else "{}")


def write(model: type[models.Model], drafts: Sequence[Any], *, with_id: bool) -> None:
    """Write draft rows of `model` (with their ids, or letting the table number them)."""
    if not drafts:
        return
    fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
    postgres = connection.vendor == "postgresql"
    adapters: list[tuple[str, Any]] = []
    for f in fields:
        kind = f.get_internal_type()
        if kind in PLAIN:
            adapters.append((f.attname, None))
        elif kind == "DateTimeField":
            adapters.append((f.attname, None if postgres else _sqlite_moment))
        elif kind == "DateField":
            adapters.append((f.attname, None if postgres else connection.ops.adapt_datefield_value))
        elif kind == "JSONField":
            adapters.append((f.attname, _json))
        else:  # files, and whatever a later migration adds: the field's own adaptation
            adapters.append((f.attname, lambda value, f=f: f.get_db_prep_save(value, connection)))

    def rows() -> Iterable[list[Any]]:
        for row in drafts:
            values = row.__dict__
            yield [
                values[name] if adapt is None or values[name] is None else adapt(values[name])
                for name, adapt in adapters
            ]

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(str(f.column)) for f in fields)
    with connection.cursor() as cursor:
        if postgres:
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows()))


@contextmanager
def custom_plans() -> Iterator[None]:
    """For code that grows tables in chunks and looks rows up between them (an import): a generic plan that this
    connection's prepared statements made while a table was small would scan the whole table for every chunk, so
    each statement is planned for what is there. Back to the default when the block ends, before the commit, where
    the deferred foreign-key checks run a million times on one plan. Use it inside the caller's transaction."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode TO DEFAULT")


def analyze(*models_: type[models.Model]) -> None:
    """Refresh the planner's statistics of tables that just grew by many rows (SQLite has none until asked, and
    without them it may pick a plan that reads a million rows once per region)."""
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
