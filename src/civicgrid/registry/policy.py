"""Who may do what with the base files, read from `data/registry/policy.yaml`, and where: the actor's jurisdiction
(their posts' region subtrees) plus the grids they cover for an A/B partner on leave.

The grids covered come from `civicgrid.gridwork.selectors.covered_grids(actor, on=date)`: leave is recorded there.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.jurisdiction import Scope, restrict
from civicgrid.people.choices import Role

ACTIONS = ("read", "edit", "import", "unmask", "export_unmasked", "key_persons")


def policy_path() -> Path:
    return Path(settings.DATA_DIR) / "registry" / "policy.yaml"


@dataclass(frozen=True)
class RoleRule:
    role: str
    assistant_kind: str = ""

    def matches(self, post: Any) -> bool:
        return post.role == self.role and (not self.assistant_kind or post.assistant_kind == self.assistant_kind)


@lru_cache(maxsize=1)
def rules() -> dict[str, tuple[RoleRule, ...]]:
    """The policy file as role rules per action. A file naming an unknown role or action fails loudly at start."""
    document = yaml.safe_load(policy_path().read_text(encoding="utf-8")) or {}
    result: dict[str, tuple[RoleRule, ...]] = {}
    for action in ACTIONS:
        entries = document.get(action) or []
        parsed = []
        for entry in entries:
            role, _sep, kind = str(entry).partition(":")
            if role not in Role.values:
                raise ValueError(f"policy.yaml: {action}: unknown role {role!r}")
            parsed.append(RoleRule(role, kind))
        result[action] = tuple(parsed)
    unknown = set(document) - set(ACTIONS)
    if unknown:
        raise ValueError(f"policy.yaml: unknown actions {sorted(unknown)}")
    return result


def role_names(action: str) -> str:
    names = []
    for rule in rules()[action]:
        label = str(Role(rule.role).label)
        if rule.assistant_kind:
            from civicgrid.people.choices import AssistantKind

            label = str(AssistantKind(rule.assistant_kind).label)
        names.append(label)
    return "、".join(dict.fromkeys(names))


def _active(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and getattr(actor, "is_active", False)


def covered_grid_paths(actor: Any) -> tuple[str, ...]:
    """Paths of the grids the actor covers today for an A/B partner on leave (only grid workers cover)."""
    if not _active(actor) or not any(post.role == Role.GRID_WORKER for post in actor.active_posts()):
        return ()
    from civicgrid.gridwork.selectors import covered_grids  # gridwork records leave; it imports the registry

    def paths() -> tuple[str, ...]:
        return tuple(covered_grids(actor, on=timezone.localdate()).values_list("path", flat=True))

    return _per_posts(actor, "_registry_covered", paths)


def _per_posts[T](actor: Any, name: str, compute: Callable[[], T]) -> T:
    """`compute()`, kept on the user object for as long as its cached posts are (a request; `forget_posts` ends it)."""
    posts = actor.active_posts()
    found = actor.__dict__.get(name)
    if found is not None and found[0] is posts:
        return found[1]
    value = compute()
    actor.__dict__[name] = (posts, value)
    return value


def _posts_for(actor: Any, action: str) -> list[Any]:
    wanted = rules()[action]
    return [post for post in actor.active_posts() if any(rule.matches(post) for rule in wanted)]


def allowed_paths(actor: Any, action: str) -> tuple[str, ...] | None:
    """Region path prefixes where the actor may do `action`; None means everywhere (a superuser)."""
    if not _active(actor):
        return ()
    if actor.is_superuser:
        return None
    paths: list[str] = []
    for post in _posts_for(actor, action):
        if post.region is not None:
            paths.append(post.region.path)
        elif post.department is not None:
            paths.append(post.department.region.path)
        # A grid worker covering a partner's grid acts there as in their own.
        if post.role == Role.GRID_WORKER:
            paths.extend(covered_grid_paths(actor))
    return tuple(sorted(set(paths)))


def may(actor: Any, action: str, path: str) -> bool:
    """Whether the actor may do `action` on a record filed under region `path`."""
    paths = allowed_paths(actor, action)
    return paths is None or any(path.startswith(prefix) for prefix in paths)


def may_anywhere(actor: Any, action: str) -> bool:
    paths = allowed_paths(actor, action)
    return paths is None or bool(paths)


def require(actor: Any, action: str, path: str | None = None) -> None:
    """Refuse with the roles that would be needed; `path` None asks whether the actor may do it anywhere."""
    ok = may_anywhere(actor, action) if path is None else may(actor, action, path)
    if not ok:
        raise PermissionDenied(_("此操作需要以下岗位之一：%(roles)s。") % {"roles": role_names(action)})


def path_filter(lookup: str, paths: Iterable[str] | None) -> Q:
    """A filter for rows whose `lookup` path lies under any of `paths` (None: no restriction)."""
    if paths is None:
        return Q()
    condition = Q(pk__in=[])
    for prefix in paths:
        condition |= Q(**{f"{lookup}__startswith": prefix})
    return condition


def visible[M: Model](actor: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """The rows the actor may read: `core.jurisdiction.restrict` narrowed to the posts whose role may read the base
    files (a department handler's district-wide reach does not open the population register), widened by the grids
    the actor covers for a partner on leave."""
    scope: Scope | None = getattr(queryset.model, "jurisdiction_scope", None)
    if not isinstance(scope, Scope) or not scope.region_path:
        raise TypeError(f"{queryset.model.__name__} declares no region scope; it cannot be restricted")
    restricted = restrict(actor, queryset)
    paths = allowed_paths(actor, "read")
    if paths is None:
        return restricted
    covered = set(covered_grid_paths(actor))
    own = [path for path in paths if path not in covered]
    result = restricted.filter(path_filter(scope.region_path, own))
    if covered:
        result = result | queryset.filter(path_filter(scope.region_path, covered))
    return in_grids(result, scope.region_path, visible_grids(actor))


def in_grids[M: Model](queryset: QuerySet[M], path_lookup: str, grids: QuerySet[Any] | None) -> QuerySet[M]:
    """`queryset` narrowed to rows filed in `grids` as well, for the models filed by grid: the same rows as the path
    filters select, but a condition on an indexed grid id, which the database can use (a prefix match on a joined
    region's path it cannot, and it would read a million residents to find one grid's)."""
    if grids is None or not path_lookup.endswith("grid__path"):
        return queryset
    return queryset.filter(**{f"{path_lookup.removesuffix('__path')}_id__in": grids})


def visible_grids(actor: Any) -> QuerySet[Any] | None:
    """The ids of the grids whose files the actor reads, as a subquery (None when that is every grid)."""
    from civicgrid.regions.choices import Level
    from civicgrid.regions.models import Region

    paths = allowed_paths(actor, "read")
    if paths is None:
        return None
    grids = Region.objects.filter(level=Level.GRID)
    mine = grids.filter(path_filter("path", [*paths, *covered_grid_paths(actor)]))
    everything = _per_posts(actor, "_registry_all_grids", lambda: mine.count() == grids.count())
    return None if everything else mine.values("pk")


def reach_paths(actor: Any) -> tuple[str, ...] | None:
    """Every path prefix the actor may read the base files under (None: everything)."""
    return allowed_paths(actor, "read")
