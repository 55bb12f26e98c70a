"""The service centre in Django admin. Every change goes through `hall.services` (checked and audited):

- the catalogue comes from its data file (`civicgrid load_service_catalogue`); here an administrator adjusts an
  item's mode, time limit, department, applicants, booking and activity (`services.item_update`);
- centres are opened by a district administrator and adjusted by their manager; counters likewise;
- tickets, appointments, applications and ratings are read-only here, with residents' personal data left out.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from civicgrid.core.admin import JurisdictionAdmin, ReadOnlyAdmin
from civicgrid.core.errors import DomainError
from civicgrid.hall import services
from civicgrid.hall.models import (
    Application,
    Appointment,
    Centre,
    Counter,
    Rating,
    ServiceCategory,
    ServiceGroup,
    ServiceItem,
    Ticket,
)
from civicgrid.hall.services.centres import CENTRE_FIELDS


@admin.register(ServiceGroup)
class ServiceGroupAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "sort")


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "sort")


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "category", "group", "mode", "time_limit_days", "department_key", "is_active")
    list_filter = ("category", "group", "mode", "online_bookable", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("code", "name", "category", "group", "material_list")
    fields = ("code", "name", "category", "group", *services.catalogue.ITEM_FIELDS, "material_list")

    @admin.display(description=gettext_lazy("申请材料（在事项清单文件中修改）"))
    def material_list(self, obj: ServiceItem) -> str:
        lines = [
            f"{m.code} {m.name}（{m.copies or '—'}）{'' if m.required else '［非必需］'}：{m.source_note}"
            for m in obj.materials.order_by("code")
        ]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # items come from the catalogue file

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retire an item with is_active: its applications keep pointing at it

    def save_model(self, request: HttpRequest, obj: ServiceItem, form: ModelForm, change: bool) -> None:
        changes = {n: form.cleaned_data[n] for n in form.changed_data if n in services.catalogue.ITEM_FIELDS}
        if not changes:
            return
        try:
            services.item_update(actor=request.user, item_id=obj.pk, changes=changes)
        except DomainError as error:
            messages.error(request, error.message)


class CentreForm(forms.ModelForm):
    street_code = forms.CharField(
        label=gettext_lazy("街道代码"),
        max_length=15,
        required=False,
        help_text=gettext_lazy("新建时填写，如 320106001"),
    )

    class Meta:
        model = Centre
        fields = CENTRE_FIELDS


@admin.register(Centre)
class CentreAdmin(JurisdictionAdmin):
    form = CentreForm
    list_display = ("code", "name", "street", "phone", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    filter_horizontal = ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("street_code", *CENTRE_FIELDS) if obj is None else CENTRE_FIELDS

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # close a centre with is_active: its tickets and applications stay

    def save_model(self, request: HttpRequest, obj: Centre, form: ModelForm, change: bool) -> None:
        values = {n: form.cleaned_data[n] for n in CENTRE_FIELDS if n in form.cleaned_data}
        try:
            if change:
                changed = {n: values[n] for n in form.changed_data if n in CENTRE_FIELDS}
                if changed:
                    services.centre_update(actor=request.user, centre_code=obj.code, changes=changed)
                return
            name = values.pop("name", "")
            centre = services.centre_create(
                actor=request.user, street_code=form.cleaned_data.get("street_code", ""), name=name, **values
            )
            obj.pk, obj.code, obj.street, obj.region_path = centre.pk, centre.code, centre.street, centre.region_path
        except DomainError as error:
            messages.error(request, error.message)


@admin.register(Counter)
class CounterAdmin(JurisdictionAdmin):
    list_display = ("centre", "number", "name", "clerk", "is_active")
    list_filter = ("centre", "is_active")
    fields = ("centre", "number", "name", "groups", "is_active")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("centre", "number") if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Counter, form: ModelForm, change: bool) -> None:
        groups = [g.code for g in form.cleaned_data.get("groups", [])]
        try:
            if change:
                services.counter_update(
                    actor=request.user,
                    counter_id=obj.pk,
                    name=form.cleaned_data.get("name"),
                    groups=groups,
                    is_active=form.cleaned_data.get("is_active"),
                )
                return
            counter = services.counter_create(
                actor=request.user,
                centre_code=form.cleaned_data["centre"].code,
                number=form.cleaned_data["number"],
                name=form.cleaned_data.get("name", ""),
                groups=groups,
            )
            obj.pk = counter.pk
        except DomainError as error:
            messages.error(request, error.message)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return  # the groups were set by the service


@admin.register(Ticket)
class TicketAdmin(JurisdictionAdmin, ReadOnlyAdmin):
    list_display = ("code", "centre", "day", "status", "counter", "clerk", "issued_at")
    list_filter = ("status", "source", "day")
    exclude = ("id_number", "resident_name")


@admin.register(Appointment)
class AppointmentAdmin(JurisdictionAdmin, ReadOnlyAdmin):
    list_display = ("code", "centre", "item", "day", "slot_start", "status", "channel")
    list_filter = ("status", "channel", "day")
    exclude = ("id_number", "resident_name", "phone")


@admin.register(Application)
class ApplicationAdmin(JurisdictionAdmin, ReadOnlyAdmin):
    list_display = ("number", "item", "status", "first_contact", "accepted_at", "due_at", "is_overdue")
    list_filter = ("status", "channel", "is_overdue")
    search_fields = ("number",)
    exclude = (
        "applicant_name",
        "id_number",
        "birth_date",
        "phone",
        "address",
        "proxy_name",
        "proxy_id_number",
        "proxy_phone",
        "materials",
    )


@admin.register(Rating)
class RatingAdmin(JurisdictionAdmin, ReadOnlyAdmin):
    list_display = ("ticket", "centre", "counter", "clerk", "score", "created_at")
    list_filter = ("score",)
