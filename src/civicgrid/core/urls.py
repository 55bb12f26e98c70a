from django.contrib.auth import views as auth_views
from django.urls import path

from civicgrid.core import views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit, name="audit"),
    path("audit/access/", views.access_log, name="access"),
]

# Mounted at the site root by civicgrid.urls (names without namespace: Django's auth expects them).
root_urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
