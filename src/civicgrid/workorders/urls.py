from django.urls import path

from civicgrid.workorders import views

app_name = "workorders"
urlpatterns = [
    path("report/", views.report, name="report"),
    path("track/<str:number>/", views.track, name="track"),
    path("<str:number>/", views.detail, name="detail"),
]
