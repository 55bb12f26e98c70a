"""Form shapes for the service-centre pages. They check only the shape of what was sent (lengths, choices, numbers);
the services check every rule of the domain and say what is wrong in words a clerk or a resident can act on."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.hall.choices import (
    ApplicationAction,
    ConsentMethod,
    PriorityReason,
    ProofKind,
    ProxyRelation,
    RatingReason,
    ResultDelivery,
    TicketAction,
)
from civicgrid.hall.services import Proxy

KEY = r"^[A-Za-z0-9_-]{8,64}$"


def _choices(form: forms.Form, name: str, codes: list[str]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.MultipleChoiceField)
    field.choices = [(code, code) for code in codes]


def first_error(form: forms.Form) -> str:
    """The first problem of a form, as one sentence (for a message above a short form)."""
    for problems in form.errors.values():
        for problem in problems:
            return str(problem)
    return str(_("提交的内容有误，请检查后重试。"))


# ---------------------------------------------------------------- public devices


class KioskTicketForm(forms.Form):
    group = forms.CharField(max_length=1)
    priority_reason = forms.ChoiceField(choices=[("", ""), *PriorityReason.choices], required=False)
    key = forms.RegexField(regex=KEY, required=False)


class KioskCheckInForm(forms.Form):
    code = forms.CharField(max_length=20)
    key = forms.RegexField(regex=KEY, required=False)


class RatingForm(forms.Form):
    ticket_id = forms.IntegerField(min_value=1)
    score = forms.IntegerField(min_value=1, max_value=5, error_messages={"required": _("请选择 1 到 5 星。")})
    reasons = forms.MultipleChoiceField(choices=RatingReason.choices, required=False)
    comment = forms.CharField(max_length=200, required=False)


# ---------------------------------------------------------------- residents


class BookingForm(forms.Form):
    item = forms.CharField(max_length=8)
    day = forms.DateField()
    slot = forms.TimeField(error_messages={"required": _("请选择预约时段。")})
    resident_name = forms.CharField(label=_("姓名"), max_length=40)
    id_number = forms.CharField(label=_("身份证号码"), max_length=30)
    phone = forms.CharField(label=_("手机号码"), max_length=20)


class CancelForm(forms.Form):
    code = forms.CharField(label=_("预约码"), max_length=10)
    id_tail = forms.CharField(label=_("身份证号码后四位"), min_length=4, max_length=4)


class TrackForm(forms.Form):
    number = forms.CharField(label=_("办件编号"), max_length=32)
    id_tail = forms.CharField(label=_("身份证号码后四位"), min_length=4, max_length=4)


# ---------------------------------------------------------------- the counter


class TicketActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(a.value, a.label) for a in TicketAction if a not in (TicketAction.ISSUE, TicketAction.CALL)]
    )
    to_counter = forms.IntegerField(required=False, min_value=1)
    expected_version = forms.IntegerField(required=False, min_value=0)


class AcceptForm(forms.Form):
    """A clerk accepts one item for one resident; the proxy fields are filled when someone applies for them."""

    centre = forms.CharField(max_length=16)
    item = forms.CharField(label=_("服务事项"), max_length=8, error_messages={"required": _("请选择服务事项。")})
    applicant_name = forms.CharField(label=_("申请人姓名"), max_length=60, required=False)
    id_number = forms.CharField(label=_("身份证号码"), max_length=30, required=False)
    phone = forms.CharField(label=_("手机号码"), max_length=30, required=False)
    materials = forms.MultipleChoiceField(required=False)  # choices: the item's material codes, set in __init__
    result_delivery = forms.ChoiceField(label=_("结果领取方式"), choices=ResultDelivery.choices)
    address = forms.CharField(label=_("送达地址"), max_length=200, required=False)
    grid_code = forms.CharField(label=_("所在网格代码"), max_length=20, required=False)
    ticket_id = forms.IntegerField(required=False, min_value=1)
    proxy_relation = forms.ChoiceField(
        label=_("代办"), choices=[("", _("本人办理")), *ProxyRelation.choices], required=False
    )
    proxy_name = forms.CharField(label=_("代办人姓名"), max_length=60, required=False)
    proxy_id_number = forms.CharField(label=_("代办人身份证号码"), max_length=30, required=False)
    proxy_phone = forms.CharField(label=_("代办人电话"), max_length=30, required=False)
    proxy_username = forms.CharField(label=_("代办网格员用户名"), max_length=150, required=False)
    consent_method = forms.ChoiceField(
        label=_("申请人同意方式"), choices=[("", "—"), *ConsentMethod.choices], required=False
    )
    consent_note = forms.CharField(label=_("同意情况说明"), max_length=200, required=False)

    def __init__(self, *args: Any, material_codes: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # any code of the item may be ticked; unknown ones are refused by the service with the item named
        _choices(self, "materials", material_codes or [])

    def proxy(self) -> Proxy | None:
        data = self.cleaned_data
        if not data.get("proxy_relation"):
            return None
        return Proxy(
            relation=data["proxy_relation"],
            name=data.get("proxy_name", ""),
            id_number=data.get("proxy_id_number", ""),
            phone=data.get("proxy_phone", ""),
            username=data.get("proxy_username", ""),
            consent_method=data.get("consent_method", ""),
            consent_note=data.get("consent_note", ""),
        )


# The fields the service names in its errors (errors={"proxy.name": ...}) and the form field showing each.
SERVICE_FIELDS = {
    "applicant_name": "applicant_name",
    "id_number": "id_number",
    "phone": "phone",
    "address": "address",
    "grid": "grid_code",
    "item": "item",
    "materials": None,
    "ticket": None,
    "result_delivery": "result_delivery",
    "channel": None,
    "proxy": "proxy_relation",
    "proxy.relation": "proxy_relation",
    "proxy.name": "proxy_name",
    "proxy.id_number": "proxy_id_number",
    "proxy.phone": "proxy_phone",
    "proxy.username": "proxy_username",
    "proxy.consent_method": "consent_method",
    "proxy.consent_note": "consent_note",
}


class ApplicationActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a.value, a.label) for a in ApplicationAction])
    note = forms.CharField(label=_("说明"), max_length=500, required=False)
    materials = forms.MultipleChoiceField(required=False)
    result_delivery = forms.ChoiceField(choices=[("", ""), *ResultDelivery.choices], required=False)
    expected_version = forms.IntegerField(required=False, min_value=0)

    def __init__(self, *args: Any, material_codes: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "materials", material_codes or [])


REVEALABLE = [
    ("applicant_name", _("姓名")),
    ("id_number", _("身份证号码")),
    ("phone", _("手机号码")),
    ("address", _("送达地址")),
    ("proxy_name", _("代办人姓名")),
    ("proxy_id_number", _("代办人身份证号码")),
    ("proxy_phone", _("代办人电话")),
]


class RevealForm(forms.Form):
    show = forms.MultipleChoiceField(choices=REVEALABLE)
    reason = forms.CharField(label=_("查看事由"), max_length=200)


class IdCheckForm(forms.Form):
    id_number = forms.CharField(max_length=30, required=False)


# ---------------------------------------------------------------- deliveries


class DeliverForm(forms.Form):
    proof_kind = forms.ChoiceField(label=_("送达凭证"), choices=ProofKind.choices)
    signature = forms.CharField(required=False, max_length=2_000_000)  # a data: URL of the canvas (PNG)
    photo = forms.FileField(label=_("送达照片"), required=False)  # the service checks the content
    note = forms.CharField(label=_("送达说明"), max_length=300, required=False)


class AttemptForm(forms.Form):
    note = forms.CharField(label=_("未遇情况说明"), max_length=300)


class AssignForm(forms.Form):
    username = forms.CharField(label=_("网格员用户名"), max_length=150)


# ---------------------------------------------------------------- statistics


GROUPINGS = [
    ("counter", _("按窗口")),
    ("clerk", _("按人员")),
    ("item", _("按事项")),
    ("group", _("按业务分组")),
    ("day", _("按日")),
    ("centre", _("按中心")),
]


class StatisticsForm(forms.Form):
    centre = forms.CharField(max_length=16, required=False)
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)
    by = forms.ChoiceField(choices=GROUPINGS, required=False)
    month = forms.RegexField(regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False)
