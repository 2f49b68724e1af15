"""Uploaded files are kept in memory, never written to a temporary file.

Werkzeug writes a file part of more than 500 KB to a temporary file while it reads the
request. Every import reads the whole file into memory anyway (``upload.read()``) and
``MAX_CONTENT_LENGTH`` bounds its size, so a file on disk would only add a copy, and a
full disk would break an upload that needs no disk at all. Written here because the
change is one method of werkzeug's ``Request`` (its documented hook for the stream).
"""

from __future__ import annotations

from io import BytesIO
from typing import IO

from flask import Request


class InMemoryUploadsRequest(Request):
    """Flask's request, with every uploaded file part kept in memory."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None,
                         content_length: int | None = None) -> IO[bytes]:
        return BytesIO()
