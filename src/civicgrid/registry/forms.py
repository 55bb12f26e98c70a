"""Form shapes of the base-file pages. They check only shapes (lengths, choices); the services check every rule of
the domain (ID numbers, code lists, who may do what) and say what is wrong in words a grid worker can act on.

An ID number or phone already on file is never put into a form: the fields start empty with the masked value as
the placeholder, and an empty field keeps what is on file (a form would otherwise be an unlogged way to read them)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.registry.choices import (
    RESIDENT_TAG_LISTS,
    CodeList,
    HouseholdStatus,
    HousingStatus,
    ImportKind,
    ImportMode,
    MoveReason,
    ResidenceStatus,
    Sex,
)
from civicgrid.registry.models import Code

BLANK = [("", "—")]


def code_choices(list_name: str) -> list[tuple[str, str]]:
    return [*BLANK, *((c.code, c.name) for c in Code.objects.filter(list=list_name, is_active=True))]


def tag_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    grouped: list[tuple[str, list[tuple[str, str]]]] = []
    for list_name in RESIDENT_TAG_LISTS:
        codes = Code.objects.filter(list=list_name, is_active=True)
        grouped.append((str(CodeList(list_name).label), [(c.code, c.name) for c in codes]))
    return grouped


def changed_data(form: forms.Form, *, keep_blank: tuple[str, ...] = ()) -> dict[str, Any]:
    """What the form sends to a service: every field, less the personal ones left empty (kept as on file)."""
    data = dict(form.cleaned_data)
    for name in keep_blank:
        if not data.get(name):
            data.pop(name, None)
    return data


class ResidentFields(forms.Form):
    """The fields a grid worker keeps up to date; shared by registration and correction."""

    name = forms.CharField(label=_("姓名"), max_length=40)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=30, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    residence_status = forms.ChoiceField(label=_("人口类型"), choices=ResidenceStatus.choices)
    relation = forms.ChoiceField(label=_("与户主关系"), required=False)
    ethnicity = forms.ChoiceField(label=_("民族"), required=False)
    education = forms.ChoiceField(label=_("学历"), required=False)
    marital_status = forms.ChoiceField(label=_("婚姻状况"), required=False)
    political_status = forms.ChoiceField(label=_("政治面貌"), required=False)
    occupation = forms.CharField(label=_("职业"), max_length=60, required=False)
    workplace = forms.CharField(label=_("服务处所"), max_length=100, required=False)
    registered_address = forms.CharField(label=_("户籍地址"), max_length=200, required=False)
    native_place = forms.CharField(label=_("籍贯"), max_length=60, required=False)
    inflow_reason = forms.ChoiceField(label=_("流入原因"), required=False, help_text=_("仅流动人口填写"))
    floating_since = forms.DateField(
        label=_("来本地日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tags = forms.MultipleChoiceField(label=_("人员类别和关爱标签"), required=False, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("备注"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    CODE_FIELDS = {
        "relation": CodeList.RELATION,
        "ethnicity": CodeList.ETHNICITY,
        "education": CodeList.EDUCATION,
        "marital_status": CodeList.MARITAL_STATUS,
        "political_status": CodeList.POLITICAL_STATUS,
        "inflow_reason": CodeList.INFLOW_REASON,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, list_name in self.CODE_FIELDS.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = code_choices(list_name)
        tags = self.fields["tags"]
        assert isinstance(tags, forms.MultipleChoiceField)
        tags.choices = tag_choices()


class ResidentNewForm(ResidentFields):
    sex = forms.ChoiceField(label=_("性别"), choices=[*BLANK, *Sex.choices], required=False)
    birth_date = forms.DateField(
        label=_("出生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("有身份证号码时由号码读出，可不填"),
    )  # fmt: skip

    field_order = ["name", "id_number", "sex", "birth_date", "relation", "phone", "residence_status"]


class ResidentEditForm(ResidentFields):
    reviewed = forms.BooleanField(
        label=_("人员类别和关爱标签已当面核实"), required=False, initial=True,
        help_text=_("勾选后记为今天核实（四清中的“人员类别清”）"),
    )  # fmt: skip
    expected_updated_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, masked: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        for name, value in (masked or {}).items():
            self.fields[name].widget.attrs["placeholder"] = value or ""
            self.fields[name].help_text = _("留空表示不修改")


class MoveForm(forms.Form):
    household_id = forms.IntegerField(label=_("迁入的户"), min_value=1)
    relation = forms.ChoiceField(label=_("与新户户主的关系"), required=False)
    on = forms.DateField(label=_("迁移日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(
        label=_("原因"),
        choices=[(r.value, r.label) for r in (MoveReason.MOVED_WITHIN, MoveReason.MOVED_IN, MoveReason.CORRECTED)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        relation = self.fields["relation"]
        assert isinstance(relation, forms.ChoiceField)
        relation.choices = code_choices(CodeList.RELATION)


class LeaveForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("原因"), choices=[(r.value, r.label) for r in (MoveReason.MOVED_OUT, MoveReason.DECEASED)]
    )
    on = forms.DateField(label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class KeyPersonForm(forms.Form):
    is_key_person = forms.BooleanField(label=_("列为重点人员"), required=False)
    key_person_type = forms.ChoiceField(label=_("重点人员类别"), required=False)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["key_person_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = code_choices(CodeList.KEY_PERSON_TYPE)


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("查看事由"), min_length=2, max_length=200,
        error_messages={"required": _("请填写查看事由。"), "min_length": _("请填写查看事由。")},
    )  # fmt: skip


class HouseholdForm(forms.Form):
    housing_status = forms.ChoiceField(label=_("住房性质"), choices=HousingStatus.choices)
    housing_use = forms.ChoiceField(label=_("房屋用途"), required=False)
    area_m2 = forms.DecimalField(label=_("建筑面积(平方米)"), required=False, max_digits=8, decimal_places=2)
    status = forms.ChoiceField(label=_("状态"), choices=HouseholdStatus.choices)
    notes = forms.CharField(label=_("备注"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["housing_use"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = code_choices(CodeList.HOUSING_USE)


class RiskCheckForm(forms.Form):
    checked_on = forms.DateField(label=_("排查日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(
        label=_("隐患矛盾情况"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FacilitiesForm(forms.Form):
    facilities = forms.MultipleChoiceField(label=_("楼栋现有设施"), required=False, widget=forms.CheckboxSelectMultiple)
    checked_on = forms.DateField(label=_("核查日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["facilities"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(c.code, c.name) for c in Code.objects.filter(list=CodeList.FACILITY, is_active=True)]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入内容"), choices=ImportKind.choices)
    mode = forms.ChoiceField(
        label=_("导入方式"), choices=ImportMode.choices, widget=forms.RadioSelect, initial=ImportMode.ALL_OR_NOTHING
    )
    file = forms.FileField(label=_("Excel（.xlsx）或 CSV 文件"), error_messages={"required": _("请选择要导入的文件。")})


class ExportForm(forms.Form):
    within = forms.CharField(max_length=15, required=False)
    q = forms.CharField(max_length=50, required=False)
    reason = forms.CharField(
        label=_("导出完整信息的事由"), min_length=2, max_length=200,
        error_messages={"required": _("请填写事由。"), "min_length": _("请填写事由。")},
    )  # fmt: skip
