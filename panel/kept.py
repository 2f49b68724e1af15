"""Values a worker keeps in memory by key: least recently used first out, within a budget;
and values read from the database that a worker trusts for a few seconds.

Used for built public pages (``panel.conditional``), for draft motion reports and the
rendered parts of their page (``panel.motions.services``) and for the rendered trend
charts (``panel.results.trends``). Whoever keeps a value makes
sure its key says everything the value depends on, so a kept value is never out of date;
this is an optimisation in each process's memory, not state shared between processes.

``functools.lru_cache`` counts entries and keys by the arguments of one function; here the
budget is in the values' own sizes (bytes of a page, rows of a report) and the callers put
values in themselves, so a few lines of our own it is. The lock makes it safe for the
threads of one worker.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

__all__ = ["LeastRecentlyUsed", "TrustedForAWhile"]

V = TypeVar("V")


def _one(value: object) -> int:
    return 1


class LeastRecentlyUsed(Generic[V]):
    """Values by key within ``budget`` (in the units of ``size``; by default a count). A
    value larger than ``largest`` (default: the whole budget) is not kept at all."""

    def __init__(self, budget: int, size: Callable[[V], int] = _one,
                 largest: int | None = None) -> None:
        self.budget = budget
        self.largest = budget if largest is None else largest
        self.used = 0
        self._size = size
        self._values: OrderedDict[Hashable, tuple[int, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            kept = self._values.get(key)
            if kept is None:
                return None
            self._values.move_to_end(key)
            return kept[1]

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value kept by ``key``; made with ``make()`` and kept when there is none."""
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def put(self, key: Hashable, value: V) -> None:
        size = self._size(value)
        if size > self.largest:
            return
        with self._lock:
            old = self._values.pop(key, None)
            if old is not None:
                self.used -= old[0]
            self._values[key] = (size, value)
            self.used += size
            while self.used > self.budget:
                _, (dropped, _) = self._values.popitem(last=False)
                self.used -= dropped

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self.used = 0

    def __len__(self) -> int:
        return len(self._values)


class TrustedForAWhile(Generic[V]):
    """Values worked out from the database, trusted for ``seconds`` after they were read
    (``PANEL_ETAG_SECONDS`` where the callers use it), at most ``limit`` keys. A commit
    in the worker forgets what every instance trusts, so the worker sees its own changes
    at once; a change made by another worker or a command shows within those seconds.
    Nothing is kept when ``seconds`` is 0."""

    _instances: weakref.WeakSet[TrustedForAWhile[Any]] = weakref.WeakSet()

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._values: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()
        TrustedForAWhile._instances.add(self)

    def get_or_make(self, key: Hashable, make: Callable[[], V], seconds: float) -> V:
        if seconds <= 0:
            return make()
        now = time.monotonic()
        kept = self._values.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]
        value = make()
        with self._lock:
            if len(self._values) >= self.limit:
                self._values.clear()
            self._values[key] = (now + seconds, value)
        return value

    def forget(self) -> None:
        with self._lock:
            self._values.clear()

    @classmethod
    def forget_all(cls) -> None:
        for instance in list(cls._instances):
            instance.forget()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    TrustedForAWhile.forget_all()
