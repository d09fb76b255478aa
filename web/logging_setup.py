"""Logs with request ids: human-readable by default, one JSON object per line with
``DXFLOW_LOG_JSON=1``.

Every request gets an id: the incoming ``X-Request-ID`` when it is a sane token (at most 64 of
``A-Za-z0-9._-``, as a proxy or load balancer would send), else a fresh uuid4 hex. It is sent
back in the ``X-Request-ID`` response header and attached to every log record written while the
request runs, together with the method, path and signed-in user, by a filter on the handler this
module installs on the root logger. Each request also writes one access line at INFO on the
``dxflow.access`` logger (status and duration). ``dxflow scheduler`` uses the same handler, so
its lines follow the same switch.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

from workflow import config as wf_config

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Attributes the filter sets on every record (None outside a request).
CONTEXT_FIELDS = ("request_id", "method", "path", "user_id")
# Extra fields a record may carry (the access line sets status and duration_ms).
JSON_FIELDS = (*CONTEXT_FIELDS, "status", "duration_ms")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# Libraries that say too much at INFO: transitions logs every state callback of every case
# change; APScheduler's executor two lines per job run (the job itself logs its outcome).
QUIET_LOGGERS = ("transitions", "apscheduler.executors")

access_log = logging.getLogger("dxflow.access")


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def json_enabled() -> bool:
    """``DXFLOW_LOG_JSON=1``: one JSON object per log line."""
    return _truthy(wf_config.env("LOG_JSON", "0") or "0")


def clean_request_id(value: str | None) -> str:
    """The incoming id if it is a sane token, else a new one (ids end up in logs and headers)."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """This request's id (assigned on first use), or None outside a request."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        g.request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
    return g.request_id


def _printable(text: str) -> str:
    """Control characters escaped, so a path like ``/a%0Ab`` cannot forge a log line."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _signed_in_user_id() -> int | None:
    # Only a user Flask-Login has already loaded for this request: logging must never query.
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


class RequestContextFilter(logging.Filter):
    """Attach the request id, method, path and signed-in user to each record (None outside a
    request); never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            values = {"request_id": current_request_id(), "method": request.method,
                      "path": _printable(request.path), "user_id": _signed_in_user_id()}
        else:
            values = dict.fromkeys(CONTEXT_FIELDS)
        for name, value in values.items():
            # Values passed with ``extra=`` win (e.g. a record logged for another request).
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message and the request
    fields that have a value."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
                    .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in JSON_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The readable default: time, level, logger, [request id or -], message."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        # Records are shared by every handler: fill the gap in a copy, not on the record.
        return self._fmt % {**record.__dict__,
                            "request_id": getattr(record, "request_id", None) or "-"}


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr


def configure_logging(*, json_lines: bool | None = None, level: int = logging.INFO,
                      stream=None) -> logging.Handler:
    """Install (or replace) dxflow's handler on the root logger; idempotent.

    ``json_lines`` defaults to ``DXFLOW_LOG_JSON``; ``stream`` defaults to stderr. Other
    handlers on the root logger (a test runner's, a ``--log-config``'s) are left in place.
    """
    if json_lines is None:
        json_lines = json_enabled()
    handler: logging.Handler = (logging.StreamHandler(stream) if stream is not None
                                else StderrHandler())
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    handler.addFilter(RequestContextFilter())
    handler._dxflow = True
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_dxflow", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    for name in QUIET_LOGGERS:
        quiet = logging.getLogger(name)
        if quiet.level == logging.NOTSET:  # unless configured otherwise
            quiet.setLevel(logging.WARNING)
    return handler


def init_app(app: Flask) -> None:
    """Configure logging and give every request an id, a response header and an access line."""
    json_lines = app.config.get("DXFLOW_LOG_JSON")
    configure_logging(json_lines=None if json_lines is None else _truthy(json_lines))

    @app.before_request
    def start_request_log() -> None:
        g.request_started = time.perf_counter()
        current_request_id()

    @app.after_request
    def finish_request_log(response):
        request_id = current_request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        # The path only: query strings may carry search terms or tokens.
        access_log.info("%s %s %s %sms", request.method, _printable(request.path),
                        response.status_code, duration_ms,
                        extra={"status": response.status_code, "duration_ms": duration_ms})
        return response
