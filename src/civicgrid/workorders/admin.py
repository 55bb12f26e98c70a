"""The incident catalogue and responsibility list in Django admin; work orders and positions read-only.

Types are added from the data file (`civicgrid load_incident_types`); here an administrator adjusts a type's line
of the responsibility list, which `services.incident_type_update` saves with an audit row.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core.admin import JurisdictionAdmin, ReadOnlyAdmin
from civicgrid.core.errors import DomainError
from civicgrid.people.permissions import is_administrator
from civicgrid.workorders import services
from civicgrid.workorders.models import IncidentCategory, IncidentType, OfficerPosition, Open311Client, WorkOrder
from civicgrid.workorders.open311 import services as open311


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
    exclude = ("reporter_phone", "reporter_email", "tracking_key", "client_fingerprint", "idempotency_key")


@admin.register(OfficerPosition)
class OfficerPositionAdmin(ReadOnlyAdmin):
    list_display = ("user", "on_duty", "reported_at", "lon", "lat")


class Open311ClientForm(forms.ModelForm):
    class Meta:
        model = Open311Client
        fields = ("name", "contact")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problem = open311.client_problem(data.get("name", ""), data.get("contact", ""))
        if problem is not None:
            raise forms.ValidationError(problem.message)
        return data


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    """Client applications of the Open311 interface: registered here (the api_key is shown once), revoked by action.

    Both go through `open311.services`, which keeps only the key's digest and writes the audit rows.
    """

    form = Open311ClientForm
    list_display = ("name", "contact", "key_prefix", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "contact", "key_prefix")
    readonly_fields = ("name", "contact", "key_prefix", "is_active", "created_at")
    actions = ("revoke",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("name", "contact") if obj is None else self.readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and is_administrator(request.user)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # its work orders point at it: revoke instead

    def save_model(self, request: HttpRequest, obj: Open311Client, form: ModelForm, change: bool) -> None:
        if change:
            return  # nothing of a registered application is edited here
        key, client = open311.client_create(
            actor=request.user, name=form.cleaned_data["name"], contact=form.cleaned_data.get("contact", "")
        )
        # the admin goes on with `obj` (its log entry, the link to it): make it the row the service wrote
        obj.pk, obj.key_prefix, obj.key_digest = client.pk, client.key_prefix, client.key_digest
        obj.created_at = client.created_at
        messages.warning(
            request,
            _("“%(name)s”的 api_key：%(key)s —— 只显示这一次，请立即复制并安全地交给应用开发方。")
            % {"name": client.name, "key": key},
        )

    @admin.action(description=gettext_lazy("吊销所选应用的 api_key"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Open311Client]) -> None:
        for client in queryset.filter(is_active=True):
            try:
                open311.client_revoke(actor=request.user, client_id=client.pk)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("已吊销“%(name)s”。") % {"name": client.name})
