#!/usr/bin/env bash
# The service-centre benchmarks of issue 4 ("Speed"), in PostgreSQL.
#
#   bash bench/hall.sh setup   # once: database cg_hall, the demo district, a year of the 13 centres (~300,000 tickets)
#   bash bench/hall.sh stats   # centre statistics over the year, in process (stored roll-up and all live)
#   bash bench/hall.sh run     # serve it (gunicorn, as `make serve`); ticket issue and call under 20 clients; check
#   bash bench/hall.sh tickets # serve it; 20 kiosks pressing (wrk), paced to offer about 100, 180 and 300 presses a
#                              # second, then without pause; CPU per press of the server, PostgreSQL and wrk; check
#   bash bench/hall.sh statements  # a press's SQL alone through pgbench (bench/hall_press.sql): the database's part
#
# Results go to var/bench/results.jsonl (one JSON line per HTTP run) and are copied by hand into bench/README.md.
# Run from the repository root after `make venv`. PostgreSQL at 127.0.0.1:5432, user postgres (BENCH_PG to change).
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-8767}
CLIENTS=${CLIENTS:-20}
DURATION=${DURATION:-20}
bin=.venv/bin
results=var/bench/results.jsonl
mkdir -p var/bench
export DATABASE_URL=$PG/cg_hall CONN_MAX_AGE=60 DEBUG=0 LOG_LEVEL=WARNING REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}

presses() {  # label pause_ms: 20 kiosks of the bench centre, each waiting pause_ms on average between presses
  local bench=var/bench/hall.json
  $bin/python bench/hall_bench.py prepare >/dev/null  # an empty queue, as in the morning
  $bin/python bench/cpu.py --per auto --json "$results" -- wrk -t2 -c"$CLIENTS" -d"${DURATION}s" --timeout 10s \
    -s bench/hall_ticket.lua "http://127.0.0.1:$PORT" -- "$(jq -r .centre $bench)" "$(jq -r .kiosk $bench)" \
    "$(jq -r '.groups | join(",")' $bench)" "$2" "$results" "$1" | grep -E '^\{|^CPU'
}

serve() {
  $bin/python bench/hall_bench.py prepare >/dev/null  # fresh tokens, every counter signed in
  PORT=$PORT $bin/gunicorn -c gunicorn.conf.py >var/bench/server.log 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/v1/hall/public/centres" && break; sleep 0.2; done
}

load() {  # scenario label
  $bin/python bench/load.py --base "http://127.0.0.1:$PORT" --scenario "$1" --label "$2" \
    --clients "$CLIENTS" --duration "$DURATION" --warmup 3 --json "$results"
}

case "${1:-run}" in
  setup)
    psql "$PG/postgres" -tc "SELECT 1 FROM pg_database WHERE datname = 'cg_hall'" | grep -q 1 \
      || createdb -h 127.0.0.1 -U postgres cg_hall
    start=$(date +%s)
    $bin/civicgrid migrate --no-input -v 0
    $bin/civicgrid demo --scale district >/dev/null
    echo "demo district loaded in $(( $(date +%s) - start )) s"
    $bin/python bench/hall_data.py --part 0/2 & first=$!
    $bin/python bench/hall_data.py --part 1/2
    wait $first
    $bin/python bench/hall_data.py --rollup
    $bin/python bench/hall_bench.py prepare
    echo "setup done in $(( $(date +%s) - start )) s"
    ;;
  stats)
    $bin/python bench/hall_bench.py stats
    ;;
  run)
    serve
    load hall-ticket "gunicorn ${WEB_CONCURRENCY:-3}x4"
    load hall-call "gunicorn ${WEB_CONCURRENCY:-3}x4"
    $bin/python bench/hall_bench.py prepare >/dev/null  # the calls' last tickets started, so the next run calls on
    load hall-mixed "gunicorn ${WEB_CONCURRENCY:-3}x4"
    $bin/python bench/hall_bench.py check
    ;;
  tickets)
    command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
    serve
    label="gunicorn ${WEB_CONCURRENCY:-3}x${WEB_THREADS:-4}"
    presses "$label warm-up" 0 >/dev/null
    for pause in 200 100 45 0; do presses "$label, pause ${pause} ms" "$pause"; done
    $bin/python bench/hall_bench.py check
    ;;
  statements)  # the press's statements alone, through pgbench (bench/hall_press.sql), 20 clients, then 1
    $bin/python bench/hall_bench.py prepare >/dev/null
    db="$PG/cg_hall"
    centre=$(psql "$db" -Atc "SELECT id FROM hall_centre WHERE code = '$(jq -r .centre var/bench/hall.json)'")
    actor=$(psql "$db" -Atc "SELECT id FROM people_user WHERE username = 'bench.kiosk'")
    digest=$(printf %s "$(jq -r .kiosk var/bench/hall.json)" | sha256sum | cut -d' ' -f1)
    kind=$(psql "$db" -Atc "SELECT id FROM django_content_type WHERE app_label = 'hall' AND model = 'ticket'")
    run="pgb$(date +%s)"
    for clients in 20 1; do
      pgbench -h 127.0.0.1 -U postgres -n -M prepared -c $clients -j $(( clients > 1 ? 2 : 1 )) -T 10 \
        -D centre="$centre" -D actor="$actor" -D digest="$digest" -D ticket_type="$kind" -D run="$run" \
        -f bench/hall_press.sql cg_hall | grep -E "^(tps|latency average|number of clients)"
    done
    psql -q "$db" -c "BEGIN; DELETE FROM core_auditentry WHERE request_id = '$run';
      DELETE FROM hall_ticketevent WHERE ticket_id IN (SELECT id FROM hall_ticket WHERE issue_key LIKE '$run%');
      DELETE FROM hall_ticket WHERE issue_key LIKE '$run%'; DELETE FROM hall_numbersequence
      WHERE centre_id = $centre AND series IN ('P1', 'P2', 'P3', 'P4', 'P5'); COMMIT;"
    ;;
  *)
    echo "usage: bash bench/hall.sh setup|stats|run|tickets|statements" >&2
    exit 2
    ;;
esac
