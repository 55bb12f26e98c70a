"""The rules every resident, household, building and organisation record obeys, shared by the services (one record
from a form or the API) and the import (a million rows from a spreadsheet), so both refuse the same things with the
same words. Messages name the field and the problem, never an ID number or phone."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core.errors import ValidationError
from civicgrid.core.identity import age, check_id_number, check_name, check_phone, check_uscc
from civicgrid.registry.choices import (
    RESIDENT_TAG_LISTS,
    CodeList,
    HousingStatus,
    ResidenceStatus,
    Sex,
)
from civicgrid.registry.models import Code

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
SEPARATORS = re.compile(r"[,，、;；/|]+")
# Labels of the fields checked on every row of an import: translated only when a message needs one.
BIRTH_LABEL = gettext_lazy("出生日期")
RESIDENCE_LABEL = gettext_lazy("人口类型")
HOUSING_LABEL = gettext_lazy("住房性质")
FLOOR_LABEL = gettext_lazy("楼层")


def invalid(field_name: str, message: str) -> ValidationError:
    return ValidationError(message, errors={field_name: [message]})


class CodeBook:
    """Every active code, by list, looked up by its code or its name (a spreadsheet has the names)."""

    def __init__(self, codes: Iterable[Code] | None = None) -> None:
        self.by_code: dict[tuple[str, str], Code] = {}
        self.by_name: dict[tuple[str, str], Code] = {}
        self.by_id: dict[int, Code] = {}
        for code in codes if codes is not None else Code.objects.all():
            self.by_id[code.pk] = code
            if not code.is_active:
                continue
            self.by_code[(code.list, code.code)] = code
            self.by_name.setdefault((code.list, code.name), code)

    def head_relation(self) -> Code | None:
        return next(
            (c for (lst, _c), c in self.by_code.items() if lst == CodeList.RELATION and c.extra.get("head")), None
        )

    def find(self, list_name: str, value: Any, *, field_name: str, label: Any) -> Code | None:
        """The code for a code or a name of list `list_name`; None for an empty value; a ValidationError otherwise."""
        if value is None or isinstance(value, Code):
            return value
        text = str(value).strip()
        if not text:
            return None
        found = self.by_code.get((list_name, text)) or self.by_name.get((list_name, text))
        if found is None:
            raise invalid(field_name, _("%(label)s“%(value)s”不在代码表中。") % {"label": label, "value": text[:30]})
        return found

    def find_many(self, lists: Iterable[str], values: Any, *, field_name: str, label: Any) -> list[Code]:
        """Codes of any of `lists` from a list, or a text separated by commas, 、 or semicolons."""
        if values is None or values == "":
            return []
        items = SEPARATORS.split(values) if isinstance(values, str) else list(values)
        result: list[Code] = []
        for item in items:
            text = str(item).strip()
            if not text:
                continue
            found = next(
                (
                    self.by_code.get((lst, text)) or self.by_name.get((lst, text))
                    for lst in lists
                    if (lst, text) in self.by_code or (lst, text) in self.by_name
                ),
                None,
            )
            if found is None:
                raise invalid(
                    field_name, _("%(label)s“%(value)s”不在代码表中。") % {"label": label, "value": text[:30]}
                )
            if found not in result:
                result.append(found)
        return result


def parse_date(
    value: Any, *, field_name: str, label: Any, allow_future: bool = False, today: date | None = None
) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    else:
        text = str(value).strip()
        parsed = None
        if len(text) == 10 and text[4] == "-":
            try:
                parsed = date.fromisoformat(text)  # the common case, fast enough for a million rows
            except ValueError:
                parsed = None
        for fmt in DATE_FORMATS if parsed is None else ():
            try:
                parsed = datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        if parsed is None:
            raise invalid(field_name, _("%(label)s不是有效的日期（例如 2024-05-01）。") % {"label": label})
    assert parsed is not None
    today = today or timezone.localdate()
    if not allow_future and parsed > today:
        raise invalid(field_name, _("%(label)s不能晚于今天。") % {"label": label})
    if parsed.year < 1880:
        raise invalid(field_name, _("%(label)s太早，请核对。") % {"label": label})
    return parsed


def parse_sex(value: Any, *, field_name: str = "sex") -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    table = {"1": Sex.MALE, "男": Sex.MALE, "M": Sex.MALE, "m": Sex.MALE, "male": Sex.MALE,
             "2": Sex.FEMALE, "女": Sex.FEMALE, "F": Sex.FEMALE, "f": Sex.FEMALE, "female": Sex.FEMALE}  # fmt: skip
    if text not in table:
        raise invalid(field_name, _("性别应为“男”或“女”。"))
    return str(table[text])


@lru_cache(maxsize=64)
def _choice_table(enum: Any, language: str) -> tuple[dict[str, str], str]:
    """An enumeration's values and labels (in Chinese and in the user's language) -> value, and the labels' list."""
    table: dict[str, str] = {}
    for member in enum:
        table[member.value] = member.value
        table[str(member.label)] = member.value
        with translation.override("zh-hans"):
            table[str(member.label)] = member.value
    return table, "、".join(str(m.label) for m in enum)


