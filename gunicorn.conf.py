"""gunicorn's settings for `make serve`, `make demo` and the benches.

One Python process runs on one core (the GIL), so there is a process per core and one more to fill the time the
others wait on the database; threads in each keep the phones' and boards' keep-alive connections without a process
per connection. HOST, PORT, WEB_CONCURRENCY and WEB_THREADS override the defaults; without REDIS_URL there is
one process (docs/operations.md, "Cache").
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
wsgi_app = "civicgrid.wsgi:application"
# Several processes need the shared cache (REDIS_URL) for the per-client rate limits to count across them.
workers = int(os.environ.get("WEB_CONCURRENCY") or ((os.cpu_count() or 1) + 1 if os.environ.get("REDIS_URL") else 1))
worker_class = "gthread"
# The application (and every view: civicgrid.wsgi) is imported once, before the workers are forked: a worker that
# imported it itself answered its first requests seconds late, and each kept its own copy of the code. A code
# change therefore needs a restart, not a HUP.
preload_app = True
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = 15  # the kiosk, the board and the load generator keep their connection between requests
timeout = 60  # an Excel export of a whole ledger may take this long
graceful_timeout = 10
# Requests go to the application's own log (core.logging, without personal data); gunicorn's access log would
# repeat every query string.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "warning").lower()
