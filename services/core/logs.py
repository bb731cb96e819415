"""Log lines an operator can ship: plain text by default, one JSON object per line with STUDIO_LOG_FORMAT=json.

A JSON line carries, besides time, level, logger and message, the fields a log search needs to tie a line to a
request: `trace_id` (the platform's), `request_id` (our X-Request-ID), `person` (the owner id the call was made
for) and `endpoint`. They come from `extra={...}` on the call, else from `log_fields`, a context variable the
platform client sets around each call, so the client's retry and clock-skew warnings carry them without every log
call passing them. Secrets are scrubbed by services/core/secret.py's RedactingFilter, which runs before any
formatter (install_log_redaction), and the formatter scrubs the finished line once more, because `extra` values
do not pass through that filter.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from services.core.secret import scrub

LOG_FORMATS = ('text', 'json')
TEXT_FORMAT = '%(asctime)s %(levelname)s %(name)s: %(message)s'
FIELDS = ('trace_id', 'request_id', 'person', 'endpoint')

_fields: ContextVar[dict[str, str] | None] = ContextVar('studio_log_fields', default=None)


@contextmanager
def log_fields(**fields: str | None) -> Iterator[None]:
    """Within this block (and tasks started in it), log lines carry these fields; empty values are left out."""
    merged = {**(_fields.get() or {}), **{name: value for name, value in fields.items() if value}}
    token = _fields.set(merged)
    try:
        yield
    finally:
        _fields.reset(token)


def current_fields() -> dict[str, str]:
    return dict(_fields.get() or {})


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log shippers (Loki, Elasticsearch, CloudWatch) parse without a grok rule."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            'time': datetime.fromtimestamp(record.created, UTC).isoformat(timespec='milliseconds'),
            'level': record.levelname,
            'logger': record.name,
            'message': record.getMessage(),
        }
        context = _fields.get() or {}
        for name in FIELDS:
            value = getattr(record, name, None) or context.get(name)
            if value:
                line[name] = str(value)
        # RedactingFilter has already rendered and scrubbed the traceback into exc_text; render it if it has not.
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line['exception'] = record.exc_text
        if record.stack_info:
            line['stack'] = record.stack_info
        # ensure_ascii keeps the line one line whatever a message holds (a newline is written as \n).
        return scrub(json.dumps(line, ensure_ascii=True, default=str))


def configure_logging(log_format: str = 'text', *, level: int = logging.INFO) -> None:
    """Root logging for the app, in the chosen line format (main() calls it once). Like logging.basicConfig, it
    leaves logging that is configured already alone (pytest's capture, an app embedding this one)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == 'json' else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)


def server_log_options(log_format: str) -> dict[str, Any]:
    """Keyword arguments for ui.run (passed on to uvicorn). uvicorn installs text handlers of its own on its loggers
    unless told not to; for JSON it is told not to, so its lines go to the root handler and come out as JSON too."""
    return {'log_config': None} if log_format == 'json' else {}
