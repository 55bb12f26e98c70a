from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.people.choices import AssistantKind, Role


class PostAssignForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    role = forms.ChoiceField(label=_("岗位角色"), choices=Role.choices)
    region_code = forms.CharField(label=_("区域代码"), max_length=15, required=False)
    department_code = forms.CharField(label=_("部门代码"), max_length=32, required=False)
    assistant_kind = forms.ChoiceField(label=_("协管类别"), choices=[("", "—"), *AssistantKind.choices], required=False)
    title = forms.CharField(label=_("职务"), max_length=60, required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        if not data.get("region_code") and not data.get("department_code"):
            raise forms.ValidationError(_("请填写区域代码或部门代码。"))
        return data


class StaffCreateForm(PostAssignForm):
    full_name = forms.CharField(label=_("姓名"), max_length=60)
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False)
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, min_length=10)

    field_order = [
        "username",
        "full_name",
        "phone",
        "password",
        "role",
        "region_code",
        "department_code",
        "assistant_kind",
        "title",
    ]


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看事由"), min_length=2, max_length=200)
