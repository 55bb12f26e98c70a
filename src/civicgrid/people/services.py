"""Writes of staff, posts, departments and API tokens. Each is one transaction with its audit rows."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import Conflict, PermissionDenied, ValidationError
from civicgrid.people.choices import DEPARTMENT_REQUIRED, ONE_PER_GRID, ROLE_LEVELS, AssistantKind, Role
from civicgrid.people.models import ApiToken, Department, Post, User
from civicgrid.people.permissions import holds_role, require_administrator_or_system
from civicgrid.regions.choices import Level
from civicgrid.regions.models import Region
from civicgrid.regions.services import ImportRejected, RowError

POST_FIELDS = ("user", "role", "region", "department", "assistant_kind", "title", "is_active")
POST_MANAGERS = {Role.DISTRICT_ADMIN, Role.STREET_OFFICER}
# A street officer may give these posts inside their street; every other post needs a district administrator.
STREET_OFFICER_MAY_ASSIGN = {
    Role.GRID_WORKER,
    Role.GRID_LEADER,
    Role.GRID_ASSISTANT,
    Role.COMMUNITY_HEAD,
    Role.WINDOW_CLERK,
    Role.BACK_OFFICE_HANDLER,
}


@transaction.atomic
def load_departments(*, actor: Any, district: Region, entries: Sequence[Mapping[str, Any]]) -> int:
    """Create or update the district's departments from the reference data file; returns how many changed."""
    require_administrator_or_system(actor, at=district)
    if district.level not in (Level.DISTRICT, Level.CITY):
        raise ValidationError(_("职能部门只能设在区或市。"))
    problems = []
    keys: set[str] = set()
    for number, item in enumerate(entries, start=1):
        key, name = str(item.get("key") or "").strip(), str(item.get("name") or "").strip()
        if not key or not name:
            problems.append(RowError(_("第 %(n)d 项") % {"n": number}, key, _("缺少 key 或 name。")))
        elif key in keys:
            problems.append(RowError(_("第 %(n)d 项") % {"n": number}, key, _("key 重复。")))
        keys.add(key)
    if problems:
        raise ImportRejected(problems)
    changed = 0
    rows = []
    for item in entries:
        code = f"{district.code}-{item['key']}"
        values = {
            "name": str(item["name"]).strip(),
            "short_name": str(item.get("short_name") or "").strip(),
            "duties": str(item.get("duties") or "").strip(),
            "phone": str(item.get("phone") or "").strip(),
            "region": district,
        }
        department, created = Department.objects.select_for_update().get_or_create(code=code, defaults=values)
        if created:
            rows.append(
                audit.entry(
                    actor=actor,
                    action="department.create",
                    obj=department,
                    after={"code": code, "name": values["name"]},
                )
            )
            changed += 1
            continue
        before = audit.snapshot(department, ["name", "short_name", "duties", "phone"])
        for name, value in values.items():
            setattr(department, name, value)
        after = audit.snapshot(department, ["name", "short_name", "duties", "phone"])
        if before != after:
            department.save()
            rows.append(
                audit.entry(actor=actor, action="department.update", obj=department, before=before, after=after)
            )
            changed += 1
    audit.record_many(rows)
    return changed


def _check_post(role: str, region: Region | None, department: Department | None, assistant_kind: str) -> list[str]:
    problems: list[str] = []
    if role not in Role.values:
        return [_("岗位角色“%(role)s”无效。") % {"role": role}]
    role_enum = Role(role)
    if region is None and department is None:
        problems.append(_("岗位必须指定所在区域或部门。"))
    if role_enum in DEPARTMENT_REQUIRED and department is None:
        problems.append(_("%(role)s必须属于一个职能部门。") % {"role": role_enum.label})
    if region is not None and region.level not in ROLE_LEVELS[role_enum]:
        allowed = "、".join(str(Level(level).label) for level in sorted(ROLE_LEVELS[role_enum]))
        problems.append(_("%(role)s只能设在以下层级：%(levels)s。") % {"role": role_enum.label, "levels": allowed})
    if role_enum == Role.GRID_ASSISTANT and assistant_kind not in AssistantKind.values:
        problems.append(_("网格协管员须注明协管类别。"))
    if role_enum != Role.GRID_ASSISTANT and assistant_kind:
        problems.append(_("只有网格协管员有协管类别。"))
    if region is not None and department is not None and not region.path.startswith(department.region.path):
        problems.append(_("岗位所在区域不在部门的服务区域内。"))
    return problems


def _require_post_manager(actor: Any, role: str, region: Region | None, department: Department | None) -> None:
    place = region or (department.region if department else None)
    if holds_role(actor, {Role.DISTRICT_ADMIN}, at=place):
        return
    if role in STREET_OFFICER_MAY_ASSIGN and holds_role(actor, {Role.STREET_OFFICER}, at=place):
        return
    raise PermissionDenied(_("只有区级管理员（或本街道的街道干部，限街道以下的岗位）可以任命此岗位。"))


