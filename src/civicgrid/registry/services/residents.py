"""Residents: registering them in a household (or only in a grid), correcting their file, moving them between
households (one household at a time: `Resident.household`; each finished stay kept as a `PastMembership`), recording
that they left or died, and the key-person flag (only roles allowed by the policy may set or see it)."""

from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import Conflict, NotFound, TransitionNotAllowed
from civicgrid.registry import policy
from civicgrid.registry.choices import CodeList, MoveReason, ResidenceStatus, ResidentStatus
from civicgrid.registry.models import Code, Household, PastMembership, Resident, ResidentTag
from civicgrid.registry.services.common import grid_by_code, locked, masked_snapshot
from civicgrid.registry.validation import (
    CodeBook,
    check_floating,
    check_tags_fit,
    clean_resident,
    invalid,
    parse_bool,
    parse_date,
)

RESIDENT_FIELDS = (
    "name", "former_name", "id_number", "sex", "birth_date", "ethnicity", "native_place", "registered_address",
    "education", "marital_status", "political_status", "occupation", "workplace", "phone", "residence_status",
    "inflow_reason", "floating_since", "relation", "categories_reviewed_on", "notes",
)  # fmt: skip
LEAVE_REASONS = {MoveReason.MOVED_OUT: ResidentStatus.MOVED_OUT, MoveReason.DECEASED: ResidentStatus.DECEASED}


def _check_unique_id(id_number: str, *, actor: Any, household: Household | None, exclude: int | None = None) -> None:
    """An ID number is registered once. The message says whether the person lives elsewhere (then a move is
    what is wanted), without saying where unless the actor may see it."""
    if not id_number:
        return
    others = Resident.objects.filter(id_number=id_number).select_related("household")
    other = (others.exclude(pk=exclude) if exclude is not None else others).first()
    if other is None:
        return
    if other.household_id and household is not None and other.household_id != household.pk:
        seen = policy.visible(actor, Resident.objects.filter(pk=other.pk)).exists()
        where = _("（%(address)s）") % {"address": other.household.address} if seen and other.household else ""
        message = _("该居民已登记在另一户%(where)s，一人同时只能属于一户；如已搬家，请办理迁移。") % {"where": where}
        raise invalid("id_number", message)
    raise invalid("id_number", _("该身份证号码已登记，同一居民不能重复登记。"))


def _check_head(household: Household, relation: Code | None, *, exclude: int | None = None) -> None:
    """A household has one head (户主)."""
    if relation is None or not relation.extra.get("head"):
        return
    others = household.residents.filter(status=ResidentStatus.ACTIVE, relation=relation)
    if (others.exclude(pk=exclude) if exclude is not None else others).exists():
        raise invalid("relation", _("该户已有户主；请先更改原户主的关系。"))


def _set_tags(resident: Resident, tags: list[Code]) -> None:
    ResidentTag.objects.filter(resident=resident).exclude(code__in=tags).delete()
    existing = set(ResidentTag.objects.filter(resident=resident).values_list("code_id", flat=True))
    ResidentTag.objects.bulk_create([ResidentTag(resident=resident, code=t) for t in tags if t.pk not in existing])


def _tag_codes(resident: Resident) -> list[str]:
    return sorted(ResidentTag.objects.filter(resident=resident).values_list("code__code", flat=True))


@transaction.atomic
def resident_register(
    *, actor: Any, household_id: int | None = None, grid_code: str | None = None, **data: Any
) -> Resident:
    """Register a resident in a household (or, without one, in a grid). Categories count as reviewed today
    unless another review date is given."""
    today = timezone.localdate()
    book = CodeBook()
    household = None
    if household_id is not None:
        household = locked(actor, Household.objects.select_related("grid"), household_id)
        if household.status == "closed":
            raise invalid("household_id", _("该户已注销，不能再登记成员。"))
        grid = household.grid
    else:
        grid = grid_by_code(actor, grid_code)
    cleaned = clean_resident(data, book, today=today)
    values = cleaned.values
    if values.get("relation") is not None and household is None:
        raise invalid("relation", _("只有登记在某一户时才填写与户主关系。"))
    check_floating(values)
    check_tags_fit(cleaned.tags, values["birth_date"], today)
    values.setdefault("categories_reviewed_on", today)
    if values["categories_reviewed_on"] is None:
        values["categories_reviewed_on"] = today
    _check_unique_id(values["id_number"], actor=actor, household=household)
    if household is not None:
        _check_head(household, values.get("relation"))
    try:
        with transaction.atomic():
            resident = Resident.objects.create(
                household=household, household_since=today if household else None, grid=grid, **values
            )
    except IntegrityError as error:  # the same number registered at the same moment by someone else
        raise Conflict(_("该身份证号码刚刚已被登记，请刷新后核对。")) from error
    _set_tags(resident, cleaned.tags)
    after = {**masked_snapshot(resident, RESIDENT_FIELDS), "household": household_id, "tags": _tag_codes(resident)}
    audit.record(actor=actor, action="resident.register", obj=resident, after=after)
    return resident


