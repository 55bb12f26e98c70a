"""Writing many base-file rows at once, for the import and the demo: ids reserved first (so rows that refer to each
other are written without reading anything back), then COPY on PostgreSQL or `executemany` on SQLite, in batches.

A model instance per row and `bulk_create` compiling each value through its field would cost more than everything
else of a million-row import; rows here are plain tuples in the order of the named columns, and every other column
of the table gets its model default (the creation and update times: now).
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from django.db import connection, models
from django.utils import timezone

BATCH = 20_000


def _defaults(model: type[models.Model], columns: Sequence[str]) -> tuple[list[str], list[Any]]:
    """The table's other columns and the value each gets: the field's default, or now for automatic times."""
    now = timezone.now()
    names: list[str] = []
    values: list[Any] = []
    for field in model._meta.concrete_fields:
        if field.attname in columns or field.primary_key:
            continue
        names.append(str(field.column))
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append(now)
        else:
            values.append(field.get_default())
    return names, values


def _sqlite_value(value: Any) -> Any:
    """What Django's SQLite backend stores for a time (naive UTC as text), without going through the field."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return str(value.astimezone(UTC).replace(tzinfo=None))
    return value


def _sqlite_literal(value: Any) -> str:
    """A value as an SQL literal (text quoted, quotes doubled)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _batches(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    constants: dict[str, Any] | None = None,
) -> int:
    """Insert `rows` (tuples in the order of `columns`, attribute names such as `grid_id`); `constants` are columns
    with one value for every row (an import's batch). Returns how many rows were written."""
    fields = {f.attname: str(f.column) for f in model._meta.concrete_fields}
    fixed_names, fixed_values = _defaults(model, [*columns, *(constants or {})])
    fixed_names = [fields[c] for c in constants or {}] + fixed_names
    fixed_values = [*(constants or {}).values(), *fixed_values]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(n) for n in [*(fields[c] for c in columns), *fixed_names])
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tail = tuple(fixed_values)
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, *tail))
                    written += 1
            return written
        # SQLite: the values every row shares are written into the statement once, not bound for each row; dates
        # and decimals go through the adapters Django registers with sqlite3, times are made naive UTC here.
        literals = [_sqlite_literal(_sqlite_value(v)) for v in fixed_values]
        moments = [i for i, c in enumerate(columns) if isinstance(model._meta.get_field(c), models.DateTimeField)]
        marks = ", ".join(["%s"] * len(columns) + [v.replace("%", "%%") for v in literals])
        statement = f"INSERT INTO {table} ({column_list}) VALUES ({marks})"
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MB of pages for this connection: B-trees grow in memory
        for chunk in _batches(rows, BATCH):
            if moments:
                chunk = [tuple(_sqlite_value(v) if i in moments else v for i, v in enumerate(row)) for row in chunk]
            cursor.executemany(statement, chunk)
            written += len(chunk)
    return written


@contextmanager
def indexes_deferred(*models_: type[models.Model]) -> Iterator[None]:
    """Drop the secondary indexes of these tables, and build them again at the end: a first load of a million rows
    into empty tables is several times faster when each index is built once from sorted data. Only for loads into
    tables nobody else reads meanwhile (the demo): on PostgreSQL dropping an index locks its table. Call it inside
    a transaction."""
    saved: list[str] = []
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || "
                    "quote_ident(i.indexname))::regclass)",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                    [table],
                )
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                saved.append(definition)
    yield  # an error rolls the transaction back, and the dropped indexes with it
    with connection.cursor() as cursor:
        postgresql = connection.vendor == "postgresql" and saved
        if postgresql:
            # PostgreSQL builds no index on a table with deferred foreign-key checks still pending: run them now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for definition in saved:
            cursor.execute(definition)
        if postgresql:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are deferred again
