"""Writes of the command centre: it owns no records, so it only logs who exported figures and dispatches through
the work-order service."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import ValidationError
from civicgrid.workorders import services as workorders
from civicgrid.workorders.choices import Action
from civicgrid.workorders.models import WorkOrder


@transaction.atomic
def figures_export_record(
    *, actor: Any, region_path: str, period: str, group_by: str, filters: dict[str, str], rows: int
) -> None:
    """An export of figures is an access like a view of a ledger: the audit log says who took which table."""
    audit.record(
        actor=actor,
        action="figures.export",
        region_path=region_path,
        after={"period": period, "group_by": group_by, "filters": filters, "rows": rows},
    )


def map_dispatch(
    *, actor: Any, work_order_id: int, expected_version: int, department_code: str = "", assignee: str = ""
) -> WorkOrder:
    """One-click dispatch from the command map, to the handler the popup showed (the work-order service checks
    the transition, the actor's party, the version and the handler, in one transaction)."""
    if expected_version < 1:
        raise ValidationError(_("缺少工单版本，请刷新地图后再派遣。"))
    return workorders.act(
        actor=actor,
        work_order_id=work_order_id,
        action=Action.DISPATCH,
        expected_version=expected_version,
        department_code=department_code or None,
        assignee=assignee or None,
    )
