"""Exporting a ledger to Excel: the rows of the actor's reach, masked unless the actor may unmask and asks to with a
reason, with the exporter and the time in the header, logged in the access log with the number of rows."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit, personal_data
from civicgrid.core.errors import PermissionDenied, ValidationError
from civicgrid.registry import ledgers, policy, selectors
from civicgrid.registry.services.imports import common_path
from civicgrid.registry.spreadsheets import workbook_bytes

CHUNK = 2000


@dataclass(frozen=True)
class ExportFile:
    file_name: str
    content: bytes
    rows: int
    content_type: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _may_export_unmasked(actor: Any, within_path: str | None) -> bool:
    """Unmasked export needs the right over everything exported: the region asked for, or all the actor reads."""
    allowed = policy.allowed_paths(actor, "export_unmasked")
    if allowed is None:
        return True
    if not allowed:
        return False
    wanted = [within_path] if within_path else list(policy.reach_paths(actor) or ())
    return bool(wanted) and all(any(path.startswith(p) for p in allowed) for path in wanted)


@transaction.atomic
def ledger_export(
    *, actor: Any, key: str, within: str | None = None, q: str = "", unmasked: bool = False, reason: str = ""
) -> ExportFile:
    definition, rows = selectors.ledger_queryset(actor=actor, key=key, within=within, q=q)
    region = selectors.region_in_reach(actor=actor, code=within)
    if unmasked:
        if not _may_export_unmasked(actor, region.path if region else None):
            raise PermissionDenied(
                _("导出完整个人信息需要以下岗位之一：%(roles)s。") % {"roles": policy.role_names("export_unmasked")}
            )
        if len((reason or "").strip()) < 2:
            raise ValidationError(_("导出完整个人信息须填写事由。"), errors={"reason": [_("请填写事由。")]})
    count = rows.count()
    if count > ledgers.MAX_EXPORT_ROWS:
        message = _("共 %(n)s 行，超过一次导出的上限 %(max)s 行；请选择街道或社区后分别导出。") % {
            "n": f"{count:,}",
            "max": f"{ledgers.MAX_EXPORT_ROWS:,}",
        }
        raise ValidationError(message, errors={"within": [message]})
    ctx = ledgers.context(unmasked=unmasked, key_person_paths=policy.allowed_paths(actor, "key_persons"))
    now = timezone.localtime()
    exporter = getattr(actor, "display_name", "") or (actor.get_username() if actor is not None else _("系统"))
    scope = region.name if region is not None else _("管辖范围内全部")
    privacy = (
        _("完整个人信息（事由：%(reason)s）") % {"reason": reason.strip()} if unmasked else _("身份证号码、电话已脱敏")
    )
    meta = [
        _("导出人：%(who)s    导出时间：%(when)s") % {"who": exporter, "when": now.strftime("%Y-%m-%d %H:%M")},
        _("范围：%(scope)s    共 %(n)s 行    %(privacy)s") % {"scope": scope, "n": count, "privacy": privacy},
    ]
    columns = definition.column_defs

    def body() -> Any:
        chunk: list[Any] = []
        for obj in rows.iterator(chunk_size=CHUNK):
            chunk.append(obj)
            if len(chunk) == CHUNK:
                yield from ledgers.rows(definition, chunk, ctx)
                chunk = []
        if chunk:
            yield from ledgers.rows(definition, chunk, ctx)

    content = workbook_bytes(
        title=definition.title,
        meta=meta,
        headers=[str(c.label) for c in columns],
        rows=body(),
        widths=[c.width for c in columns],
    )
    region_path = region.path if region is not None else _scope_path(actor)
    personal_data.log_export(
        actor=actor,
        model=definition.model,
        what=_("台账“%(name)s”") % {"name": definition.title},
        subject=f"ledger:{definition.key}",
        count=count,
        fields=definition.personal_fields,
        unmasked=unmasked,
        reason=reason,
        region_path=region_path,
    )
    audit.record(
        actor=actor,
        action="registry.ledger_export",
        after={"ledger": definition.key, "within": within or "", "rows": count, "unmasked": unmasked},
        region_path=region_path,
    )
    return ExportFile(file_name=f"{definition.title}-{now:%Y%m%d-%H%M}.xlsx", content=content, rows=count)


def _scope_path(actor: Any) -> str:
    paths = policy.reach_paths(actor)
    if not paths:
        return ""
    return common_path(paths)
