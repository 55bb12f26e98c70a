"""Background work of the service centres, run by `civicgrid worker`: overdue marks and the end of the day."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from civicgrid.hall import rollup, services

SWEEP_EVERY = timedelta(minutes=5)


@task()
def sweep(reschedule: bool = True) -> dict[str, int]:
    """Mark forwarded applications past their promised deadline overdue; close yesterday's queue; roll up the
    statistics of the days that ended (or changed); then book the next run."""
    overdue = services.applications_sweep()
    day = services.queue_sweep()
    rolled = rollup.refresh()  # after the queue sweep: a day is rolled up once its tickets are closed
    if reschedule:
        sweep.using(run_after=timezone.now() + SWEEP_EVERY).enqueue()
    return {
        "overdue": overdue,
        "tickets_closed": day.tickets_closed,
        "counters_signed_out": day.counters_signed_out,
        "appointments_missed": day.appointments_missed,
        "days_rolled_up": rolled.days,
    }


def ensure_sweep_scheduled() -> bool:
    """Book a sweep unless one is already waiting (the worker calls this when it starts)."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(task_path=sweep.module_path, status__in=["READY", "RUNNING"]).exists()
    if not waiting:
        sweep.enqueue()
    return not waiting
