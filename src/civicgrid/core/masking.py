"""Masking of personal data: what every page and export shows unless the role may see more."""


def mask_phone(value: str) -> str:
    """13812345678 -> 138****5678; short or odd values keep only their last two characters."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) >= 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * (len(value) - 2) + value[-2:]


def mask_id_number(value: str) -> str:
    """A resident identity number keeps its first 6 (region) and last 4 characters: 320106********123X."""
    value = (value or "").strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(value: str) -> str:
    """张三丰 -> 张**; used where a resident's name is shown to the public."""
    value = (value or "").strip()
    if len(value) <= 1:
        return value
    return value[0] + "*" * (len(value) - 1)
