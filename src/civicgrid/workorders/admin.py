"""The incident catalogue and responsibility list in Django admin; work orders and positions read-only.

Types are added from the data file (`civicgrid load_incident_types`); here an administrator adjusts a type's line
of the responsibility list, which `services.incident_type_update` saves with an audit row.
"""

from typing import Any

from django.contrib import admin, messages
from django.forms import ModelForm
from django.http import HttpRequest

from civicgrid.core.admin import JurisdictionAdmin, ReadOnlyAdmin
from civicgrid.core.errors import DomainError
from civicgrid.workorders import services
from civicgrid.workorders.models import IncidentCategory, IncidentType, OfficerPosition, WorkOrder


@admin.register(IncidentCategory)
class IncidentCategoryAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "sort")


@admin.register(IncidentType)
class IncidentTypeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "category",
        "handling_level",
        "department_key",
        "sign_hours",
        "handle_limit",
        "handle_unit",
        "field_dispatch",
        "auto_dispatch",
        "auto_escalate",
        "emergency_fund",
        "is_active",
    )
    list_filter = ("category", "handling_level", "department_key", "field_dispatch", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("code", "name", "category", "description")
    fields = ("code", "name", "category", "description", *services.RESPONSIBILITY_FIELDS)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retire a type with is_active: its work orders keep pointing at it

    def save_model(self, request: HttpRequest, obj: IncidentType, form: ModelForm, change: bool) -> None:
        changes = {
            name: form.cleaned_data[name] for name in form.changed_data if name in services.RESPONSIBILITY_FIELDS
        }
        if not changes:
            return
        try:
            services.incident_type_update(actor=request.user, type_id=obj.pk, changes=changes)
        except DomainError as error:
            messages.error(request, error.message)


@admin.register(WorkOrder)
class WorkOrderAdmin(JurisdictionAdmin, ReadOnlyAdmin):
    list_display = ("number", "status", "level", "incident_type", "department", "reported_at", "is_overdue")
    list_filter = ("status", "level", "source", "is_overdue", "supervision")
    search_fields = ("number",)
    exclude = ("reporter_phone", "tracking_key", "client_fingerprint", "idempotency_key")


@admin.register(OfficerPosition)
class OfficerPositionAdmin(ReadOnlyAdmin):
    list_display = ("user", "on_duty", "reported_at", "lon", "lat")
