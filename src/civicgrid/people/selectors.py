"""Reads of staff, posts and departments, restricted to the actor's jurisdiction."""

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from civicgrid.core.jurisdiction import jurisdiction_of, restrict
from civicgrid.people.models import Department, Post, User


def posts(*, actor: Any) -> QuerySet[Post]:
    return restrict(actor, Post.objects.select_related("user", "region", "department"))


def departments(*, actor: Any) -> QuerySet[Department]:
    return restrict(actor, Department.objects.select_related("region"))


def users(*, actor: Any, query: str = "", role: str = "") -> QuerySet[User]:
    """Staff with at least one active post in the actor's jurisdiction, each with those posts prefetched."""
    visible_posts = posts(actor=actor).filter(is_active=True)
    if role:
        visible_posts = visible_posts.filter(role=role)
    reach = jurisdiction_of(actor)
    if reach.everything and not role:
        people = User.objects.all()
    else:
        people = User.objects.filter(pk__in=visible_posts.values("user_id"))
    query = query.strip()
    if query:
        people = people.filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    return people.order_by("username").prefetch_related(
        Prefetch("posts", queryset=visible_posts.order_by("role"), to_attr="visible_posts")
    )


def user_by_username(*, actor: Any, username: str) -> User:
    """One member of staff in the actor's jurisdiction; User.DoesNotExist otherwise."""
    return users(actor=actor).get(username=username)


def assignable_user(*, actor: Any, username: str) -> User:
    """An active account the actor may give a post to: staff of their jurisdiction, or a new account holding no
    active post yet. User.DoesNotExist otherwise (staff elsewhere are not revealed)."""
    in_reach = posts(actor=actor).filter(is_active=True).values("user_id")
    return (
        User.objects.filter(username=username, is_active=True)
        .filter(Q(pk__in=in_reach) | ~Q(posts__is_active=True))
        .distinct()
        .get()
    )
