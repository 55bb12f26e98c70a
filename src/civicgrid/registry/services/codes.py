"""Loading the code lists of the base files from `data/registry/codes.yaml`."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import ValidationError
from civicgrid.people.permissions import require_administrator_or_system
from civicgrid.registry.choices import CodeList
from civicgrid.registry.models import Code

# Flags a code list may carry in the file (everything else in an entry is an error, so a typo is not lost).
FLAGS: dict[str, set[str]] = {CodeList.RELATION: {"head"}, CodeList.CARE_TAG: {"min_age"}}


class CodesRejected(ValidationError):
    """The file has errors; `rows` names each one. Nothing was loaded."""

    def __init__(self, rows: list[str]) -> None:
        self.rows = rows
        super().__init__(_("代码表有 %(n)s 处错误，未导入任何内容。") % {"n": len(rows)}, errors={"file": rows})


@dataclass(frozen=True)
class CodesLoaded:
    lists: int
    codes: int
    created: int
    updated: int
    retired: int


def default_codes_path() -> Path:
    return Path(settings.DATA_DIR) / "registry" / "codes.yaml"


def _check(document: Any) -> list[dict[str, Any]]:
    problems: list[str] = []
    if not isinstance(document, dict) or not isinstance(document.get("lists"), dict):
        raise CodesRejected([_("文件应包含 lists：每个代码表一组条目。")])
    rows: list[dict[str, Any]] = []
    for list_name, entries in document["lists"].items():
        if list_name not in CodeList.values:
            problems.append(_("未知的代码表：%(name)s。") % {"name": list_name})
            continue
        if not isinstance(entries, list) or not entries:
            problems.append(_("代码表 %(name)s 没有条目。") % {"name": list_name})
            continue
        seen: set[str] = set()
        heads = 0
        for number, entry in enumerate(entries, 1):
            where = f"{list_name} #{number}"
            if not isinstance(entry, dict):
                problems.append(_("%(where)s：条目格式不对。") % {"where": where})
                continue
            code = str(entry.get("code") or "").strip()
            name = str(entry.get("name") or "").strip()
            if not code or len(code) > 24:
                problems.append(_("%(where)s：代码为空或超过 24 个字符。") % {"where": where})
            elif code in seen:
                problems.append(_("%(where)s：代码 %(code)s 重复。") % {"where": where, "code": code})
            seen.add(code)
            if not name or len(name) > 60:
                problems.append(_("%(where)s：名称为空或超过 60 个字符。") % {"where": where})
            extra = {k: v for k, v in entry.items() if k not in ("code", "name", "description")}
            unknown = set(extra) - FLAGS.get(list_name, set())
            if unknown:
                problems.append(
                    _("%(where)s：不认识的属性 %(keys)s。") % {"where": where, "keys": "、".join(sorted(unknown))}
                )
            if "min_age" in extra and not (isinstance(extra["min_age"], int) and 0 <= extra["min_age"] <= 130):
                problems.append(_("%(where)s：min_age 应为 0 到 130 的整数。") % {"where": where})
            heads += bool(extra.get("head"))
            rows.append(
                {
                    "list": list_name,
                    "code": code,
                    "name": name,
                    "description": str(entry.get("description") or "")[:200],
                    "sort": number,
                    "extra": extra,
                }
            )
        if list_name == CodeList.RELATION and heads != 1:
            problems.append(_("与户主关系代码表中应有且只有一项标记为户主（head: true）。"))
    if CodeList.RELATION not in document["lists"]:
        problems.append(_("缺少与户主关系代码表（relation）。"))
    if problems:
        raise CodesRejected(problems)
    return rows


def codes_load(*, actor: Any, path: Path | None = None) -> CodesLoaded:
    """Load every code list: checked whole first; codes missing from the file are retired, never deleted."""
    require_administrator_or_system(actor)
    path = path or default_codes_path()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise CodesRejected([_("无法读取代码表文件：%(error)s") % {"error": type(error).__name__}]) from error
    rows = _check(document)
    with transaction.atomic():
        existing = {(c.list, c.code): c for c in Code.objects.select_for_update()}
        created, changed = [], []
        for row in rows:
            found = existing.get((row["list"], row["code"]))
            if found is None:
                created.append(Code(**row, is_active=True))
                continue
            values = {**row, "is_active": True}
            if any(getattr(found, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(found, key, value)
                changed.append(found)
        Code.objects.bulk_create(created)
        Code.objects.bulk_update(changed, ["name", "description", "sort", "extra", "is_active"])
        wanted = {(row["list"], row["code"]) for row in rows}
        stale = [c.pk for key, c in existing.items() if key not in wanted and c.is_active]
        retired = Code.objects.filter(pk__in=stale).update(is_active=False)
        result = CodesLoaded(
            lists=len({row["list"] for row in rows}),
            codes=len(rows),
            created=len(created),
            updated=len(changed),
            retired=retired,
        )
        audit.record(actor=actor, action="registry.codes_load", after={**result.__dict__, "file": path.name})
    return result
