"""The platform's authentication, verified with the project's own signing code.

Every refusal is an HTTP 401 envelope (code 10401) whose message says which check failed and whose
`timestamp` lets a client with a wrong clock correct itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.core.secret import Secret
from services.platform.signing import verify_signature

from .protocol import unauthorized


@dataclass(frozen=True)
class Caller:
    api_key: str
    user_id: str


class ReplayGuard:
    """Remembers (key, X-Request-ID) pairs for the replay window; a second use is refused."""

    # Bounded memory under a flood: past this many remembered ids the oldest are forgotten first.
    MAX_ENTRIES = 500_000

    def __init__(self, window: float) -> None:
        self.window = window
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def first_use(self, api_key: str, request_id: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if now >= self._next_purge:
                self._seen = {k: t for k, t in self._seen.items() if t > now}
                self._next_purge = now + 30
            expiry = self._seen.get((api_key, request_id))
            if expiry is not None and expiry > now:
                return False
            self._seen[(api_key, request_id)] = now + self.window
            while len(self._seen) > self.MAX_ENTRIES:  # dicts keep insertion order: oldest first
                del self._seen[next(iter(self._seen))]
            return True


def authenticate(headers: Mapping[str, str], *, keys: Mapping[str, Secret], method: str, path: str,
                 query: Iterable[tuple[str, str]], body: Mapping[str, Any] | None, replay: ReplayGuard,
                 max_skew: float) -> Caller:
    """Check the five headers and the signature; raise a 401 SandboxError naming the first failure."""
    authorization = headers.get('authorization')
    if not authorization:
        raise unauthorized('Missing Authorization header')
    scheme, _, api_key = authorization.strip().partition(' ')
    api_key = api_key.strip()
    if scheme.lower() != 'bearer' or not api_key or ' ' in api_key:
        raise unauthorized('Malformed Authorization header: expected "Bearer <apiKey>"')
    for name in ('X-Timestamp', 'X-Signature', 'X-Request-ID', 'X-User-ID'):
        if not headers.get(name.lower(), '').strip():
            raise unauthorized(f'Missing {name} header')
    secret = keys.get(api_key)
    if secret is None:
        raise unauthorized('Unknown API key')
    raw_ts = headers['x-timestamp'].strip()
    if not raw_ts.isdigit():
        raise unauthorized('X-Timestamp must be Unix time in seconds')
    if abs(int(raw_ts) - time.time()) > max_skew:
        raise unauthorized(f'X-Timestamp is more than {max_skew / 60:g} minutes away from the server clock')
    user_id = headers['x-user-id']
    if not verify_signature(secret, headers['x-signature'], method=method, path=path, timestamp=raw_ts,
                            user_id=user_id, query=query, body=body):
        raise unauthorized('Signature mismatch: X-Signature does not match the request')
    # Recorded only once the signature holds, so nobody can burn another caller's request ids.
    if not replay.first_use(api_key, headers['x-request-id'].strip()):
        raise unauthorized('Replayed request: this X-Request-ID was already used in the last 10 minutes')
    return Caller(api_key=api_key, user_id=user_id)
