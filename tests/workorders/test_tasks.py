"""Background work: auto dispatch after a report commits, and the deadline sweep that books its own next run."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from civicgrid.core.models import Notification
from civicgrid.workorders import services, tasks
from civicgrid.workorders.choices import Source, Status, Supervision
from civicgrid.workorders.models import WorkOrder
from tests.workorders.conftest import IN_A1

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


def report(code: str, description: str) -> WorkOrder:
    return services.report(
        actor=None,
        description=description,
        source=Source.RESIDENT,
        lon=IN_A1[0],
        lat=IN_A1[1],
        incident_type_code=code,
        reporter_phone="13912345678",
    )


def test_a_report_of_an_auto_dispatch_type_goes_to_the_nearest_officer_once_it_is_committed(
    linkage, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    services.position_report(actor=linkage.police_1, lon=IN_A1[0] + 0.005, lat=IN_A1[1])
    services.position_report(actor=linkage.police_2, lon=IN_A1[0] + 0.001, lat=IN_A1[1])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = report("0401", "一辆白色轿车堵住小区消防通道")
        # nothing is dispatched before the report is committed
        assert WorkOrder.objects.get(pk=order.pk).status == Status.REPORTED
    assert callbacks
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.assignee == linkage.police_2
    assert order.department == linkage.police
    assert Notification.objects.filter(recipient=linkage.police_2, channel="inbox", url__contains=order.number).exists()
    assert not Notification.objects.filter(recipient=linkage.police_1).exists()
    # the reporter hears it was registered
    assert Notification.objects.filter(phone="13912345678", subject="您的上报已立案").exists()


def test_an_auto_dispatch_type_with_nobody_on_the_street_goes_to_the_department(
    linkage, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        order = report("0202", "化粪池满了，污水漫到楼道口")
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.department == linkage.water and order.assignee is None
    assert Notification.objects.filter(recipient=linkage.water_handler, channel="inbox").count() == 1


def test_a_type_that_waits_for_an_operator_is_not_dispatched_by_the_task(
    linkage, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = report("0201", "下水道堵了")
    assert not callbacks
    order.refresh_from_db()
    assert order.status == Status.REPORTED


def test_the_auto_dispatch_task_is_queued_in_the_database_with_the_order_id(
    linkage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = report("0401", "一辆白色轿车堵住小区消防通道")
    queued = DBTaskResult.objects.get(task_path=tasks.auto_dispatch.module_path)
    assert queued.args_kwargs["kwargs"] == {"work_order_id": order.pk}
    # when the worker runs it
    assert tasks.auto_dispatch.call(work_order_id=order.pk) == order.number
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED


def test_the_sweep_task_marks_overdue_and_books_its_next_run(linkage):
    order = report("0201", "下水道堵了")
    WorkOrder.objects.filter(pk=order.pk).update(dispatch_due_at=timezone.now() - timedelta(minutes=1))
    before = timezone.now()
    counts = tasks.sweep_deadlines.call()
    assert counts == {"overdue": 1, "escalated": 0, "red": 0}
    order.refresh_from_db()
    assert order.is_overdue and order.supervision == Supervision.YELLOW
    booked = DBTaskResult.objects.get(task_path=tasks.sweep_deadlines.module_path)
    assert booked.status == "READY"
    assert before + tasks.SWEEP_EVERY <= booked.run_after <= timezone.now() + tasks.SWEEP_EVERY
    # a sweep run by hand books nothing
    assert tasks.sweep_deadlines.call(reschedule=False) == {"overdue": 0, "escalated": 0, "red": 0}
    assert DBTaskResult.objects.filter(task_path=tasks.sweep_deadlines.module_path).count() == 1


def test_a_starting_worker_books_a_sweep_only_when_none_is_waiting(db):
    assert tasks.ensure_sweep_scheduled() is True
    assert tasks.ensure_sweep_scheduled() is False
    assert DBTaskResult.objects.filter(task_path=tasks.sweep_deadlines.module_path).count() == 1
