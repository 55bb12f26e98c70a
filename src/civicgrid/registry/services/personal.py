"""Showing one record's personal data in full (ID number, phone): only for the roles the policy allows, inside
their jurisdiction, with a reason, and always written to core's access log (`core.personal_data.reveal`)."""

from typing import Any

from django.utils.translation import gettext as _

from civicgrid.core import personal_data
from civicgrid.core.errors import ValidationError
from civicgrid.registry import selectors


def reveal(*, actor: Any, kind: str, pk: int, fields: list[str] | None = None, reason: str) -> dict[str, str]:
    """The full values of a record's personal fields; one access-log row per call."""
    obj, allowed_fields = selectors.revealable(actor=actor, kind=kind, pk=pk)
    wanted = list(dict.fromkeys(fields or allowed_fields))
    unknown = [name for name in wanted if name not in allowed_fields]
    if unknown:
        message = _("只能查看以下字段：%(fields)s。") % {"fields": "、".join(allowed_fields)}
        raise ValidationError(message, errors={"fields": [message]})
    return personal_data.reveal(actor=actor, obj=obj, fields=wanted, reason=reason, allowed=True)
