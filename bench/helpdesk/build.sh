#!/usr/bin/env bash
# django-helpdesk 2.6.1 for the work-order bench: its own virtual environment (var/bench/helpdesk/venv), its own
# PostgreSQL database (cg_helpdesk), the minimal project in bench/helpdesk/hdbench, and N tickets (default 1,000,000).
# Nothing of it is part of CivicGrid; only this script and the project files are kept in the repository.
#   bash bench/helpdesk/build.sh [tickets]
set -euo pipefail
cd "$(dirname "$0")/../.."
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
venv=var/bench/helpdesk/venv
PY_MINOR=$(cut -d. -f1,2 .python-version)
python=$(pyenv which "python$PY_MINOR" 2>/dev/null || command -v "python$PY_MINOR")
if [ ! -x $venv/bin/waitress-serve ]; then
  mkdir -p var/bench/helpdesk
  "$python" -m venv $venv
  # the same Django, driver and server as CivicGrid's bench, so the comparison is of the applications
  $venv/bin/pip install --quiet django-helpdesk==2.6.1 django==6.1.3 "psycopg[binary]==3.3.9" waitress==3.0.2
fi
psql "$PG/postgres" -tc "SELECT 1 FROM pg_database WHERE datname = 'cg_helpdesk'" | grep -q 1 \
  || createdb -h 127.0.0.1 -U postgres cg_helpdesk
export HELPDESK_DATABASE_URL=$PG/cg_helpdesk PYTHONPATH=bench/helpdesk DJANGO_SETTINGS_MODULE=hdbench.settings
$venv/bin/django-admin migrate --no-input -v 0
$venv/bin/python bench/helpdesk/generate.py --tickets "${1:-1000000}"
