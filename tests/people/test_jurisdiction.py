"""An actor's jurisdiction is the union of their posts' region subtrees (and departments); restrict applies it."""

import pytest

from civicgrid.core.jurisdiction import restrict
from civicgrid.core.models import AuditEntry
from civicgrid.people import selectors as people
from civicgrid.people.models import Post, User
from civicgrid.regions import selectors as regions
from civicgrid.regions.models import Region
from tests.factories import DepartmentFactory, UserFactory, give_post, staff

pytestmark = pytest.mark.django_db


def codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


def test_given_a_street_officer_then_they_see_their_street_subtree_and_nothing_of_the_other_street(tree):
    visible = codes(regions.regions(actor=tree.officer_a))
    assert visible == {"320106001", "320106001003", tree.grid_a1.code, tree.grid_a2.code}
    with pytest.raises(Region.DoesNotExist):
        regions.region_by_code(actor=tree.officer_a, code=tree.grid_b1.code)
    assert codes(regions.search(actor=tree.officer_a, query="网格")) == {tree.grid_a1.code, tree.grid_a2.code}
    assert codes(regions.search(actor=tree.officer_a, query="320106003")) == set()


def test_given_posts_in_two_streets_then_the_jurisdiction_is_their_union_without_overlap(tree):
    user = UserFactory()
    give_post(user, "grid_worker", tree.grid_b2)
    give_post(user, "street_officer", tree.street_a)
    give_post(user, "grid_assistant", tree.grid_a1, assistant_kind="volunteer")  # inside the street: adds nothing
    reach = user.jurisdiction()
    assert reach.region_paths == (tree.street_a.path, tree.grid_b2.path)
    assert codes(regions.regions(actor=user)) == {
        "320106001",
        "320106001003",
        tree.grid_a1.code,
        tree.grid_a2.code,
        tree.grid_b2.code,
    }


def test_given_an_ended_post_or_inactive_user_or_anonymous_then_nothing_is_visible(tree):
    post = Post.objects.get(user=tree.worker_b1)
    post.is_active = False
    post.save()
    tree.worker_b1.forget_posts()
    assert not regions.regions(actor=tree.worker_b1).exists()
    tree.officer_a.is_active = False
    assert not regions.regions(actor=tree.officer_a).exists()
    from django.contrib.auth.models import AnonymousUser

    assert not regions.regions(actor=AnonymousUser()).exists()
    assert not regions.regions(actor=None).exists()


def test_given_a_department_handler_then_they_see_their_department_and_its_region(tree):
    water = DepartmentFactory(name="水务局", region=tree.district)
    police = DepartmentFactory(name="公安分局", region=tree.district)
    handler = staff("department_handler", department=water)
    assert handler.jurisdiction().department_ids == frozenset({water.pk})
    assert set(people.departments(actor=handler)) == {water, police}  # both serve the district it covers
    assert regions.regions(actor=handler).filter(code=tree.grid_b1.code).exists()
    street_handler = staff("department_handler", tree.street_b, water)
    assert set(people.departments(actor=street_handler)) == {water}


def test_given_staff_lists_then_a_user_sees_only_people_posted_in_their_jurisdiction(tree):
    visible = set(people.users(actor=tree.officer_a).values_list("username", flat=True))
    assert {"officer_a", "worker_a1", "worker_a2", "leader_a", "police_a1"} <= visible
    assert not visible & {"officer_b", "worker_b1", "admin"}
    assert set(people.users(actor=tree.admin).values_list("username", flat=True)) >= {"officer_b", "worker_b1"}
    with pytest.raises(User.DoesNotExist):
        people.user_by_username(actor=tree.officer_b, username="worker_a1")
    # the posts shown with a person are only those in the viewer's jurisdiction
    leader = people.users(actor=tree.worker_a1, query="陈网格长").get()
    assert {p.region.code for p in leader.visible_posts} == {tree.grid_a1.code}


def test_given_a_model_without_a_scope_then_restrict_refuses_it(tree):
    from django.contrib.contenttypes.models import ContentType

    with pytest.raises(TypeError, match="declares no jurisdiction"):
        restrict(tree.admin, ContentType.objects.all())
    assert restrict(tree.officer_b, AuditEntry.objects.all()).count() == 0


def test_given_a_superuser_then_everything_is_visible(tree):
    root = UserFactory(is_superuser=True)
    assert regions.regions(actor=root).count() == Region.objects.count()
    assert codes(regions.top_regions(actor=root)) == {"320100"}
    assert codes(regions.top_regions(actor=tree.officer_a)) == {"320106001"}


def test_given_a_grid_then_its_roster_names_worker_partner_leader_and_assistants(tree):
    roster = regions.grid_roster(actor=tree.officer_a, grid=tree.grid_a1)
    assert roster.worker.user == tree.worker_a1
    assert roster.leader.user == tree.leader_a
    assert [p.user for p in roster.assistants] == [tree.police_a1]
    assert roster.partner == tree.grid_a2 and roster.partner_worker.user == tree.worker_a2
    with pytest.raises(Region.DoesNotExist):
        regions.grid_roster(actor=tree.officer_b, grid=tree.grid_a1)


def test_a_persons_records_belong_to_the_smallest_region_holding_all_their_posts(tree):
    assert tree.leader_a.audit_region_path == tree.community_a.path  # leader of both grids of 仙霞路
    assert tree.worker_a1.audit_region_path == tree.grid_a1.path
    give_post(tree.worker_a1, "grid_assistant", tree.grid_b1, assistant_kind="volunteer")
    assert tree.worker_a1.audit_region_path == tree.district.path
    assert UserFactory().audit_region_path == ""
