"""Importing historical work orders: whole timelines replayed through the transition table, all or nothing."""

import json
import re
from datetime import datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.workorders import history, selectors, services
from civicgrid.workorders.choices import Action, Source, Status, Supervision
from civicgrid.workorders.models import WorkOrder, WorkOrderEvent, WorkOrderSequence
from tests.workorders.conftest import IN_A1, IN_B1

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMBER = re.compile(r"^320106-\d{8}-\d{5}$")


def at(text: str) -> str:
    """A Beijing time in March 2026 (Monday 2 March is a working day), as an ISO string the way files carry it."""
    return datetime.fromisoformat(f"2026-03-{text}").replace(tzinfo=SHANGHAI).isoformat()


def closed_and_rated(**overrides) -> dict:
    """A blocked drain reported by a resident, dispatched to the water department, fixed, checked and rated."""
    record = {
        "key": "GL-2026-0001",
        "incident_type": "0201",
        "description": "仙霞路5号门口下水道堵塞，污水反上来。",
        "address": "仙霞路5号",
        "source": Source.RESIDENT,
        "lon": IN_A1[0],
        "lat": IN_A1[1],
        "reporter_name": "王女士",
        "reporter_phone": "13912345678",
        "status": Status.RATED,
        "events": [
            {"action": "report", "at": at("02T09:00"), "by": "resident"},
            {"action": "dispatch", "at": at("02T09:20"), "actor": "operator_a", "department": "water"},
            {"action": "sign", "at": at("02T09:40"), "actor": "water_1"},
            {"action": "handle", "at": at("02T15:00"), "actor": "water_1", "note": "已疏通，现场恢复正常。"},
            {"action": "verify_pass", "at": at("02T16:00"), "actor": "worker_a1"},
            {"action": "rate", "at": at("03T10:00"), "by": "resident", "rating": 5, "comment": "很及时"},
        ],
    }
    record.update(overrides)
    return record


def test_a_closed_and_rated_history_is_written_with_its_timeline_deadlines_and_a_number(linkage):
    # given the record of a drain fixed and rated in March
    # when it is imported
    result = history.history_import(actor=None, records=[closed_and_rated()])
    # then the work order stands as the district would have seen it live
    order = WorkOrder.objects.get()
    assert result.count == 1 and result.numbers == [order.number] == ["320106-20260302-00001"]
    assert order.status == Status.RATED and order.rating == 5 and order.rating_comment == "很及时"
    assert order.region == linkage.tree.grid_a1 and order.level == "street"
    assert order.department == linkage.water and order.assignee == linkage.water_handler
    assert order.reporter is None and order.reporter_phone == "13912345678"
    local = {name: getattr(order, name).astimezone(SHANGHAI) for name in ("reported_at", "dispatched_at", "closed_at")}
    assert local["reported_at"] == datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    assert local["dispatched_at"] == datetime(2026, 3, 2, 9, 20, tzinfo=SHANGHAI)
    assert local["closed_at"] == datetime(2026, 3, 2, 16, 0, tzinfo=SHANGHAI)
    # deadlines on the working-day calendar: sign within 2 working hours, handle by the close of the next working day
    assert order.sign_due_at.astimezone(SHANGHAI) == datetime(2026, 3, 2, 11, 20, tzinfo=SHANGHAI)
    assert order.handle_due_at.astimezone(SHANGHAI) == datetime(2026, 3, 3, 17, 30, tzinfo=SHANGHAI)
    assert order.handled_on_time and order.closed_on_time and not order.is_overdue
    # the timeline keeps the times things happened, who did them, and each step's change of status
    events = list(order.events.all())
    assert [e.action for e in events] == ["report", "dispatch", "sign", "handle", "verify_pass", "rate"]
    assert [e.created_at.astimezone(SHANGHAI).strftime("%d %H:%M") for e in events] == [
        "02 09:00",
        "02 09:20",
        "02 09:40",
        "02 15:00",
        "02 16:00",
        "03 10:00",
    ]
    assert [e.to_status for e in events] == ["reported", "dispatched", "signed", "handled", "closed", "rated"]
    assert all(a.to_status == b.from_status for a, b in pairwise(events))
    assert events[0].actor_label == "居民" and events[5].actor_label == "上报人"
    assert events[1].actor == linkage.operator_a
    assert events[1].data == {"type": "0201", "department": "水务局", "assignee": None}
    # the street's operator sees it; the other street's does not
    assert selectors.work_orders(actor=linkage.operator_a).filter(pk=order.pk).exists()
    assert not selectors.work_orders(actor=linkage.operator_b).filter(pk=order.pk).exists()
    # one audit row for the batch
    audit = AuditEntry.objects.get(action="work_order.history_import")
    assert audit.after["count"] == 1 and audit.after["first"] == order.number and audit.region_path == "/320100/320106/"


