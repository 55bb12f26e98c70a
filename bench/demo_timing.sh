#!/usr/bin/env bash
# Time from an empty database to a served page: migrate, load the demo district, collect static files, start the
# server, and wait until the login page answers. Uses its own var/ folder and port so it touches nothing else.
# Run from the repository root after `make venv node messages`: bash bench/demo_timing.sh
set -euo pipefail
export CIVICGRID_VAR_DIR
CIVICGRID_VAR_DIR=$(mktemp -d)
port=${PORT:-8765}
bin=.venv/bin
start=$(date +%s.%N)
$bin/civicgrid migrate --no-input -v 0
migrated=$(date +%s.%N)
$bin/civicgrid demo --scale district | grep -E "秒）?$" | sed -E "s/^([a-z]+): .*（([0-9.]+) 秒）$/\1: \2 s/"  # each step, its own time
loaded=$(date +%s.%N)
$bin/civicgrid collectstatic --no-input -v 0 -i '*.map' -i '*.ts' -i '*.mts' -i 'ext' -i '*.gz'
PORT=$port $bin/gunicorn -c gunicorn.conf.py >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$CIVICGRID_VAR_DIR"' EXIT
until curl -fs -o /dev/null "http://127.0.0.1:$port/accounts/login/"; do sleep 0.1; done
served=$(date +%s.%N)
printf 'migrate %.1f s, demo %.1f s, static + first page %.1f s, total %.1f s\n' \
  "$(echo "$migrated - $start" | bc)" "$(echo "$loaded - $migrated" | bc)" "$(echo "$served - $loaded" | bc)" \
  "$(echo "$served - $start" | bc)"