def _choice(enum: Any, value: Any, *, field_name: str, label: Any, default: str) -> str:
    if value is None or value == "":
        return default
    table, options = _choice_table(enum, translation.get_language() or "")
    found = table.get(str(value).strip())
    if found is None:
        raise invalid(field_name, _("%(label)s应为：%(options)s。") % {"label": label, "options": options})
    return found


def parse_residence_status(value: Any, *, field_name: str = "residence_status") -> str:
    return _choice(
        ResidenceStatus, value, field_name=field_name, label=RESIDENCE_LABEL, default=ResidenceStatus.REGISTERED
    )


def parse_housing_status(value: Any, *, field_name: str = "housing_status") -> str:
    return _choice(HousingStatus, value, field_name=field_name, label=HOUSING_LABEL, default=HousingStatus.OWNER)


def parse_bool(value: Any, *, field_name: str, label: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("", "0", "否", "no", "false", "n"):
        return False
    if text in ("1", "是", "yes", "true", "y"):
        return True
    raise invalid(field_name, _("%(label)s应为“是”或“否”。") % {"label": label})


def parse_int(value: Any, *, field_name: str, label: Any, low: int, high: int, required: bool = False) -> int | None:
    if value is None or value == "":
        if required:
            raise invalid(field_name, _("请填写%(label)s。") % {"label": label})
        return None
    try:
        number = int(str(value).strip().removesuffix(".0"))
    except ValueError:
        raise invalid(field_name, _("%(label)s应为整数。") % {"label": label}) from None
    if not low <= number <= high:
        message = _("%(label)s应在 %(low)s 到 %(high)s 之间。") % {"label": label, "low": low, "high": high}
        raise invalid(field_name, message)
    return number


def parse_decimal(value: Any, *, field_name: str, label: Any, high: Decimal) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip()).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise invalid(field_name, _("%(label)s应为数字。") % {"label": label}) from None
    if not Decimal(0) < number <= high:
        raise invalid(field_name, _("%(label)s应大于 0 且不超过 %(high)s。") % {"label": label, "high": high})
    return number


def parse_text(value: Any, *, field_name: str, label: Any, max_length: int, required: bool = False) -> str:
    text = re.sub(r"\s+", " ", str(value if value is not None else "")).strip()
    if required and not text:
        raise invalid(field_name, _("请填写%(label)s。") % {"label": label})
    if len(text) > max_length:
        message = _("%(label)s不能超过 %(n)s 个字。") % {"label": label, "n": max_length}
        raise invalid(field_name, message)
    if "\x00" in text:
        raise invalid(field_name, _("%(label)s含有无法识别的字符。") % {"label": label})
    return text


def parse_lon_lat(lon: Any, lat: Any) -> tuple[float | None, float | None]:
    if lon in (None, "") and lat in (None, ""):
        return None, None
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise invalid("lon", _("经纬度应为数字，并且同时填写。")) from None
    if not (73 <= x <= 136 and 3 <= y <= 54):
        raise invalid("lon", _("经纬度不在中国境内，请核对（WGS-84 坐标，经度在前）。"))
    return x, y


@dataclass
class ResidentFields:
    """A resident's checked values (what `clean_resident` returns)."""

    values: dict[str, Any]
    tags: list[Code] = field(default_factory=list)


RESIDENT_TEXT = {
    "former_name": (gettext_lazy("曾用名"), 40),
    "native_place": (gettext_lazy("籍贯"), 60),
    "registered_address": (gettext_lazy("户籍地址"), 200),
    "occupation": (gettext_lazy("职业"), 60),
    "workplace": (gettext_lazy("服务处所"), 100),
    "notes": (gettext_lazy("备注"), 2000),
}
RESIDENT_CODES = {
    "ethnicity": (CodeList.ETHNICITY, gettext_lazy("民族")),
    "education": (CodeList.EDUCATION, gettext_lazy("学历")),
    "marital_status": (CodeList.MARITAL_STATUS, gettext_lazy("婚姻状况")),
    "political_status": (CodeList.POLITICAL_STATUS, gettext_lazy("政治面貌")),
    "inflow_reason": (CodeList.INFLOW_REASON, gettext_lazy("流入原因")),
    "relation": (CodeList.RELATION, gettext_lazy("与户主关系")),
}


