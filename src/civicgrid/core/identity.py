"""Identity numbers, names and phones of residents (and organisations' credit codes): checked at the edge of every
service that takes them, masked everywhere else. The one check every app uses (the service centre, the registry).

The 18-character resident identity number (GB 11643) is checked with python-stdnum's `cn.ric` pieces (length, digits,
the check character, a real birth date and a known place code), and gives the birth date and the sex (the 17th digit:
odd for men). A place code is accepted whatever the birth year: stdnum's `ric.validate` ties a code to the years it
existed, but residents born before their district's code was created (every elderly resident of a district created in
1983, such as 320106) carry it all the same. So the check composes stdnum's parts itself, which also lets it cache the
place and date look-ups: an import of a million residents checks each number in a few microseconds.
Messages never repeat the number itself, so nothing of it reaches a log through an error.
"""

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric, uscc

from civicgrid.core.errors import ValidationError
from civicgrid.core.masking import mask_id_number, mask_name, mask_phone

PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
NAME = re.compile(r"^[\u3400-\u9fff\u00b7·A-Za-z][\u3400-\u9fff\u00b7·A-Za-z .]{0,38}[\u3400-\u9fff\u00b7·A-Za-z.]$")
ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
MAX_AGE = 130


@dataclass(frozen=True)
class Identity:
    id_number: str
    birth_date: date
    sex: str  # "M" or "F"

    def age_on(self, day: date) -> int:
        return age(self.birth_date, day)


def age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(message, errors={field: [message]})


def normalise_id_number(value: str | None) -> str:
    """What a clerk typed, without spaces or dashes, with a lower-case x made upper-case."""
    return re.sub(r"[\s\-]", "", value or "").upper()


def check_id_number(
    value: str | None, *, field: str = "id_number", whose: str = "", today: date | None = None
) -> Identity:
    """A valid resident identity number with its birth date and sex, or a ValidationError saying what is wrong.
    `today` spares a bulk import the time-zone conversion per row."""
    number = normalise_id_number(value)
    problem = _id_problem(number, today or timezone.localdate())
    if problem is not None:
        label = _("%(whose)s身份证号码") % {"whose": whose}
        raise _invalid(field, str(problem) % {"label": label, "n": len(number)})
    birth = _birth_date(number[6:14])
    assert birth is not None  # _id_problem checked it
    return Identity(number, birth, "M" if int(number[16]) % 2 else "F")


def _id_problem(number: str, today: date) -> str | None:
    """The message template of the first thing wrong with a normalised number, or None when it is valid.
    Kept free of translation look-ups on the valid path: an import checks a million numbers."""
    if not number:
        return _("请填写%(label)s。")
    if len(number) != 18:
        return _("%(label)s应为 18 位，现在是 %(n)s 位。")
    if not ID_SHAPE.match(number):
        return _("%(label)s前 17 位应为数字，最后一位为数字或 X。")
    if number[-1] != ric.calc_check_digit(number):
        return _("%(label)s的校验位不对，请逐位核对（可能有一位输错）。")
    birth = _birth_date(number[6:14])
    if birth is None:
        return _("%(label)s中的出生日期无效（第 7-14 位），请核对。")
    if not _place_known(number[:6]):
        return _("%(label)s的前 6 位不是有效的地区代码，请核对。")
    if birth > today or age(birth, today) > MAX_AGE:
        return _("%(label)s中的出生日期不合理，请核对。")
    return None


@lru_cache(maxsize=65536)
def _birth_date(digits: str) -> date | None:
    """The date in positions 7-14 (YYYYMMDD), or None when it is no date at all (stdnum's reading)."""
    try:
        return ric.get_birth_date("000000" + digits + "0000")
    except stdnum_errors.InvalidComponent:
        return None


@lru_cache(maxsize=8192)
def _place_known(code: str) -> bool:
    """Whether the 6-digit place code was ever a county in the national division list (any period)."""
    info = {key: value for _part, props in numdb.get("cn/loc").info(code) for key, value in props.items()}
    return bool(info.get("county"))


def check_uscc(value: str | None, *, field: str = "uscc") -> str:
    """A valid 18-character unified social credit code (GB 32100, python-stdnum `cn.uscc`), or a ValidationError."""
    code = re.sub(r"[\s\-]", "", value or "").upper()
    if not code:
        raise _invalid(field, _("请填写统一社会信用代码。"))
    try:
        return uscc.validate(code)
    except stdnum_errors.InvalidLength as error:
        message = _("统一社会信用代码应为 18 位，现在是 %(n)s 位。") % {"n": len(code)}
        raise _invalid(field, message) from error
    except stdnum_errors.InvalidChecksum as error:
        raise _invalid(field, _("统一社会信用代码的校验位不对，请逐位核对。")) from error
    except stdnum_errors.ValidationError as error:
        message = _("统一社会信用代码格式不正确（数字和大写字母，不含 I、O、Z、S、V）。")
        raise _invalid(field, message) from error


def check_name(value: str | None, *, field: str = "name", label: str = "") -> str:
    name = re.sub(r"\s+", " ", value or "").strip()
    if not name:
        raise _invalid(field, _("请填写%(label)s。") % {"label": label or _("姓名")})
    if len(name) > 40 or not NAME.match(name):
        raise _invalid(field, _("%(label)s应为 2 到 40 个汉字或字母。") % {"label": label or _("姓名")})
    return name


def check_phone(value: str | None, *, field: str = "phone", required: bool = False) -> str:
    phone = re.sub(r"[\s]", "", value or "")
    if not phone:
        if required:
            raise _invalid(field, _("请填写手机号码，用于通知办理结果。"))
        return ""
    if not PHONE.match(phone):
        raise _invalid(field, _("手机号码格式不正确（11 位手机号或带区号的固定电话）。"))
    return phone


def public_name(name: str) -> str:
    """What a public board shows of a resident: the surname and a masked given name (张**)."""
    return mask_name(name)


__all__ = [
    "MAX_AGE",
    "Identity",
    "age",
    "check_id_number",
    "check_name",
    "check_phone",
    "check_uscc",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "normalise_id_number",
    "public_name",
]