def test_imported_numbers_come_from_the_live_sequence_and_never_collide_with_live_reports(linkage):
    # given a live report made today
    live = services.report(actor=None, description="井盖破了", source=Source.RESIDENT, lon=IN_B1[0], lat=IN_B1[1])
    # when two orders reported earlier today are imported, and another live report follows
    from django.utils import timezone

    earlier = (timezone.now() - timezone.timedelta(seconds=1)).isoformat()
    records = [
        closed_and_rated(key=f"today-{n}", status=None, events=[{"action": "report", "at": earlier, "by": "resident"}])
        for n in (1, 2)
    ]
    imported = history.history_import(actor=None, records=records).numbers
    after = services.report(actor=None, description="又坏了一个", source=Source.RESIDENT, lon=IN_B1[0], lat=IN_B1[1])
    # then every number is well formed, unique, and today's sequence runs on without a gap
    numbers = [live.number, *imported, after.number]
    assert all(NUMBER.match(n) for n in numbers)
    assert [int(n[-5:]) for n in numbers] == [1, 2, 3, 4]
    assert WorkOrderSequence.objects.get().last == 4


def test_a_batch_with_bad_records_is_refused_whole_and_every_problem_is_named(linkage):
    # given one good record and five bad ones
    late = closed_and_rated(key="order")
    late["events"][1]["at"] = at("02T08:00")  # dispatched an hour before it was reported?
    records = [
        closed_and_rated(key="good"),
        closed_and_rated(key="type", incident_type="9999"),
        closed_and_rated(key="outside", lon=100.0, lat=30.0),
        late,
        closed_and_rated(key="status", status=Status.CLOSED),
        closed_and_rated(key="nonsense", status="done"),
    ]
    # when the batch is imported
    with pytest.raises(history.HistoryRejected) as rejected:
        history.history_import(actor=None, records=records)
    # then each bad record is named with what is wrong, and nothing at all was written
    rows = rejected.value.rows
    assert len(rows) == 5, rows
    assert "第 2 条（key type）：事件类型 9999 不存在。" in rows
    assert any(r.startswith("第 3 条（key outside）") and "不在本平台管辖的任何网格内" in r for r in rows)
    assert any(r.startswith("第 4 条（key order）") and "早于上一步" in r for r in rows)
    assert any(r.startswith("第 5 条（key status）") and "“已结案”" in r and "“已评价”" in r for r in rows)
    assert any(r.startswith("第 6 条（key nonsense）") and "状态“done”无效" in r for r in rows)
    assert "5 处错误" in rejected.value.message
    assert not WorkOrder.objects.exists() and not WorkOrderEvent.objects.exists()
    assert not WorkOrderSequence.objects.exists()
    assert not AuditEntry.objects.filter(action="work_order.history_import").exists()


@pytest.mark.parametrize(
    ("step", "position", "message"),
    [
        ({"action": "sign", "at": at("02T09:10"), "actor": "water_1"}, 1, "当前状态为“已上报”，不能“签收”"),
        ({"action": "void", "at": at("02T09:10"), "actor": "operator_a"}, 1, "请填写说明"),
        ({"action": "mark_overdue", "at": at("02T09:10"), "actor": "operator_a"}, 1, "只有系统可以执行“超期”"),
        ({"action": "dispatch", "at": at("02T09:10"), "by": "system"}, 1, "派遣须指定承办部门或承办人"),
        ({"action": "register", "at": at("02T09:10"), "actor": "nobody"}, 1, "没有用户名为“nobody”的工作人员"),
        ({"action": "register", "at": "2999-01-01T09:00:00+08:00", "actor": "operator_a"}, 1, "晚于现在"),
        ({"action": "register", "at": "yesterday", "actor": "operator_a"}, 1, "不是 ISO 8601 格式"),
        ({"action": "explode", "at": at("02T09:10"), "actor": "operator_a"}, 1, "未知的操作“explode”"),
        ({"action": "rate", "at": at("03T11:00"), "by": "resident", "rating": 6}, 5, "评价请选择 1 到 5 星"),
        ({"action": "reopen", "at": at("20T11:00"), "by": "resident", "note": "又堵了"}, 6, "结案 7 天内"),
        ({"action": "dispatch", "at": at("02T09:10"), "actor": "operator_a", "department": "moon"}, 1, "部门 moon"),
    ],
)
def test_a_step_that_could_not_have_happened_is_refused_with_its_reason(linkage, step, position, message):
    # given a record whose timeline has an impossible step at `position`
    record = closed_and_rated()
    record["events"] = [*record["events"][:position], step]
    record.pop("status")
    # when it is imported
    with pytest.raises(history.HistoryRejected) as rejected:
        history.history_import(actor=None, records=[record])
    # then the step is named and the reason given
    (row,) = rejected.value.rows
    assert f"第 {position + 1} 步" in row and message in row, row
    assert not WorkOrder.objects.exists()


