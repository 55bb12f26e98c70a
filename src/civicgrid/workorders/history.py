"""Historical work orders in bulk: a district migrating from its old system, and the demo's past months.

`services.act` stamps every step with the present moment; a history already happened. `history_import` takes
records that carry their whole timeline (each step with its time, who took it, its note and parameters), replays
each timeline through the transition table with the same step functions `services.act` uses, so deadlines,
on-time flags, counters and statuses come out exactly as if the steps had been taken live, and writes everything
in one transaction: orders and events in bulk, numbers from the live sequence table, one audit row for the batch.
Every record is checked first; one bad record rejects the whole batch, and every problem is listed.

A record (a dict, or one line of a JSONL file for `civicgrid import_work_orders`):

    {"key": "GL-2025-000123",              # optional, the old system's id: importing it twice is refused
     "incident_type": "0401", "description": "…", "address": "…", "source": "hotline",
     "lon": 118.76, "lat": 32.06,           # or "grid": "320106001003001"
     "reporter_name": "王女士", "reporter_phone": "13912345678",     # optional, personal data
     "status": "rated",                     # optional: checked against what the timeline leads to
     "events": [
        {"action": "report", "at": "2026-06-01T09:12:00+08:00", "actor": "s001.operator"},
        {"action": "dispatch", "at": "…", "actor": "s001.operator", "department": "police",
         "assignee": "dept.police.s001"},
        {"action": "mark_overdue", "at": "…", "by": "system", "note": "超过处置时限。"},
        {"action": "rate", "at": "…", "by": "resident", "rating": 5},
        …]}

`by` is "staff" (the default: `actor` names the user), "system" (the background worker) or "resident" (the
reporter holding the tracking key). Times are ISO 8601; without an offset they are Beijing time.
"""

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit, bulk
from civicgrid.core.errors import ValidationError
from civicgrid.people.models import Department, User
from civicgrid.people.permissions import require_administrator_or_system
from civicgrid.regions import selectors as regions
from civicgrid.regions.choices import Level
from civicgrid.regions.geo import GridRef
from civicgrid.regions.models import Region
from civicgrid.workorders import services
from civicgrid.workorders.choices import (
    OPEN_STATUSES,
    PREVIOUS,
    REASON_REQUIRED,
    SAME,
    TRANSITIONS,
    Action,
    Party,
    Source,
    Status,
)
from civicgrid.workorders.models import IncidentType, WorkOrder, WorkOrderEvent

ACTIONS = frozenset(Action.values)  # the enums' .values is rebuilt on every call: too slow in the replay loop
STATUSES = frozenset(Status.values)
SOURCES = frozenset(Source.values)

MAX_KEY = 60
KEY_PREFIX = "import:"  # stored as the order's idempotency key: a second import of the same record is refused
RECORD_FIELDS = frozenset(
    {
        "key",
        "incident_type",
        "description",
        "address",
        "source",
        "lon",
        "lat",
        "grid",
        "reporter_name",
        "reporter_phone",
        "status",
        "events",
    }
)
# What each step may carry besides action, at, actor, by and note.
STEP_PARAMS: dict[str, frozenset[str]] = {
    Action.REGISTER: frozenset({"incident_type"}),
    Action.DISPATCH: frozenset({"department", "assignee", "incident_type"}),
    Action.REDISPATCH: frozenset({"department", "assignee", "incident_type"}),
    Action.MERGE: frozenset({"into"}),
    Action.REQUEST_EXTENSION: frozenset({"days"}),
    Action.SUPERVISE: frozenset({"supervision"}),
    Action.RATE: frozenset({"rating", "comment"}),
}
STEP_FIELDS = frozenset({"action", "at", "actor", "by", "note"})
BY = ("staff", "system", "resident")
# Steps replayed by the very functions `services.act` runs (they touch no database).
SHARED_STEPS = frozenset(services.APPLY) - {Action.REGISTER, Action.DISPATCH, Action.REDISPATCH, Action.MERGE}


class HistoryRejected(ValidationError):
    """At least one record is bad: nothing was imported; `rows` names every problem with its record."""

    def __init__(self, rows: Sequence[str]) -> None:
        self.rows = list(rows)
        super().__init__(_("历史工单有 %(n)s 处错误，未导入任何工单。") % {"n": len(self.rows)})


