from django.urls import path

from civicgrid.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("search/", views.search, name="search"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/card/", views.card, name="card"),
    path("<str:code>/partner/", views.set_partner, name="partner"),
    path("<str:code>/grids.geojson", views.grids_geojson, name="grids_geojson"),
]
