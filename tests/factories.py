"""Factories for tests: a small real region tree with square grids, and staff with posts."""

from typing import Any

import factory
from django.contrib.auth.hashers import make_password

from civicgrid.people.choices import Role
from civicgrid.people.models import Department, Post, User
from civicgrid.regions.choices import GridKind, Level
from civicgrid.regions.models import Region, path_for

PASSWORD = "test-pass-12345"
_HASH = make_password(PASSWORD)


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    """A GeoJSON square with its south-west corner at (lon, lat)."""
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]],
    }


def make_region(code: str, name: str, level: str, parent: Region | None = None, **fields: Any) -> Region:
    if level == Level.GRID:
        fields.setdefault("grid_kind", GridKind.COMPREHENSIVE)
    return Region.objects.create(
        code=code, name=name, level=level, parent=parent, path=path_for(parent, code), **fields
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n:04d}")
    full_name = factory.Faker("name", locale="zh_CN")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    password = _HASH


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"320106-dept{n}")
    name = factory.Sequence(lambda n: f"测试部门{n}")
    region = factory.LazyFunction(lambda: Region.objects.get(code="320106"))


def give_post(
    user: User, role: str, region: Region | None = None, department: Department | None = None, **fields: Any
) -> Post:
    post = Post.objects.create(user=user, role=role, region=region, department=department, **fields)
    user.forget_posts()
    return post


def staff(
    role: str,
    region: Region | None = None,
    department: Department | None = None,
    *,
    username: str | None = None,
    full_name: str | None = None,
    **fields: Any,
) -> User:
    """A new user holding one post."""
    names = {k: v for k, v in {"username": username, "full_name": full_name}.items() if v}
    user = UserFactory(**names)
    give_post(user, role, region, department, **fields)
    return user


class Tree:
    """Nanjing > Gulou > two streets (宁海路, 湖南路) > one community each > two 1 km square grids each.

    Boundaries: the streets and communities are rectangles, each grid a square inside its community,
    so grid_at and the containment and overlap checks have real geometry to work on.
    """

    def __init__(self) -> None:
        self.city = make_region("320100", "南京市", Level.CITY)
        self.district = make_region("320106", "鼓楼区", Level.DISTRICT, self.city)
        lon0, lat0 = 118.70, 32.00
        self.street_a = make_region(
            "320106001", "宁海路街道", Level.STREET, self.district, boundary=rect(lon0, lat0, 0.02, 0.02)
        )
        self.street_b = make_region(
            "320106003", "湖南路街道", Level.STREET, self.district, boundary=rect(lon0 + 0.02, lat0, 0.02, 0.02)
        )
        self.community_a = make_region(
            "320106001003", "仙霞路社区", Level.COMMUNITY, self.street_a, boundary=rect(lon0, lat0, 0.02, 0.02)
        )
        self.community_b = make_region(
            "320106003001", "湖北路社区", Level.COMMUNITY, self.street_b, boundary=rect(lon0 + 0.02, lat0, 0.02, 0.02)
        )
        self.grid_a1 = make_region(
            "320106001003001",
            "仙霞路第一网格",
            Level.GRID,
            self.community_a,
            boundary=square(lon0, lat0),
            target_households=420,
        )
        self.grid_a2 = make_region(
            "320106001003002",
            "仙霞路第二网格",
            Level.GRID,
            self.community_a,
            boundary=square(lon0 + 0.01, lat0),
            target_households=380,
        )
        self.grid_b1 = make_region(
            "320106003001001",
            "湖北路第一网格",
            Level.GRID,
            self.community_b,
            boundary=square(lon0 + 0.02, lat0),
            target_households=450,
        )
        self.grid_b2 = make_region(
            "320106003001002",
            "湖北路第二网格",
            Level.GRID,
            self.community_b,
            boundary=square(lon0 + 0.03, lat0),
            target_households=310,
        )
        self.grid_a1.partner = self.grid_a2
        self.grid_a1.save()
        self.grid_a2.partner = self.grid_a1
        self.grid_a2.save()
        self.admin = staff(Role.DISTRICT_ADMIN, self.district, username="admin", full_name="区管理员")
        self.officer_a = staff(Role.STREET_OFFICER, self.street_a, username="officer_a", full_name="宁海路干部")
        self.officer_b = staff(Role.STREET_OFFICER, self.street_b, username="officer_b", full_name="湖南路干部")
        self.worker_a1 = staff(Role.GRID_WORKER, self.grid_a1, username="worker_a1", full_name="王网格")
        self.worker_a2 = staff(Role.GRID_WORKER, self.grid_a2, username="worker_a2", full_name="李网格")
        self.worker_b1 = staff(Role.GRID_WORKER, self.grid_b1, username="worker_b1", full_name="赵网格")
        self.leader_a = staff(Role.GRID_LEADER, self.grid_a1, username="leader_a", full_name="陈网格长")
        give_post(self.leader_a, Role.GRID_LEADER, self.grid_a2)
        self.police_a1 = staff(
            Role.GRID_ASSISTANT, self.grid_a1, username="police_a1", full_name="刘民警", assistant_kind="police_officer"
        )


def rect(lon: float, lat: float, width: float, height: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + width, lat], [lon + width, lat + height], [lon, lat + height], [lon, lat]]],
    }