class StepRefused(Exception):
    """One step of a timeline cannot be replayed; the message says why (the replay of that record stops)."""


@dataclass(frozen=True)
class HistoryResult:
    count: int
    numbers: list[str]  # in the order of the records
    statuses: dict[str, int]


# ---------------------------------------------------------------- what a batch refers to


@dataclass
class Lookup:
    """The types, departments, staff and grids a batch names, each loaded once."""

    types: dict[str, IncidentType] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    grids: dict[str, GridRef] = field(default_factory=dict)
    now: datetime = field(default_factory=timezone.now)
    # how the timeline names who acted when it was not a member of staff (translated once per batch)
    labels: dict[str, str] = field(
        default_factory=lambda: {"system": _("系统"), "resident": _("上报人"), "report": _("居民")}
    )

    @classmethod
    def for_records(cls, records: Sequence[Mapping[str, Any]]) -> "Lookup":
        type_codes: set[str] = set()
        usernames: set[str] = set()
        grid_codes: set[str] = set()
        for record in records:
            if not isinstance(record, Mapping):
                continue
            type_codes.add(str(record.get("incident_type") or ""))
            if record.get("grid"):
                grid_codes.add(str(record["grid"]))
            steps = record.get("events")
            for step in steps if isinstance(steps, list) else []:
                if isinstance(step, Mapping):
                    usernames.update(str(step[name]) for name in ("actor", "assignee") if step.get(name))
                    if step.get("incident_type"):
                        type_codes.add(str(step["incident_type"]))
        lookup = cls(
            # retired types stay valid for history: an old order keeps the type it had
            types={t.code: t for t in IncidentType.objects.filter(code__in=type_codes).select_related("category")},
            users={u.username: u for u in User.objects.filter(username__in=usernames)},
        )
        # departments are few: all of them, so a step may name one by its key within the order's district
        lookup.departments = {d.code: d for d in Department.objects.select_related("region")}
        grids = Region.objects.filter(code__in=grid_codes, level=Level.GRID).values_list("id", "code", "path")
        lookup.grids = {code: GridRef(pk, code, path) for pk, code, path in grids}
        return lookup

    def department(self, name: str, district: str) -> Department | None:
        return self.departments.get(name) or self.departments.get(f"{district}-{name}")


# ---------------------------------------------------------------- one timeline, replayed


@dataclass(slots=True)
class Event:
    """One step of a replayed timeline, as it will be written (a model instance per step costs too much)."""

    action: str
    from_status: str
    to_status: str
    actor: User | None
    label: str
    note: str
    data: dict[str, Any]
    at: datetime


