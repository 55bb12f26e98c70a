#!/usr/bin/env bash
# The work-order benchmarks of issue 3 ("Speed"), with a million work orders in PostgreSQL.
#
#   bash bench/workorders.sh setup      # once: database cg_bench, the demo district, 1,000,000 work orders (~25 min)
#   bash bench/workorders.sh run        # serve it (gunicorn, as `make serve`) and run every workload (~6 min)
#   bash bench/workorders.sh helpdesk   # django-helpdesk 2.6.1 with as many tickets, the same report and list loads
#   bash bench/workorders.sh explain    # EXPLAIN ANALYZE of the list queries and the month's figures
#
# Results go to var/bench/results.jsonl (one JSON line per run) and are copied by hand into bench/README.md.
# Run from the repository root after `make venv`. PostgreSQL at 127.0.0.1:5432, user postgres (BENCH_PG to change).
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
ORDERS=${ORDERS:-1000000}
PORT=${PORT:-8766}
CLIENTS=${CLIENTS:-16}
DURATION=${DURATION:-30}
bin=.venv/bin
results=var/bench/results.jsonl
mkdir -p var/bench
export DATABASE_URL=$PG/cg_bench CONN_MAX_AGE=60 DEBUG=0 LOG_LEVEL=WARNING REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}

wait_for() {  # url
  for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "server did not answer at $1" >&2; return 1
}

load() {  # scenario label [clients]
  $bin/python bench/load.py --base "http://127.0.0.1:$PORT" --scenario "$1" --label "$2" \
    --clients "${3:-$CLIENTS}" --duration "$DURATION" --warmup 5 --json "$results"
}

civicgrid_loads() {  # label
  for clients in 4 6 8 16 32; do load cg-report "$1" "$clients"; done
  for clients in 1 8; do
    load cg-list-district "$1" "$clients"
    load cg-list-street "$1" "$clients"
  done
  for clients in 1 4; do load cg-figures "$1" "$clients"; done
}

serve() {  # as `make serve`: gunicorn.conf.py
  PORT=$PORT $bin/gunicorn -c gunicorn.conf.py >var/bench/server.log 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  wait_for "http://127.0.0.1:$PORT/api/v1/workorders/types"
}

case "${1:-run}" in
  setup)
    psql "$PG/postgres" -tc "SELECT 1 FROM pg_database WHERE datname = 'cg_bench'" | grep -q 1 \
      || createdb -h 127.0.0.1 -U postgres cg_bench
    start=$(date +%s)
    $bin/civicgrid migrate --no-input -v 0
    $bin/civicgrid demo --scale district >/dev/null
    echo "demo district loaded in $(( $(date +%s) - start )) s"
    $bin/python bench/wo_data.py --orders "$ORDERS"
    echo "setup done in $(( $(date +%s) - start )) s"
    ;;
  run)
    serve
    civicgrid_loads "gunicorn ${WEB_CONCURRENCY:-3}x4"
    ;;
  helpdesk)
    bash bench/helpdesk/build.sh "$ORDERS"
    export HELPDESK_DATABASE_URL=$PG/cg_helpdesk PYTHONPATH=bench/helpdesk DJANGO_SETTINGS_MODULE=hdbench.settings
    var/bench/helpdesk/venv/bin/waitress-serve --listen=127.0.0.1:$PORT --threads=8 hdbench.wsgi:application \
      >var/bench/helpdesk/server.log 2>&1 &
    server=$!
    trap 'kill $server 2>/dev/null || true' EXIT
    auth=$(python3 -c "import json; print(json.load(open('var/bench/helpdesk/bench.json'))['authorization'])")
    for _ in $(seq 1 300); do
      curl -fs -o /dev/null -H "Authorization: $auth" "http://127.0.0.1:$PORT/api/tickets/?status=5" && break
      sleep 0.2
    done
    for clients in 4 8 16 32; do load hd-report "helpdesk waitress 8 threads" "$clients"; done
    # its lists take seconds each: one client, counted from the first request, for two minutes
    $bin/python bench/load.py --base "http://127.0.0.1:$PORT" --scenario hd-list-page --label "helpdesk, 1 client" \
      --clients 1 --warmup 0 --duration 120 --json "$results"
    $bin/python bench/load.py --base "http://127.0.0.1:$PORT" --scenario hd-list --label "helpdesk, 1 client" \
      --clients 1 --warmup 0 --duration 120 --json "$results"
    ;;
  explain)
    $bin/python bench/wo_explain.py
    ;;
  *)
    echo "usage: bash bench/workorders.sh setup|run|helpdesk|explain" >&2
    exit 2
    ;;
esac
