"""Time in tests: a clock that moves only when the test moves it, and waiting for a
condition (with a deadline) instead of sleeping for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    """A stand-in for ``time.monotonic``: it starts at the real value (so readings taken
    before the test still compare sensibly) and stands still until ``advance`` moves it.
    Install it where the code reads the time, e.g.
    ``monkeypatch.setattr(services, "time_now", clock)``."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def wait_until(condition: Callable[[], object], timeout: float = 10.0,
               message: str | Callable[[], str] = "the condition never held",
               interval: float = 0.01) -> None:
    """Return as soon as ``condition()`` is true; fail with ``message`` after ``timeout``
    seconds. For work that happens elsewhere (a thread, another process)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(interval)
