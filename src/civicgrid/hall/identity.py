"""Residents' identity numbers, names and phones: checked at the edge of every service, masked everywhere else.

The 18-character resident identity number is checked with python-stdnum's `cn.ric` (length, digits, the check
character, a real birth date and a known place code), and gives the birth date and the sex (the 17th digit: odd for
men). A place code is accepted whatever the birth year: stdnum ties a code to the years it existed, but residents born
before their district's code was created (every elderly resident of a district created in 1983) carry it all the same.
Messages never repeat the number itself, so nothing of it reaches a log through an error.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric

from civicgrid.core.errors import ValidationError
from civicgrid.core.masking import mask_id_number, mask_name, mask_phone

PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
NAME = re.compile(r"^[\u3400-\u9fff\u00b7·A-Za-z][\u3400-\u9fff\u00b7·A-Za-z .]{0,38}[\u3400-\u9fff\u00b7·A-Za-z.]$")
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


def check_id_number(value: str | None, *, field: str = "id_number", whose: str = "") -> Identity:
    """A valid resident identity number with its birth date and sex, or a ValidationError saying what is wrong."""
    label = _("%(whose)s身份证号码") % {"whose": whose}
    number = re.sub(r"[\s\-]", "", value or "").upper()
    if not number:
        raise _invalid(field, _("请填写%(label)s。") % {"label": label})
    try:
        number = ric.validate(number)
    except stdnum_errors.InvalidLength as error:
        message = _("%(label)s应为 18 位，现在是 %(n)s 位。") % {"label": label, "n": len(number)}
        raise _invalid(field, message) from error
    except stdnum_errors.InvalidFormat as error:
        message = _("%(label)s前 17 位应为数字，最后一位为数字或 X。") % {"label": label}
        raise _invalid(field, message) from error
    except stdnum_errors.InvalidChecksum as error:
        message = _("%(label)s的校验位不对，请逐位核对（可能有一位输错）。") % {"label": label}
        raise _invalid(field, message) from error
    except stdnum_errors.InvalidComponent as error:
        # stdnum refuses a place code for people born before the code was created, yet every resident born before
        # 1983 in a district created then carries it: a real elderly resident must never be turned away for that.
        try:
            ric.get_birth_date(number)
        except stdnum_errors.InvalidComponent:
            message = _("%(label)s中的出生日期无效（第 7-14 位），请核对。") % {"label": label}
            raise _invalid(field, message) from error
        if not _place_known(number[:6]):
            message = _("%(label)s的前 6 位不是有效的地区代码，请核对。") % {"label": label}
            raise _invalid(field, message) from error
    except stdnum_errors.ValidationError as error:
        raise _invalid(field, _("%(label)s无效，请核对。") % {"label": label}) from error
    birth = ric.get_birth_date(number)
    today = timezone.localdate()
    if birth > today or age(birth, today) > MAX_AGE:
        raise _invalid(field, _("%(label)s中的出生日期不合理，请核对。") % {"label": label})
    return Identity(number, birth, "M" if int(number[16]) % 2 else "F")


def _place_known(code: str) -> bool:
    """Whether the 6-digit place code was ever a county in the national division list (any period)."""
    info = {key: value for _part, props in numdb.get("cn/loc").info(code) for key, value in props.items()}
    return bool(info.get("county"))


def check_name(value: str | None, *, field: str = "name", label: str = "") -> str:
    label = label or _("姓名")
    name = re.sub(r"\s+", " ", value or "").strip()
    if not name:
        raise _invalid(field, _("请填写%(label)s。") % {"label": label})
    if len(name) > 40 or not NAME.match(name):
        raise _invalid(field, _("%(label)s应为 2 到 40 个汉字或字母。") % {"label": label})
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
    """What the public board shows of a resident: the surname and a masked given name (张**)."""
    return mask_name(name)


__all__ = [
    "Identity",
    "age",
    "check_id_number",
    "check_name",
    "check_phone",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "public_name",
]
