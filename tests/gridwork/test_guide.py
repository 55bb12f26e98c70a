"""The grid work guide: the data file (6 categories, 54 sub-categories, 160 tasks), its loader, and tasks given to
grids with due dates and completed by the grid worker."""

from datetime import timedelta

import pytest
import yaml
from django.utils import timezone

from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationError
from civicgrid.gridwork import selectors, services
from civicgrid.gridwork.choices import AssignmentStatus
from civicgrid.gridwork.models import GuideAssignment, GuideCategory, GuideSubcategory, GuideTask

pytestmark = pytest.mark.django_db
MONDAY_TASK = "060201"  # 网格巡查: daily patrol


def test_the_shipped_guide_has_six_categories_54_subcategories_and_160_tasks(guide):
    assert GuideCategory.objects.count() == 6
    assert GuideSubcategory.objects.count() == 54
    assert GuideTask.objects.filter(is_active=True).count() == 160
    names = list(GuideCategory.objects.values_list("name", flat=True))
    assert names == ["基层组织建设", "思想文化建设", "民主法治建设", "社区基本保障", "宜居宜业服务", "社区治理"]
    # every task says what is done and to what standard
    assert not GuideTask.objects.filter(content="").exists() and not GuideTask.objects.filter(standard="").exists()
    tree = list(selectors.guide())
    assert sum(len(s.tasks.all()) for c in tree for s in c.subcategories.all()) == 160


def test_loading_again_changes_nothing_and_a_bad_file_loads_nothing(guide, tmp_path):
    again = services.guide_load(actor=None)
    assert (again.categories, again.subcategories, again.tasks, again.retired) == (6, 54, 160, 0)
    document = yaml.safe_load(services.default_guide_path().read_text(encoding="utf-8"))
    first = document["categories"][0]["subcategories"][0]["tasks"][0]
    first["name"] = "改过的名称"
    first["frequency"] = "hourly"
    document["categories"][1]["subcategories"][0]["tasks"][0]["code"] = "999999"
    bad = tmp_path / "guide.yaml"
    bad.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(services.GuideRejected) as refused:
        services.guide_load(actor=None, path=bad)
    rows = refused.value.rows
    assert any("task 010101: frequency" in row for row in rows)
    assert any("task 999999: code must be the subcategory code 0201" in row for row in rows)
    assert GuideTask.objects.get(code="010101").name != "改过的名称"


def test_a_task_given_to_a_community_reaches_each_grid_and_its_worker_completes_it(guide):
    tree = guide.tree
    due = timezone.localdate() + timedelta(days=7)
    made = services.assignment_create(
        actor=guide.head_a,
        task_code=MONDAY_TASK,
        grid_codes=[tree.community_a.code],
        due_on=due,
        note="本周重点：消防通道",
    )
    assert sorted(a.grid.code for a in made) == [tree.grid_a1.code, tree.grid_a2.code]
    # giving it again for the same date adds nothing
    assert (
        services.assignment_create(
            actor=guide.head_a, task_code=MONDAY_TASK, grid_codes=[tree.grid_a1.code], due_on=due
        )
        == []
    )
    mine = selectors.assignments(actor=tree.worker_a1).filter(status=AssignmentStatus.ASSIGNED)
    assert [a.grid.code for a in mine] == [tree.grid_a1.code]
    task = mine.get()
    # the worker of A2 cannot complete A1's task; the worker of A1 completes it with what was done
    with pytest.raises(NotFound):
        services.assignment_act(actor=tree.worker_a2, assignment_id=task.pk, action="complete", note="巡了")
    with pytest.raises(ValidationError, match="完成情况"):
        services.assignment_act(actor=tree.worker_a1, assignment_id=task.pk, action="complete")
    done = services.assignment_act(
        actor=tree.worker_a1, assignment_id=task.pk, action="complete", note="巡查 4 小时，清理消防通道杂物 3 处"
    )
    assert done.status == AssignmentStatus.COMPLETED and done.completed_by == tree.worker_a1
    # the community head sends it back as not up to standard, and the worker is told
    back = services.assignment_act(actor=guide.head_a, assignment_id=task.pk, action="reopen", note="缺照片")
    assert back.status == AssignmentStatus.ASSIGNED and "缺照片" in back.result
    with pytest.raises(TransitionNotAllowed):
        services.assignment_act(actor=guide.head_a, assignment_id=task.pk, action="reopen", note="again")


def test_only_the_community_head_gives_tasks_and_only_in_their_community(guide):
    due = timezone.localdate() + timedelta(days=3)
    with pytest.raises(ValidationError, match="不归您负责"):
        services.assignment_create(
            actor=guide.head_b, task_code=MONDAY_TASK, grid_codes=[guide.tree.grid_a1.code], due_on=due
        )
    with pytest.raises(ValidationError, match="不归您负责"):
        services.assignment_create(
            actor=guide.tree.worker_a1, task_code=MONDAY_TASK, grid_codes=[guide.tree.grid_a1.code], due_on=due
        )
    with pytest.raises(ValidationError, match="没有事项"):
        services.assignment_create(
            actor=guide.head_a, task_code="999999", grid_codes=[guide.tree.grid_a1.code], due_on=due
        )
    with pytest.raises(ValidationError, match="完成期限"):
        services.assignment_create(
            actor=guide.head_a,
            task_code=MONDAY_TASK,
            grid_codes=[guide.tree.grid_a1.code],
            due_on=due - timedelta(days=30),
        )
    assert not GuideAssignment.objects.exists()


def test_a_stale_completion_is_a_conflict(guide):
    (task,) = services.assignment_create(
        actor=guide.head_a, task_code=MONDAY_TASK, grid_codes=[guide.tree.grid_a1.code],
        due_on=timezone.localdate() + timedelta(days=2),
    )  # fmt: skip
    services.assignment_act(actor=guide.head_a, assignment_id=task.pk, action="cancel", note="改期", expected_version=1)
    with pytest.raises(Conflict):
        services.assignment_act(
            actor=guide.tree.worker_a1, assignment_id=task.pk, action="complete", note="完成", expected_version=1
        )
    with pytest.raises(PermissionDenied):
        services.guide_load(actor=guide.head_a)