def test_the_same_record_imported_twice_is_refused_the_second_time(linkage):
    history.history_import(actor=None, records=[closed_and_rated()])
    with pytest.raises(history.HistoryRejected) as rejected:
        history.history_import(actor=None, records=[closed_and_rated()])
    assert rejected.value.rows == ["第 1 条（key GL-2026-0001）：该记录已经导入过。"]
    with pytest.raises(history.HistoryRejected) as twice:
        history.history_import(actor=None, records=[closed_and_rated(key="x"), closed_and_rated(key="x")])
    assert "key 与第 1 条重复" in twice.value.rows[0]
    assert WorkOrder.objects.count() == 1


def test_a_late_order_carries_the_sweeps_marks_and_closes_late(linkage):
    # given an order the sweep marked overdue (yellow), then red a working day later, handled only after that
    record = closed_and_rated(status=Status.CLOSED)
    record["events"] = [
        *record["events"][:3],
        {"action": "mark_overdue", "at": at("03T17:33"), "by": "system", "note": "超过处置时限。"},
        {"action": "supervise", "at": at("04T17:34"), "by": "system", "note": "红牌督办", "supervision": "red"},
        {"action": "handle", "at": at("05T10:00"), "actor": "water_1", "note": "已疏通。"},
        {"action": "verify_pass", "at": at("05T11:00"), "actor": "worker_a1"},
    ]
    # when it is imported
    history.history_import(actor=None, records=[record])
    # then it shows the red supervision, was handled and closed late, and is no longer overdue once closed
    order = WorkOrder.objects.get()
    assert order.supervision == Supervision.RED
    assert order.handled_on_time is False and order.closed_on_time is False and order.is_overdue is False
    assert [e.actor_label for e in order.events.filter(action__in=["mark_overdue", "supervise"])] == ["系统", "系统"]


def test_an_extension_granted_and_a_suspension_move_the_handling_deadline(linkage):
    # given a signed order whose handler asked for 3 more working days (granted), then was suspended for a day
    record = closed_and_rated(status=Status.SIGNED)
    record["events"] = [
        *record["events"][:3],
        {"action": "request_extension", "at": at("02T10:00"), "actor": "water_1", "note": "需协调", "days": 3},
        {"action": "grant_extension", "at": at("02T11:00"), "actor": "operator_a"},
        {"action": "suspend", "at": at("03T09:00"), "actor": "operator_a", "note": "等待产权单位"},
        {"action": "resume", "at": at("04T09:00"), "actor": "operator_a"},
    ]
    # when it is imported
    history.history_import(actor=None, records=[record])
    # then the handling deadline is 3 working days past the first one, plus the 24 hours on hold
    order = WorkOrder.objects.get()
    assert order.extension_count == 1 and order.extension_pending_days is None
    assert order.handle_due_at.astimezone(SHANGHAI) == datetime(2026, 3, 7, 17, 30, tzinfo=SHANGHAI)
    assert order.status == Status.SIGNED and order.suspended_from == ""


def test_an_open_extension_request_stays_pending(linkage):
    record = closed_and_rated(status=Status.SIGNED)
    record["events"] = [
        *record["events"][:3],
        {"action": "request_extension", "at": at("02T10:00"), "actor": "water_1", "note": "需协调", "days": 2},
    ]
    history.history_import(actor=None, records=[record])
    assert WorkOrder.objects.get().extension_pending_days == 2


