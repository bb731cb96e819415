"""A holder for secrets whose repr/str never reveal them, and a log filter that redacts any that slip."""

from __future__ import annotations

import logging
import threading
import weakref


class Secret:
    """Wraps a secret string; only `.get()` returns it, so accidental formatting prints a mask."""

    __slots__ = ('__weakref__', '_value')

    def __init__(self, value: str) -> None:
        self._value = value
        if value:
            _registry.add(value)

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(('Secret', self._value))

    def __reduce__(self) -> tuple:  # pickling would put it on disk or in another process in plain text
        raise TypeError('Secret values are not picklable')


def mask(value: str, keep: int = 4) -> str:
    """'sk_live_abcdef123' -> 'sk_l…(17)': enough to tell keys apart in a debug print, not to use one."""
    if not value:
        return ''
    return f'{value[:keep]}…({len(value)})' if len(value) > keep * 2 else '…' * 3


class _Registry:
    """Every secret and API key seen by this process, so the log filter can scrub them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()

    def add(self, value: str) -> None:
        if len(value) >= 6:  # too-short values would scrub ordinary words
            with self._lock:
                self._values.add(value)

    def discard(self, value: str) -> None:
        with self._lock:
            self._values.discard(value)

    def scrub(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, '[redacted]')
        return text


_registry = _Registry()
register_sensitive = _registry.add
forget_sensitive = _registry.discard
scrub = _registry.scrub


class RedactingFilter(logging.Filter):
    """Last line of defence: no registered secret or key reaches a log handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        # Filters run before the handler formats, so exc_text is usually still empty here and the traceback
        # would be rendered afterwards, unscrubbed. Render it now; Formatter.format reuses a set exc_text.
        if record.exc_info and not record.exc_text:
            record.exc_text = _traceback_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


_traceback_formatter = logging.Formatter()


_installed: weakref.WeakSet[logging.Handler] = weakref.WeakSet()


def install_log_redaction() -> None:
    """Attach the filter to every root handler (call after logging is configured)."""
    for handler in logging.getLogger().handlers:
        if handler not in _installed:
            handler.addFilter(RedactingFilter())
            _installed.add(handler)
