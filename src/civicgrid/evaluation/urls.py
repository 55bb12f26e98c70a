"""The evaluation's pages, at /evaluation/. Public: the questionnaire behind an invitation (t/), the open link (o/)
and the published reverse problem list (public/). Staff: the campaigns and everything of one, restricted to the
user's jurisdiction; the field surveyor's offline page (field/)."""

from django.urls import path

from civicgrid.evaluation import views_public, views_staff

app_name = "evaluation"
urlpatterns = [
    path("", views_staff.index, name="index"),
    # residents, on a phone, no account
    path("t/<str:invitation_token>/", views_public.invitation, name="invitation"),
    path("o/<str:online_key>/", views_public.online, name="online"),
    path("public/", views_public.public_list, name="public"),
    # the field surveyor's phone
    path("field/", views_public.field, name="field"),
    # a campaign
    path("<int:campaign_id>/", views_staff.campaign, name="campaign"),
    path("<int:campaign_id>/tree/", views_staff.tree, name="tree"),
    path("<int:campaign_id>/questionnaires/<str:group>/", views_staff.questionnaire, name="questionnaire"),
    path("<int:campaign_id>/plan/", views_staff.plan, name="plan"),
    path(
        "<int:campaign_id>/invitations/<int:invitation_batch>/",
        views_staff.invitations_print,
        name="invitations_print",
    ),
    path("<int:campaign_id>/progress/", views_staff.progress, name="progress"),
    path("<int:campaign_id>/review/", views_staff.review, name="review"),
    path("<int:campaign_id>/paper/", views_staff.paper, name="paper"),
    path("<int:campaign_id>/paper/<str:group>.xlsx", views_staff.paper_template, name="paper_template"),
    path("<int:campaign_id>/report/", views_staff.report, name="report"),
    path("<int:campaign_id>/report.xlsx", views_staff.report_xlsx, name="report_xlsx"),
    path("<int:campaign_id>/responses.csv", views_staff.responses_csv, name="responses_csv"),
    path("<int:campaign_id>/reverse/", views_staff.reverse_list, name="reverse"),
    path("<int:campaign_id>/reverse/<int:reverse_item_id>/", views_staff.reverse_item, name="reverse_item"),
]
