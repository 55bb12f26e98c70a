"""Regions in Django admin: to look at. The tree and boundaries change only through the audited imports."""

from django.contrib import admin

from civicgrid.core.admin import JurisdictionAdmin, ReadOnlyAdmin
from civicgrid.regions.models import Region


@admin.register(Region)
class RegionAdmin(JurisdictionAdmin, ReadOnlyAdmin):
    list_display = ("code", "name", "level", "grid_kind", "dedicated_class", "target_households", "partner")
    list_filter = ("level", "grid_kind", "dedicated_class")
    search_fields = ("code", "name")
    list_select_related = ("partner",)
    exclude = ("boundary",)  # thousands of coordinates; the region page draws it on the map