@transaction.atomic
def resident_update(
    *,
    actor: Any,
    resident_id: int,
    reviewed: bool = False,
    expected_updated_at: datetime | None = None,
    **data: Any,
) -> Resident:
    """Correct a resident's file. `tags` replaces the categories and care tags; `reviewed` records that they were
    confirmed today (the categories clear). `expected_updated_at` is when the file was last changed as the editor
    saw it: if someone saved it since, the correction is refused instead of overwriting theirs."""
    today = timezone.localdate()
    resident = locked(actor, Resident.objects.select_related("grid", "household"), resident_id)
    if resident.status != ResidentStatus.ACTIVE:
        raise TransitionNotAllowed(_("该居民已迁出或死亡，档案不能再修改。"))
    if expected_updated_at is not None and expected_updated_at != resident.updated_at:
        raise Conflict(_("该居民档案在您打开后已被他人修改，请刷新后再改。"))
    data = dict(data)
    if {"id_number", "birth_date", "sex"} & set(data):
        # The three must agree: what is not being changed comes from the file.
        data.setdefault("id_number", resident.id_number)
        if not data["id_number"]:
            data.setdefault("birth_date", resident.birth_date)
            data.setdefault("sex", resident.sex)
    if "name" in data and not data["name"]:
        raise invalid("name", _("请填写姓名。"))
    cleaned = clean_resident(data, CodeBook(), today=today, partial=True)
    values = cleaned.values
    if "relation" in values and resident.household is None and values["relation"] is not None:
        raise invalid("relation", _("只有登记在某一户时才填写与户主关系。"))
    status = values.get("residence_status", resident.residence_status)
    if status != ResidenceStatus.FLOATING:
        # No longer floating: what only floating residents have goes with it.
        if "inflow_reason" in values or "floating_since" in values:
            check_floating({"residence_status": status, **values})
        values["inflow_reason"], values["floating_since"] = None, None
    if "id_number" in values:
        _check_unique_id(values["id_number"], actor=actor, household=resident.household, exclude=resident.pk)
    if "relation" in values and resident.household is not None:
        _check_head(resident.household, values["relation"], exclude=resident.pk)
    birth = values.get("birth_date", resident.birth_date)
    tags = cleaned.tags if "tags" in data else list(resident.tags.all())
    check_tags_fit(tags, birth, today)
    if reviewed:
        values["categories_reviewed_on"] = today
    changed = [name for name, value in values.items() if getattr(resident, name) != value]
    old_tags = _tag_codes(resident)
    new_tags = sorted(t.code for t in tags)
    if not changed and old_tags == new_tags:
        return resident
    before = {**masked_snapshot(resident, changed), **({"tags": old_tags} if old_tags != new_tags else {})}
    for name in changed:
        setattr(resident, name, values[name])
    try:
        with transaction.atomic():
            resident.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as error:
        raise Conflict(_("该身份证号码刚刚已被登记，请刷新后核对。")) from error
    if "tags" in data:
        _set_tags(resident, tags)
    after = {**masked_snapshot(resident, changed), **({"tags": new_tags} if old_tags != new_tags else {})}
    audit.record(actor=actor, action="resident.update", obj=resident, before=before, after=after)
    return resident


def _end_stay(resident: Resident, on: date, reason: str) -> None:
    """Keep the resident's stay in their current household as history: it ends on `on`."""
    if resident.household is None:
        return
    if resident.household_since is not None and on < resident.household_since:
        raise invalid("on", _("日期不能早于入户日期（%(day)s）。") % {"day": resident.household_since})
    PastMembership.objects.create(
        household=resident.household,
        resident=resident,
        relation=resident.relation,
        started_on=resident.household_since,
        ended_on=on,
        end_reason=reason,
    )