def _as_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise StepRefused(_("时间“%(value)s”不是 ISO 8601 格式。") % {"value": value[:40]}) from None
    else:
        raise StepRefused(_("缺少时间（at）。"))
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Timeline:
    """A work order built step by step from its history, through the transition table.

    `apply` checks each step as `services.act` would (allowed from the current status, by a party the table
    names, a reason where one is needed, valid parameters) and changes the unsaved order the same way. The demo
    uses it to plan realistic histories; `history_import` uses it to check and build what it writes.
    """

    def __init__(
        self,
        *,
        lookup: Lookup,
        grid: GridRef,
        kind: IncidentType | None,
        description: str,
        source: str,
        lon: float | None = None,
        lat: float | None = None,
        address: str = "",
        reporter_name: str = "",
        reporter_phone: str = "",
        key: str | None = None,
    ) -> None:
        self.lookup = lookup
        self.district = grid.path.strip("/").split("/")[1] if grid.path.count("/") > 2 else ""
        self.order = WorkOrder(
            region_id=grid.id,
            region_path=grid.path,
            incident_type=kind,
            description=description,
            address=address,
            lon=lon,
            lat=lat,
            source=source,
            status="",
            level=services.landing_level(kind),
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
            tracking_key=WorkOrder.new_tracking_key(),
            idempotency_key=f"{KEY_PREFIX}{key}" if key else None,
        )
        self.events: list[Event] = []
        self.position = 0  # the record's place in its batch, for messages
        self.merge_into: str | None = None  # a batch key or an existing number, resolved when written

    # -- reading the state

    @property
    def status(self) -> str:
        return self.order.status

    @property
    def last_at(self) -> datetime | None:
        return self.events[-1].at if self.events else None

    def status_at(self, moment: datetime) -> str:
        """The status the order had at `moment` ("" before it was reported)."""
        status = ""
        for event in self.events:
            if event.at > moment:
                break
            status = event.to_status
        return status

    # -- steps

    def apply(self, step: Mapping[str, Any]) -> Event:
        """Replay one step; StepRefused (with a message a clerk can act on) when it could not have happened."""
        action = str(step.get("action") or "")
        if action not in ACTIONS:
            raise StepRefused(_("未知的操作“%(action)s”。") % {"action": action[:30]})
        unknown = set(step) - STEP_FIELDS - STEP_PARAMS.get(action, frozenset())
        if unknown:
            raise StepRefused(
                _("“%(action)s”不接受这些字段：%(names)s。")
                % {"action": Action(action).label, "names": "、".join(sorted(map(str, unknown)))}
            )
        at = _as_time(step.get("at"))
        if at > self.lookup.now:
            raise StepRefused(_("时间 %(at)s 晚于现在：历史工单只能包含已经发生的步骤。") % {"at": _show(at)})
        if self.last_at is not None and at < self.last_at:
            raise StepRefused(
                _("时间 %(at)s 早于上一步（%(before)s），步骤须按时间先后排列。")
                % {"at": _show(at), "before": _show(self.last_at)}
            )
        by = str(step.get("by") or "staff")
        if by not in BY:
            raise StepRefused(_("by 只能是 staff、system 或 resident。"))
        actor = None
        if by == "staff":
            username = str(step.get("actor") or "")
            actor = self.lookup.users.get(username)
            if actor is None:
                raise StepRefused(_("没有用户名为“%(name)s”的工作人员。") % {"name": username[:40] or "—"})
        elif step.get("actor"):
            raise StepRefused(_("系统或居民的步骤不能指定 actor。"))
        note = str(step.get("note") or "").strip()
        if (not note and action in REASON_REQUIRED) or len(note) > services.MAX_NOTE:
            try:
                services._clean_text(note, field="note", label=_("说明"), limit=services.MAX_NOTE, required=True)
            except ValidationError as error:
                raise StepRefused(error.message) from None
        params = {name: step[name] for name in STEP_PARAMS.get(action, ()) if name in step}
        if action == Action.REPORT:
            return self._report(at, by, actor)
        if action == Action.SOLVE_ON_SPOT:
            return self._solve_on_spot(at, by, actor)
        return self._act(action, at, by, actor, note, params)

    def _report(self, at: datetime, by: str, actor: User | None) -> Event:
        if self.events:
            raise StepRefused(_("“上报”只能是第一步。"))
        if by == "system":
            raise StepRefused(_("上报须由工作人员或居民发起。"))
        if by == "resident" and self.order.source not in (Source.RESIDENT, Source.APP, Source.HOTLINE):
            raise StepRefused(_("居民自行上报的来源只能是居民上报、第三方应用或热线电话。"))
        order = self.order
        order.reporter = actor
        order.reported_at = at
        order.status = Status.REPORTED
        services._set_dispatch_deadline(order, at)
        label = actor.display_name if actor else self.lookup.labels["report"]
        return self._event(Action.REPORT, "", Status.REPORTED, actor, label, "", {}, at)

    def _solve_on_spot(self, at: datetime, by: str, actor: User | None) -> Event:
        if len(self.events) != 1 or actor is None or self.order.reporter_id != actor.pk:
            raise StepRefused(_("“现场解决”只能紧接在工作人员本人的上报之后。"))
        if at != self.order.reported_at:
            raise StepRefused(_("“现场解决”与上报须是同一时间。"))
        order = self.order
        order.status, order.level = Status.CLOSED, Level.GRID
        order.solved_on_spot = True
        order.registered_at = order.dispatched_at = order.signed_at = order.handled_at = order.closed_at = at
        order.assignee = actor
        order.closed_on_time = order.handled_on_time = True
        order.dispatch_due_at = None
        return self._event(Action.SOLVE_ON_SPOT, Status.REPORTED, Status.CLOSED, actor, actor.display_name, "", {}, at)

    def _act(self, action: str, at: datetime, by: str, actor: User | None, note: str, params: dict[str, Any]) -> Event:
        order = self.order
        if not self.events:
            raise StepRefused(_("第一步必须是“上报”。"))
        allowed = TRANSITIONS[order.status].get(action)
        if allowed is None:
            raise StepRefused(
                _("当前状态为“%(status)s”，不能“%(action)s”。")
                % {"status": Status(order.status).label, "action": Action(action).label}
            )
        target, parties = allowed
        self._check_party(action, parties, by, actor)
        from_status = order.status
        try:
            if action in SHARED_STEPS:
                data = services.APPLY[action](order, actor=actor, now=at, note=note, **params) or {}
            elif action == Action.REGISTER:
                data = self._register(at, params)
            elif action == Action.MERGE:
                data = self._merge(params)
            else:
                data = self._dispatch(at, params)
        except ValidationError as error:
            raise StepRefused(error.message) from None
        except (TypeError, AttributeError, ValueError):  # a parameter of the wrong kind reached the step function
            raise StepRefused(_("“%(action)s”的参数有误。") % {"action": Action(action).label}) from None
        order.status = order.suspended_from if target == PREVIOUS else (from_status if target == SAME else target)
        if target == PREVIOUS:
            order.suspended_from = ""
        order.version += 1
        if by == "staff":
            assert actor is not None
            label = actor.display_name
        else:
            label = self.lookup.labels[by]
        return self._event(action, from_status, order.status, actor, label, note, data, at)

    def _check_party(self, action: str, parties: frozenset[str], by: str, actor: User | None) -> None:
        """Who the history says acted must be a kind of party the table allows (posts then are not known now)."""
        label = Action(action).label
        if by == "system" and Party.SYSTEM not in parties:
            raise StepRefused(_("系统不能执行“%(action)s”。") % {"action": label})
        if by == "resident":
            if self.order.reporter_id is not None:
                raise StepRefused(_("该工单由工作人员上报，没有持查询码的居民。"))
            if not parties & {Party.REPORTER, Party.VERIFIER}:
                raise StepRefused(_("居民不能执行“%(action)s”。") % {"action": label})
        if by == "staff":
            if parties <= {Party.SYSTEM}:
                raise StepRefused(_("只有系统可以执行“%(action)s”。") % {"action": label})
            if parties <= {Party.REPORTER} and (actor is None or self.order.reporter_id != actor.pk):
                raise StepRefused(_("只有上报人可以执行“%(action)s”。") % {"action": label})

    def _type(self, code: Any) -> None:
        if not code:
            return
        kind = self.lookup.types.get(str(code))
        if kind is None:
            raise StepRefused(_("事件类型 %(code)s 不存在。") % {"code": str(code)[:20]})
        self.order.incident_type = kind

    def _register(self, at: datetime, params: dict[str, Any]) -> dict[str, Any]:
        self._type(params.get("incident_type"))
        order = self.order
        order.registered_at = order.registered_at or at
        return {"type": order.incident_type.code if order.incident_type else None}

    def _dispatch(self, at: datetime, params: dict[str, Any]) -> dict[str, Any]:
        # as services._dispatch, with the department and assignee the history names (no suggestion afterwards)
        self._type(params.get("incident_type"))
        order = self.order
        if order.incident_type is None:
            raise StepRefused(_("派遣前须确定事件类型。"))
        department = user = None
        if params.get("department"):
            department = self.lookup.department(str(params["department"]), self.district)
            if department is None or not order.region_path.startswith(department.region.path):
                raise StepRefused(_("部门 %(code)s 不存在或不负责该区域。") % {"code": str(params["department"])[:40]})
        if params.get("assignee"):
            user = self.lookup.users.get(str(params["assignee"]))
            if user is None:
                raise StepRefused(_("没有用户名为“%(name)s”的承办人。") % {"name": str(params["assignee"])[:40]})
        if department is None and user is None:
            raise StepRefused(_("派遣须指定承办部门或承办人。"))
        order.department, order.assignee = department, user
        order.registered_at = order.registered_at or at
        order.dispatched_at = at
        order.signed_at = order.handled_at = None
        order.extension_pending_days = None
        order.is_overdue = False
        services._set_handling_deadlines(order, at)
        return {
            "type": order.incident_type.code,
            "department": department.name if department else None,
            "assignee": user.display_name if user else None,
        }

    def _merge(self, params: dict[str, Any]) -> dict[str, Any]:
        into = str(params.get("into") or "").strip()
        if not into:
            raise StepRefused(_("合并须指定要合并到的工单（into）。"))
        self.merge_into = into
        self.order.dispatch_due_at = None
        return {"into": into, "followers": []}  # "into" becomes the survivor's number when the batch is written

    def _event(
        self,
        action: str,
        from_status: str,
        to_status: str,
        actor: User | None,
        label: str,
        note: str,
        data: dict[str, Any],
        at: datetime,
    ) -> Event:
        event = Event(action, from_status, to_status, actor, label[:80], note, data, at)
        self.events.append(event)
        return event


