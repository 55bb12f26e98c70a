"""Settings for the evaluation's load bench (not the project's settings): every client of the load generator comes
from 127.0.0.1, so the per-address limits of the public questionnaire are lifted for it.

    DJANGO_SETTINGS_MODULE=evaluation_settings PYTHONPATH=bench gunicorn -c gunicorn.conf.py
"""

from civicgrid.settings import *  # noqa: F403

EVALUATION_RATE_LIMITS = {"submit": (10**9, 60), "open": (10**9, 60)}
