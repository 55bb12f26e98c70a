"""The rules every record obeys, with the GB 11643 example numbers: the ID number gives the birth date and sex, and
what a clerk types must agree with it. Messages never repeat the number."""

from datetime import date

import pytest

from civicgrid.core.errors import ValidationError
from civicgrid.core.identity import check_id_number, check_uscc
from civicgrid.registry.choices import Sex
from civicgrid.registry.validation import clean_identity, parse_date
from tests.registry.conftest import GB_EXAMPLE, GB_EXAMPLE_OLD, id_number

TODAY = date(2026, 6, 1)


def refusal(call, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.message


def test_the_standards_example_number_gives_its_birth_date_and_sex():
    # given the example of GB 11643-1999 itself; when it is checked
    identity = check_id_number(GB_EXAMPLE, today=TODAY)
    # then it is valid, born on 31 December 1949, a woman (the 17th digit is even)
    assert identity.birth_date == date(1949, 12, 31)
    assert identity.sex == "F"


def test_a_lower_case_x_and_spaces_are_what_a_clerk_meant():
    assert check_id_number(" 110105 19491231 002x ", today=TODAY).id_number == GB_EXAMPLE


def test_the_standards_second_example_is_refused_as_too_old_to_be_alive():
    # 440524188001010014 is well formed with a right check digit, but born in 1880
    message = refusal(check_id_number, GB_EXAMPLE_OLD, today=TODAY)
    assert "出生日期不合理" in message
    assert GB_EXAMPLE_OLD not in message


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("11010519491231002", "应为 18 位，现在是 17 位"),
        ("110105194912310021", "校验位不对"),  # one digit changed: the check character no longer fits
        ("11010519491231A02X", "前 17 位应为数字"),
        ("", "请填写"),
    ],
)
def test_malformed_or_checksum_failing_numbers_are_refused_without_repeating_them(number, expected):
    message = refusal(check_id_number, number, today=TODAY)
    assert expected in message
    assert not number or number not in message


def test_a_number_whose_birth_date_does_not_exist_is_refused():
    # 31 February: the check digit is computed right, the date cannot be
    body = "11010519490231002"
    from stdnum.cn import ric

    number = body + ric.calc_check_digit(body + "0")
    assert "出生日期无效" in refusal(check_id_number, number, today=TODAY)


def test_a_number_from_a_place_that_never_existed_is_refused():
    number = id_number(place="990000")
    assert "地区代码" in refusal(check_id_number, number, today=TODAY)


def test_a_number_born_after_today_is_refused():
    assert "出生日期不合理" in refusal(check_id_number, id_number(birth="20270101"), today=TODAY)


def test_entered_birth_date_and_sex_must_agree_with_the_number():
    # given the example number of a woman born 1949-12-31
    assert clean_identity(id_number=GB_EXAMPLE, birth_date="1949-12-31", sex="女", today=TODAY) == (
        GB_EXAMPLE,
        date(1949, 12, 31),
        Sex.FEMALE,
    )
    # when a clerk types another birth date or the other sex, then the contradiction is named
    assert "出生日期与身份证号码" in refusal(
        clean_identity, id_number=GB_EXAMPLE, birth_date="1950-01-01", sex="", today=TODAY
    )
    assert "性别与身份证号码" in refusal(clean_identity, id_number=GB_EXAMPLE, birth_date="", sex="男", today=TODAY)


def test_without_a_number_birth_date_and_sex_are_required_and_not_in_the_future():
    assert "请填写出生日期" in refusal(clean_identity, id_number="", birth_date="", sex="男", today=TODAY)
    assert "请填写性别" in refusal(clean_identity, id_number="", birth_date="2020-01-01", sex="", today=TODAY)
    assert "不能晚于今天" in refusal(parse_date, "2026-06-02", field_name="d", label="日期", today=TODAY)
    assert clean_identity(id_number="", birth_date="2020年3月4日", sex="2", today=TODAY) == (
        "",
        date(2020, 3, 4),
        Sex.FEMALE,
    )


def test_unified_social_credit_codes_are_checked_with_their_check_character():
    assert check_uscc("9111 0000 6000 3734 1L") == "91110000600037341L"
    assert "校验位不对" in refusal(check_uscc, "91110000600037341M")
    assert "应为 18 位" in refusal(check_uscc, "12345")
    assert "格式不正确" in refusal(check_uscc, "A1110000600037341L")
