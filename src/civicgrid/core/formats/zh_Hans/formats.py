"""Dates and numbers as offices in China write them: 2026-11-24 14:05, 1,100,000 (Django's zh_Hans groups by 4
digits with no separator, so intcomma would print 1100000)."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