@transaction.atomic
def post_assign(
    *,
    actor: Any,
    user_id: int,
    role: str,
    region_id: int | None = None,
    department_id: int | None = None,
    assistant_kind: str = "",
    title: str = "",
) -> Post:
    """Give a user a post. A grid has one active grid worker and one grid leader: a second is a conflict."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise ValidationError(_("人员不存在或已停用。"))
    region = Region.objects.filter(pk=region_id).first() if region_id else None
    department = Department.objects.select_related("region").filter(pk=department_id).first() if department_id else None
    if region_id and region is None:
        raise ValidationError(_("区域不存在。"))
    if department_id and department is None:
        raise ValidationError(_("部门不存在。"))
    problems = _check_post(role, region, department, assistant_kind)
    if problems:
        raise ValidationError(" ".join(problems))
    _require_post_manager(actor, role, region, department)
    if role in ONE_PER_GRID and region is not None:
        holder = (
            Post.objects.select_for_update()
            .filter(region=region, role=role, is_active=True)
            .select_related("user")
            .first()
        )
        if holder is not None:
            raise Conflict(
                _("%(grid)s已有在岗%(role)s：%(name)s。请先让其离岗。")
                % {"grid": region.name, "role": Role(role).label, "name": holder.user.display_name}
            )
    try:
        with transaction.atomic():
            post = Post.objects.create(
                user=user,
                role=role,
                region=region,
                department=department,
                assistant_kind=assistant_kind,
                title=title.strip(),
            )
    except IntegrityError as exc:
        # Two administrators giving the same grid a worker at once: the database's unique index decides.
        raise Conflict(_("该网格刚刚已由他人任命了%(role)s，请刷新后查看。") % {"role": Role(role).label}) from exc
    audit.record(actor=actor, action="post.assign", obj=post, after=audit.snapshot(post, POST_FIELDS))
    user.forget_posts()
    return post


@transaction.atomic
def post_end(*, actor: Any, post_id: int) -> Post:
    """End a post (the person leaves it); the record stays for history."""
    from django.utils import timezone

    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("region", "department__region")
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        raise ValidationError(_("岗位不存在。"))
    _require_post_manager(actor, post.role, post.region, post.department)
    if not post.is_active:
        raise Conflict(_("该岗位已经离岗。"))
    before = audit.snapshot(post, POST_FIELDS)
    post.is_active = False
    post.ended_on = timezone.localdate()
    post.save(update_fields=["is_active", "ended_on"])
    audit.record(actor=actor, action="post.end", obj=post, before=before, after=audit.snapshot(post, POST_FIELDS))
    return post


@dataclass(frozen=True)
class StaffRow:
    """One member of staff with one post, as a district's staff list (Excel/CSV) or the demo gives them."""

    row: str
    username: str
    full_name: str
    role: str
    region_code: str = ""
    department_code: str = ""
    assistant_kind: str = ""
    phone: str = ""
    title: str = ""


def staff_import(*, actor: Any, rows: Sequence[StaffRow], password: str) -> int:
    """Create staff and their posts in one go (a person may have several rows, one per post). All or nothing."""
    region_codes = {r.region_code for r in rows if r.region_code}
    department_codes = {r.department_code for r in rows if r.department_code}
    regions = {r.code: r for r in Region.objects.filter(code__in=region_codes)}
    departments = {d.code: d for d in Department.objects.select_related("region").filter(code__in=department_codes)}
    taken = set(User.objects.filter(username__in={r.username for r in rows}).values_list("username", flat=True))
    held = set(
        Post.objects.filter(is_active=True, role__in=ONE_PER_GRID, region__code__in=region_codes).values_list(
            "region__code", "role"
        )
    )
    errors: list[RowError] = []
    names: dict[str, str] = {}
    for row in rows:
        problems = []
        if not row.username or len(row.username) > 150:
            problems.append(_("用户名不能为空，且不超过 150 个字符。"))
        if row.username in taken:
            problems.append(_("用户名已存在。"))
        if names.setdefault(row.username, row.full_name) != row.full_name:
            problems.append(_("同一用户名对应了不同的姓名。"))
        region = regions.get(row.region_code) if row.region_code else None
        department = departments.get(row.department_code) if row.department_code else None
        if row.region_code and region is None:
            problems.append(_("区域 %(code)s 不存在。") % {"code": row.region_code})
        if row.department_code and department is None:
            problems.append(_("部门 %(code)s 不存在。") % {"code": row.department_code})
        if not problems:
            problems.extend(_check_post(row.role, region, department, row.assistant_kind))
        if not problems and row.role in ONE_PER_GRID:
            if (row.region_code, row.role) in held:
                problems.append(_("该网格已有在岗%(role)s。") % {"role": Role(row.role).label})
            held.add((row.region_code, row.role))
        errors.extend(RowError(row.row, row.username, problem) for problem in problems)
    if errors:
        raise ImportRejected(errors)
    places = [regions.get(r.region_code) or departments[r.department_code].region for r in rows]
    for place in {p.pk: p for p in places}.values():
        require_administrator_or_system(actor, at=place)
    return _write_staff(actor=actor, rows=rows, password=password, regions=regions, departments=departments)


