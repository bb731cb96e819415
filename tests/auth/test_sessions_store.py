"""The session table: opaque ids, idle expiry, end listeners, and a person's own key forgotten on sign-out.

On both databases (tests/support/databases.py); test_sessions_shared.py has what several instances and restarts
see."""

from __future__ import annotations

import logging
import secrets
import time

import pytest

from services.auth.sessions import Principal, Session, SessionStore, owner_id_for
from services.core.sealing import Sealer
from services.core.secret import RedactingFilter, Secret, scrub
from services.platform.client import Credentials
from tests.support.databases import StoreKit

OPERATOR = Credentials('operator-key-1', Secret('operator-secret-1'), 'studio-user')
STORAGE_SECRET = 'storage-secret-for-the-session-tests-0123456789'


def session_store(kit: StoreKit, *, idle_timeout: float = 12 * 3600, secret: str = STORAGE_SECRET,
                  origin: str = 'instance-a') -> SessionStore:
    return SessionStore(kit.db, kit.writer, sealer=Sealer(secret, 'sessions'), operator=OPERATOR,
                        idle_timeout=idle_timeout, origin=origin)


@pytest.fixture
def store(any_kit: StoreKit) -> SessionStore:
    return session_store(any_kit)


def principal(mode: str = 'account', user_id: str = 'alice', key: str = 'operator-key-1',
              secret: str = 'operator-secret-1') -> Principal:
    return Principal(owner_id=owner_id_for(mode, user_id, key), user_id=user_id, display_name=user_id,
                     mode=mode, credentials=Credentials(key, Secret(secret), user_id))  # type: ignore[arg-type]


def test_ids_are_long_random_and_reveal_nothing(store: SessionStore) -> None:
    first, second = store.create(principal()), store.create(principal())
    assert first.sid != second.sid and len(first.sid) >= 40
    assert 'alice' not in first.sid and 'operator' not in first.sid
    assert 'operator-secret-1' not in repr(first) and 'operator-key-1' not in repr(first)


def test_idle_sessions_expire_but_watching_them_does_not_keep_them_alive(any_kit: StoreKit) -> None:
    store = session_store(any_kit, idle_timeout=60)
    ended: list[tuple[str, str]] = []
    store.on_end(lambda session, reason: ended.append((session.sid, reason)))
    session = store.create(principal())
    session.last_seen -= 30
    assert store.peek(session.sid) is session
    assert session.last_seen < time.time() - 29  # peek is not activity
    assert store.get(session.sid) is session  # get is
    session.last_seen -= 61
    assert store.peek(session.sid) is None
    assert ended == [(session.sid, 'expired')]
    assert store.get(session.sid) is None


def test_ending_calls_listeners_once_with_the_reason(store: SessionStore) -> None:
    ended: list[tuple[Session, str]] = []
    store.on_end(lambda session, reason: ended.append((session, reason)))
    a1, a2, b = store.create(principal()), store.create(principal()), store.create(principal(user_id='bob'))
    assert store.end(a1.sid) is a1.principal
    assert store.end(a1.sid) is None  # twice is harmless
    assert store.end_all_for('account-alice') == 1
    assert [(s.sid, reason) for s, reason in ended] == [(a1.sid, 'signed out'), (a2.sid, 'signed out everywhere')]
    assert store.get(b.sid) is b


def test_a_failing_listener_does_not_stop_the_others(store: SessionStore, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def broken(session: Session, reason: str) -> None:
        raise RuntimeError('boom')

    store.on_end(broken)
    store.on_end(lambda session, reason: seen.append(reason))
    store.end(store.create(principal()).sid)
    assert seen == ['signed out']
    assert 'session end listener failed' in caplog.text
    caplog.clear()


def test_an_own_key_is_forgotten_by_the_log_scrubber_only_when_no_session_uses_it(store: SessionStore) -> None:
    # Random values: words like 'secret' may be registered by other tests (a weak storage secret is one).
    key, secret = secrets.token_hex(8), secrets.token_hex(12)
    first = store.create(principal('byok', 'p1', key, secret))
    second = store.create(principal('byok', 'p2', key, secret))
    assert scrub(f'{key} {secret}') == '[redacted] [redacted]'
    store.end(first.sid)
    assert scrub(secret) == '[redacted]'  # still in use by the second session
    store.end(second.sid)
    assert scrub(f'{key} {secret}') == f'{key} {secret}'  # nothing of it is kept, not even for scrubbing


def test_tabs_follow_their_session(store: SessionStore) -> None:
    session = store.create(principal())
    store.attach_tab('tab-1', session.sid)
    store.attach_tab('tab-2', session.sid)
    assert sorted(store.tabs_of(session.sid)) == ['tab-1', 'tab-2']
    assert store.detach_tab('tab-1') == session.sid
    assert store.tabs_of(session.sid) == ['tab-2']


def test_the_log_filter_scrubs_an_operator_secret_that_slipped_into_a_message() -> None:
    Secret('operator-secret-for-logs')
    record = logging.LogRecord('x', logging.INFO, __file__, 1, 'signing with %s', ('operator-secret-for-logs',), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == 'signing with [redacted]'
