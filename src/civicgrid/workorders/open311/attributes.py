"""Service attributes: the questions an incident type asks besides the description (Open311 "service definition").

The catalogue file says them per type (`attributes:` in incident_types.yaml); `definition_problems` checks them when
the file is loaded, `normalise` turns them into what `IncidentType.attributes` stores, and `clean_answers` checks
what a client application sent (`attribute[code]=value`) against them.

Stored definition, one per attribute, in the order they are asked:
    {"code": "period", "description": "噪声时段", "datatype": "singlevaluelist", "required": true,
     "datatype_description": "", "values": [{"key": "night", "name": "夜间（22:00—次日6:00）"}, ...]}
Stored answers on the work order: {"period": "night", "hazards": ["exit", "wiring"], "count": "3"}.
"""

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from civicgrid.core.errors import ValidationError
from civicgrid.workorders.open311 import w3c

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_TYPES = frozenset({"singlevaluelist", "multivaluelist"})
CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
KEY = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
DEFINITION_KEYS = frozenset({"code", "name", "type", "required", "hint", "values"})
MAX_STRING = 200  # a single line
MAX_TEXT = 1000
MAX_NUMBER = Decimal("1e9")


def definition_problems(where: str, value: Any) -> list[str]:
    """What is wrong with a type's `attributes:` in the catalogue file (English, for the loader's report)."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [f"{where}: attributes must be a list"]
    problems: list[str] = []
    seen: set[str] = set()
    for number, item in enumerate(value, start=1):
        at = f"{where}, attribute #{number}"
        if not isinstance(item, dict):
            problems.append(f"{at}: must be a mapping with code, name and type")
            continue
        unknown = sorted(str(key) for key in set(item) - DEFINITION_KEYS)
        if unknown:
            problems.append(f"{at}: unknown field(s) {', '.join(unknown)}")
        code = item.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            problems.append(f"{at}: code must be a letter then up to 31 letters, digits or _")
        elif code in seen:
            problems.append(f"{at}: code {code} appears twice")
        else:
            seen.add(code)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            problems.append(f"{at}: name must be given, at most 100 characters")
        hint = item.get("hint", "")
        if not isinstance(hint, str) or len(hint) > 200:
            problems.append(f"{at}: hint must be text of at most 200 characters")
        if "required" in item and not isinstance(item["required"], bool):
            problems.append(f"{at}: required must be true or false")
        datatype = item.get("type")
        if datatype not in DATATYPES:
            problems.append(f"{at}: type must be one of {', '.join(DATATYPES)}")
            continue
        values = item.get("values")
        if datatype in LIST_TYPES:
            if not isinstance(values, dict) or not values:
                problems.append(f"{at}: a {datatype} needs values (a mapping of key: name)")
                continue
            for key, label in values.items():
                # YAML reads a bare yes/no/on/off as true/false: such a key must be quoted
                if not isinstance(key, str) or not KEY.match(key):
                    problems.append(f"{at}: value key {key!r} must be 1-32 letters, digits, _ . or - (quote it)")
                if not isinstance(label, str) or not label.strip() or len(label) > 100:
                    problems.append(f"{at}: value {key!r} needs a name of at most 100 characters")
        elif values is not None:
            problems.append(f"{at}: only singlevaluelist and multivaluelist take values")
    return problems


def normalise(value: Any) -> list[dict[str, Any]]:
    """The stored form of a checked `attributes:` list (see the module docstring)."""
    return [
        {
            "code": item["code"],
            "description": item["name"].strip(),
            "datatype": item["type"],
            "required": bool(item.get("required", False)),
            "datatype_description": str(item.get("hint") or ""),
            "values": [{"key": key, "name": label} for key, label in (item.get("values") or {}).items()],
        }
        for item in value or []
    ]


def _clean_one(definition: Mapping[str, Any], given: list[str]) -> tuple[Any, str | None]:
    """(the stored answer, None) or (None, a message naming the attribute and what is wrong)."""
    label = _("“%(name)s”（attribute[%(code)s]）") % {"name": definition["description"], "code": definition["code"]}
    datatype = definition["datatype"]
    keys = [value["key"] for value in definition.get("values", [])]
    if datatype == "multivaluelist":
        unknown = [value for value in given if value not in keys]
        if unknown:
            return None, _("%(label)s 没有选项 %(values)s，可选：%(keys)s。") % {
                "label": label,
                "values": "、".join(unknown),
                "keys": "、".join(keys),
            }
        return list(dict.fromkeys(given)), None  # order kept, repeats dropped
    if len(given) > 1:
        return None, _("%(label)s 只能填写一个值。") % {"label": label}
    value = given[0]
    if datatype == "singlevaluelist":
        if value not in keys:
            return None, _("%(label)s 没有选项 %(value)s，可选：%(keys)s。") % {
                "label": label,
                "value": value,
                "keys": "、".join(keys),
            }
        return value, None
    if datatype == "number":
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or abs(number) >= MAX_NUMBER:
            return None, _("%(label)s 应为数字。") % {"label": label}
        return format(number.normalize(), "f"), None
    if datatype == "datetime":
        try:
            moment = w3c.parse(value)
        except ValueError:
            return None, _("%(label)s 应为 W3C 日期时间，如 2026-11-24T07:30:00+08:00。") % {"label": label}
        return w3c.format(moment), None
    limit = MAX_STRING if datatype == "string" else MAX_TEXT
    if datatype == "string" and ("\n" in value or "\r" in value):
        return None, _("%(label)s 只能填写一行文字。") % {"label": label}
    if len(value) > limit:
        return None, _("%(label)s 不能超过 %(limit)s 个字。") % {"label": label, "limit": limit}
    return value, None


def clean_answers(definitions: Sequence[Mapping[str, Any]], given: Mapping[str, list[str]]) -> dict[str, Any]:
    """Check the answers a client sent; every problem is named at once. Codes the type does not ask are ignored
    (FixMyStreet and other clients send extra attributes of their own)."""
    answers: dict[str, Any] = {}
    problems: list[str] = []
    for definition in definitions:
        values = [value.strip() for value in given.get(definition["code"], []) if value and value.strip()]
        if not values:
            if definition.get("required"):
                problems.append(
                    _("请填写“%(name)s”（attribute[%(code)s]）。")
                    % {"name": definition["description"], "code": definition["code"]}
                )
            continue
        answer, problem = _clean_one(definition, values)
        if problem:
            problems.append(problem)
        else:
            answers[definition["code"]] = answer
    if problems:
        raise ValidationError(problems[0], errors={"attribute": problems})
    return answers


def answers_text(definitions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> list[str]:
    """The answers as lines a dispatcher reads: "噪声时段：夜间（22:00—次日6:00）"."""
    lines = []
    for definition in definitions:
        answer = answers.get(definition["code"])
        if answer is None:
            continue
        names: dict[str, str] = {value["key"]: value["name"] for value in definition.get("values", [])}
        chosen = answer if isinstance(answer, list) else [answer]
        shown = "、".join(names.get(str(a), str(a)) for a in chosen)
        lines.append(f"{definition['description']}：{shown}")
    return lines
