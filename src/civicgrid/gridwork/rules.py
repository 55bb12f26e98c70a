"""The numbers grid work runs on, in one place (docs/gridwork.md explains each). A district that wants others sets
`GRIDWORK_RULES` in its settings, e.g. `{"daily_hours": 5, "max_speed_kmh": 25}`."""

from django.conf import settings

from civicgrid.gridwork.track import TrackRules

_overrides: dict[str, float] = dict(getattr(settings, "GRIDWORK_RULES", {}) or {})

# The 4-hour rule (4小时网格工作制): time inside one's grid each working day.
DAILY_HOURS: float = float(_overrides.get("daily_hours", 4))
DAILY_SECONDS: int = int(DAILY_HOURS * 3600)

TRACK = TrackRules(
    max_accuracy_m=float(_overrides.get("max_accuracy_m", 50)),
    max_speed_kmh=float(_overrides.get("max_speed_kmh", 30)),
    max_gap_seconds=float(_overrides.get("max_gap_seconds", 300)),
    min_step_m=float(_overrides.get("min_step_m", 10)),
    reanchor_after=int(_overrides.get("reanchor_after", 5)),
)

# What an upload may hold. A phone sends every 5-10 s and uploads every minute or so: 2,000 points is more than
# three hours at one fix a second, so a bigger batch is a bug or an attack, not a backlog.
MAX_BATCH_POINTS = 2000
# A patrol of 16 hours at one fix a second; beyond it the patrol is refused more points.
MAX_PATROL_POINTS = 60_000
MAX_PATROL_HOURS = 16
# Phones' clocks drift: a point may be this much before the patrol's start or after "now".
CLOCK_SKEW_SECONDS = 120
# A point farther than this from the patrol's grid is not a GPS error one can walk to: another city or continent.
MAX_KM_FROM_GRID = 50.0

# Leave: how long one request may be, and how far back it may be recorded (sick leave is often written afterwards).
MAX_LEAVE_DAYS = 180
LEAVE_BACKDATE_DAYS = 31

# The community log may be written for today or the day before (a worker back late writes it next morning); after
# that it is a record and stays as it is.
LOG_EDITABLE_DAYS = 1