@transaction.atomic
def resident_move(
    *,
    actor: Any,
    resident_id: int,
    household_id: int,
    relation: Any = None,
    on: date | str | None = None,
    reason: str = MoveReason.MOVED_WITHIN,
) -> Resident:
    """Move a resident into another household: the current membership ends and a new one begins the same day.

    The actor must see the resident and may edit the household they move into."""
    resident = locked(actor, Resident.objects.select_related("grid", "household"), resident_id, action="read")
    if resident.status != ResidentStatus.ACTIVE:
        raise TransitionNotAllowed(_("该居民已迁出或死亡，不能迁移。"))
    target = locked(actor, Household.objects.select_related("grid"), household_id)
    if target.status == "closed":
        raise invalid("household_id", _("该户已注销，不能迁入。"))
    if resident.household_id == target.pk:
        raise invalid("household_id", _("该居民已在这一户。"))
    if reason not in (MoveReason.MOVED_WITHIN, MoveReason.MOVED_IN, MoveReason.CORRECTED):
        raise invalid("reason", _("迁移原因应为辖区内迁移、迁入或信息更正。"))
    day = parse_date(on, field_name="on", label=_("迁移日期")) or timezone.localdate()
    code = CodeBook().find(CodeList.RELATION, relation, field_name="relation", label=_("与户主关系"))
    _check_head(target, code, exclude=resident.pk)
    before = {"household": resident.household_id, "grid": resident.grid_id, "relation": resident.relation_id}
    _end_stay(resident, day, reason)
    resident.household = target
    resident.household_since = day
    resident.grid = target.grid
    resident.relation = code
    resident.save(update_fields=["household", "household_since", "grid", "relation", "updated_at"])
    after = {"household": target.pk, "grid": target.grid_id, "relation": code.pk if code else None, "on": day}
    audit.record(actor=actor, action="resident.move", obj=resident, before=before, after=after)
    return resident


@transaction.atomic
def resident_leave(
    *, actor: Any, resident_id: int, reason: str, on: date | str | None = None, note: str = ""
) -> Resident:
    """Record that a resident moved out of the district or died: the file is kept, the membership ends."""
    resident = locked(actor, Resident.objects.select_related("grid", "household"), resident_id)
    if reason not in LEAVE_REASONS:
        raise invalid("reason", _("原因应为迁出或死亡。"))
    if resident.status != ResidentStatus.ACTIVE:
        raise TransitionNotAllowed(_("该居民已迁出或死亡。"))
    day = parse_date(on, field_name="on", label=_("日期")) or timezone.localdate()
    before = {"status": resident.status, "household": resident.household_id}
    _end_stay(resident, day, reason)
    resident.status = LEAVE_REASONS[MoveReason(reason)]
    resident.household = None
    resident.household_since = None
    resident.save(update_fields=["status", "household", "household_since", "updated_at"])
    after = {"status": resident.status, "on": day, "note": note[:200]}
    audit.record(actor=actor, action="resident.leave", obj=resident, before=before, after=after)
    return resident


@transaction.atomic
def resident_set_key_person(
    *, actor: Any, resident_id: int, is_key_person: Any, key_person_type: Any = None, note: str = ""
) -> Resident:
    """Mark or unmark a key person (重点人员): only the roles the policy allows, inside their jurisdiction."""
    try:
        resident = (
            policy.visible(actor, Resident.objects.select_related("grid"))
            .select_for_update(of=("self",))
            .get(pk=resident_id)
        )
    except (Resident.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    policy.require(actor, "key_persons", resident.grid.path)
    flag = parse_bool(is_key_person, field_name="is_key_person", label=_("重点人员"))
    kind = None
    if flag:
        kind = CodeBook().find(
            CodeList.KEY_PERSON_TYPE, key_person_type, field_name="key_person_type", label=_("重点人员类别")
        )
        if kind is None:
            raise invalid("key_person_type", _("请选择重点人员类别。"))
    before = {"is_key_person": resident.is_key_person, "key_person_type": resident.key_person_type_id}
    resident.is_key_person = flag
    resident.key_person_type = kind
    resident.save(update_fields=["is_key_person", "key_person_type", "updated_at"])
    after = {"is_key_person": flag, "key_person_type": kind.pk if kind else None, "note": note[:200]}
    audit.record(actor=actor, action="resident.key_person", obj=resident, before=before, after=after)
    return resident
