"""The edge of the command pages: what the figures page and the command map accept in their query strings."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from civicgrid.command import figures
from civicgrid.command.selectors import FLAGS, SINCE_DAYS, STATUS_GROUPS, MapFilters
from civicgrid.regions.choices import LEVEL_ORDER
from civicgrid.workorders.choices import Source

PRESETS = {
    "month": _("本月"),
    "last_month": _("上月"),
    "quarter": _("本季度"),
    "year": _("本年"),
    "30d": _("近 30 天"),
    "custom": _("自定义"),
}


def preset_range(preset: str, today: date) -> tuple[date, date]:
    if preset == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if preset == "quarter":
        first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        last_month = first.replace(month=first.month + 2)
        return first, figures.month_end(last_month)
    if preset == "year":
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    if preset == "30d":
        return today - timedelta(days=29), today
    first = today.replace(day=1)
    return first, figures.month_end(first)


class FiguresForm(forms.Form):
    preset = forms.ChoiceField(label=_("统计期间"), choices=list(PRESETS.items()), required=False)
    start = forms.DateField(label=_("开始日期"), required=False)
    end = forms.DateField(label=_("结束日期"), required=False)
    region = forms.CharField(label=_("区域"), max_length=15, required=False)
    level = forms.ChoiceField(
        label=_("统计到"), choices=[(lvl.value, lvl.label) for lvl in LEVEL_ORDER], required=False
    )
    group_by = forms.ChoiceField(label=_("分组"), choices=list(figures.GROUPS.items()), required=False)
    category = forms.CharField(label=_("事件大类"), max_length=8, required=False)
    type = forms.CharField(label=_("事件小类"), max_length=12, required=False)
    source = forms.ChoiceField(label=_("来源"), choices=[("", _("全部")), *Source.choices], required=False)
    department = forms.CharField(label=_("承办部门"), max_length=32, required=False)
    interval = forms.ChoiceField(label=_("趋势粒度"), choices=list(figures.INTERVALS.items()), required=False)
    kpi = forms.ChoiceField(
        label=_("排名指标"), choices=[(k, v.label) for k, v in figures.RANKABLE.items()], required=False
    )
    min_due = forms.IntegerField(label=_("参与排名的最少应结案数"), min_value=1, max_value=1000, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        preset = data.get("preset") or ""
        start, end = data.get("start"), data.get("end")
        if preset and preset != "custom":
            start, end = preset_range(preset, today)
        elif not (start or end):
            preset = "month"
            start, end = preset_range("month", today)
        else:
            preset = "custom"
            if start and end and end < start:
                self.add_error("end", _("结束日期早于开始日期。"))
            start = start or (end.replace(day=1) if end else None)
            end = end or (figures.month_end(start) if start else None)
        data.update(preset=preset, start=start, end=end)
        data["group_by"] = data.get("group_by") or "region"
        data["kpi"] = data.get("kpi") or figures.COMPOSITE.key
        data["min_due"] = data.get("min_due") or figures.MIN_DUE
        if start and end:
            days = (end - start).days + 1
            if not data.get("interval"):
                data["interval"] = "day" if days <= 31 else ("week" if days <= 120 else "month")
            elif data["interval"] == "day" and days > 366:
                data["interval"] = "week"  # a day-by-day line over years is unreadable (and refused by the trend)
        return data

    def filters(self) -> figures.Filters:
        data = self.cleaned_data
        return figures.Filters(
            category=data.get("category") or "",
            incident_type=data.get("type") or "",
            source=data.get("source") or "",
            department=data.get("department") or "",
        )


def _since_label(days: int) -> Any:
    return _("近 24 小时") if days == 1 else format_lazy(_("近 {n} 天"), n=days)


class MapForm(forms.Form):
    region = forms.CharField(label=_("区域"), max_length=15, required=False)
    status = forms.ChoiceField(
        label=_("状态"),
        choices=[
            ("open", _("未办结")),
            ("waiting", _("待派遣")),
            ("handling", _("处置中")),
            ("handled", _("待核查")),
            ("closed", _("已办结")),
            ("suspended", _("已挂起")),
            ("all", _("全部")),
        ],
        required=False,
    )
    category = forms.CharField(label=_("事件大类"), max_length=8, required=False)
    type = forms.CharField(label=_("事件小类"), max_length=12, required=False)
    source = forms.ChoiceField(label=_("来源"), choices=[("", _("全部")), *Source.choices], required=False)
    since = forms.TypedChoiceField(
        label=_("上报时间"),
        choices=[("", _("不限")), *[(str(n), _since_label(n)) for n in SINCE_DAYS]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    flag = forms.ChoiceField(
        label=_("标记"),
        choices=[
            ("", _("全部")),
            ("overdue", _("超期")),
            ("supervised", _("督办")),
            ("yellow", _("黄牌督办")),
            ("red", _("红牌督办")),
        ],
        required=False,
    )

    def filters(self) -> MapFilters:
        data = self.cleaned_data
        status = data.get("status") or "open"
        assert status in STATUS_GROUPS or status == "all"
        flag = data.get("flag") or ""
        assert not flag or flag in FLAGS
        return MapFilters(
            status=status,
            category=data.get("category") or "",
            incident_type=data.get("type") or "",
            source=data.get("source") or "",
            since_days=data.get("since"),
            flag=flag,
        )
