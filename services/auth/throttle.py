"""Slows down password and key guessing: too many failed sign-ins from one address or for one name pause it.

The pause is the same for names that exist and names that do not, so it reveals nothing about accounts.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from services.core.errors import UserFacingError
from services.core.i18n import ngettext


class TooManyAttempts(UserFacingError):
    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(ngettext('Too many failed sign-in attempts. Try again in {count} second.',
                                  'Too many failed sign-in attempts. Try again in {count} seconds.', seconds)
                         .format(count=seconds))
        self.retry_after = retry_after


class FailureThrottle:
    """At most `max_failures` failures per key within `window` seconds; then the key waits out the window."""

    def __init__(self, max_failures: int = 5, window: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window = window
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def check(self, *keys: str) -> None:
        """Raise TooManyAttempts if any key is paused."""
        now = time.monotonic()
        with self._lock:
            waits = [self._wait(key, now) for key in keys if key]
        wait = max(waits, default=0.0)
        if wait > 0:
            raise TooManyAttempts(wait)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in filter(None, keys):
                self._failures.setdefault(key, deque(maxlen=self.max_failures)).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()

    def _wait(self, key: str, now: float) -> float:
        failures = self._failures.get(key)
        if not failures:
            return 0.0
        while failures and now - failures[0] > self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return 0.0
        if len(failures) < self.max_failures:
            return 0.0
        return self.window - (now - failures[0])