def _show(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------- checking a batch


def _where(position: int, record: Any) -> str:
    key = record.get("key") if isinstance(record, Mapping) else None
    return _("第 %(n)s 条") % {"n": position} + (f"（key {str(key)[:MAX_KEY]}）" if key else "")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _locate(records: Sequence[Mapping[str, Any]], lookup: Lookup) -> list[GridRef | None]:
    """The grid of each record: by its point (vectorised over the batch), else by the grid code it names."""
    points = [
        (i, _number(r.get("lon")), _number(r.get("lat")))
        for i, r in enumerate(records)
        if isinstance(r, Mapping) and r.get("lon") is not None
    ]
    found: list[GridRef | None] = [None] * len(records)
    usable = [
        (i, x, y) for i, x, y in points if x is not None and y is not None and -180 <= x <= 180 and -90 <= y <= 90
    ]
    if usable:
        lons = np.array([x for _i, x, _y in usable])
        lats = np.array([y for _i, _x, y in usable])
        for (i, _x, _y), grid in zip(usable, regions.grids_at(lons, lats), strict=True):
            found[i] = grid
    for i, record in enumerate(records):
        if isinstance(record, Mapping) and record.get("lon") is None and record.get("grid"):
            found[i] = lookup.grids.get(str(record["grid"]))
    return found


def _record_problems(record: Mapping[str, Any], grid: GridRef | None, lookup: Lookup) -> list[str]:
    problems = []
    unknown = sorted(str(name) for name in set(record) - RECORD_FIELDS)
    if unknown:
        problems.append(_("不认识的字段：%(names)s。") % {"names": "、".join(unknown)})
    key = record.get("key")
    if key is not None and (not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY):
        problems.append(_("key 须是不超过 %(n)s 个字符的文本。") % {"n": MAX_KEY})
    code = record.get("incident_type")
    if code and str(code) not in lookup.types:
        problems.append(_("事件类型 %(code)s 不存在。") % {"code": str(code)[:20]})
    if record.get("source") not in SOURCES:
        problems.append(_("来源“%(source)s”无效。") % {"source": str(record.get("source"))[:20]})
    for name, limit, required in (
        ("description", services.MAX_DESCRIPTION, True),
        ("address", 200, False),
        ("reporter_name", 40, False),
    ):
        value = record.get(name)
        fine = isinstance(value, str) and len(value) <= limit and (value.strip() or not required)
        if fine or (value is None and not required):
            continue
        label = {"description": _("问题描述"), "address": _("地址"), "reporter_name": _("称呼")}[name]
        if value is not None and not isinstance(value, str):
            problems.append(_("%(label)s须是文本。") % {"label": label})
            continue
        try:
            services._clean_text(value or "", field=name, label=label, limit=limit, required=required)
        except ValidationError as error:
            problems.append(error.message)
    phone = record.get("reporter_phone")
    if phone and (not isinstance(phone, str) or not services.PHONE.match(phone.replace(" ", ""))):
        problems.append(_("上报人电话格式不正确。"))
    lon, lat = record.get("lon"), record.get("lat")
    if lon is not None or lat is not None:
        x, y = _number(lon), _number(lat)
        if x is None or y is None or not (-180 <= x <= 180 and -90 <= y <= 90):
            problems.append(_("经纬度无效。"))
        elif grid is None:
            problems.append(_("位置 %(lon).6f, %(lat).6f 不在本平台管辖的任何网格内。") % {"lon": x, "lat": y})
    elif record.get("grid"):
        if grid is None:
            problems.append(_("网格 %(code)s 不存在。") % {"code": str(record["grid"])[:20]})
    else:
        problems.append(_("缺少位置：请给出经纬度（lon、lat）或网格代码（grid）。"))
    status = record.get("status")
    if status is not None and status not in STATUSES:
        problems.append(_("状态“%(status)s”无效。") % {"status": str(status)[:20]})
    events = record.get("events")
    if not isinstance(events, list) or not events:
        problems.append(_("缺少处理过程（events）：至少要有“上报”一步。"))
    elif not all(isinstance(step, Mapping) for step in events):
        problems.append(_("处理过程的每一步须是一个对象。"))
    return problems


def build(records: Sequence[Mapping[str, Any]], lookup: Lookup | None = None) -> list[Timeline]:
    """Check every record and replay its timeline; HistoryRejected lists every problem of the batch."""
    lookup = lookup or Lookup.for_records(records)
    grids = _locate(records, lookup)
    problems: list[str] = []
    timelines: list[Timeline] = []
    keys: dict[str, int] = {}
    for position, (record, grid) in enumerate(zip(records, grids, strict=True), start=1):
        where = _where(position, record)
        if not isinstance(record, Mapping):
            problems.append(f"{where}：" + _("每条记录须是一个对象。"))
            continue
        mine = _record_problems(record, grid, lookup)
        key = record.get("key")
        if isinstance(key, str) and key:
            if key in keys:
                mine.append(_("key 与第 %(n)s 条重复。") % {"n": keys[key]})
            keys.setdefault(key, position)
        problems.extend(f"{where}：{problem}" for problem in mine)
        if mine:
            continue
        assert grid is not None
        timeline = Timeline(
            lookup=lookup,
            grid=grid,
            kind=lookup.types.get(str(record.get("incident_type") or "")),
            description=str(record["description"]).strip(),
            source=record["source"],
            lon=_number(record.get("lon")),
            lat=_number(record.get("lat")),
            address=str(record.get("address") or "").strip(),
            reporter_name=str(record.get("reporter_name") or "").strip(),
            reporter_phone=str(record.get("reporter_phone") or "").replace(" ", ""),
            key=key if isinstance(key, str) else None,
        )
        timeline.position = position
        refused = False
        for number, step in enumerate(record["events"], start=1):
            try:
                timeline.apply(step)
            except StepRefused as error:
                label = step.get("action") if isinstance(step.get("action"), str) else "?"
                problems.append(
                    f"{where}：" + _("第 %(n)s 步（%(action)s）：") % {"n": number, "action": label} + str(error)
                )
                refused = True
                break  # later steps depend on this one: they cannot be judged
        if refused:
            continue
        declared = record.get("status")
        if declared and declared != timeline.status:
            problems.append(
                f"{where}："
                + _("状态写的是“%(declared)s”，处理过程却到“%(actual)s”为止。")
                % {"declared": Status(declared).label, "actual": Status(timeline.status).label}
            )
        timelines.append(timeline)
    problems.extend(_merge_problems(records, timelines, keys))
    taken = set(
        WorkOrder.objects.filter(
            idempotency_key__in=[t.order.idempotency_key for t in timelines if t.order.idempotency_key]
        ).values_list("idempotency_key", flat=True)
    )
    for position, record in enumerate(records, start=1):
        if isinstance(record, Mapping) and f"{KEY_PREFIX}{record.get('key')}" in taken:
            problems.append(f"{_where(position, record)}：" + _("该记录已经导入过。"))
    if problems:
        raise HistoryRejected(problems)
    return timelines


def _merge_problems(records: Sequence[Mapping[str, Any]], timelines: list[Timeline], keys: dict[str, int]) -> list[str]:
    """A merge points at another record of the batch (by key), open at the time, or at an order already in the
    database (by number, or by the key it was imported with; its state back then is not known here)."""
    by_key = {t.order.idempotency_key.removeprefix(KEY_PREFIX): t for t in timelines if t.order.idempotency_key}
    wanted = [t for t in timelines if t.merge_into]
    existing = set(_existing([t.merge_into or "" for t in wanted if t.merge_into not in keys]))
    problems = []
    for timeline in wanted:
        into = timeline.merge_into or ""
        merged_at = next(e.at for e in timeline.events if e.action == Action.MERGE)
        survivor = by_key.get(into)
        if into in keys and survivor is None:
            continue  # the survivor's own record was rejected and says why
        if survivor is timeline:
            problem = _("不能合并到自己。")
        elif survivor is not None:
            problem = (
                ""
                if survivor.status_at(merged_at) in OPEN_STATUSES
                else _("合并时（%(at)s）工单 %(into)s 未在办理中。") % {"at": _show(merged_at), "into": into}
            )
        else:
            problem = "" if into in existing else _("要合并到的工单 %(into)s 不存在。") % {"into": into}
        if problem:
            problems.append(f"{_where(timeline.position, records[timeline.position - 1])}：{problem}")
    return problems


def _existing(names: list[str]) -> dict[str, WorkOrder]:
    """Orders already in the database, by number and by the key they were imported with."""
    if not names:
        return {}
    rows = WorkOrder.objects.filter(Q(number__in=names) | Q(idempotency_key__in=[KEY_PREFIX + n for n in names]))
    found: dict[str, WorkOrder] = {}
    for order in rows.only("id", "number", "status", "idempotency_key"):
        found[order.number] = order
        if order.idempotency_key:
            found[order.idempotency_key.removeprefix(KEY_PREFIX)] = order
    return found


# ---------------------------------------------------------------- writing a batch


def reserve_numbers(district_code: str, day: Any, count: int) -> list[str]:
    """`count` consecutive numbers of one district and day, taken from the live sequence in one upsert."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workorders_workordersequence (district_code, day, last) VALUES (%s, %s, %s) "
            "ON CONFLICT (district_code, day) DO UPDATE SET last = workorders_workordersequence.last + %s "
            "RETURNING last",
            [district_code, day, count, count],
        )
        (last,) = cursor.fetchone()
    return [f"{district_code}-{day:%Y%m%d}-{n:05d}" for n in range(last - count + 1, last + 1)]


def _write_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Rows straight into a table: COPY on PostgreSQL, one executemany elsewhere.

    Django's insert compiles every value of every row through its field, which costs more than all the rest of
    an import of a million orders; and `auto_now_add` would overwrite the times the steps really happened.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", list(rows))


def _moment(value: datetime | None) -> Any:
    # PostgreSQL takes aware datetimes as they are; SQLite stores the backend's text form (UTC)
    if value is None or connection.vendor == "postgresql":
        return value
    return connection.ops.adapt_datetimefield_value(value)


EVENT_COLUMNS = ("work_order_id", "action", "from_status", "to_status", "actor_id", "actor_label", "note", "data")


def _write_events(events: Iterable[tuple[int, Event]]) -> None:
    rows = (
        (
            order_id,
            e.action,
            e.from_status,
            e.to_status,
            e.actor.pk if e.actor else None,
            e.label,
            e.note,
            json.dumps(e.data, ensure_ascii=False),
            _moment(e.at),
        )
        for order_id, e in events
    )
    _write_rows(WorkOrderEvent._meta.db_table, [*EVENT_COLUMNS, "created_at"], rows)


def history_import(*, actor: Any, records: Sequence[Mapping[str, Any]]) -> HistoryResult:
    """Write historical work orders with their whole timelines; all of the batch or, if any record is bad, none."""
    if not records:
        return HistoryResult(0, [], {})
    timelines = build(records)
    districts = {t.district for t in timelines}
    for district in Region.objects.filter(code__in=districts):
        require_administrator_or_system(actor, at=district)
    with transaction.atomic():
        return _write(actor, timelines)


def _write(actor: Any, timelines: list[Timeline]) -> HistoryResult:
    # numbers in the order things were reported, a block per district and day from the live sequence
    by_day: dict[tuple[str, date], list[Timeline]] = {}
    for timeline in sorted(timelines, key=lambda t: t.order.reported_at):
        day = timezone.localdate(timeline.order.reported_at)
        by_day.setdefault((timeline.district, day), []).append(timeline)
    for (district, day), members in sorted(by_day.items()):
        for timeline, number in zip(members, reserve_numbers(district, day, len(members)), strict=True):
            timeline.order.number = number
    for timeline, pk in zip(timelines, bulk.new_ids(WorkOrder, len(timelines)), strict=True):
        timeline.order.pk = pk
        timeline.order.updated_at = timeline.events[-1].at  # when it last changed, not when it was imported
    notes = _link_merges(timelines)
    bulk.write(WorkOrder, [timeline.order for timeline in timelines], with_id=True)
    _write_events([(t.order.pk, e) for t in timelines for e in t.events] + notes)
    statuses = Counter(t.status for t in timelines)
    numbers = sorted(t.order.number for t in timelines)
    audit.record_many(
        [
            audit.entry(
                actor=actor,
                action="work_order.history_import",
                region_path=_common_path([t.order.region_path for t in timelines]),
                after={"count": len(timelines), "first": numbers[0], "last": numbers[-1], "statuses": dict(statuses)},
            )
        ]
    )
    return HistoryResult(len(timelines), [t.order.number for t in timelines], dict(statuses))


def _link_merges(timelines: list[Timeline]) -> list[tuple[int, Event]]:
    """Point each merged order at its survivor and note the merge on the survivor's timeline.

    A merged into B, B later into C: A's reporters follow C, as they would have live. The batch's checks make a
    loop impossible (a merged order is no longer open to be merged into). Returns the notes on existing orders.
    """
    by_key = {t.order.idempotency_key.removeprefix(KEY_PREFIX): t for t in timelines if t.order.idempotency_key}
    merged = [t for t in timelines if t.merge_into]
    outside = _existing([t.merge_into or "" for t in merged if t.merge_into not in by_key])
    notes: list[tuple[int, Event]] = []
    for timeline in merged:
        survivor = by_key.get(timeline.merge_into or "")
        target = survivor.order if survivor else outside[timeline.merge_into or ""]
        merge = next(e for e in timeline.events if e.action == Action.MERGE)
        merge.data = {**merge.data, "into": target.number}
        status = survivor.status_at(merge.at) if survivor else target.status
        note = Event(
            Action.NOTE,
            status,
            status,
            merge.actor,
            merge.label,
            _("工单 %(number)s 作为重复上报合并到本工单。") % {"number": timeline.order.number},
            {"merged": timeline.order.number, "followers": []},
            merge.at,
        )
        if survivor:
            survivor.events.append(note)
            survivor.events.sort(key=lambda e: e.at)
        else:
            notes.append((target.pk, note))
        last = timeline
        while last.merge_into in by_key:
            last = by_key[last.merge_into or ""]
        timeline.order.merged_into_id = outside[last.merge_into].pk if last.merge_into else last.order.pk
    return notes


def _common_path(paths: Iterable[str]) -> str:
    """The district every order lies in (or the city, for a batch across districts), for the audit row's scope:
    an import is the district's business, not that of the streets or grids the orders happen to share."""
    split = [p.strip("/").split("/")[:2] for p in paths]
    common: list[str] = []
    for codes in zip(*split, strict=False):
        if len(set(codes)) != 1:
            break
        common.append(codes[0])
    return "/" + "".join(f"{code}/" for code in common) if common else ""


def history_records_from_lines(lines: Iterable[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Records of a JSONL file (one object a line; blank lines skipped) and a problem for each unreadable line."""
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(_("第 %(n)s 行：不是有效的 JSON（%(error)s）。") % {"n": number, "error": error.msg})
            continue
        if not isinstance(value, dict):
            problems.append(_("第 %(n)s 行：须是一个 JSON 对象。") % {"n": number})
            continue
        records.append(value)
    return records, problems
