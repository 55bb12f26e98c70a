#!/usr/bin/env bash
# The demo district from an empty database, printing each step's own time (the gridwork step's line included), the
# command's CPU and wall time and the database's size. Uses its own var/ folder, touches nothing else.
# Run from the repository root after `make venv`: bash bench/gridwork_demo.sh [district|small]
set -euo pipefail
export CIVICGRID_VAR_DIR
CIVICGRID_VAR_DIR=$(mktemp -d)
trap 'rm -rf "$CIVICGRID_VAR_DIR"' EXIT
scale=${1:-district}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
.venv/bin/civicgrid migrate --no-input -v 0
/usr/bin/time -f "civicgrid demo: %U s user + %S s system CPU, %e s wall" \
  .venv/bin/civicgrid demo --scale "$scale" 2>&1 | grep -E "用时|就绪|CPU" | cut -c1-400
echo "database: $(du -m "$CIVICGRID_VAR_DIR/civicgrid.sqlite3" | cut -f1) MB"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
