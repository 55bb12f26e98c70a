"""The rules of how often care recipients are visited (data/home_visits.yaml), checked and cached by file time."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

MAX_INTERVAL_DAYS = 366


@dataclass(frozen=True)
class VisitRule:
    tags: frozenset[str]
    every_days: int
    why: str


def rules_path() -> Path:
    return Path(settings.DATA_DIR) / "home_visits.yaml"


def check(document: Any) -> tuple[list[str], list[VisitRule]]:
    """Every problem of the file (by rule number), and the rules when there are none."""
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        return ["the file must be a mapping with 'rules' (a list)"], []
    problems: list[str] = []
    parsed: list[VisitRule] = []
    for number, rule in enumerate(document["rules"], start=1):
        where = f"rule #{number}"
        if not isinstance(rule, dict):
            problems.append(f"{where}: must be a mapping with tags, every_days and why")
            continue
        unknown = set(rule) - {"tags", "every_days", "why"}
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
        tags = rule.get("tags")
        if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t.strip() for t in tags):
            problems.append(f"{where}: tags must be a non-empty list of care tag codes")
            continue
        days = rule.get("every_days")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_INTERVAL_DAYS:
            problems.append(f"{where}: every_days must be a whole number of days from 1 to {MAX_INTERVAL_DAYS}")
            continue
        parsed.append(
            VisitRule(tags=frozenset(t.strip() for t in tags), every_days=days, why=str(rule.get("why") or ""))
        )
    return problems, parsed


_cache: tuple[float, list[VisitRule]] | None = None


def visit_rules() -> list[VisitRule]:
    """The rules, read again when the file changes. A broken file fails loudly (ValueError), never silently."""
    global _cache
    path = rules_path()
    stamp = path.stat().st_mtime
    if _cache is None or _cache[0] != stamp:
        problems, parsed = check(yaml.safe_load(path.read_text(encoding="utf-8")))
        if problems:
            raise ValueError(f"{path.name}: " + "; ".join(problems))
        _cache = (stamp, parsed)
    return _cache[1]


def interval_for(tags: set[str], rules: list[VisitRule]) -> tuple[int, str] | None:
    """The shortest interval (and its reason) among the rules a resident with `tags` matches, or None."""
    matching = [rule for rule in rules if rule.tags <= tags]
    if not matching:
        return None
    best = min(matching, key=lambda rule: rule.every_days)
    return best.every_days, best.why


def all_tags(rules: list[VisitRule]) -> set[str]:
    return {tag for rule in rules for tag in rule.tags}
