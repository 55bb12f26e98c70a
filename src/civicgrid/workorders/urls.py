from django.urls import path

from civicgrid.workorders import views

app_name = "workorders"
urlpatterns = [
    path("", views.work_order_list, name="list"),
    path("report/", views.report, name="report"),
    path("report/outlines.geojson", views.outlines, name="outlines"),
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:number>/", views.track, name="track"),
    path("photos/<int:attachment_id>/", views.photo, name="photo"),
    path("position/", views.position, name="position"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/act/", views.act, name="act"),
]