def test_a_duplicate_merged_into_another_record_of_the_batch_follows_it(linkage):
    # given a second report of the same drain, merged into the first while that was being handled
    duplicate = closed_and_rated(key="GL-2026-0002", status=Status.MERGED, description="下水道又堵了")
    duplicate["events"] = [
        {"action": "report", "at": at("02T09:30"), "by": "resident"},
        {"action": "merge", "at": at("02T09:50"), "actor": "operator_a", "into": "GL-2026-0001", "note": "重复"},
    ]
    # when both are imported
    history.history_import(actor=None, records=[closed_and_rated(), duplicate])
    # then the duplicate points at the first, and the first's timeline says so at the time of the merge
    first = WorkOrder.objects.get(idempotency_key="import:GL-2026-0001")
    merged = WorkOrder.objects.get(idempotency_key="import:GL-2026-0002")
    assert merged.status == Status.MERGED and merged.merged_into == first
    assert merged.events.get(action=Action.MERGE).data["into"] == first.number
    note = first.events.get(action=Action.NOTE)
    assert merged.number in note.note and note.from_status == note.to_status == Status.SIGNED
    # and a merge into an order that was already closed by then is refused
    late = closed_and_rated(key="GL-2026-0003", status=Status.MERGED)
    late["events"] = [
        {"action": "report", "at": at("04T09:30"), "by": "resident"},
        {"action": "merge", "at": at("04T09:50"), "actor": "operator_a", "into": "GL-2026-0004", "note": "重复"},
    ]
    with pytest.raises(history.HistoryRejected) as rejected:
        history.history_import(actor=None, records=[closed_and_rated(key="GL-2026-0004"), late])
    assert "未在办理中" in rejected.value.rows[0]


def test_only_a_district_administrator_or_the_system_imports(linkage):
    with pytest.raises(PermissionDenied):
        history.history_import(actor=linkage.operator_a, records=[closed_and_rated()])
    assert not WorkOrder.objects.exists()
    history.history_import(actor=linkage.tree.admin, records=[closed_and_rated()])
    assert AuditEntry.objects.get(action="work_order.history_import").actor == linkage.tree.admin


def test_the_command_imports_a_jsonl_file_in_batches(linkage, tmp_path, capsys):
    # given a file of three work orders, one a line
    path = tmp_path / "orders.jsonl"
    lines = [json.dumps(closed_and_rated(key=f"L{n}"), ensure_ascii=False) for n in range(3)]
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    # when the command imports it two at a time
    call_command("import_work_orders", str(path), batch=2)
    # then all three are there, with one audit row per batch
    assert WorkOrder.objects.count() == 3
    assert AuditEntry.objects.filter(action="work_order.history_import").count() == 2
    assert "已导入 3 件历史工单" in capsys.readouterr().out


def test_the_command_refuses_a_file_with_a_broken_line_and_names_it(linkage, tmp_path, capsys):
    path = tmp_path / "orders.jsonl"
    path.write_text(json.dumps(closed_and_rated(), ensure_ascii=False) + "\n{not json\n[1, 2]\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_work_orders", str(path))
    errors = capsys.readouterr().err
    assert "第 2 行：不是有效的 JSON" in errors and "第 3 行：须是一个 JSON 对象" in errors
    assert not WorkOrder.objects.exists()


def test_a_bad_record_in_a_later_batch_stops_the_command_before_anything_is_written(linkage, tmp_path):
    path = tmp_path / "orders.jsonl"
    records = [closed_and_rated(key="A"), closed_and_rated(key="B"), closed_and_rated(key="C", incident_type="0000")]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_work_orders", str(path), batch=1)
    assert not WorkOrder.objects.exists()


def test_values_of_the_wrong_kind_are_problems_not_crashes(linkage):
    # given records a broken converter might write: wrong types everywhere
    odd = closed_and_rated(key="odd")
    odd["events"][5] = {"action": "rate", "at": at("03T10:00"), "by": "resident", "rating": 5, "comment": 5}
    records = [
        closed_and_rated(key="events", events=5),
        closed_and_rated(key="steps", events=["report"]),
        closed_and_rated(key="lon", lon="118.7"),
        closed_and_rated(key="text", description=["下水道"]),
        closed_and_rated(key="phone", reporter_phone=13912345678),
        {"key": 7, "source": "resident"},
        odd,
        "not a record",
    ]
    # when they are imported
    with pytest.raises(history.HistoryRejected) as rejected:
        history.history_import(actor=None, records=records)
    # then every one is named, and nothing was written
    rows = rejected.value.rows
    for position in range(1, len(records) + 1):
        assert any(row.startswith(f"第 {position} 条") for row in rows), (position, rows)
    assert not WorkOrder.objects.exists()
