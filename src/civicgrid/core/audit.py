"""The audit service: every service writes one row per change it makes, in its own transaction."""

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from civicgrid.core.context import current_request_id
from civicgrid.core.insert import insert
from civicgrid.core.models import AuditEntry


def _json_safe(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return json.loads(json.dumps(dict(value), cls=DjangoJSONEncoder, ensure_ascii=False))


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of an object as audit-ready values (foreign keys by id)."""
    result: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        result[name] = getattr(obj, field.attname) if isinstance(field, models.ForeignKey) else getattr(obj, name)
    return _json_safe(result) or {}


def region_path_of(obj: models.Model | None) -> str:
    """The region an object belongs to, for scoping who may read its audit rows."""
    if obj is None:
        return ""
    return str(getattr(obj, "audit_region_path", "") or "")


def entry(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    region_path: str | None = None,
) -> AuditEntry:
    """An unsaved audit row; `record` saves one, `record_many` saves a batch from an import."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry(
        actor=user,
        actor_name=(user.get_username() if user else "system")[:150],
        action=action,
        object_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        region_path=region_path if region_path is not None else region_path_of(obj),
        before=_json_safe(before),
        after=_json_safe(after),
        request_id=current_request_id(),
    )


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    region_path: str | None = None,
) -> AuditEntry:
    return insert(entry(actor=actor, action=action, obj=obj, before=before, after=after, region_path=region_path))


def record_many(rows: Iterable[AuditEntry]) -> int:
    return len(AuditEntry.objects.bulk_create(list(rows), batch_size=1000))
