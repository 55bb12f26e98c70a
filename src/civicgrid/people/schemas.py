from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from civicgrid.core.masking import mask_phone


class PostOut(Schema):
    id: int
    role: str
    role_label: str
    region_code: str | None
    region_name: str | None
    department_code: str | None
    department_name: str | None
    assistant_kind: str
    title: str
    is_active: bool
    started_on: date

    @staticmethod
    def resolve_role_label(post: Any) -> str:
        return str(post.get_role_display())

    @staticmethod
    def resolve_region_code(post: Any) -> str | None:
        return post.region.code if post.region else None

    @staticmethod
    def resolve_region_name(post: Any) -> str | None:
        return post.region.name if post.region else None

    @staticmethod
    def resolve_department_code(post: Any) -> str | None:
        return post.department.code if post.department else None

    @staticmethod
    def resolve_department_name(post: Any) -> str | None:
        return post.department.name if post.department else None


class PersonOut(Schema):
    username: str
    full_name: str
    phone: str = Field(description="masked: 138****5678")
    posts: list[PostOut]

    @staticmethod
    def resolve_phone(user: Any) -> str:
        return mask_phone(user.phone)

    @staticmethod
    def resolve_posts(user: Any) -> list[Any]:
        return list(getattr(user, "visible_posts", []))


class MeOut(PersonOut):
    roles: list[str]
    jurisdiction: list[str] = Field(description="codes of the regions whose subtrees the caller sees")
    departments: list[int] = Field(description="ids of the departments the caller serves in")

    @staticmethod
    def resolve_posts(user: Any) -> list[Any]:
        return user.active_posts()

    @staticmethod
    def resolve_roles(user: Any) -> list[str]:
        return sorted(user.roles())

    @staticmethod
    def resolve_jurisdiction(user: Any) -> list[str]:
        return [path.strip("/").rsplit("/", 1)[-1] for path in user.jurisdiction().region_paths]

    @staticmethod
    def resolve_departments(user: Any) -> list[int]:
        return sorted(user.jurisdiction().department_ids)


class DepartmentOut(Schema):
    code: str
    name: str
    short_name: str
    region_code: str
    duties: str

    @staticmethod
    def resolve_region_code(department: Any) -> str:
        return department.region.code


class PostIn(Schema):
    username: str = Field(..., max_length=150)
    role: str = Field(..., max_length=24)
    region_code: str | None = Field(None, max_length=15)
    department_code: str | None = Field(None, max_length=32)
    assistant_kind: str = Field("", max_length=24)
    title: str = Field("", max_length=60)


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=60)
    days: int | None = Field(365, ge=1, le=3650, description="valid for this many days; null: no expiry")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    is_active: bool


class NewTokenOut(TokenOut):
    token: str = Field(description="shown once; only a hash is stored")
