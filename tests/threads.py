"""Running the same work in several threads at once, as several workers or processes would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from panel.db import db


def in_threads(app: Flask, work: Callable[[], Any], count: int = 2) -> list[Any]:
    """Run ``work`` in ``count`` threads, each with its own app context (and so its own
    database session and connection); their results, or the first error raised."""
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        with app.app_context():
            try:
                results.append(work())
            except BaseException as exc:  # raised below, in the test's thread
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    assert len(results) == count, "a run did not finish"
    return results
