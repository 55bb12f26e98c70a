import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
application = get_wsgi_application()
# Import every view now rather than at the first request, which would wait for it (seconds on a small machine):
# gunicorn imports this module once and forks its workers from it (gunicorn.conf.py, preload_app).
get_resolver().url_patterns  # noqa: B018
