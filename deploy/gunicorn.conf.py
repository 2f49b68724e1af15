"""gunicorn settings for Wijkpanel behind nginx (see deploy/nginx.conf).

Start with ``gunicorn --config deploy/gunicorn.conf.py app:app`` (the systemd unit does).
Every value can be changed with an environment variable in the EnvironmentFile:

- ``PANEL_BIND`` (``127.0.0.1:8000``): where gunicorn listens; only nginx connects.
- ``PANEL_WORKERS`` (2 × CPUs + 1), ``PANEL_THREADS`` (4): processes and threads each.
- ``PANEL_TIMEOUT`` (30 s): a worker silent this long is restarted.
- ``PANEL_FORWARDED_ALLOW_IPS`` (``127.0.0.1,::1``): the proxies whose
  ``X-Forwarded-Proto`` gunicorn believes.
- ``PANEL_PROXY_COUNT`` (1): how many proxies set ``X-Forwarded-For`` in front of the
  app; the client address in the audit log and for rate limits comes from there. 0 turns
  this off (gunicorn reachable directly).

The access log has no query string (searches stay out of it), the secret part of personal
link paths and anything else that looks like personal data is redacted, and every line is
one JSON object like the application's own log (``panel/logging.py``).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from panel.logging import JsonFormatter, RedactingFilter, redact  # noqa: E402


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, "") or default)


bind = os.environ.get("PANEL_BIND", "127.0.0.1:8000")
workers = _int("PANEL_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _int("PANEL_THREADS", 4)
worker_class = "gthread"
timeout = _int("PANEL_TIMEOUT", 30)
graceful_timeout = 30
keepalive = 5
# Restart workers now and then, so a slow leak never grows.
max_requests = 2000
max_requests_jitter = 200
# Uploads are limited by the app (MAX_CONTENT_LENGTH) and by nginx; these limit headers.
limit_request_line = 4094
limit_request_fields = 100
forwarded_allow_ips = os.environ.get("PANEL_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_count = _int("PANEL_PROXY_COUNT", 1)

accesslog = "-"  # standard output: journald keeps it (see deploy/wijkpanel.service)
errorlog = "-"
loglevel = os.environ.get("PANEL_LOG_LEVEL", "info").lower()
# Client, request line without the query string, status, bytes, time in milliseconds, and
# nginx's request id (the app's log lines carry the same id).
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}i)s'


class RedactingLogger(Logger):
    """gunicorn's logger, writing JSON lines and leaving out personal data and secrets."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())
                if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                    handler.addFilter(RedactingFilter())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any],
              request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact(str(environ.get("PATH_INFO", "")))
        atoms["U"] = path
        atoms["q"] = ""
        atoms["r"] = f"{environ.get('REQUEST_METHOD', '')} {path} " \
                     f"{environ.get('SERVER_PROTOCOL', '')}"
        referer = str(environ.get("HTTP_REFERER", "-")).split("?", 1)[0]
        atoms["f"] = redact(referer)
        for key in list(atoms):  # request and response headers: keep only harmless ones
            if key.startswith("{") and key not in ("{x-request-id}i", "{user-agent}i"):
                atoms[key] = "-"
        atoms["{x-request-id}i"] = redact(str(atoms.get("{x-request-id}i", "-")))
        return atoms


logger_class = RedactingLogger


def post_worker_init(worker: Any) -> None:
    """Take the client's address from nginx's ``X-Forwarded-For`` (one proxy by default),
    so that the audit log and the rate limits see the resident, not nginx."""
    if proxy_count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app = worker.wsgi
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy_count)
