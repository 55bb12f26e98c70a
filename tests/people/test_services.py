"""Posts, staff, departments and tokens: who may change what, conflicts, and the audit row of every change."""

import threading

import pytest
from django.conf import settings
from django.test import RequestFactory

from civicgrid.core.api_auth import TokenAuth
from civicgrid.core.errors import Conflict, PermissionDenied, ValidationError
from civicgrid.core.models import AuditEntry
from civicgrid.people import services
from civicgrid.people.models import ApiToken, Department, Post, User
from civicgrid.regions.services import ImportRejected
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_given_a_grid_without_worker_when_the_street_officer_assigns_one_then_the_post_is_audited(tree):
    tree.worker_a2.posts.update(is_active=False)
    newcomer = UserFactory(full_name="孙新")
    post = services.post_assign(
        actor=tree.officer_a, user_id=newcomer.pk, role="grid_worker", region_id=tree.grid_a2.pk
    )
    assert post.is_active and post.region == tree.grid_a2
    row = AuditEntry.objects.get(action="post.assign")
    assert row.actor == tree.officer_a and row.after["role"] == "grid_worker" and row.region_path == tree.grid_a2.path


def test_given_a_grid_with_a_worker_when_a_second_is_assigned_then_it_is_a_conflict_naming_the_holder(tree):
    newcomer = UserFactory()
    with pytest.raises(Conflict, match="王网格"):
        services.post_assign(actor=tree.admin, user_id=newcomer.pk, role="grid_worker", region_id=tree.grid_a1.pk)
    assert not newcomer.posts.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("actor_name", "role", "region_name", "allowed"),
    [
        ("admin", "street_officer", "street_b", True),
        ("officer_a", "grid_assistant", "grid_a1", True),
        ("officer_a", "window_clerk", "street_a", True),
        ("officer_a", "grid_assistant", "grid_b1", False),  # another street
        ("officer_a", "street_officer", "street_a", False),  # only an administrator names street officers
        ("worker_a1", "grid_assistant", "grid_a1", False),
    ],
)
def test_who_may_assign_posts(tree, actor_name, role, region_name, allowed):
    actor = getattr(tree, actor_name)
    user = UserFactory()
    extra = {"assistant_kind": "volunteer"} if role == "grid_assistant" else {}
    call = lambda: services.post_assign(  # noqa: E731
        actor=actor, user_id=user.pk, role=role, region_id=getattr(tree, region_name).pk, **extra
    )
    if allowed:
        assert call().user == user
    else:
        with pytest.raises(PermissionDenied):
            call()
        assert not user.posts.exists()


@pytest.mark.parametrize(
    ("role", "region_name", "extra", "message"),
    [
        ("grid_worker", "street_a", {}, "只能设在"),
        ("grid_assistant", "grid_a1", {}, "协管类别"),
        ("grid_worker", "grid_a2", {"assistant_kind": "volunteer"}, "只有网格协管员"),
        ("department_handler", "district", {}, "职能部门"),
        ("mayor", "district", {}, "无效"),
    ],
)
def test_posts_that_make_no_sense_are_refused_with_a_reason(tree, role, region_name, extra, message):
    user = UserFactory()
    with pytest.raises(ValidationError, match=message):
        services.post_assign(
            actor=tree.admin, user_id=user.pk, role=role, region_id=getattr(tree, region_name).pk, **extra
        )


def test_given_a_post_when_it_ends_then_the_grid_can_take_a_new_worker_and_ending_twice_conflicts(tree):
    post = Post.objects.get(user=tree.worker_a1)
    services.post_end(actor=tree.officer_a, post_id=post.pk)
    post.refresh_from_db()
    assert not post.is_active and post.ended_on is not None
    with pytest.raises(Conflict):
        services.post_end(actor=tree.officer_a, post_id=post.pk)
    with pytest.raises(PermissionDenied):
        services.post_end(actor=tree.officer_b, post_id=Post.objects.get(user=tree.worker_a2).pk)
    services.post_assign(actor=tree.admin, user_id=UserFactory().pk, role="grid_worker", region_id=tree.grid_a1.pk)
    assert [a for a in AuditEntry.objects.values_list("action", flat=True)] == ["post.assign", "post.end"]


