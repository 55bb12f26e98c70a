import hashlib
import secrets
from itertools import takewhile

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.core.jurisdiction import EVERYTHING, Jurisdiction, Scope, minimal_prefixes
from civicgrid.people.choices import AssistantKind, Role
from civicgrid.regions.models import Region


class User(AbstractUser):
    """A member of staff. Residents are not users; they appear in the registry."""

    full_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)

    jurisdiction_scope = Scope(region_path="posts__region__path", department="posts__department")

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_username()

    @property
    def audit_region_path(self) -> str:
        """Where this person's records belong: the smallest region holding all their posts."""
        paths = [post.audit_region_path for post in self.active_posts()]
        if not paths:
            return ""
        columns = zip(*(p.strip("/").split("/") for p in paths), strict=False)
        common = [column[0] for column in takewhile(lambda column: len(set(column)) == 1, columns)]
        return "/" + "".join(f"{code}/" for code in common) if common else ""

    def active_posts(self) -> list["Post"]:
        cached = getattr(self, "_active_posts", None)
        if cached is None:
            cached = list(
                self.posts.filter(is_active=True).select_related("region", "department", "department__region")
            )
            self._active_posts = cached
        return cached

    def roles(self) -> set[str]:
        return {post.role for post in self.active_posts()}

    def jurisdiction(self) -> Jurisdiction:
        """The union of the region subtrees of the active posts and the departments served in."""
        cached = getattr(self, "_jurisdiction", None)
        if cached is not None:
            return cached
        if self.is_superuser:
            result = EVERYTHING
        else:
            paths: list[str] = []
            departments: set[int] = set()
            for post in self.active_posts():
                if post.region is not None:
                    paths.append(post.region.path)
                if post.department is not None:
                    departments.add(post.department.pk)
                    if post.region is None:
                        paths.append(post.department.region.path)
            result = Jurisdiction(region_paths=minimal_prefixes(paths), department_ids=frozenset(departments))
        self._jurisdiction = result
        return result

    def forget_posts(self) -> None:
        """Drop what `active_posts` and `jurisdiction` cached, after a post of this user changed."""
        for name in ("_active_posts", "_jurisdiction"):
            self.__dict__.pop(name, None)


class Department(models.Model):
    """A functional department (职能部门) that receives work orders and back-office work."""

    code = models.CharField(_("部门代码"), max_length=32, unique=True)
    name = models.CharField(_("部门名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("服务区域"),
        on_delete=models.PROTECT,
        related_name="departments",
        help_text=_("部门负责的区域，通常是区"),
    )
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    duties = models.TextField(_("主要职责"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    jurisdiction_scope = Scope(region_path="region__path", department="id")

    class Meta:
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_path(self) -> str:
        return self.region.path


class Post(models.Model):
    """A role held by a user at a region or in a department: what they may do and where."""

    user = models.ForeignKey(User, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="posts")
    role = models.CharField(_("岗位角色"), max_length=24, choices=Role.choices, db_index=True)
    region = models.ForeignKey(
        Region, verbose_name=_("所在区域"), null=True, blank=True, on_delete=models.PROTECT, related_name="posts"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("所在部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="posts"
    )
    assistant_kind = models.CharField(_("协管类别"), max_length=24, choices=AssistantKind.choices, blank=True)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    is_active = models.BooleanField(_("在岗"), default=True)
    started_on = models.DateField(_("任职日期"), default=timezone.localdate)
    ended_on = models.DateField(_("离岗日期"), null=True, blank=True)

    jurisdiction_scope = Scope(region_path="region__path", department="department")

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        ordering = ["region__code", "role", "user__username"]
        constraints = [
            models.CheckConstraint(
                name="post_has_region_or_department",
                condition=models.Q(region__isnull=False) | models.Q(department__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["region", "role"],
                condition=models.Q(is_active=True, role__in=["grid_worker", "grid_leader"]),
                name="post_one_active_worker_and_leader_per_grid",
                violation_error_message=_("每个网格只能有一名在岗网格员和一名网格长。"),
            ),
            models.CheckConstraint(
                name="post_assistant_kind_only_for_assistants",
                condition=models.Q(role=Role.GRID_ASSISTANT) | models.Q(assistant_kind=""),
            ),
        ]

    def __str__(self) -> str:
        where = self.region.name if self.region is not None else ""
        if self.department is not None:
            where = f"{where} {self.department.name}".strip()
        return f"{self.user} · {self.get_role_display()} · {where}"

    @property
    def audit_region_path(self) -> str:
        if self.region is not None:
            return self.region.path
        return self.department.region.path if self.department is not None else ""


class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the token itself is shown once when it is made."""

    user = models.ForeignKey(User, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=60)
    prefix = models.CharField(_("前缀"), max_length=8, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def new_token() -> str:
        return "cg_" + secrets.token_urlsafe(32)
