"""Reference data kept in the web process: what every request of a busy endpoint reads and an administrator changes
a few times a year (a centre's groups and hours, the responsibility list).

A value is loaded on first use and kept for `seconds`. A save or delete of one of the `models` clears it at once in
this process (Django's signals); the other server processes see the change when their copy expires. That is the
same bargain as the working-day calendar's (`core.calendar`), and each cache says in its docstring what may be late.
Queryset `update()` and `bulk_create()` send no signals: code that changes the watched rows that way calls `clear()`.
"""

import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save

_ALL: list["ProcessCache[Any, Any]"] = []


class ProcessCache[K: Hashable, V]:
    def __init__(
        self, load: Callable[[K], V], *, seconds: float, models: Iterable[type[Model] | str], limit: int = 1000
    ) -> None:
        self._load = load
        self._seconds = seconds
        # keys come from requests (a kiosk's centre code, a report's type code): misses are kept too, so a client
        # sending ever new codes must not grow the process without end
        self._limit = limit
        self._lock = threading.Lock()
        self._values: dict[K, tuple[float, V]] = {}
        for model in models:
            for signal in (post_save, post_delete, m2m_changed):
                signal.connect(self._on_change, sender=model, weak=False)
        _ALL.append(self)

    def get(self, key: K) -> V:
        now = time.monotonic()
        found = self._values.get(key)
        if found is not None and now - found[0] < self._seconds:
            return found[1]
        value = self._load(key)
        with self._lock:
            if len(self._values) >= self._limit:
                self._values = {}
            self._values[key] = (now, value)
        return value

    def __len__(self) -> int:
        return len(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values = {}

    def _on_change(self, **_kwargs: object) -> None:
        self.clear()
        # and again once the change is committed: a request that read the old rows meanwhile must not keep them
        transaction.on_commit(self.clear)


def clear_all() -> None:
    """Forget every cached value (tests: each starts from its own database rows)."""
    for cache in _ALL:
        cache.clear()
