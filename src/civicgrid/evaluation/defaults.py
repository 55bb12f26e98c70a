"""The reference data of the evaluation, from data files under `src/civicgrid/data/evaluation/`: the default
indicator tree, the three default questionnaires and the keyword rules of the reverse problem list.

Each reader checks its whole file and raises `DefaultsRejected` listing every problem; nothing here writes.
`civicgrid evaluation load-defaults` checks them all; a new campaign copies the tree and questionnaires.
"""

import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils.translation import gettext as _

from civicgrid.core.errors import ValidationError
from civicgrid.evaluation.choices import Group, NodeKind, Polarity

WEIGHT_TOLERANCE = Decimal("0.001")
MAX_SCALE = 11


def data_dir() -> Path:
    return Path(settings.DATA_DIR) / "evaluation"


class DefaultsRejected(ValidationError):
    def __init__(self, rows: list[str], what: str = "") -> None:
        super().__init__(_("%(what)s有 %(n)s 处错误。") % {"what": what or _("测评数据文件"), "n": len(rows)})
        self.rows = rows


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise DefaultsRejected([f"{path.name}: {error}"]) from error


# ---------------------------------------------------------------- the indicator tree


@dataclass(frozen=True)
class Node:
    kind: str
    code: str
    name: str
    weight: Decimal
    is_key: bool
    parent: str | None
    sort: int
    street_id: int | None = None  # a street's special indicator (never in the default file)


