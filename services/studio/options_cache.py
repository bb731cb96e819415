"""The material options, cached per (API key, namespace, gender, language) for a few minutes.

Options change rarely and every page view of the studio needs them, so they are fetched once per key
and reused; concurrent identical requests share one upstream call instead of each starting their own.
A failed fetch is not cached: the next view tries again.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from services.platform.client import Credentials
from services.platform.models import Gender, Options

CacheKey = tuple[str, str, str, str]


class Fetch(Protocol):
    """What the cache asks on a miss: `PlatformClient.options` in the app, a counting fake in tests."""

    async def __call__(self, creds: Credentials, *, namespace: str, gender: Gender | None,
                       language: str) -> Options: ...

MAX_ENTRIES = 256


@dataclass
class _Entry:
    options: Options
    fetched_at: float


class OptionsCache:
    def __init__(self, fetch: Fetch, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[CacheKey, _Entry] = {}
        self._inflight: dict[CacheKey, asyncio.Future[Options]] = {}
        self.upstream_calls = 0  # for tests and the admin view: how often the platform was actually asked

    @staticmethod
    def key(creds: Credentials, namespace: str, gender: Gender | None, language: str) -> CacheKey:
        # The key itself is never kept as a dictionary key (it would show up in any debug dump).
        key_id = hashlib.sha256(creds.api_key.encode()).hexdigest()[:16]
        return key_id, namespace, gender or '', language

    async def get(self, creds: Credentials, *, gender: Gender | None, language: str = 'en',
                  namespace: str = 'custom_agent') -> Options:
        key = self.key(creds, namespace, gender, language)
        entry = self._entries.get(key)
        if entry is not None and self._clock() - entry.fetched_at < self.ttl:
            return entry.options
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Options] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            self.upstream_calls += 1
            options = await self._fetch(creds, namespace=namespace, gender=gender, language=language)
        except BaseException as error:
            if not future.done():
                future.set_exception(error)
                future.exception()  # mark retrieved: waiters (if any) re-raise it themselves
            raise
        finally:
            self._inflight.pop(key, None)
        self._store(key, options)
        future.set_result(options)
        return options

    def invalidate(self) -> None:
        self._entries.clear()

    def _store(self, key: CacheKey, options: Options) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            oldest = min(self._entries, key=lambda k: self._entries[k].fetched_at)
            del self._entries[oldest]
        self._entries[key] = _Entry(options, self._clock())

