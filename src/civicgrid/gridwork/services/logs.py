"""The community log (民情日记): one entry per grid worker and day, written on the day or the day after."""

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import Conflict, PermissionDenied, ValidationError
from civicgrid.gridwork import rules, selectors
from civicgrid.gridwork.models import CommunityLog
from civicgrid.gridwork.services.common import clean_text


@transaction.atomic
def log_write(
    *, actor: Any, day: date, content: str, weather: str = "", today: date | None = None
) -> tuple[CommunityLog, bool]:
    """Write (or rewrite) the actor's log for `day`; True when it is new. Older days are records: they stay."""
    today = today or timezone.localdate()
    grids = selectors.my_grids(actor, on=day)
    if not grids:
        raise PermissionDenied(_("只有在岗的网格员写民情日记。"))
    if day > today or day < today - timedelta(days=rules.LOG_EDITABLE_DAYS):
        message = _("只能写今天或昨天的民情日记。")
        raise ValidationError(message, errors={"day": [message]})
    content = clean_text(content, field="content", label=_("民情记录"), limit=5000, required=True)
    weather = clean_text(weather, field="weather", label=_("天气"), limit=20, required=False)
    log = CommunityLog.objects.select_for_update().filter(worker=actor, day=day).first()
    created = log is None
    before = None if log is None else {"content": log.content, "weather": log.weather}
    if log is None:
        log = CommunityLog(worker=actor, day=day)
        log.place_in(grids[0])
    log.content = content
    log.weather = weather
    try:
        with transaction.atomic():
            log.save()
    except IntegrityError as error:  # the same day's first entry sent twice at once
        raise Conflict(_("今天的民情日记刚刚已保存，请刷新后再修改。")) from error
    audit.record(
        actor=actor,
        action="community_log.write",
        obj=log,
        before=before,
        after={"day": day, "content": content, "weather": weather},
    )
    return log, created
