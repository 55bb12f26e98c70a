"""The grid work guide: loaded from its data file (all checked first, nothing loaded on any error); its tasks given
to grids with due dates by the community head, and done when the grid worker records how."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit, notifications
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from civicgrid.core.notifications import Message
from civicgrid.gridwork import selectors
from civicgrid.gridwork.choices import (
    ASSIGNMENT_NOTE_REQUIRED,
    ASSIGNMENT_TRANSITIONS,
    AssignmentAction,
    AssignmentStatus,
    Frequency,
    Party,
)
from civicgrid.gridwork.models import GuideAssignment, GuideCategory, GuideSubcategory, GuideTask
from civicgrid.gridwork.permissions import is_active_staff, parties_at
from civicgrid.gridwork.services.common import check_transition, clean_text, worker_of
from civicgrid.people.permissions import require_administrator_or_system
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region

CATEGORY_KEYS = frozenset({"code", "name", "subcategories"})
SUBCATEGORY_KEYS = frozenset({"code", "name", "tasks"})
TASK_KEYS = frozenset({"code", "name", "content", "standard", "frequency"})
MAX_GRIDS_PER_ASSIGNMENT = 2000


def default_guide_path() -> Path:
    return Path(settings.DATA_DIR) / "grid_work_guide.yaml"


class GuideRejected(ValidationError):
    def __init__(self, rows: list[str]) -> None:
        super().__init__(_("网格工作指南文件有 %(n)s 处错误，未导入任何内容。") % {"n": len(rows)})
        self.rows = rows


@dataclass(frozen=True)
class GuideLoaded:
    categories: int
    subcategories: int
    tasks: int
    retired: int


def _text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and bool(value.strip()) and len(value) <= limit


def _check(document: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Every problem of the file, by where it is; and the categories when there are none."""
    if not isinstance(document, dict) or not isinstance(document.get("categories"), list):
        return ["the file must be a mapping with 'categories' (a list)"], []
    problems: list[str] = []
    seen: set[str] = set()
    categories = document["categories"]
    for c_number, category in enumerate(categories, start=1):
        if not isinstance(category, dict):
            problems.append(f"category #{c_number}: must be a mapping with code, name and subcategories")
            continue
        ccode = str(category.get("code", ""))
        where = f"category {ccode or '#' + str(c_number)}"
        if set(category) - CATEGORY_KEYS:
            problems.append(f"{where}: unknown field(s) {', '.join(sorted(map(str, set(category) - CATEGORY_KEYS)))}")
        if not re.fullmatch(r"\d{2}", ccode):
            problems.append(f"{where}: code must be 2 digits")
        if not _text(category.get("name"), 40):
            problems.append(f"{where}: name must be given, at most 40 characters")
        subs = category.get("subcategories")
        if not isinstance(subs, list) or not subs:
            problems.append(f"{where}: subcategories must be a non-empty list")
            continue
        for s_number, sub in enumerate(subs, start=1):
            if not isinstance(sub, dict):
                problems.append(f"{where}, subcategory #{s_number}: must be a mapping")
                continue
            scode = str(sub.get("code", ""))
            swhere = f"subcategory {scode or ccode + ' #' + str(s_number)}"
            if set(sub) - SUBCATEGORY_KEYS:
                problems.append(
                    f"{swhere}: unknown field(s) {', '.join(sorted(map(str, set(sub) - SUBCATEGORY_KEYS)))}"
                )
            if not re.fullmatch(rf"{re.escape(ccode)}\d{{2}}", scode):
                problems.append(f"{swhere}: code must be the category code {ccode} plus 2 digits")
            if not _text(sub.get("name"), 40):
                problems.append(f"{swhere}: name must be given, at most 40 characters")
            tasks = sub.get("tasks")
            if not isinstance(tasks, list) or not tasks:
                problems.append(f"{swhere}: tasks must be a non-empty list")
                continue
            for t_number, task in enumerate(tasks, start=1):
                if not isinstance(task, dict):
                    problems.append(f"{swhere}, task #{t_number}: must be a mapping")
                    continue
                tcode = str(task.get("code", ""))
                twhere = f"task {tcode or scode + ' #' + str(t_number)}"
                if set(task) - TASK_KEYS:
                    problems.append(f"{twhere}: unknown field(s) {', '.join(sorted(map(str, set(task) - TASK_KEYS)))}")
                if not re.fullmatch(rf"{re.escape(scode)}\d{{2}}", tcode):
                    problems.append(f"{twhere}: code must be the subcategory code {scode} plus 2 digits")
                if not _text(task.get("name"), 60):
                    problems.append(f"{twhere}: name must be given, at most 60 characters")
                for key in ("content", "standard"):
                    if not _text(task.get(key), 1000):
                        problems.append(f"{twhere}: {key} must be given, at most 1000 characters")
                if task.get("frequency") not in Frequency.values:
                    problems.append(f"{twhere}: frequency must be one of {', '.join(Frequency.values)}")
                if tcode in seen:
                    problems.append(f"{twhere}: code appears twice")
                seen.add(tcode)
            if scode in seen:
                problems.append(f"{swhere}: code appears twice")
            seen.add(scode)
        if ccode in seen:
            problems.append(f"{where}: code appears twice")
        seen.add(ccode)
    return problems, categories