def _weight(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        weight = Decimal(str(value))
    except InvalidOperation:
        return None
    return weight if 0 < weight <= 1 else None


def weights_problems(siblings: dict[str | None, list[tuple[str, Decimal]]]) -> list[str]:
    """Each group of siblings must weigh 1 in total."""
    problems = []
    for parent, members in siblings.items():
        total = sum((weight for _code, weight in members), Decimal(0))
        if abs(total - 1) > WEIGHT_TOLERANCE:
            names = "、".join(code for code, _w in members)
            problems.append(
                _("%(parent)s的下级（%(names)s）权重合计为 %(total)s，应为 1。")
                % {"parent": parent or _("维度"), "names": names, "total": total.normalize()}
            )
    return problems


def read_tree(path: Path | None = None) -> list[Node]:
    """The indicator tree file as a flat list, parents before children: dimensions > focus areas > indicators."""
    path = path or data_dir() / "indicator_tree.yaml"
    document = _read(path) or {}
    problems: list[str] = []
    nodes: list[Node] = []
    seen: set[str] = set()
    siblings: dict[str | None, list[tuple[str, Decimal]]] = {}
    levels = [
        ("dimensions", NodeKind.DIMENSION),
        ("focus_areas", NodeKind.FOCUS_AREA),
        ("indicators", NodeKind.INDICATOR),
    ]

    def walk(entries: Any, depth: int, parent: str | None) -> None:
        key, kind = levels[depth]
        if not isinstance(entries, list) or not entries:
            problems.append(f"{parent or 'tree'}: '{key}' must be a non-empty list")
            return
        for position, entry in enumerate(entries, start=1):
            where = f"{parent or 'tree'} > {key} #{position}"
            if not isinstance(entry, dict):
                problems.append(f"{where}: must be a mapping")
                continue
            code, name, weight = str(entry.get("code") or ""), entry.get("name"), _weight(entry.get("weight"))
            if not code or len(code) > 12 or code in seen:
                problems.append(f"{where}: code must be given, unique and at most 12 characters ({code!r})")
            if not isinstance(name, str) or not name.strip() or len(name) > 60:
                problems.append(f"{where}: name must be given, at most 60 characters")
            if weight is None:
                problems.append(f"{where}: weight must be a number in (0, 1]")
            seen.add(code)
            nodes.append(
                Node(kind, code, str(name or ""), weight or Decimal(0), bool(entry.get("key")), parent, position)
            )
            siblings.setdefault(parent, []).append((code, weight or Decimal(0)))
            if depth + 1 < len(levels):
                walk(entry.get(levels[depth + 1][0]), depth + 1, code)

    walk(document.get("dimensions") if isinstance(document, dict) else None, 0, None)
    problems.extend(weights_problems(siblings))
    if problems:
        raise DefaultsRejected(problems, _("指标体系文件"))
    return nodes


# ---------------------------------------------------------------- questionnaires


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    text: str
    polarity: str
    indicator: str | None
    scale: int
    labels: list[str]
    sort: int
    required: bool = True


@dataclass(frozen=True)
class QuestionnaireSpec:
    group: str
    title: str
    intro: str
    large_text: bool
    questions: list[QuestionSpec]


def read_questionnaires(path: Path | None = None, *, indicators: set[str] | None = None) -> list[QuestionnaireSpec]:
    """The questionnaires file; each positive question must measure an indicator of the tree."""
    path = path or data_dir() / "questionnaires.yaml"
    document = _read(path) or {}
    if indicators is None:
        indicators = {node.code for node in read_tree() if node.kind == NodeKind.INDICATOR}
    problems: list[str] = []
    scales = document.get("scales") or {} if isinstance(document, dict) else {}
    result: list[QuestionnaireSpec] = []
    groups_seen: set[str] = set()
    codes_seen: set[str] = set()
    measured: set[str] = set()
    for position, entry in enumerate((document or {}).get("questionnaires") or [], start=1):
        where = f"questionnaire #{position}"
        if not isinstance(entry, dict) or entry.get("group") not in Group.values or entry["group"] in groups_seen:
            problems.append(f"{where}: group must be one of {', '.join(Group.values)}, once each")
            continue
        groups_seen.add(entry["group"])
        questions: list[QuestionSpec] = []
        for number, raw in enumerate(entry.get("questions") or [], start=1):
            spot = f"{where} ({entry['group']}) question #{number}"
            if not isinstance(raw, dict):
                problems.append(f"{spot}: must be a mapping")
                continue
            code, text = str(raw.get("code") or ""), raw.get("text")
            polarity = raw.get("polarity", Polarity.POSITIVE)
            if not code or len(code) > 12 or code in codes_seen:
                problems.append(f"{spot}: code must be given and unique across questionnaires ({code!r})")
            codes_seen.add(code)
            if not isinstance(text, str) or not text.strip() or len(text) > 200:
                problems.append(f"{spot}: text must be given, at most 200 characters")
            if polarity not in (Polarity.POSITIVE, Polarity.REVERSE):
                problems.append(f"{spot}: polarity must be positive or reverse (special questions are per street)")
            indicator = raw.get("indicator")
            labels: list[str] = []
            if polarity == Polarity.POSITIVE:
                if indicator not in indicators:
                    problems.append(f"{spot}: indicator {indicator!r} is not in the tree")
                labels = list(scales.get(raw.get("scale", "satisfaction")) or [])
                if not 2 <= len(labels) <= MAX_SCALE:
                    problems.append(f"{spot}: scale must name 2 to {MAX_SCALE} labels")
                measured.add(str(indicator))
            elif indicator:
                problems.append(f"{spot}: a reverse question measures no indicator")
            questions.append(
                QuestionSpec(
                    code,
                    str(text or ""),
                    str(polarity),
                    indicator if polarity == Polarity.POSITIVE else None,
                    len(labels),
                    labels,
                    number,
                    required=polarity == Polarity.POSITIVE,
                )
            )
        if not any(q.polarity == Polarity.POSITIVE for q in questions):
            problems.append(f"{where}: needs at least one scored question")
        result.append(
            QuestionnaireSpec(
                entry["group"],
                str(entry.get("title") or Group(entry["group"]).label)[:100],
                str(entry.get("intro") or ""),
                bool(entry.get("large_text")),
                questions,
            )
        )
    missing = sorted(indicators - measured)
    if missing:
        problems.append(f"indicators asked by no question: {', '.join(missing)}")
    if set(Group.values) - groups_seen:
        problems.append(f"missing questionnaires for: {', '.join(sorted(set(Group.values) - groups_seen))}")
    if problems:
        raise DefaultsRejected(problems, _("问卷文件"))
    return result


# ---------------------------------------------------------------- the reverse problem list's rules


@dataclass(frozen=True)
class Rule:
    topic: str
    topic_name: str
    name: str
    incident_type: str
    department: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    nothing: frozenset[str]
    rules: tuple[Rule, ...]
    other: Rule


def _known_codes() -> tuple[set[str], set[str]]:
    departments = _read(Path(settings.DATA_DIR) / "departments.yaml") or []
    types = _read(Path(settings.DATA_DIR) / "incident_types.yaml") or {}
    type_codes = {
        str(kind.get("code")) for category in types.get("categories") or [] for kind in category.get("types") or []
    }
    return {str(row["key"]) for row in departments}, type_codes


def read_rules(path: Path | None = None) -> Rules:
    path = path or data_dir() / "reverse_topics.yaml"
    document = _read(path) or {}
    departments, types = _known_codes()
    problems: list[str] = []

    def rule(topic: str, topic_name: str, raw: Any, where: str) -> Rule | None:
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a mapping")
            return None
        keywords = raw.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
            problems.append(f"{where}: keywords must be a list of words")
            keywords = []
        if str(raw.get("incident_type")) not in types:
            problems.append(f"{where}: incident type {raw.get('incident_type')!r} is not in incident_types.yaml")
        if raw.get("department") and raw["department"] not in departments:
            problems.append(f"{where}: department {raw['department']!r} is not in departments.yaml")
        name = str(raw.get("name") or raw.get("rule") or "")
        if not name or len(name) > 24:
            problems.append(f"{where}: name must be given, at most 24 characters")
        return Rule(
            topic, topic_name, name, str(raw.get("incident_type")), str(raw.get("department") or ""), tuple(keywords)
        )

    rules: list[Rule] = []
    for position, topic in enumerate(document.get("topics") or [], start=1):
        code, name = str(topic.get("code") or ""), str(topic.get("name") or "")
        if not code or not name or len(code) > 24 or len(name) > 24:
            problems.append(f"topic #{position}: code and name must be given, at most 24 characters")
        for number, raw in enumerate(topic.get("rules") or [], start=1):
            found = rule(code, name, raw, f"topic {code} rule #{number}")
            if found is not None and not found.keywords:
                problems.append(f"topic {code} rule #{number}: needs keywords")
            if found is not None:
                rules.append(found)
    other_raw = document.get("other") or {}
    other = rule(str(other_raw.get("code") or "other"), str(other_raw.get("name") or ""), other_raw, "other")
    if problems or other is None:
        raise DefaultsRejected(problems, _("反向问题分类规则文件"))
    return Rules(frozenset(str(word) for word in document.get("nothing") or []), tuple(rules), other)


@functools.cache
def rules() -> Rules:
    return read_rules()


def check_all() -> dict[str, int]:
    """Read and check every data file; the counts of what they hold."""
    nodes = read_tree()
    questionnaires = read_questionnaires(indicators={n.code for n in nodes if n.kind == NodeKind.INDICATOR})
    loaded = rules()
    return {
        "dimensions": sum(1 for n in nodes if n.kind == NodeKind.DIMENSION),
        "focus_areas": sum(1 for n in nodes if n.kind == NodeKind.FOCUS_AREA),
        "indicators": sum(1 for n in nodes if n.kind == NodeKind.INDICATOR),
        "questionnaires": len(questionnaires),
        "questions": sum(len(q.questions) for q in questionnaires),
        "rules": len(loaded.rules),
    }
