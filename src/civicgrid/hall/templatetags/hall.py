"""Template helpers of the service centre: masked personal data, figures as offices write them, and which hall
pages a user's posts open (for the navigation and the home page)."""

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core.templatetags.civicgrid import masked_id, masked_name, masked_phone
from civicgrid.hall.choices import (
    BACK_OFFICE_ROLES,
    CLERK_ROLES,
    DELIVERER_ROLES,
    DEPARTMENT_REVIEW_ROLES,
    STATISTICS_ROLES,
)

register = template.Library()
# the masking filters every page shares (core), under this library's name too
register.filter(masked_name)
register.filter(masked_id)
register.filter(masked_phone)
NO_VALUE = "—"  # 0/0: no value, never 0 % or 100 %


@register.filter
def percent(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value * 100:.1f}%"


@register.filter
def figure(value: Any) -> str:
    """A count, a mean or a rate's raw value as the tables show it: "—" for nothing."""
    if value is None:
        return NO_VALUE
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


@register.filter
def as_minutes(seconds: int | None) -> int:
    return round((seconds or 0) / 60)


@register.filter
def days_until(moment: Any, now: Any) -> int:
    """Whole days from now to a deadline (0 on its last day), for "还剩 3 天"."""
    if not moment or not now:
        return 0
    return max((timezone.localtime(moment).date() - timezone.localtime(now).date()).days, 0)


@register.filter
def attr(obj: Any, name: str) -> Any:
    return getattr(obj, name, None)


@register.filter
def minutes_since(value: Any, now: Any) -> int:
    return max(int((now - value).total_seconds() // 60), 0) if value and now else 0


def _roles(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return {post.role for post in user.active_posts()}


@register.filter
def hall_links(user: Any) -> list[tuple[str, str, str]]:
    """The service-centre pages the user's posts open, as (url, title, what it is for): the home page's tiles."""
    roles = _roles(user)
    superuser = bool(getattr(user, "is_superuser", False))
    links: list[tuple[str, str, str]] = []
    if roles & CLERK_ROLES or superuser:
        links.append((reverse("hall:counter"), _("窗口工作台"), _("签到叫号、受理办件、一次性告知、当场办结或转后台")))
    if roles & (BACK_OFFICE_ROLES | DEPARTMENT_REVIEW_ROLES) or superuser:
        inbox = reverse("hall:applications") + "?tab=inbox"
        links.append((inbox, _("后台办件"), _("转来的办件：签收审核、办结或不予办理")))
    if roles & DELIVERER_ROLES:
        links.append((reverse("hall:deliveries"), _("送达任务"), _("把办理结果送到居民家中，签名或拍照留证")))
    if roles & STATISTICS_ROLES or superuser:
        links.append((reverse("hall:hub"), _("一窗通办"), _("各服务中心今日排队、窗口与设备、办件查询")))
        figures = reverse("hall:statistics")
        links.append((figures, _("服务中心统计"), _("等候与办理时长、按时办结、满意率、窗口月度考核")))
    return links


@register.filter
def hall_nav(user: Any) -> str:
    """Where the navigation's one service-centre link goes for this user ("" when their posts have nothing there)."""
    roles = _roles(user)
    if getattr(user, "is_superuser", False) or roles & (
        CLERK_ROLES | BACK_OFFICE_ROLES | DEPARTMENT_REVIEW_ROLES | STATISTICS_ROLES
    ):
        return reverse("hall:hub")
    if roles & DELIVERER_ROLES:
        return reverse("hall:deliveries")
    return ""
