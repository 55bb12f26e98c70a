"""Form shapes for the work-order pages; the services check the rules."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.workorders.choices import Source, Supervision
from civicgrid.workorders.photos import MAX_PHOTOS

STAFF_SOURCES = [(s.value, s.label) for s in (Source.PATROL, Source.ASSISTANT, Source.HOTLINE, Source.RESIDENT)]


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS image files; their content is checked by the service, not by the name here."""

    widget = MultiplePhotoInput(attrs={"accept": "image/*", "multiple": True})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("最多上传 %(n)s 张照片。") % {"n": MAX_PHOTOS})
        return [super(PhotosField, self).clean(item, initial) for item in files]


class ReportForm(forms.Form):
    incident_type = forms.CharField(label=_("问题类型"), max_length=12, required=False)
    description = forms.CharField(
        label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000, required=False
    )
    photos = PhotosField(label=_("照片"), required=False)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(label=_("地址或位置说明"), max_length=400, required=False)
    reporter_name = forms.CharField(label=_("称呼（选填）"), max_length=80, required=False)
    reporter_phone = forms.CharField(
        label=_("手机号码（选填，仅用于通知您办理结果，不会公开）"), max_length=30, required=False
    )
    idempotency_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    # staff only
    grid_code = forms.CharField(label=_("网格代码"), max_length=15, required=False)
    source = forms.ChoiceField(label=_("来源"), choices=STAFF_SOURCES, required=False)
    solved_on_spot = forms.BooleanField(label=_("已现场解决"), required=False)


class ActionForm(forms.Form):
    action = forms.CharField(max_length=24)
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False)
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    photos = PhotosField(label=_("照片"), required=False)
    department_code = forms.CharField(max_length=32, required=False)
    assignee = forms.CharField(max_length=150, required=False)
    incident_type_code = forms.CharField(max_length=12, required=False)
    into = forms.CharField(max_length=24, required=False)
    days = forms.IntegerField(required=False, min_value=1, max_value=30)
    supervision = forms.ChoiceField(choices=Supervision.choices, required=False)
    rating = forms.IntegerField(required=False, min_value=1, max_value=5)
    comment = forms.CharField(max_length=200, required=False)

    PARAMS = ("department_code", "assignee", "incident_type_code", "into", "days", "supervision", "rating", "comment")

    def params(self) -> dict[str, Any]:
        """The action's own parameters, only those given (the service refuses ones the action does not take)."""
        return {name: self.cleaned_data[name] for name in self.PARAMS if self.cleaned_data.get(name) not in (None, "")}
