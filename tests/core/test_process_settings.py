"""How the server's processes share what they must: the cache through Redis, and gunicorn's process count."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "WEB_CONCURRENCY")}
    done = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.skipif(not redis_up() and not os.environ.get("CI"), reason="no Redis on this machine")
def test_with_redis_url_every_process_counts_in_one_cache():
    # given REDIS_URL, when one process writes a rate-limit count, then another process reads the same count
    key = f"test-{uuid.uuid4().hex}"
    setup = "import django; django.setup(); from django.core.cache import cache; "
    env = {"REDIS_URL": "redis://127.0.0.1:6379/15", "DJANGO_SETTINGS_MODULE": "civicgrid.settings"}
    kind = "from django.core.cache import caches; print(type(caches['default']).__name__)"
    assert run_python(setup + f"cache.set('{key}', 3, 60); {kind}", **env) == "RedisCache"
    assert run_python(setup + f"print(cache.incr('{key}'))", **env) == "4"


def test_without_redis_the_server_runs_one_process():
    # the per-process cache would let each process count a client's requests on its own
    code = "import runpy; c = runpy.run_path('gunicorn.conf.py'); print(c['workers'], c['worker_class'])"
    assert run_python(code) == "1 gthread"
    workers, _kind = run_python(code, REDIS_URL="redis://127.0.0.1:6379/0").split()
    assert int(workers) == (os.cpu_count() or 1) + 1


def test_the_application_is_imported_whole_and_without_a_connection_before_the_workers_fork():
    # gunicorn imports civicgrid.wsgi once and forks its workers from it (preload_app): every view must be imported
    # by then, and no database connection opened, or the workers would share one socket
    code = (
        "import runpy, sys; c = runpy.run_path('gunicorn.conf.py'); import civicgrid.wsgi; "
        "from django.db import connections; "
        "print(c['preload_app'], 'civicgrid.hall.api' in sys.modules, "
        "all(x.connection is None for x in connections.all()))"
    )
    assert run_python(code, DJANGO_SETTINGS_MODULE="civicgrid.settings") == "True True True"
