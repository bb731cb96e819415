"""Sessions in the shared table: they outlive their instance, any instance serves them, an end reaches every
instance within a second, credentials are stored only sealed, and a database outage loses no end.

Two SessionStores on one database stand for two instances (or one instance before and after a restart); each
runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, update

from services.auth.sessions import UNREADABLE, Principal, Session, SessionStore, owner_id_for, sid_hash
from services.core.db import DatabaseUnavailable
from services.core.db.notifier import ChangeNotifier
from services.core.db.schema import sessions as table
from services.core.sealing import Sealer
from services.core.secret import Secret
from services.platform.client import Credentials
from tests.auth.test_sessions_store import OPERATOR, STORAGE_SECRET, session_store
from tests.support.databases import StoreKit, open_kit
from tests.support.postgres import PostgresServer
from tests.support.studio_support import eventually


def account(name: str = 'alice', *, admin: bool = False) -> Principal:
    return Principal(owner_id=owner_id_for('account', name), user_id=name, display_name=name, mode='account',
                     credentials=Credentials(OPERATOR.api_key, OPERATOR.api_secret, name), is_admin=admin)


def own_key(key: str = 'own-key-7f3a9c', secret: str = 'own-secret-5d2b8e1f', user: str = 'pat') -> Principal:
    return Principal(owner_id=owner_id_for('byok', user, key), user_id=user, display_name=user, mode='byok',
                     credentials=Credentials(key, Secret(secret), user))


async def created(store: SessionStore, principal: Principal, **kwargs: str) -> Session:
    session = store.create(principal, **kwargs)
    assert await store.stored(session)
    return session


async def test_a_session_outlives_its_instance(any_kit: StoreKit) -> None:
    first = session_store(any_kit)
    admin = await created(first, account('root', admin=True), account_stamp='stamp-1')
    byok = await created(first, own_key())

    again = session_store(any_kit, origin='instance-a-restarted')  # the same database after a restart
    assert again.get(admin.sid) is None  # not in this process's memory until loaded
    restored = await again.load(admin.sid)
    assert restored is not None and again.get(admin.sid) is restored
    assert (restored.principal.owner_id, restored.principal.mode, restored.principal.is_admin) == \
        ('account-root', 'account', True)
    assert restored.account_stamp == 'stamp-1'
    # Tool accounts sign with the operator's credentials, which were never stored: they are filled in again.
    assert restored.principal.credentials.api_key == OPERATOR.api_key
    assert restored.principal.credentials.api_secret == OPERATOR.api_secret
    assert restored.principal.credentials.user_id == 'root'
    mine = await again.load(byok.sid)
    assert mine is not None and mine.principal.credentials.api_key == 'own-key-7f3a9c'
    assert mine.principal.credentials.api_secret.get() == 'own-secret-5d2b8e1f'
    assert mine.principal.owner_id == byok.principal.owner_id
    assert await again.load('not-a-session-id') is None


async def test_the_table_holds_no_credential_and_no_session_id(any_kit: StoreKit) -> None:
    store = session_store(any_kit)
    session = await created(store, own_key(key='plain-key-abcdef', secret='plain-secret-123456'))
    rows = await any_kit.db.read(lambda c: c.execute(select(table)).mappings().all())
    stored = b' '.join(value if isinstance(value, bytes) else str(value).encode() for row in rows
                       for value in row.values())
    for needle in ('plain-key-abcdef', 'plain-secret-123456', session.sid):
        assert needle.encode() not in stored
    assert rows[0]['sid_hash'] == sid_hash(session.sid)
    store.end(session.sid)
    assert any_kit.writer.flush(5)
    ended = await any_kit.db.read(lambda c: c.execute(select(table)).mappings().one())
    assert ended['sealed_credentials'] is None and ended['end_reason'] == 'signed out'  # dropped on sign-out


async def test_a_session_sealed_under_another_storage_secret_is_not_restored(any_kit: StoreKit) -> None:
    session = await created(session_store(any_kit), own_key())
    other = session_store(any_kit, secret='a-different-storage-secret-0123456789abcdef')
    assert await other.load(session.sid) is None
    assert other.ended_reason(session.sid) == UNREADABLE


async def test_an_end_on_one_instance_reaches_the_others_within_a_second(any_kit: StoreKit) -> None:
    a = session_store(any_kit, origin='instance-a')
    b = session_store(any_kit, origin='instance-b')
    notifier = ChangeNotifier(any_kit.db, origin='instance-b')
    notifier.subscribe('sessions', b.on_change)
    ended: list[tuple[str, str]] = []
    b.on_end(lambda session, reason: ended.append((session.sid, reason)))
    await notifier.start()
    try:
        session = await created(a, account())
        twin = await created(a, account())
        assert await b.load(session.sid) is not None and await b.load(twin.sid) is not None
        a.end(session.sid, 'ended by an administrator')
        await eventually(lambda: bool(ended), seconds=1.0, what='the other instance to hear within 1 s')
        assert ended == [(session.sid, 'ended by an administrator')]
        assert b.peek(session.sid) is None and b.ended_reason(session.sid) == 'ended by an administrator'
        assert b.peek(twin.sid) is not None  # only that one

        a.end_all_for('account-alice', 'signed out everywhere')
        await eventually(lambda: len(ended) == 2, seconds=1.0, what='the second end to be heard within 1 s')
        assert ended[1] == (twin.sid, 'signed out everywhere')
    finally:
        await notifier.stop()
    # An instance that never held it learns why when the browser comes back.
    c = session_store(any_kit, origin='instance-c')
    assert await c.load(session.sid) is None and c.ended_reason(session.sid) == 'ended by an administrator'


async def test_idle_by_the_table_expires_and_activity_elsewhere_keeps_it(any_kit: StoreKit) -> None:
    a = session_store(any_kit, idle_timeout=600, origin='instance-a')
    b = session_store(any_kit, idle_timeout=600, origin='instance-b')
    kept, idle = await created(a, account()), await created(a, account('bob'))
    assert await b.load(kept.sid) is not None
    # Instance a last saw both 20 minutes ago; instance b has seen `kept` just now (and wrote it down).
    for session in (kept, idle):
        session.last_seen -= 1200
    await any_kit.db.run(lambda c: c.execute(update(table).where(table.c.sid_hash == idle.key)
                                             .values(last_seen=time.time() - 1200)))
    assert await a.load(kept.sid) is kept  # the table says it is in use: not ended
    assert await a.load(idle.sid) is None and a.ended_reason(idle.sid) == 'expired'
    assert any_kit.writer.flush(5)
    assert await session_store(any_kit, origin='instance-c').load(idle.sid) is None

    # The periodic purge ends what nobody loads any more, and drops old ended rows.
    forgotten = await created(a, account('carol'))
    await any_kit.db.run(lambda c: c.execute(update(table).where(table.c.sid_hash == forgotten.key)
                                             .values(last_seen=time.time() - 1200)))
    await a.purge()
    reason = await any_kit.db.read(lambda c: c.execute(select(table.c.end_reason)
                                                       .where(table.c.sid_hash == forgotten.key)).scalar_one())
    assert reason == 'expired'


async def test_a_database_that_goes_away_and_comes_back_loses_no_session(private_postgres: PostgresServer) -> None:
    kit = open_kit(private_postgres.create_database())
    try:
        store = SessionStore(kit.db, kit.writer, sealer=Sealer(STORAGE_SECRET, 'sessions'), operator=OPERATOR)
        before = await created(store, account())
        private_postgres.stop()

        # Sessions this instance holds keep working; a sign-in and a sign-out are queued, not lost.
        assert store.get(before.sid) is before
        during = store.create(account('bob'))
        assert store.get(during.sid) is during
        assert not await store.stored(during, seconds=0.5)
        store.end(before.sid, 'signed out')
        # One it does not hold cannot be looked up: a clear message for the page, no crash.
        with pytest.raises(DatabaseUnavailable) as raised:
            await session_store(kit, origin='other').load('some-other-sid')
        assert 'cannot reach its database' in raised.value.user_message

        private_postgres.start()  # same port: the same Database carries on, without a restart
        assert await kit.writer.drain(30), 'the queued writes did not land after the database came back'
        again = session_store(kit, origin='after-the-outage')
        assert await again.load(during.sid) is not None
        assert await again.load(before.sid) is None and again.ended_reason(before.sid) == 'signed out'
    finally:
        kit.close()
