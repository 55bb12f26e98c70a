"""Form shapes for the grid-work pages. They check only the shape of what was sent (lengths, choices, dates); the
services check every rule of the domain and say what is wrong in words a grid worker can act on."""

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.gridwork.choices import (
    AgendaOutcome,
    AssignmentAction,
    LeaveAction,
    LeaveReason,
    ProblemAction,
    RiskLevel,
    VisitKind,
)

KEY = r"^[A-Za-z0-9_-]{8,64}$"
# What a grid worker may do at once with a problem they record (the rest needs the leader or the council).
FIRST_ACTIONS = [
    (ProblemAction.SOLVE_ON_SPOT, _("已现场解决")),
    (ProblemAction.PASS_TO_LEADER, _("交网格长协调")),
    (ProblemAction.RAISE_WORK_ORDER, _("上报为工单")),
    ("", _("先登记，稍后处置")),
]


def first_error(form: forms.Form) -> str:
    for problems in form.errors.values():
        for problem in problems:
            return str(problem)
    return str(_("提交的内容有误，请检查后重试。"))


class VisitForm(forms.Form):
    kind = forms.ChoiceField(label=_("走访类型"), choices=VisitKind.choices, initial=VisitKind.ROUTINE)
    met = forms.TypedChoiceField(
        label=_("是否见到住户"),
        choices=[("1", _("见到住户")), ("0", _("未见到（留言或邻里了解）"))],
        coerce=lambda value: value == "1",
        initial="1",
    )
    findings = forms.CharField(label=_("走访情况"), max_length=2000)
    needs = forms.CharField(label=_("居民需求"), max_length=2000, required=False)
    risks = forms.CharField(label=_("隐患矛盾"), max_length=2000, required=False)
    risk_level = forms.ChoiceField(label=_("风险程度"), choices=RiskLevel.choices, initial=RiskLevel.NONE)
    follow_up_on = forms.DateField(label=_("回访日期"), required=False)
    key = forms.RegexField(regex=KEY, required=False)


class LogForm(forms.Form):
    day = forms.DateField(label=_("日期"))
    weather = forms.CharField(label=_("天气"), max_length=20, required=False)
    content = forms.CharField(label=_("民情记录"), max_length=5000)


class ProblemForm(forms.Form):
    description = forms.CharField(label=_("问题描述"), max_length=1000)
    address = forms.CharField(label=_("地点"), max_length=200, required=False)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90)
    grid_code = forms.CharField(max_length=15, required=False)
    action = forms.ChoiceField(label=_("处置方式"), choices=FIRST_ACTIONS, required=False)
    note = forms.CharField(label=_("处理说明"), max_length=1000, required=False)
    incident_type = forms.CharField(max_length=12, required=False)
    key = forms.RegexField(regex=KEY, required=False)


class ProblemActionForm(forms.Form):
    action = forms.ChoiceField(choices=ProblemAction.choices)
    note = forms.CharField(max_length=1000, required=False)
    incident_type = forms.CharField(max_length=12, required=False)
    version = forms.IntegerField(min_value=1, required=False)


class LeaveForm(forms.Form):
    starts_on = forms.DateField(label=_("开始日期"))
    ends_on = forms.DateField(label=_("结束日期"))
    kind = forms.ChoiceField(label=_("假别"), choices=LeaveReason.choices)
    reason = forms.CharField(label=_("事由"), max_length=200)
    worker = forms.CharField(label=_("网格员用户名"), max_length=150, required=False)


class LeaveActionForm(forms.Form):
    action = forms.ChoiceField(choices=LeaveAction.choices)
    note = forms.CharField(max_length=200, required=False)


class AssignForm(forms.Form):
    task_code = forms.CharField(label=_("工作事项"), max_length=6)
    grids = forms.MultipleChoiceField(label=_("网格"))
    due_on = forms.DateField(label=_("完成期限"))
    note = forms.CharField(label=_("布置说明"), max_length=500, required=False)

    def __init__(self, *args: object, grid_choices: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["grids"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = grid_choices


class AssignmentActionForm(forms.Form):
    action = forms.ChoiceField(choices=AssignmentAction.choices)
    note = forms.CharField(max_length=2000, required=False)
    version = forms.IntegerField(min_value=1, required=False)


class MeetingForm(forms.Form):
    grid_code = forms.CharField(label=_("网格"), max_length=15)
    scheduled_at = forms.DateTimeField(label=_("召开时间"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    place = forms.CharField(label=_("地点"), max_length=100)


class HoldForm(forms.Form):
    """The minutes and attendance; each agenda item's outcome comes as `outcome_<problem id>` and
    `decision_<problem id>` (the view reads them for the items the meeting has)."""

    minutes = forms.CharField(label=_("会议纪要"), max_length=5000)
    attendees = forms.CharField(label=_("参会人员"), max_length=500)


OUTCOMES = [choice for choice in AgendaOutcome.choices if choice[0]]


class CancelForm(forms.Form):
    note = forms.CharField(label=_("取消原因"), max_length=500)
