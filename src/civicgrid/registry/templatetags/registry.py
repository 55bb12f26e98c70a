"""Template helpers of the grid files pages: which registry pages a user's posts open (navigation and home tiles),
shares as percentages, and personal data masked."""

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from civicgrid.core.identity import age
from civicgrid.core.templatetags.civicgrid import masked_id, masked_phone
from civicgrid.registry import policy

register = template.Library()
# the masking filters every page shares (core), under this library's name too
register.filter(masked_id)
register.filter(masked_phone)


@register.simple_tag(takes_context=True)
def registry_nav(context: template.Context) -> str:
    """The navigation's link to the grid files, for users whose posts read them (nothing for the others)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not policy.may_anywhere(user, "read"):
        return ""
    match = getattr(request, "resolver_match", None)
    current = mark_safe(' aria-current="page"') if match and match.app_name == "registry" else ""
    return format_html('<a href="{}"{}>{}</a>', reverse("registry:home"), current, _("网格档案"))


@register.filter
def registry_links(user: Any) -> list[tuple[str, str, str]]:
    """The grid-files pages the user's posts open, as (url, title, what it is for): the home page's tiles."""
    links: list[tuple[str, str, str]] = []
    if policy.may_anywhere(user, "read"):
        links.append((reverse("registry:home"), _("网格档案"), _("一户一档、一栋一卷、人员类别、关爱对象和四清完整率")))
        links.append(
            (reverse("registry:ledgers"), _("台账"), _("多表合一：实有人口、流动人口、独居老人等台账，导出 Excel"))
        )
    if policy.may_anywhere(user, "import"):
        links.append((reverse("registry:imports"), _("台账导入"), _("从 Excel 或 CSV 导入人口、楼栋、单位，逐行检查")))
    return links


@register.filter
def share(part: int | None, whole: int | None) -> str:
    """part of whole as a percentage, "—" when there is no whole."""
    if not whole:
        return "—"
    return f"{(part or 0) * 100 / whole:.1f}%"


@register.filter
def rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def age_on(birth: Any, today: Any) -> int | str:
    return age(birth, today) if birth and today else ""


@register.filter
def residence_label(value: str) -> str:
    from civicgrid.registry.choices import ResidenceStatus

    return str(ResidenceStatus(value).label) if value in ResidenceStatus.values else value
