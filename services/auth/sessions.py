"""Server-side sessions: who a browser is signed in as, and the credentials they sign with.

The browser holds only an opaque session id (in NiceGUI's server-side `app.storage.user`, keyed by
NiceGUI's signed browser-id cookie). Credentials live in this process's memory and nowhere else.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from services.core.secret import forget_sensitive
from services.platform.client import Credentials

log = logging.getLogger(__name__)

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

    def __post_init__(self) -> None:
        # The request log files each platform call under the person it was made for: the credentials carry that.
        if self.credentials.owner != self.owner_id:
            self.credentials = replace(self.credentials, owner=self.owner_id)


@dataclass
class Session:
    sid: str
    principal: Principal
    created_at: float = field(default_factory=time.time)
    last_seen: float = field(default_factory=time.time)
    # For tool accounts: the account's password stamp at sign-in; a password change or removal ends the session.
    account_stamp: str = ''


EndListener = Callable[[Session, str], None]  # (the ended session, why: 'signed out', 'expired', ...)


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

    def __init__(self, idle_timeout: float = 12 * 3600, *, keep_sensitive: frozenset[str] = frozenset()) -> None:
        self._lock = threading.Lock()
        # Keys the log scrubber must keep hiding even when the last session using them ends (the operator's).
        self._keep_sensitive = keep_sensitive
        self._sessions: dict[str, Session] = {}
        self.idle_timeout = idle_timeout
        self._listeners: list[EndListener] = []
        self._tabs: dict[str, str] = {}  # connected browser tab (NiceGUI client id) -> its session id

    # --- the browser tabs showing a session, so ending it can reach every one of them -----------------------

    def attach_tab(self, client_id: str, sid: str) -> None:
        with self._lock:
            self._tabs[client_id] = sid

    def detach_tab(self, client_id: str) -> str | None:
        with self._lock:
            return self._tabs.pop(client_id, None)

    def tabs_of(self, sid: str) -> list[str]:
        with self._lock:
            return [client_id for client_id, tab_sid in self._tabs.items() if tab_sid == sid]

    def tabs(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._tabs.items())

    def on_end(self, listener: EndListener) -> None:
        """Call `listener(session, reason)` whenever a session ends, however it ends."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    def remove_listener(self, listener: EndListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def create(self, principal: Principal, *, account_stamp: str = '') -> Session:
        session = Session(sid=secrets.token_urlsafe(32), principal=principal, account_stamp=account_stamp)
        with self._lock:
            self._sessions[session.sid] = session
        return session

    def peek(self, sid: str | None) -> Session | None:
        """Like `get`, but does not count as activity (for watchers that must not keep a session alive)."""
        if not sid:
            return None
        with self._lock:
            session = self._sessions.get(sid)
            if session is None or time.time() - session.last_seen <= self.idle_timeout:
                return session
            del self._sessions[sid]
        self._ended([session], 'expired')
        return None

    def all(self) -> list[Session]:
        """Every live session, most recently active first (for the admin page; never send a sid to a browser)."""
        with self._lock:
            sessions = list(self._sessions.values())
        return sorted(sessions, key=lambda s: s.last_seen, reverse=True)

    def sessions_for(self, owner_id: str) -> list[Session]:
        with self._lock:
            return [s for s in self._sessions.values() if s.principal.owner_id == owner_id]

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            now = time.time()
            if now - session.last_seen <= self.idle_timeout:
                session.last_seen = now
                return session
            del self._sessions[sid]
        self._ended([session], 'expired')
        return None

    def end(self, sid: str | None, reason: str = 'signed out') -> Principal | None:
        with self._lock:
            session = self._sessions.pop(sid or '', None)
        if session is None:
            return None
        self._ended([session], reason)
        return session.principal

    def end_all_for(self, owner_id: str, reason: str = 'signed out everywhere') -> int:
        with self._lock:
            doomed = [s for s in self._sessions.values() if s.principal.owner_id == owner_id]
            for session in doomed:
                del self._sessions[session.sid]
        self._ended(doomed, reason)
        return len(doomed)

    def end_all(self, reason: str = 'server reset') -> int:
        with self._lock:
            doomed = list(self._sessions.values())
            self._sessions.clear()
            self._tabs.clear()
        self._ended(doomed, reason)
        return len(doomed)

    def _ended(self, sessions: list[Session], reason: str) -> None:
        with self._lock:
            keys_in_use = {s.principal.credentials.api_key for s in self._sessions.values()} | self._keep_sensitive
        for session in sessions:
            credentials = session.principal.credentials
            if session.principal.mode == 'byok' and credentials.api_key not in keys_in_use:
                # A person's own key is forgotten with their session, even by the log scrubber.
                forget_sensitive(credentials.api_key)
                forget_sensitive(credentials.api_secret.get())
            for listener in list(self._listeners):
                try:
                    listener(session, reason)
                except Exception:
                    log.exception('session end listener failed')

    def count(self) -> int:
        with self._lock:
            return len(self._sessions)

