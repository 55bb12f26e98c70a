"""Template helpers of the command centre: who sees its links, and figures as Chinese offices write them."""

from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from civicgrid.command import figures
from civicgrid.command.permissions import can_command

register = template.Library()
NO_VALUE = "—"  # 0/0: no value, never 0 % or 100 %


@register.filter
def commands(user: Any) -> bool:
    """Whether the user may open the figures and the command map (for the navigation and the home page)."""
    return can_command(user)


def format_value(value: float | int | None, kind: str) -> str:
    """12.3% for a rate, 1,234 for a count, 12.5 for hours or a score; "—" when there is nothing to divide."""
    if value is None:
        return NO_VALUE
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind in ("hours", "score"):
        return f"{value:,.1f}"
    return str(intcomma(int(value)))


@register.simple_tag
def figure(source: Any, key: str) -> str:
    """A row's (or the whole's) figure, formatted: {% figure row "close_rate" %}."""
    kpi = figures.COMPOSITE if key == figures.COMPOSITE.key else figures.KPI_BY_KEY[key]
    counts = source.counts if hasattr(source, "counts") else source
    return format_value(kpi.value(counts), kpi.kind)


@register.filter
def as_figure(value: Any, kind: str) -> str:
    return format_value(value, kind)
