import re

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")


# Top to bottom: the five levels of linkage.
LEVEL_ORDER: tuple[Level, ...] = (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)
PARENT_LEVEL: dict[Level, Level | None] = {
    Level.CITY: None,
    Level.DISTRICT: Level.CITY,
    Level.STREET: Level.DISTRICT,
    Level.COMMUNITY: Level.STREET,
    Level.GRID: Level.COMMUNITY,
}

# GB/T 2260 codes for cities and districts, the statistical division code for streets (9 digits) and
# communities (12), and the grid code: the community's 12 digits plus a 3-digit sequence.
CODE_PATTERNS: dict[Level, re.Pattern[str]] = {
    Level.CITY: re.compile(r"^\d{4}00$"),
    Level.DISTRICT: re.compile(r"^\d{6}$"),
    Level.STREET: re.compile(r"^\d{9}$"),
    Level.COMMUNITY: re.compile(r"^\d{12}$"),
    Level.GRID: re.compile(r"^\d{12}(?!000)\d{3}$"),
}


class GridKind(models.TextChoices):
    COMPREHENSIVE = "comprehensive", _("综合网格")
    DEDICATED = "dedicated", _("专属网格")


class DedicatedClass(models.TextChoices):
    ROUTINE = "routine", _("日常管理")
    KEY_COMANAGED = "key_comanaged", _("重点协管")
    PERIODIC_LINKAGE = "periodic_linkage", _("定期联动")


def code_matches_parent(level: Level, code: str, parent_code: str | None) -> bool:
    """A child's code extends its parent's: street 320106001 under district 320106, and so on down to grids.

    A district's parent city shares only the first four digits (320106 under 320100).
    """
    if parent_code is None:
        return level == Level.CITY
    if level == Level.DISTRICT:
        return code[:4] == parent_code[:4] or parent_code.endswith("0000")
    return code.startswith(parent_code) and len(code) > len(parent_code)
