from django.contrib import admin
from django.urls import include, path

from civicgrid.api import api
from civicgrid.core.urls import root_urlpatterns

urlpatterns = [
    *root_urlpatterns,
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("civicgrid.core.urls")),
    path("regions/", include("civicgrid.regions.urls")),
    path("people/", include("civicgrid.people.urls")),
    path("workorders/", include("civicgrid.workorders.urls")),
    path("command/", include("civicgrid.command.urls")),
    path("hall/", include("civicgrid.hall.urls")),
    path("registry/", include("civicgrid.registry.urls")),
    path("gridwork/", include("civicgrid.gridwork.urls")),
    path("evaluation/", include("civicgrid.evaluation.urls")),
    path("open311/v2/", include("civicgrid.workorders.open311.urls")),
]
