"""Template filters the pages share: times as people in China write them, audit JSON readable."""

import json
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()


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
