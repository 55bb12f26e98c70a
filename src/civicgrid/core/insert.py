"""A new row through one INSERT written once per model, for the rows written at every request of the busiest
endpoints: a ticket, its event and every audit entry.

`Model.save()` of a new object compiles its statement again for every row, and that cost three times what running
it did (bench/README.md, "Service centre"). `insert(obj)` does what `save()` does for a new object of a plain model,
defaults, `auto_now_add` and both save signals included, with the statement built once per model and database.
"""

from typing import cast

from django.db import connection, models
from django.db.models.signals import post_save, pre_save

_STATEMENTS: dict[tuple[type[models.Model], str], tuple[str, list[models.Field]]] = {}


def _statement(model: type[models.Model]) -> tuple[str, list[models.Field]]:
    key = (model, connection.vendor)
    found = _STATEMENTS.get(key)
    if found is None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        if meta.parents or not meta.pk.db_returning or any(f.generated or f.has_db_default() for f in fields):
            # what save() would have to ask the database for
            raise TypeError(f"insert() is for a plain model with a generated primary key only, not {meta.label}")
        quote = connection.ops.quote_name
        columns = ", ".join(quote(cast(str, f.column)) for f in fields)  # a concrete field always has a column
        marks = ", ".join(["%s"] * len(fields))
        key_column = quote(cast(str, meta.pk.column))
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks}) RETURNING {key_column}"
        found = _STATEMENTS[key] = (sql, fields)
    return found


def insert[M: models.Model](obj: M) -> M:
    """Save a new `obj` as `obj.save()` would, and return it with its primary key."""
    model = type(obj)
    if not obj._state.adding or obj.pk is not None:
        raise ValueError(f"insert() writes new rows only, not {model._meta.label} {obj.pk}")
    sql, fields = _statement(model)
    pre_save.send(sender=model, instance=obj, raw=False, using=connection.alias, update_fields=None)
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection=connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    post_save.send(sender=model, instance=obj, created=True, update_fields=None, raw=False, using=connection.alias)
    return obj
