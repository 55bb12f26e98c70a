"""Template helpers of grid work: durations as people say them, which grid-work pages a user's posts open (for the
navigation and the home page), and names masked as lists show them."""

from datetime import date
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core.templatetags.civicgrid import masked_name
from civicgrid.gridwork.choices import PointVerdict
from civicgrid.gridwork.permissions import SUPERVISOR_ROLES
from civicgrid.people.choices import Role

register = template.Library()
# the masking filters every page shares (core), under this library's name too
register.filter(masked_name)


@register.filter
def duration(seconds: int | float | None) -> str:
    """4小时05分 / 12分 / 8秒: how long, the way a time sheet says it."""
    total = round(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)d小时%(m)02d分") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d分") % {"m": minutes}
    return _("%(s)d秒") % {"s": secs}


@register.filter
def hours(seconds: int | None) -> str:
    """Seconds as hours with one decimal (4.2), for the weekly table's cells."""
    return f"{(seconds or 0) / 3600:.1f}"


@register.filter
def km(metres: float | None) -> str:
    return f"{(metres or 0) / 1000:.2f}"


@register.filter
def share(part: int | float | None, whole: int | float | None) -> int:
    """`part` as a whole percentage of `whole`, at most 100 (for progress bars)."""
    return min(round(100 * (part or 0) / whole), 100) if whole else 0


@register.filter
def age(birth: date | None) -> int | None:
    """Whole years from a birth date to today."""
    if birth is None:
        return None
    today = timezone.localdate()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


@register.filter
def verdict_label(code: str) -> str:
    """What the track rules made of a point, in the user's language (定位精度差, 速度异常, …)."""
    return str(PointVerdict(code).label) if code in PointVerdict.values else code


def _roles(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return {post.role for post in user.active_posts()}


@register.filter
def gridwork_nav(user: Any) -> tuple[str, str] | None:
    """The navigation's 网格工作 link (url, label) for grid workers, grid leaders and those who supervise them."""
    if getattr(user, "is_superuser", False) or _roles(user) & (SUPERVISOR_ROLES | {Role.GRID_WORKER}):
        return reverse("gridwork:today"), _("网格工作")
    return None


@register.filter
def gridwork_tabs(user: Any) -> list[tuple[str, str]]:
    """The grid-work pages as (URL name, label) for the tab row over them: the phone's first for a grid worker."""
    roles = _roles(user)
    supervisor = bool(getattr(user, "is_superuser", False) or roles & SUPERVISOR_ROLES)
    tabs = [("today", _("今日"))]
    if Role.GRID_WORKER in roles:
        tabs += [("patrol", _("巡查")), ("visits", _("走访")), ("problems", _("问题")), ("log", _("民情日记"))]
        tabs += [("tasks", _("任务")), ("patrols", _("巡查记录")), ("leaves", _("请假"))]
    if supervisor:
        tabs += [
            ("four_hours", _("4小时周报")),
            ("patrols", _("巡查记录")),
            ("problems", _("问题")),
            ("council", _("议事会")),
        ]
        tabs += [("tasks", _("任务")), ("visits", _("走访")), ("log", _("民情日记")), ("leaves", _("请假"))]
    tabs.append(("guide", _("工作指南")))
    return list(dict.fromkeys(tabs))


@register.filter
def gridwork_links(user: Any) -> list[tuple[str, str, str]]:
    """The grid-work pages the user's posts open, as (url, title, what it is for): the home page's tiles."""
    roles = _roles(user)
    supervisor = bool(getattr(user, "is_superuser", False) or roles & SUPERVISOR_ROLES)
    links: list[tuple[str, str, str]] = []
    if Role.GRID_WORKER in roles:
        links += [
            (reverse("gridwork:today"), _("今日网格工作"), _("巡查、待走访、送达、工单和任务，一屏看全")),
            (reverse("gridwork:patrol"), _("巡查"), _("开始巡查，记录轨迹和在格时长（断网也不丢）")),
            (reverse("gridwork:problem_new"), _("发现问题"), _("现场解决、交网格长协调或上报工单")),
        ]
    if Role.GRID_LEADER in roles:
        problems = reverse("gridwork:problems") + "?tab=leader"
        links.append((problems, _("待协调问题"), _("网格员提交的问题：协调解决、提交议事会或上报工单")))
    if supervisor:
        if Role.GRID_WORKER not in roles:
            links.append((reverse("gridwork:today"), _("网格工作"), _("今日巡查、待协调问题、议事会议题和任务概况")))
        links += [
            (reverse("gridwork:four_hours"), _("4小时在格周报"), _("哪些网格员本周每天在格满 4 小时")),
            (reverse("gridwork:patrols"), _("巡查记录"), _("每次巡查的轨迹、里程和在格时长")),
            (reverse("gridwork:council"), _("网格议事会"), _("网格长协调不了的问题，议定解决或上报")),
        ]
    return list(dict.fromkeys(links))