def clean_identity(*, id_number: Any, birth_date: Any, sex: Any, today: date) -> tuple[str, date, str]:
    """ID number, birth date and sex agreeing with each other. Without an ID number, birth date and sex are
    required; with one, they are read from it, and any entered value must agree with it."""
    entered_birth = parse_date(birth_date, field_name="birth_date", label=BIRTH_LABEL, today=today)
    entered_sex = parse_sex(sex)
    number = str(id_number or "").strip()
    if not number:
        if entered_birth is None:
            raise invalid("birth_date", _("没有身份证号码时，请填写出生日期。"))
        if entered_sex is None:
            raise invalid("sex", _("没有身份证号码时，请填写性别。"))
        return "", entered_birth, entered_sex
    identity = check_id_number(number, today=today)
    sex_code = Sex.MALE if identity.sex == "M" else Sex.FEMALE
    if entered_birth is not None and entered_birth != identity.birth_date:
        raise invalid("birth_date", _("出生日期与身份证号码中的出生日期（第 7-14 位）不一致，请核对。"))
    if entered_sex is not None and entered_sex != sex_code:
        raise invalid("sex", _("性别与身份证号码（第 17 位）不一致，请核对。"))
    return identity.id_number, identity.birth_date, str(sex_code)


def clean_resident(data: dict[str, Any], book: CodeBook, *, today: date, partial: bool = False) -> ResidentFields:
    """Check a resident's fields. `partial` checks only the keys present (an update)."""
    values: dict[str, Any] = {}
    if not partial or "name" in data:
        values["name"] = check_name(data.get("name"))
    if not partial or {"id_number", "birth_date", "sex"} & set(data):
        values["id_number"], values["birth_date"], values["sex"] = clean_identity(
            id_number=data.get("id_number"), birth_date=data.get("birth_date"), sex=data.get("sex"), today=today
        )
    if "phone" in data:
        values["phone"] = check_phone(data.get("phone"))
    for key, (label, length) in RESIDENT_TEXT.items():
        if key in data:
            values[key] = parse_text(data[key], field_name=key, label=str(label), max_length=length)
    for key, (list_name, code_label) in RESIDENT_CODES.items():
        if key in data:
            values[key] = book.find(list_name, data[key], field_name=key, label=str(code_label))
    if not partial or "residence_status" in data:
        values["residence_status"] = parse_residence_status(data.get("residence_status"))
    if "floating_since" in data:
        values["floating_since"] = parse_date(
            data["floating_since"], field_name="floating_since", label=_("来本地日期"), today=today
        )
    if "categories_reviewed_on" in data:
        values["categories_reviewed_on"] = parse_date(
            data["categories_reviewed_on"], field_name="categories_reviewed_on", label=_("类别核实日期"), today=today
        )
    tags: list[Code] = []
    if "tags" in data:
        tags = book.find_many(RESIDENT_TAG_LISTS, data["tags"], field_name="tags", label=_("人员类别或关爱标签"))
    return ResidentFields(values, tags)


def check_tags_fit(tags: Iterable[Code], birth: date, today: date) -> None:
    """A care tag with a minimum age (独居老人 60+, 高龄老人 80+) fits only residents that old."""
    years = age(birth, today)
    for tag in tags:
        minimum = tag.extra.get("min_age") if isinstance(tag.extra, dict) else None
        if minimum is not None and years < int(minimum):
            message = _("“%(tag)s”只适用于 %(n)s 周岁及以上的居民。") % {"tag": tag.name, "n": minimum}
            raise invalid("tags", message)


def check_floating(values: dict[str, Any]) -> None:
    """Floating-population fields only make sense for floating residents."""
    floating_only = values.get("inflow_reason") is not None or values.get("floating_since") is not None
    if values.get("residence_status") != ResidenceStatus.FLOATING and floating_only:
        raise invalid("inflow_reason", _("只有流动人口才登记流入原因和来本地日期。"))


__all__ = [
    "CodeBook",
    "ResidentFields",
    "check_floating",
    "check_id_number",
    "check_name",
    "check_phone",
    "check_tags_fit",
    "check_uscc",
    "clean_identity",
    "clean_resident",
    "invalid",
    "parse_bool",
    "parse_date",
    "parse_decimal",
    "parse_housing_status",
    "parse_int",
    "parse_lon_lat",
    "parse_residence_status",
    "parse_sex",
    "parse_text",
]
