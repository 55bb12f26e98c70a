"""Staff, departments, posts and API tokens in Django admin.

Writes go through the services (one transaction, audited): the admin lists and searches, and its one action,
ending posts, calls `services.post_end`. Posts are given on the posts page (/people/posts/).
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core.admin import JurisdictionAdmin, ReadOnlyAdmin
from civicgrid.core.errors import DomainError
from civicgrid.people import services
from civicgrid.people.models import ApiToken, Department, Post, User


class PostInline(admin.TabularInline):
    model = Post
    fk_name = "user"
    fields = ("role", "region", "department", "assistant_kind", "title", "is_active", "started_on", "ended_on")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(JurisdictionAdmin, ReadOnlyAdmin, DjangoUserAdmin):
    list_display = ("username", "full_name", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "posts__role")
    search_fields = ("username", "full_name")
    fieldsets = (
        (None, {"fields": ("username", "full_name", "email")}),
        (gettext_lazy("状态"), {"fields": ("is_active", "is_staff", "is_superuser", "last_login", "date_joined")}),
    )
    inlines = (PostInline,)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).distinct()


@admin.register(Department)
class DepartmentAdmin(JurisdictionAdmin, ReadOnlyAdmin):
    list_display = ("code", "name", "short_name", "region", "phone", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "short_name")
    list_select_related = ("region",)


@admin.register(Post)
class PostAdmin(JurisdictionAdmin, ReadOnlyAdmin):
    list_display = ("user", "role", "region", "department", "assistant_kind", "is_active", "started_on", "ended_on")
    list_filter = ("is_active", "role", "assistant_kind")
    search_fields = ("user__username", "user__full_name", "region__name", "region__code", "department__name")
    list_select_related = ("user", "region", "department")
    actions = ("end_posts",)

    @admin.action(description=gettext_lazy("所选岗位离岗"))
    def end_posts(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        ended = 0
        for post in queryset.filter(is_active=True):
            try:
                services.post_end(actor=request.user, post_id=post.pk)
                ended += 1
            except DomainError as error:
                self.message_user(request, f"{post}: {error.message}", messages.ERROR)
        if ended:
            self.message_user(request, _("已离岗 %(count)d 个岗位。") % {"count": ended}, messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "expires_at", "is_active")
    list_filter = ("is_active",)
    search_fields = ("prefix", "name", "user__username")
    exclude = ("digest",)
    list_select_related = ("user",)

    def get_queryset(self, request: HttpRequest) -> Any:
        rows = super().get_queryset(request)
        return rows if getattr(request.user, "is_superuser", False) else rows.filter(user=request.user)
