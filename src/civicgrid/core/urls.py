from django.contrib.auth import views as auth_views
from django.urls import path

from civicgrid.core import views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit, name="audit"),
    path("audit/access/", views.access_log, name="access"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:notification_id>/", views.inbox_open, name="inbox_open"),
    path("calendar/", views.working_calendar, name="calendar"),
    path("calendar/<int:year>/", views.working_calendar, name="calendar_year"),
]

# Mounted at the site root by civicgrid.urls (names without namespace: Django's auth expects them).
root_urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
