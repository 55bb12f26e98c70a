"""A minimal Django project serving django-helpdesk 2.6.1, for the work-order bench's side-by-side figures.

Built and run by bench/helpdesk/build.sh in its own virtual environment (var/bench/helpdesk/venv) against its own
PostgreSQL database; nothing of it is part of CivicGrid. Settings mirror the CivicGrid bench server: DEBUG off,
persistent database connections, mail to nowhere, token authentication (one indexed lookup, as CivicGrid's).
"""

import os
from pathlib import Path
from urllib.parse import urlsplit


def _database(url: str) -> dict:
    """postgres://user[:password]@host[:port]/name, parsed here to keep the venv to helpdesk's own needs."""
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


BASE_DIR = Path(__file__).resolve().parent
DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "helpdesk-bench-only-not-a-secret")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hdbench.middleware.TokenUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "hdbench.urls"
WSGI_APPLICATION = "hdbench.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": _database(os.environ["HELPDESK_DATABASE_URL"])}
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
LANGUAGE_CODE = "zh-hans"
STATIC_URL = "/static/"
MEDIA_ROOT = BASE_DIR.parent / "media"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
}
HELPDESK_TEAMS_MODE_ENABLED = False
LOGIN_URL = "/login/"
LOGGING = {"version": 1, "root": {"level": "WARNING"}}
