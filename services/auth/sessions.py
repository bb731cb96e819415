"""Server-side sessions: who a browser is signed in as, and the credentials they sign with.

The browser holds only an opaque session id (in NiceGUI's `app.storage.user`, keyed by its signed browser-id
cookie). The `sessions` table keeps every session under a SHA-256 of that id, never the id itself, so any instance
serves any session and a restart keeps people signed in. A person's own key and secret, and a demo visitor's sandbox
key of their own, are stored only sealed (services/core/sealing.py); tool accounts sign with the operator's
credentials, which are never stored: they are filled in again when a session is loaded.

Why an in-memory view in front of the table: page code asks `get(sid)` / `peek(sid)` synchronously on the event
loop (who is asking, on every request and UI event), where no query may run. Each instance therefore keeps the
sessions its own browsers use in memory, and
- `await load(sid)` (the access middleware, before any page code of the request runs) fetches a session from the
  table when it is not in memory yet or looks idle by this instance's clock (another instance may have seen it
  since), and learns why a session ended;
- writes (created, ended, last seen) change the memory at once and are queued on the WriteBehind, in order, so a
  database that is briefly away delays them instead of losing them; `last_seen` is written at most every
  TOUCH_EVERY seconds per session;
- every end is published to the outbox, so every instance hears of it within a second (`on_change`, called by
  the ChangeNotifier) and sends that session's tabs to the sign-in page.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from typing import Any

from sqlalchemy.engine import Row

from services.auth import session_table
from services.auth.principal import SESSION_KEY, EndListener, Mode, Principal, Session, owner_id_for, sid_hash
from services.auth.session_table import TOPIC
from services.core.db import Database
from services.core.db.changes import Change
from services.core.db.writer import WriteBehind
from services.core.sealing import Sealer
from services.core.secret import Secret, forget_sensitive
from services.platform.client import Credentials

log = logging.getLogger(__name__)

__all__ = ['SESSION_KEY', 'TOPIC', 'Mode', 'Principal', 'Session', 'SessionStore', 'owner_id_for', 'sid_hash']

TOUCH_EVERY = 60.0  # seconds between writes of a session's last_seen (the idle timeout is hours)
REMEMBER_ENDED = 10_000  # ended sessions whose reason this instance keeps in memory
STORE_WAIT = 5.0  # a sign-in waits this long for its session to be stored (it is kept queued after that)
UNREADABLE = 'the studio could not restore it'  # sealed with another storage secret, or the operator's key is gone


class SessionStore:
    """The session table and this instance's view of it. Ending a session ends it in every tab holding its id, on
    every instance."""

    def __init__(self, db: Database, writer: WriteBehind, *, sealer: Sealer, operator: Credentials | None,
                 idle_timeout: float = 12 * 3600, demo_idle_timeout: float | None = None,
                 keep_sensitive: frozenset[str] = frozenset(), origin: str | None = None) -> None:
        self.db = db
        self._writer = writer
        self._sealer = sealer
        self._operator = operator  # tool accounts and the demo sign with these; never stored
        self.origin = origin
        self.idle_timeout = idle_timeout
        # A demo session has a lifetime of its own (STUDIO_DEMO_IDLE_MINUTES): when it ends, its work is deleted
        # (services/auth/demo_data.py), and the sign-in page promises when.
        self.demo_idle_timeout = idle_timeout if demo_idle_timeout is None else demo_idle_timeout
        self._lock = threading.Lock()
        # Keys the log scrubber must keep hiding even when the last session using them ends (the operator's).
        self._keep_sensitive = keep_sensitive
        self._sessions: dict[str, Session] = {}
        self._by_key: dict[str, str] = {}  # sid_hash -> sid, for the changes other instances publish
        self._ended: OrderedDict[str, str] = OrderedDict()  # sid_hash -> why it ended
        self._stored: dict[str, Future[None]] = {}  # sid -> its insert, until it is done
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
        """Call `listener(session, reason)` whenever a session this instance holds ends, however and wherever."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    # --- creating ----------------------------------------------------------------------------------------------

    def create(self, principal: Principal, *, account_stamp: str = '') -> Session:
        """A new session, usable here at once; its row is queued (`await stored(session)` to wait for it)."""
        session = Session(sid=secrets.token_urlsafe(32), principal=principal, account_stamp=account_stamp)
        session.stored_seen = session.last_seen
        row = {'sid_hash': session.key, 'owner_id': principal.owner_id, 'user_id': principal.user_id,
               'display_name': principal.display_name, 'mode': principal.mode, 'is_admin': principal.is_admin,
               'account_stamp': account_stamp, 'created_at': session.created_at, 'last_seen': session.last_seen,
               'sealed_credentials': self._seal(principal)}
        with self._lock:
            self._remember(session)
            future = self._writer.submit(session_table.insert_row, row)
            self._stored[session.sid] = future
        future.add_done_callback(lambda _: self._stored.pop(session.sid, None))
        return session

    async def stored(self, session: Session, seconds: float = STORE_WAIT) -> bool:
        """Wait (at most `seconds`) until the session's row is written, so the next request finds it on any
        instance; False if the database did not take it in time (it stays queued, and works here meanwhile)."""
        future = self._stored.get(session.sid)
        if future is None:
            return True
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), seconds)
        except (TimeoutError, Exception):
            return False
        return True

    def _seal(self, principal: Principal) -> bytes | None:
        if principal.mode == 'account':
            return None  # the operator's credentials are filled in again on load
        # A person's own key, or a demo visitor's sandbox key of their own: without it a restored demo session
        # would sign with the operator's key and see the tool accounts' agents.
        credentials = principal.credentials
        plain = json.dumps({'api_key': credentials.api_key, 'api_secret': credentials.api_secret.get()})
        return self._sealer.seal(plain.encode())

    # --- reading -----------------------------------------------------------------------------------------------

    def peek(self, sid: str | None) -> Session | None:
        """Like `get`, but does not count as activity (for watchers that must not keep a session alive)."""
        return self._local(sid, activity=False)

    def get(self, sid: str | None) -> Session | None:
        """This instance's session for `sid`, counting as activity. Only what `load` (or `create`) put in memory:
        call `await load(sid)` first in code that may see a session for the first time."""
        return self._local(sid, activity=True)

    def _local(self, sid: str | None, *, activity: bool) -> Session | None:
        if not sid:
            return None
        now = time.time()
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            if now - session.last_seen <= self.idle_for(session.principal.mode):
                if activity:
                    session.last_seen = now
                    if now - session.stored_seen > TOUCH_EVERY:
                        session.stored_seen = now
                        self._writer.submit(session_table.touch, session.key, now)
                return session
        # Idle by this instance's clock. The table's end is conditional on it agreeing (another instance may
        # have kept the session alive); `load` then finds it alive again.
        self._end_locally([session], 'expired', write=True)
        return None

    async def load(self, sid: str | None, *, activity: bool = True) -> Session | None:
        """The session for `sid` if it may be used: from memory when fresh, else from the table (then kept in
        memory). Raises DatabaseUnavailable when the table is needed and cannot be read."""
        if not sid:
            return None
        with self._lock:
            session = self._sessions.get(sid)
        if session is not None and time.time() - session.last_seen <= self.idle_for(session.principal.mode):
            return self._local(sid, activity=activity)
        with self._lock:
            if sid_hash(sid) in self._ended:
                return None  # ended here; the table may not have it yet (its write is queued)
        row = await self.db.read(session_table.read, sid_hash(sid))
        return self._from_row(sid, row, activity=activity)

    def _from_row(self, sid: str, row: Row[Any] | None, *, activity: bool) -> Session | None:
        with self._lock:
            cached = self._sessions.get(sid)
        if row is None:
            if cached is not None:  # created here, its row still queued: memory is right
                return self._local(sid, activity=activity)
            return None
        values = row._mapping
        if values['ended_at'] is not None:
            reason = values['end_reason'] or 'signed out'
            self._remember_end(values['sid_hash'], reason)
            if cached is not None:
                self._end_locally([cached], reason, write=False)
            return None
        last_seen = max(values['last_seen'], cached.last_seen if cached else 0.0)
        if time.time() - last_seen > self.idle_for(values['mode']):
            self._end_locally([cached] if cached else [], 'expired', write=False)
            self._writer.submit(session_table.end, values['sid_hash'], 'expired', time.time(), self.origin, None)
            self._remember_end(values['sid_hash'], 'expired')
            return None
        if cached is not None:
            cached.last_seen = last_seen
            cached.stored_seen = max(cached.stored_seen, values['last_seen'])
            return self._local(sid, activity=activity)
        principal = self._principal(values)
        if principal is None:
            log.warning('a stored session could not be restored (sealed under another storage secret, or the '
                        'operator credentials are no longer configured); it is ended')
            self._writer.submit(session_table.end, values['sid_hash'], UNREADABLE, time.time(), self.origin, None)
            self._remember_end(values['sid_hash'], UNREADABLE)
            return None
        session = Session(sid=sid, principal=principal, created_at=values['created_at'], last_seen=last_seen,
                          account_stamp=values['account_stamp'], stored_seen=values['last_seen'])
        with self._lock:
            if sid in self._sessions:  # another request loaded it meanwhile: one object per session
                session = self._sessions[sid]
            else:
                self._remember(session)
        return self._local(sid, activity=activity)

    def _principal(self, values: Any) -> Principal | None:
        mode: Mode = values['mode']
        user_id = values['user_id']
        if mode in ('byok', 'demo'):
            opened = self._sealer.open(values['sealed_credentials'] or b'')
            if opened is None:
                return None  # a demo row of before its key was sealed too cannot be restored: never the operator's
            stored = json.loads(opened)
            credentials = Credentials(stored['api_key'], Secret(stored['api_secret']), user_id)
        elif self._operator is not None:
            credentials = Credentials(self._operator.api_key, self._operator.api_secret, user_id)
        else:
            return None
        return Principal(owner_id=values['owner_id'], user_id=user_id, display_name=values['display_name'],
                         mode=mode, credentials=credentials, is_admin=bool(values['is_admin']))

    def ended_reason(self, sid: str | None) -> str | None:
        """Why this session ended, if this instance knows (it ended here, or `load` found it ended)."""
        if not sid:
            return None
        with self._lock:
            return self._ended.get(sid_hash(sid))

    def all(self) -> list[Session]:
        """The sessions of this instance's browsers, most recently active first (never send a sid to a browser).
        `list_all` has every instance's."""
        with self._lock:
            sessions = list(self._sessions.values())
        return sorted(sessions, key=lambda s: s.last_seen, reverse=True)

    async def list_all(self) -> list[dict[str, Any]]:
        """Every live session in the table (all instances), newest activity first, without any credential."""
        now = time.time()
        return await self.db.read(session_table.live, now - self.idle_timeout, now - self.demo_idle_timeout)

    def sessions_for(self, owner_id: str) -> list[Session]:
        with self._lock:
            return [s for s in self._sessions.values() if s.principal.owner_id == owner_id]

    # --- ending ------------------------------------------------------------------------------------------------

    def end(self, sid: str | None, reason: str = 'signed out') -> Principal | None:
        """End a session everywhere. Returns who it was if this instance held it."""
        if not sid:
            return None
        with self._lock:
            session = self._sessions.get(sid)
        self._writer.submit(session_table.end, sid_hash(sid), reason, time.time(), self.origin, None)
        self._remember_end(sid_hash(sid), reason)
        if session is None:
            return None
        self._end_locally([session], reason, write=False)
        return session.principal

    async def end_key(self, key: str, reason: str) -> dict[str, Any] | None:
        """End the session stored under `key` (its sid_hash, all the admin page knows), wherever it is held;
        returns its row (who it was) or None if it had ended already. Raises DatabaseUnavailable."""
        row = await self.db.read(session_table.read, key)
        if row is None or row._mapping['ended_at'] is not None:
            return None
        with self._lock:
            sid = self._by_key.get(key)
        if sid is not None:
            self.end(sid, reason)
        else:
            self._remember_end(key, reason)
            self._writer.submit(session_table.end, key, reason, time.time(), self.origin, None)
        return dict(row._mapping)

    def tabs_of_key(self, key: str) -> int:
        """How many of this instance's tabs show the session stored under `key`."""
        with self._lock:
            sid = self._by_key.get(key)
            return sum(1 for tab_sid in self._tabs.values() if tab_sid == sid) if sid else 0

    def end_all_for(self, owner_id: str, reason: str = 'signed out everywhere') -> int:
        """End every session of `owner_id`, on every instance; returns how many this instance held."""
        with self._lock:
            doomed = [s for s in self._sessions.values() if s.principal.owner_id == owner_id]
        self._writer.submit(session_table.end_owner, owner_id, reason, time.time(), self.origin)
        for session in doomed:
            self._remember_end(session.key, reason)
        self._end_locally(doomed, reason, write=False)
        return len(doomed)

    async def on_change(self, change: Change) -> None:
        """The ChangeNotifier's listener: another instance ended a session; end it here too if held here."""
        with self._lock:
            sid = self._by_key.get(change.key)
        if sid is None:
            return
        reason = await self.db.read(session_table.end_reason, change.key)
        if reason is None:
            return
        self._remember_end(change.key, reason)
        with self._lock:
            session = self._sessions.get(sid)
        if session is not None:
            self._end_locally([session], reason, write=False)

    async def purge(self) -> None:
        """Mark sessions idle past the timeout as expired and drop ended rows past KEEP_ENDED (any instance)."""
        # The table's last_seen may lag this or another instance's memory by up to TOUCH_EVERY (it is written no
        # more often): an active session must never be ended here, so the sweep allows for that.
        await self.db.run(session_table.purge, time.time(), self.idle_timeout + TOUCH_EVERY,
                          self.demo_idle_timeout + TOUCH_EVERY)

    def idle_for(self, mode: str) -> float:
        """Seconds without activity after which a session of this mode ends."""
        return self.demo_idle_timeout if mode == 'demo' else self.idle_timeout

    def _remember(self, session: Session) -> None:
        # Caller holds the lock.
        self._sessions[session.sid] = session
        self._by_key[session.key] = session.sid

    def _remember_end(self, key: str, reason: str) -> None:
        with self._lock:
            self._ended[key] = reason
            self._ended.move_to_end(key)
            while len(self._ended) > REMEMBER_ENDED:
                self._ended.popitem(last=False)

    def _end_locally(self, sessions: list[Session], reason: str, *, write: bool) -> None:
        ended = []
        with self._lock:
            for session in sessions:
                if self._sessions.get(session.sid) is session:
                    del self._sessions[session.sid]
                    self._by_key.pop(session.key, None)
                    ended.append(session)
        for session in ended:
            if write:
                # Expired by this instance's clock: ended in the table only if it agrees (another instance may have
                # kept the session alive), so not remembered as ended here either; `load` asks the table.
                self._writer.submit(session_table.end, session.key, reason, time.time(), self.origin,
                                    self.idle_for(session.principal.mode))
            else:
                self._remember_end(session.key, reason)
        self._ended_listeners(ended, reason)

    def _ended_listeners(self, sessions: list[Session], reason: str) -> None:
        with self._lock:
            keys_in_use = {s.principal.credentials.api_key for s in self._sessions.values()} | self._keep_sensitive
        for session in sessions:
            credentials = session.principal.credentials
            if session.principal.mode in ('byok', 'demo') and credentials.api_key not in keys_in_use:
                # A person's own key (or a visitor's sandbox key) is forgotten with their session, even by the log
                # scrubber.
                forget_sensitive(credentials.api_key)
                forget_sensitive(credentials.api_secret.get())
            for listener in list(self._listeners):
                try:
                    listener(session, reason)
                except Exception:
                    log.exception('session end listener failed')
