"""Open311 GeoReport v2 at /open311/v2/: every resource in JSON or XML, chosen by the suffix."""

from django.urls import path, re_path, register_converter

from civicgrid.workorders.open311 import views


class FormatConverter:
    """The format suffix: json or xml. Any other suffix matches nothing and falls to the 404 at the end."""

    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "open311_format")

app_name = "open311"
urlpatterns = [
    path("discovery.<open311_format:format>", views.discovery, name="discovery"),
    path("services.<open311_format:format>", views.services_list, name="services"),
    path("services/<str:service_code>.<open311_format:format>", views.service_definition, name="service"),
    path("requests.<open311_format:format>", views.requests, name="requests"),
    path("requests/<str:service_request_id>.<open311_format:format>", views.request_detail, name="request"),
    path("tokens/<str:token>.<open311_format:format>", views.token, name="token"),
    path("servicerequestupdates.<open311_format:format>", views.updates, name="updates"),
    re_path(r"^(?P<rest>.*)$", views.not_found, name="not_found"),
]
