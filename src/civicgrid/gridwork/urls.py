"""Grid work pages, at /gridwork/: the grid worker's phone (today, patrol, visits, log, problems) and the community's
pages (patrol records, the weekly 4-hour report, the grid council, guide tasks, leave)."""

from django.urls import path

from civicgrid.gridwork import views, views_office

app_name = "gridwork"
urlpatterns = [
    path("", views.today, name="today"),
    path("patrol/", views.patrol, name="patrol"),
    path("patrols/", views.patrols, name="patrols"),
    path("patrols/<int:patrol_id>/", views.patrol_detail, name="patrol_detail"),
    path("visits/", views.visits, name="visits"),
    path("visits/<int:visit_id>/", views.visit_detail, name="visit_detail"),
    path("households/<int:household_id>/visit/", views.visit_new, name="visit_new"),
    path("log/", views.log, name="log"),
    path("problems/", views.problems, name="problems"),
    path("problems/new/", views.problem_new, name="problem_new"),
    path("problems/<int:problem_id>/", views.problem_detail, name="problem_detail"),
    path("problems/<int:problem_id>/act/", views.problem_act, name="problem_act"),
    path("four-hours/", views_office.four_hours, name="four_hours"),
    path("council/", views_office.council, name="council"),
    path("council/plan/", views_office.council_plan, name="council_plan"),
    path("council/<int:meeting_id>/", views_office.meeting, name="meeting"),
    path("council/<int:meeting_id>/hold/", views_office.meeting_hold, name="meeting_hold"),
    path("council/<int:meeting_id>/cancel/", views_office.meeting_cancel, name="meeting_cancel"),
    path("tasks/", views_office.tasks, name="tasks"),
    path("tasks/<int:assignment_id>/", views_office.task_detail, name="task_detail"),
    path("tasks/<int:assignment_id>/act/", views_office.task_act, name="task_act"),
    path("guide/", views_office.guide, name="guide"),
    path("leaves/", views_office.leaves, name="leaves"),
    path("leaves/<int:leave_id>/act/", views_office.leave_act, name="leave_act"),
]
