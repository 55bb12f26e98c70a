from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.jurisdiction import Scope
from civicgrid.regions.choices import DedicatedClass, GridKind, Level


class Region(models.Model):
    """One node of the region tree: city, district, street, community or grid.

    `path` is the chain of codes from the root ("/320100/320106/320106001/"), so a subtree is a prefix match,
    which every jurisdiction filter relies on.
    """

    code = models.CharField(_("区划代码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=100, db_index=True)
    level = models.CharField(_("层级"), max_length=12, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("路径"), max_length=80, unique=True)
    grid_kind = models.CharField(_("网格类型"), max_length=16, choices=GridKind.choices, blank=True)
    dedicated_class = models.CharField(_("专属网格类别"), max_length=20, choices=DedicatedClass.choices, blank=True)
    target_households = models.PositiveIntegerField(_("户数"), null=True, blank=True)
    target_population = models.PositiveIntegerField(_("人口"), null=True, blank=True)
    boundary = models.JSONField(
        _("边界"), null=True, blank=True, help_text=_("GeoJSON Polygon 或 MultiPolygon，WGS-84")
    )
    centre_lon = models.FloatField(_("中心经度"), null=True, blank=True)
    centre_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    area_km2 = models.FloatField(_("面积(平方公里)"), null=True, blank=True)
    partner = models.ForeignKey(
        "self", verbose_name=_("AB岗结对网格"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    jurisdiction_scope = Scope(region_path="path")

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="region_grid_kind_only_on_grids",
                condition=models.Q(level=Level.GRID, grid_kind__in=GridKind.values)
                | (~models.Q(level=Level.GRID) & models.Q(grid_kind="")),
            ),
            models.CheckConstraint(
                name="region_dedicated_class_only_on_dedicated_grids",
                condition=models.Q(grid_kind=GridKind.DEDICATED, dedicated_class__in=DedicatedClass.values)
                | (~models.Q(grid_kind=GridKind.DEDICATED) & models.Q(dedicated_class="")),
            ),
            models.CheckConstraint(name="region_not_own_partner", condition=~models.Q(partner=models.F("id"))),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def audit_region_path(self) -> str:
        return self.path

    @property
    def statistical_code(self) -> str:
        """The 12-digit statistical division code (streets padded with 000), as statistics offices write it."""
        if self.level in (Level.STREET, Level.COMMUNITY):
            return self.code.ljust(12, "0")
        return self.code

    @property
    def is_grid(self) -> bool:
        return self.level == Level.GRID

    def ancestor_codes(self) -> list[str]:
        return [code for code in self.path.strip("/").split("/") if code]

    def geojson_feature(self, **extra: Any) -> dict[str, Any]:
        return {
            "type": "Feature",
            "id": self.code,
            "geometry": self.boundary,
            "properties": {"code": self.code, "name": self.name, "level": self.level, **extra},
        }


def path_for(parent: Region | None, code: str) -> str:
    return f"{parent.path if parent else '/'}{code}/"
