"""Background work of the linkage platform, run by `civicgrid worker`."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from civicgrid.workorders import services

SWEEP_EVERY = timedelta(minutes=5)


@task()
def auto_dispatch(work_order_id: int) -> str | None:
    order = services.auto_dispatch(work_order_id=work_order_id)
    return order.number if order else None


@task()
def sweep_deadlines(reschedule: bool = True) -> dict[str, int]:
    """Overdue marks, supervision and auto-escalation; then it books its own next run."""
    counts = services.sweep_deadlines()
    if reschedule:
        sweep_deadlines.using(run_after=timezone.now() + SWEEP_EVERY).enqueue()
    return counts


def ensure_sweep_scheduled() -> bool:
    """Book a sweep unless one is already waiting (the worker calls this when it starts)."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=sweep_deadlines.module_path, status__in=["READY", "RUNNING"]
    ).exists()
    if not waiting:
        sweep_deadlines.enqueue()
    return not waiting