@pytest.mark.django_db(transaction=True)
def test_given_two_administrators_assigning_a_worker_to_the_same_grid_at_once_then_one_wins(tree):
    Post.objects.filter(user=tree.worker_a2).update(is_active=False)
    candidates = [UserFactory(), UserFactory()]
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def assign(user: User) -> None:
        from django.db import connection

        try:
            barrier.wait()
            outcomes.append(
                services.post_assign(
                    actor=User.objects.get(pk=tree.admin.pk),
                    user_id=user.pk,
                    role="grid_worker",
                    region_id=tree.grid_a2.pk,
                )
            )
        except Conflict as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=(user,)) for user in candidates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "Post"]
    assert Post.objects.filter(region=tree.grid_a2, role="grid_worker", is_active=True).count() == 1


def test_given_the_departments_file_when_loaded_twice_then_departments_exist_once(tree):
    import yaml

    entries = yaml.safe_load((settings.DATA_DIR / "departments.yaml").read_text(encoding="utf-8"))
    assert services.load_departments(actor=tree.admin, district=tree.district, entries=entries) == len(entries)
    assert services.load_departments(actor=tree.admin, district=tree.district, entries=entries) == 0
    assert Department.objects.get(code="320106-water").name == "水务局"
    with pytest.raises(PermissionDenied):
        services.load_departments(actor=tree.officer_a, district=tree.district, entries=entries)
    with pytest.raises(ImportRejected):
        services.load_departments(actor=None, district=tree.district, entries=[{"key": "x"}, {"name": "无代码"}])


def test_given_a_staff_list_with_bad_rows_then_all_are_reported_and_nobody_is_created(tree):
    rows = [
        services.StaffRow("第 2 行", "new.worker", "周网格", "grid_worker", region_code=tree.grid_b2.code),
        services.StaffRow(
            "第 3 行",
            "worker_a1",
            "王网格",
            "grid_assistant",
            region_code=tree.grid_a1.code,
            assistant_kind="volunteer",
        ),  # the username is taken
        services.StaffRow("第 4 行", "second.worker", "吴网格", "grid_worker", region_code=tree.grid_a1.code),  # held
        services.StaffRow("第 5 行", "lost", "郑", "grid_worker", region_code="320106001003999"),  # no such grid
    ]
    with pytest.raises(ImportRejected) as caught:
        services.staff_import(actor=tree.admin, rows=rows, password="civicgrid-demo")
    assert [e.row for e in caught.value.rows] == ["第 3 行", "第 4 行", "第 5 行"]
    assert not User.objects.filter(username__in=["new.worker", "lost"]).exists()
    created = services.staff_import(actor=tree.admin, rows=rows[:1], password="civicgrid-demo")
    assert created == 1 and User.objects.get(username="new.worker").check_password("civicgrid-demo")


def authenticates(token: str) -> bool:
    return TokenAuth().authenticate(RequestFactory().get("/"), token) is not None


def test_given_an_account_when_a_token_is_made_then_only_its_hash_is_stored_and_it_can_be_revoked(tree):
    token, record = services.api_token_create(actor=tree.worker_a1, name="巡查终端")
    assert token.startswith("cg_") and token not in record.digest and record.digest == ApiToken.digest_of(token)
    assert authenticates(token)
    with pytest.raises(ValidationError):
        services.api_token_revoke(actor=tree.worker_a2, token_id=record.pk)  # not theirs
    services.api_token_revoke(actor=tree.worker_a1, token_id=record.pk)
    record.refresh_from_db()
    assert not authenticates(token)
    assert not AuditEntry.objects.filter(after__icontains=token).exists()


def test_given_a_weak_password_or_taken_username_then_no_account_is_made(tree):
    with pytest.raises(ValidationError):
        services.user_create(actor=tree.admin, username="newbie", full_name="新人", password="123")
    with pytest.raises(Conflict):
        services.user_create(actor=tree.admin, username="worker_a1", full_name="重名", password="a-long-passphrase-9")
    with pytest.raises(PermissionDenied):
        services.user_create(actor=tree.worker_a1, username="x1", full_name="x", password="a-long-passphrase-9")
    user = services.user_create(actor=tree.admin, username="newbie", full_name="新人", password="a-long-passphrase-9")
    assert user.check_password("a-long-passphrase-9") and not User.objects.filter(username="x1").exists()
