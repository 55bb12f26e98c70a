"""Template filters the pages share: times as people in China write them, audit JSON readable, residents' personal
data masked (the apps' own libraries register these same masking filters for their pages)."""

import json
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from civicgrid.core.masking import mask_id_number, mask_name, mask_phone

register = template.Library()


@register.filter
def masked_name(value: str) -> str:
    """张** : a resident's name as lists show it."""
    return mask_name(value or "")


@register.filter
def masked_id(value: str) -> str:
    return mask_id_number(value or "")


@register.filter
def masked_phone(value: str) -> str:
    return mask_phone(value or "")


@register.filter
def when(value: datetime | None, seconds: bool = False) -> str:
    """2026-11-24 14:05 in Asia/Shanghai (the site's time zone), whatever the interface language."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, "Y-m-d H:i:s" if seconds else "Y-m-d H:i")


@register.filter
def pretty_json(value: Any) -> str:
    """An audit row's before/after as indented JSON, Chinese kept as it is."""
    if value in (None, "", {}):
        return ""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """mapping[key] in a template (None when absent)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def action_label(value: str) -> str:
    """A work-order action's name in the user's language."""
    from civicgrid.workorders.choices import Action

    return str(Action(value).label) if value in Action.values else value


@register.filter
def level_label(value: str) -> str:
    """A region level's name (城市、区、街道…) from its code."""
    from civicgrid.regions.choices import Level

    return str(Level(value).label) if value in Level.values else value
