"""The Nu Html Checker (vnu, the W3C validator) over pages the tests collected.

Pages are written to files and checked in one run of the checker: starting its Java
virtual machine takes a second or two, checking a page a few milliseconds. Errors and
warnings both count (the pages have none, and a warning such as an empty heading or an
``aria-*`` attribute that does nothing is worth the fix); the checker's plain information
messages do not. Its guess at the language of the text is off: a page in English names
Dutch wijken and Dutch meeting titles.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess  # nosec B404: runs the checker from node_modules, no shell
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

ROOT = Path(__file__).resolve().parents[1]
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
SERVED = "tests.served_to_the_browser"  # marks, in the WSGI environ, a live-server request


@dataclass(frozen=True)
class Problem:
    page: str
    line: int
    column: int
    message: str
    extract: str

    def __str__(self) -> str:
        return f"{self.page} (line {self.line}, column {self.column}): {self.message}\n" \
               f"    {self.extract.strip()!r}"


class ServedPages:
    """The HTML pages the live server answered with, named by the test and the address;
    a page served again unchanged is kept once."""

    def __init__(self) -> None:
        self.test = "(no test)"
        self.pages: dict[str, bytes] = {}
        self._seen: set[bytes] = set()
        self._lock = threading.Lock()

    def keep(self, sender: Flask, response: Response, **extra: Any) -> None:
        if not request.environ.get(SERVED) or response.mimetype != "text/html" \
                or response.is_streamed or 300 <= response.status_code < 400:
            return
        body = response.get_data()
        digest = hashlib.sha256(body).digest()
        with self._lock:
            if digest in self._seen:
                return
            self._seen.add(digest)
            name = f"{self.test} {request.method} {request.full_path.rstrip('?')} " \
                   f"({response.status_code})"
            self.pages[f"{name} #{len(self.pages) + 1}" if name in self.pages else name] = body


def java() -> str:
    found = shutil.which("java")
    assert found, "Java is missing: run scripts/ensure-system-packages"
    assert VNU_JAR.is_file(), f"{VNU_JAR} is missing: run make install"
    return found


def validate(pages: Mapping[str, str | bytes]) -> list[Problem]:
    """The errors and warnings vnu finds in ``pages`` ({name: served HTML}), in the
    order of the names."""
    if not pages:
        return []
    with tempfile.TemporaryDirectory(prefix="vnu-") as folder:
        names: dict[str, str] = {}
        for number, (name, html) in enumerate(pages.items()):
            path = Path(folder) / f"{number:05d}-{_UNSAFE.sub('_', name)[:80]}.html"
            if isinstance(html, str):
                path.write_text(html, encoding="utf-8")
            else:
                path.write_bytes(html)
            names[path.name] = name
        finished = subprocess.run(  # nosec B603: fixed arguments
            [java(), "-jar", str(VNU_JAR), "--format", "json", "--stdout",
             "--exit-zero-always", "--no-langdetect",
             "--html", folder],
            capture_output=True, text=True, timeout=600, check=False)
    assert finished.returncode == 0, finished.stderr or finished.stdout
    answer = json.loads(finished.stdout)
    problems = []
    for message in answer["messages"]:
        if message.get("type") == "info" and message.get("subType") != "warning":
            continue  # information, see the module's docstring
        url = message.get("url", "")
        page = names.get(url.rsplit("/", 1)[-1], url or "(the checker)")
        problems.append(Problem(page, message.get("lastLine", 0),
                                message.get("firstColumn", message.get("lastColumn", 0)),
                                message.get("message", ""), message.get("extract", "")))
    order = {name: index for index, name in enumerate(pages)}
    return sorted(problems, key=lambda p: (order.get(p.page, -1), p.line, p.column))


def report(problems: list[Problem]) -> str:
    return f"{len(problems)} HTML errors and warnings:\n" + \
        "\n".join(str(p) for p in problems)
