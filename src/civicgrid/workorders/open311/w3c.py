"""W3C date-times (the ISO 8601 subset of https://www.w3.org/TR/NOTE-datetime) as Open311 requires them."""

import re
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
W3C = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:T(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(?P<tz>Z|[+-]\d{2}:\d{2}))?$"
)


def format(moment: datetime) -> str:
    """2026-11-24T14:05:00+08:00: the district's local time with its offset, to the second."""
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def parse(text: str) -> datetime:
    """An aware datetime from a W3C date-time; a date alone means local midnight in the district.

    A time needs its offset (Z or ±hh:mm), as the spec says. A "+" that arrived unencoded in a query string has
    become a space ("…T00:00:00 08:00"): it is read as the "+" it was. Raises ValueError otherwise.
    """
    text = (text or "").strip()
    if " " in text:
        text = text.replace(" ", "+", 1)
    match = W3C.match(text)
    if match is None:
        raise ValueError(text)
    day = datetime.fromisoformat(match["date"]).date()
    if match["time"] is None:
        return datetime.combine(day, time.min, tzinfo=SHANGHAI)
    offset = match["tz"]
    if offset == "Z":
        zone = UTC
    else:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 14 or minutes > 59:
            raise ValueError(text)
        zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return datetime.fromisoformat(f"{match['date']}T{match['time']}").replace(tzinfo=zone)