@transaction.atomic
def _write_staff(
    *,
    actor: Any,
    rows: Sequence[StaffRow],
    password: str,
    regions: Mapping[str, Region],
    departments: Mapping[str, Department],
) -> int:
    hashed = make_password(password)  # once: hashing per user would take minutes for a district's staff
    first: dict[str, StaffRow] = {}
    for row in rows:
        first.setdefault(row.username, row)
    users = User.objects.bulk_create(
        [User(username=r.username, full_name=r.full_name, phone=r.phone, password=hashed) for r in first.values()],
        batch_size=500,
    )
    by_username = {u.username: u for u in users}
    if any(u.pk is None for u in users):  # backends that return no ids from bulk inserts
        by_username = {u.username: u for u in User.objects.filter(username__in=list(first))}
    posts = Post.objects.bulk_create(
        [
            Post(
                user=by_username[r.username],
                role=r.role,
                region=regions.get(r.region_code),
                department=departments.get(r.department_code),
                assistant_kind=r.assistant_kind,
                title=r.title,
            )
            for r in rows
        ],
        batch_size=500,
    )
    entries = [
        audit.entry(actor=actor, action="user.create", obj=u, after={"username": u.username, "full_name": u.full_name})
        for u in by_username.values()
    ]
    entries += [
        audit.entry(actor=actor, action="post.assign", obj=p, after=audit.snapshot(p, POST_FIELDS)) for p in posts
    ]
    audit.record_many(entries)
    return len(by_username)


@transaction.atomic
def user_create(*, actor: Any, username: str, full_name: str, password: str, phone: str = "") -> User:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError as DjangoValidationError

    if not (getattr(actor, "is_superuser", False) or holds_role(actor, POST_MANAGERS)):
        raise PermissionDenied(_("只有管理员可以创建账号。"))
    username = username.strip()
    if not username:
        raise ValidationError(_("用户名不能为空。"), errors={"username": [_("用户名不能为空。")]})
    if User.objects.filter(username=username).exists():
        raise Conflict(_("用户名“%(name)s”已被使用。") % {"name": username})
    user = User(username=username, full_name=full_name.strip(), phone=phone.strip())
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError(" ".join(exc.messages), errors={"password": list(exc.messages)}) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise Conflict(_("用户名“%(name)s”已被使用。") % {"name": username}) from exc
    audit.record(actor=actor, action="user.create", obj=user, after={"username": username, "full_name": user.full_name})
    return user


@transaction.atomic
def api_token_create(*, actor: Any, name: str, days: int | None = 365) -> tuple[str, ApiToken]:
    """A new API token for the actor themself; the returned token text is shown once and never stored."""
    from datetime import timedelta

    from django.utils import timezone

    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied()
    name = name.strip()[:60] or _("接口调用")
    token = ApiToken.new_token()
    record = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=token[3:11],
        digest=ApiToken.digest_of(token),
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    audit.record(actor=actor, action="api_token.create", obj=record, after={"name": name, "prefix": record.prefix})
    return token, record


@transaction.atomic
def api_token_revoke(*, actor: Any, token_id: int) -> ApiToken:
    record = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
    if record is None:
        raise ValidationError(_("令牌不存在。"))
    record.is_active = False
    record.save(update_fields=["is_active"])
    audit.record(
        actor=actor, action="api_token.revoke", obj=record, before={"is_active": True}, after={"is_active": False}
    )
    return record


@transaction.atomic
def staff_create(
    *,
    actor: Any,
    username: str,
    full_name: str,
    password: str,
    phone: str = "",
    role: str,
    region_id: int | None = None,
    department_id: int | None = None,
    assistant_kind: str = "",
    title: str = "",
) -> Post:
    """A new member of staff with their first post: both or neither, so nobody is left without a post."""
    user = user_create(actor=actor, username=username, full_name=full_name, password=password, phone=phone)
    return post_assign(
        actor=actor,
        user_id=user.pk,
        role=role,
        region_id=region_id,
        department_id=department_id,
        assistant_kind=assistant_kind,
        title=title,
    )