def guide_load(*, actor: Any, path: Path | None = None) -> GuideLoaded:
    """Load the guide from YAML: every problem listed and nothing loaded unless all is well. Tasks no longer in the
    file are retired (kept for the assignments that name them), not deleted."""
    require_administrator_or_system(actor)
    path = path or default_guide_path()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise GuideRejected([str(error)]) from error
    problems, categories = _check(document)
    if problems:
        raise GuideRejected(problems)
    counts = {"categories": 0, "subcategories": 0, "tasks": 0}
    with transaction.atomic():
        codes: list[str] = []
        sort = 0
        for c_position, category in enumerate(categories, start=1):
            cat, _c = GuideCategory.objects.update_or_create(
                code=str(category["code"]), defaults={"name": category["name"].strip(), "sort": c_position}
            )
            counts["categories"] += 1
            for s_position, sub in enumerate(category["subcategories"], start=1):
                subcategory, _c = GuideSubcategory.objects.update_or_create(
                    code=str(sub["code"]),
                    defaults={"category": cat, "name": sub["name"].strip(), "sort": s_position},
                )
                counts["subcategories"] += 1
                for task in sub["tasks"]:
                    sort += 1
                    GuideTask.objects.update_or_create(
                        code=str(task["code"]),
                        defaults={
                            "subcategory": subcategory,
                            "name": task["name"].strip(),
                            "content": task["content"].strip(),
                            "standard": task["standard"].strip(),
                            "frequency": task["frequency"],
                            "is_active": True,
                            "sort": sort,
                        },
                    )
                    codes.append(str(task["code"]))
                    counts["tasks"] += 1
        retired = GuideTask.objects.filter(is_active=True).exclude(code__in=codes).update(is_active=False)
        audit.record(
            actor=actor, action="grid_work_guide.load", after={**counts, "retired": retired, "file": path.name}
        )
    return GuideLoaded(retired=retired, **counts)


# ---------------------------------------------------------------- tasks given to grids


def _grids_for(actor: Any, codes: Sequence[str], today: date) -> list[Region]:
    """The grids named (a community's code stands for all its grids); each must be one the actor heads."""
    found: dict[int, Region] = {}
    unknown: list[str] = []
    for code in codes:
        region = Region.objects.filter(code=code).first()
        if region is None or region.level not in (Level.GRID, Level.COMMUNITY):
            unknown.append(code)
            continue
        grids = (
            [region]
            if region.level == Level.GRID
            else list(Region.objects.filter(level=Level.GRID, path__startswith=region.path).order_by("code"))
        )
        for grid in grids:
            if Party.HEAD not in parties_at(actor, grid, on=today):
                unknown.append(code)
                break
            found[grid.pk] = grid
    if unknown:
        message = _("以下网格或社区不存在，或不归您负责：%(codes)s。") % {"codes": "、".join(sorted(set(unknown)))}
        raise ValidationError(message, errors={"grids": [message]})
    if not found:
        raise ValidationError(_("请选择网格。"), errors={"grids": [_("请选择网格。")]})
    if len(found) > MAX_GRIDS_PER_ASSIGNMENT:
        raise ValidationError(_("一次最多布置给 %(n)s 个网格。") % {"n": MAX_GRIDS_PER_ASSIGNMENT})
    return list(found.values())


