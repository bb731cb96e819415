"""Server-side sessions: who a browser is signed in as, and the credentials they sign with.

The browser holds only an opaque session id (in NiceGUI's server-side `app.storage.user`, keyed by
NiceGUI's signed browser-id cookie). Credentials live in this process's memory and nowhere else.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

from services.platform import Credentials

Mode = Literal['account', 'byok', 'demo']
SESSION_KEY = 'sid'  # the only thing about a session kept in app.storage.user


@dataclass
class Principal:
    """A signed-in person. `owner_id` keys everything they own (drafts, jobs, covers)."""

    owner_id: str
    user_id: str  # sent as X-User-ID
    display_name: str
    mode: Mode
    credentials: Credentials = field(repr=False)
    is_admin: bool = False


@dataclass
class Session:
    sid: str
    principal: Principal
    created_at: float = field(default_factory=time.time)
    last_seen: float = field(default_factory=time.time)


def owner_id_for(mode: Mode, user_id: str, api_key: str = '') -> str:
    if mode == 'byok':
        # Two people can use the same user id with different keys; the key itself is never used as a name.
        digest = hashlib.sha256(api_key.encode()).hexdigest()[:12]
        return f'byok-{digest}-{_slug(user_id)}'
    return f'{mode}-{_slug(user_id)}'


def _slug(value: str) -> str:
    cleaned = ''.join(c if c.isalnum() or c in '-_.' else '_' for c in value)[:64]
    return cleaned or '_'


class SessionStore:
    """In-memory session table. Ending a session here ends it in every tab that holds its id."""

    def __init__(self, idle_timeout: float = 12 * 3600) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self.idle_timeout = idle_timeout

    def create(self, principal: Principal) -> Session:
        session = Session(sid=secrets.token_urlsafe(32), principal=principal)
        with self._lock:
            self._sessions[session.sid] = session
        return session

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            now = time.time()
            if now - session.last_seen > self.idle_timeout:
                del self._sessions[sid]
                return None
            session.last_seen = now
            return session

    def end(self, sid: str | None) -> Principal | None:
        with self._lock:
            session = self._sessions.pop(sid or '', None)
        return session.principal if session else None

    def end_all_for(self, owner_id: str) -> int:
        with self._lock:
            doomed = [sid for sid, s in self._sessions.items() if s.principal.owner_id == owner_id]
            for sid in doomed:
                del self._sessions[sid]
        return len(doomed)

    def count(self) -> int:
        with self._lock:
            return len(self._sessions)


store = SessionStore()
