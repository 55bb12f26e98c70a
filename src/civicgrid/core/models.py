from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.jurisdiction import Scope


class AuditEntry(models.Model):
    """One change made by a service: who, what, to which object, before and after. Never updated, never deleted."""

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    object_type = models.ForeignKey(
        ContentType, verbose_name=_("对象类型"), null=True, blank=True, on_delete=models.PROTECT
    )
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    region_path = models.CharField(_("所属区域路径"), max_length=255, blank=True, db_index=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True, db_index=True)

    jurisdiction_scope = Scope(region_path="region_path")

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"


class PersonalDataAccess(models.Model):
    """One view of a person's unmasked personal data (ID number, phone): who looked, at whom, which fields, why."""

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("查看人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("查看人名称"), max_length=150, blank=True)
    subject_type = models.ForeignKey(ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT)
    subject_id = models.CharField(_("对象编号"), max_length=64, db_index=True)
    fields = models.JSONField(_("字段"), default=list)
    reason = models.CharField(_("查看事由"), max_length=200)
    region_path = models.CharField(_("所属区域路径"), max_length=255, blank=True, db_index=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)

    jurisdiction_scope = Scope(region_path="region_path")

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.subject_type_id}:{self.subject_id}"


class CalendarDay(models.Model):
    """One day of the working-day calendar: working or not, and the holiday or adjustment it belongs to.

    A year is known when it has rows; years are seeded from chinese-calendar and an administrator adds the next
    year when the State Council publishes its arrangement. Deadlines in an unknown year count weekdays only.
    """

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("工作日"))
    name = models.CharField(_("节假日或调休"), max_length=40, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    jurisdiction_scope = Scope()  # national: everyone may read it, through the calendar module

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'工作日' if self.is_working_day else '休息日'} {self.name}".strip()


class Notification(models.Model):
    """A message to a member of staff (their in-app inbox) or to a resident's phone (through the SMS backend)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    phone = models.CharField(_("接收手机"), max_length=20, blank=True)
    channel = models.CharField(_("渠道"), max_length=16)
    subject = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"))
    url = models.CharField(_("链接"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    error = models.CharField(_("发送失败原因"), max_length=200, blank=True)

    jurisdiction_scope = Scope()  # read only through `selectors.inbox`, which filters by recipient

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.subject