@transaction.atomic
def assignment_create(
    *,
    actor: Any,
    task_code: str,
    grid_codes: Sequence[str],
    due_on: date,
    note: str = "",
    today: date | None = None,
) -> list[GuideAssignment]:
    """Give a guide task to grids (or every grid of a community) with a due date. A grid that already has the task
    for that date keeps what it has (assigning twice adds nothing)."""
    today = today or timezone.localdate()
    if not is_active_staff(actor):
        raise PermissionDenied()
    try:
        task = selectors.guide_task(code=task_code)
    except GuideTask.DoesNotExist as error:
        message = _("网格工作指南中没有事项 %(code)s。") % {"code": task_code}
        raise ValidationError(message, errors={"task": [message]}) from error
    if due_on < today or due_on > today + timedelta(days=366):
        message = _("完成期限须在今天到一年以内。")
        raise ValidationError(message, errors={"due_on": [message]})
    note = clean_text(note, field="note", label=_("布置说明"), limit=500, required=False)
    grids = _grids_for(actor, grid_codes, today)
    existing = set(
        GuideAssignment.objects.filter(task=task, grid__in=grids, due_on=due_on)
        .exclude(status=AssignmentStatus.CANCELLED)
        .values_list("grid_id", flat=True)
    )
    now = timezone.now()
    made: list[GuideAssignment] = []
    for grid in grids:
        if grid.pk in existing:
            continue
        assignment = GuideAssignment(task=task, due_on=due_on, note=note, assigned_by=actor, assigned_at=now)
        assignment.place_in(grid)
        made.append(assignment)
    GuideAssignment.objects.bulk_create(made)
    rows = [
        audit.entry(
            actor=actor,
            action="guide_assignment.create",
            obj=a,
            after={"task": task.code, "grid": a.grid.code, "due_on": due_on},
        )
        for a in GuideAssignment.objects.filter(task=task, due_on=due_on, grid__in=[m.grid for m in made])
        .exclude(status=AssignmentStatus.CANCELLED)
        .select_related("grid")
    ]
    audit.record_many(rows)
    workers = [w for w in (worker_of(a.grid) for a in made) if w is not None]
    notifications.to_staff(
        workers,
        Message(
            subject=_("新的网格工作任务"),
            body=_("%(task)s，请于 %(due)s 前完成。") % {"task": task.name, "due": f"{due_on:%Y-%m-%d}"},
        ),
    )
    return made


@transaction.atomic
def assignment_act(
    *,
    actor: Any,
    assignment_id: int,
    action: str,
    note: str = "",
    expected_version: int | None = None,
    today: date | None = None,
) -> GuideAssignment:
    """Complete (the grid worker, with what was done), send back (the community head: not up to the standard) or
    cancel (the community head) a task given to a grid."""
    today = today or timezone.localdate()
    try:
        assignment = selectors.assignments(actor=actor).select_for_update(of=("self",)).get(pk=assignment_id)
    except GuideAssignment.DoesNotExist as error:
        raise NotFound(_("没有找到该任务，或它不在您的管辖范围内。")) from error
    if expected_version is not None and expected_version != assignment.version:
        raise Conflict(_("该任务已被他人更新，请刷新后查看。"))
    if action not in AssignmentAction.values:
        raise ValidationError(_("未知的操作：%(action)s。") % {"action": action})
    target = check_transition(
        ASSIGNMENT_TRANSITIONS,
        assignment.status,
        action,
        parties_at(actor, assignment.grid, on=today),
        status_label=assignment.get_status_display(),
        action_label=str(AssignmentAction(action).label),
    )
    label = _("完成情况") if action == AssignmentAction.COMPLETE else _("说明")
    note = clean_text(note, field="note", label=label, limit=2000, required=action in ASSIGNMENT_NOTE_REQUIRED)
    before = assignment.status
    assignment.status = target
    if action == AssignmentAction.COMPLETE:
        assignment.completed_by = actor
        assignment.completed_at = timezone.now()
        assignment.result = note
    elif action == AssignmentAction.REOPEN:
        assignment.completed_by = None
        assignment.completed_at = None
        assignment.result = f"{assignment.result}\n【{_('退回')}】{note}".strip()
    else:
        assignment.note = f"{assignment.note}\n【{_('取消')}】{note}".strip()[:500]
    assignment.version += 1
    assignment.save()
    audit.record(
        actor=actor,
        action=f"guide_assignment.{action}",
        obj=assignment,
        before={"status": before},
        after={"status": target, "note": note},
    )
    if action == AssignmentAction.REOPEN:
        worker = worker_of(assignment.grid)
        if worker is not None:
            notifications.to_staff(
                [worker], Message(subject=_("网格工作任务被退回"), body=f"{assignment.task.name}：{note}")
            )
    return assignment
