#!/usr/bin/env bash
# The evaluation benchmarks of issue 6 ("Speed"), on PostgreSQL:
#
#   bash bench/evaluation.sh setup    # database cg_evaluation_bench, the demo district, a campaign of 257,000 responses
#   bash bench/evaluation.sh report   # the full report (2,000 bootstrap replicates) against plain pandas and DuckDB
#   bash bench/evaluation.sh load     # response submission over HTTP, 20 concurrent clients (gunicorn, as make serve)
#
# Results go to var/bench/results.jsonl and are copied by hand into bench/README.md. Run from the repository root
# after `make venv`. PostgreSQL at 127.0.0.1:5432, user postgres (BENCH_PG to change).
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-8767}
CLIENTS=${CLIENTS:-20}
DURATION=${DURATION:-30}
bin=.venv/bin
mkdir -p var/bench
export DATABASE_URL=$PG/cg_evaluation_bench CONN_MAX_AGE=60 DEBUG=0 LOG_LEVEL=WARNING REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}

case "${1:-report}" in
  setup)
    psql "$PG/postgres" -tc "SELECT 1 FROM pg_database WHERE datname = 'cg_evaluation_bench'" | grep -q 1 \
      || createdb -h 127.0.0.1 -U postgres cg_evaluation_bench
    start=$(date +%s)
    $bin/civicgrid migrate --no-input -v 0
    $bin/civicgrid demo --scale district >/dev/null
    $bin/python bench/evaluation_data.py
    echo "setup done in $(( $(date +%s) - start )) s"
    ;;
  report)
    # pandas and DuckDB live in their own venv, never in the project's; it sees the project's psycopg
    venv=var/bench/analytics
    if [ ! -x $venv/bin/python ] || ! $venv/bin/python -c 'import pandas, duckdb' 2>/dev/null; then
      "$(readlink -f $bin/python)" -m venv $venv
      $venv/bin/pip install --quiet pandas==2.3.3 duckdb==1.5.6
    fi
    site=$($bin/python -c 'import site; print(site.getsitepackages()[0])')
    echo "$site" > "$($venv/bin/python -c 'import site; print(site.getsitepackages()[0])')/civicgrid-venv.pth"
    $bin/python bench/evaluation_report.py
    ;;
  load)
    PYTHONPATH=bench DJANGO_SETTINGS_MODULE=evaluation_settings \
      PORT=$PORT $bin/gunicorn -c gunicorn.conf.py >var/bench/server.log 2>&1 &
    server=$!
    trap 'kill $server 2>/dev/null || true' EXIT
    for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/accounts/login/" && break; sleep 0.2; done
    # closed loop (each client sends its next response as soon as the last is answered), then 20 people who each
    # send one every second or so (PAUSE): still hundreds of times Gulou's busiest hour
    for pause in 0 "${PAUSE:-1}"; do
      for scenario in ev-online ev-surveyor; do
        $bin/python bench/load.py --base "http://127.0.0.1:$PORT" --scenario $scenario --label "gunicorn, pause $pause s" \
          --clients "$CLIENTS" --pause "$pause" --duration "$DURATION" --warmup 5 --json var/bench/results.jsonl
      done
    done
    ;;
esac
