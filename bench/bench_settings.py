"""Settings for trying a database option on the bench server (not the project's settings): server-side binding
with prepared statements, so PostgreSQL plans each of the ORM's repeated queries once per connection.

    DJANGO_SETTINGS_MODULE=bench_settings PYTHONPATH=bench waitress-serve ... civicgrid.wsgi:application
"""

from civicgrid.settings import *  # noqa: F403
from civicgrid.settings import DATABASES

DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 2})
