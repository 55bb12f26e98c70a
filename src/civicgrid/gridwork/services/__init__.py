"""The writers of grid work. Every service takes a keyword-only `actor`, runs in one transaction and writes an audit
row per change (track batches excepted: each batch is itself the timestamped record of what the phone sent)."""

from civicgrid.gridwork.services.guide import (
    GuideLoaded,
    GuideRejected,
    assignment_act,
    assignment_create,
    default_guide_path,
    guide_load,
)
from civicgrid.gridwork.services.history import HistoryRejected, history_import
from civicgrid.gridwork.services.leave import leave_act, leave_request
from civicgrid.gridwork.services.logs import log_write
from civicgrid.gridwork.services.patrols import (
    BatchResult,
    Point,
    patrol_points_add,
    patrol_start,
    patrol_stop,
    track_of,
)
from civicgrid.gridwork.services.problems import (
    Decision,
    WorkOrderDetails,
    allowed_actions,
    meeting_cancel,
    meeting_hold,
    meeting_plan,
    problem_act,
    problem_record,
)
from civicgrid.gridwork.services.visits import visit_record

__all__ = [
    "BatchResult",
    "Decision",
    "GuideLoaded",
    "GuideRejected",
    "HistoryRejected",
    "Point",
    "WorkOrderDetails",
    "allowed_actions",
    "assignment_act",
    "assignment_create",
    "default_guide_path",
    "guide_load",
    "history_import",
    "leave_act",
    "leave_request",
    "log_write",
    "meeting_cancel",
    "meeting_hold",
    "meeting_plan",
    "patrol_points_add",
    "patrol_start",
    "patrol_stop",
    "problem_act",
    "problem_record",
    "track_of",
    "visit_record",
]
