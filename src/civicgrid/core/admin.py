"""The audit log and the personal-data access log in Django admin: read-only, restricted to the user's jurisdiction."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from civicgrid.core.jurisdiction import restrict
from civicgrid.core.models import AuditEntry, PersonalDataAccess


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows are written only by services; the admin shows them and nothing more."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class JurisdictionAdmin(admin.ModelAdmin):
    """Staff see in the admin only the rows of their jurisdiction, as on every page."""

    def get_queryset(self, request: HttpRequest) -> Any:
        return restrict(request.user, super().get_queryset(request))


@admin.register(AuditEntry)
class AuditEntryAdmin(JurisdictionAdmin, ReadOnlyAdmin):
    list_display = ("created_at", "actor_name", "action", "object_repr", "request_id")
    list_filter = ("action", "created_at")
    search_fields = ("actor_name", "action", "object_repr", "object_id", "request_id")
    date_hierarchy = "created_at"
    list_select_related = ("object_type",)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(JurisdictionAdmin, ReadOnlyAdmin):
    list_display = ("created_at", "actor_name", "subject_type", "subject_id", "reason")
    search_fields = ("actor_name", "subject_id", "reason", "request_id")
    date_hierarchy = "created_at"
    list_select_related = ("subject_type",)
