from django.urls import path

from civicgrid.command import views

app_name = "command"
urlpatterns = [
    path("", views.index, name="index"),
    path("figures/", views.figures_page, name="figures"),
    path("figures/export/", views.figures_export, name="figures_export"),
    path("map/", views.map_page, name="map"),
    path("map/live.json", views.map_live, name="map_live"),
    path("map/orders/<str:number>/", views.map_order, name="map_order"),
    path("map/orders/<str:number>/dispatch/", views.map_dispatch, name="map_dispatch"),
]
