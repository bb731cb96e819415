"""Listeners by key: who wants to hear of changes to one owner's jobs or draft, or to one notifier topic.

One small class for what the job view, the draft store and the change notifier each kept as a dict of lists
with the same add / remove-and-forget-the-empty-key code. Thread-safe: pages subscribe on the event loop,
database threads may ask who listens.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

L = TypeVar('L', bound=Callable[..., object])


class Listeners(Generic[L]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, list[L]] = {}

    def add(self, key: str, listener: L) -> Callable[[], None]:
        """Listen to `key`; returns the function that stops it (calling it twice is harmless)."""
        with self._lock:
            self._by_key.setdefault(key, []).append(listener)

        def remove() -> None:
            with self._lock:
                listeners = self._by_key.get(key, [])
                if listener in listeners:
                    listeners.remove(listener)
                if not listeners:
                    self._by_key.pop(key, None)

        return remove

    def of(self, key: str) -> list[L]:
        """A copy: a listener may unsubscribe (or subscribe another) while the list is being called."""
        with self._lock:
            return list(self._by_key.get(key, ()))

    def count(self, key: str | None = None) -> int:
        """How many listen to `key`, or to anything."""
        with self._lock:
            if key is not None:
                return len(self._by_key.get(key, ()))
            return sum(len(listeners) for listeners in self._by_key.values())
