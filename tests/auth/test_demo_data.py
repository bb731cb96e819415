"""A demo visit's session and the deletion of its work, on both databases (issue 12, item 2).

A demo visitor signs with a sandbox key of their own. Their session keeps that key (sealed) across restarts and
instances, never falling back to the operator's key; it ends after its own, shorter lifetime; and once it has
ended, `DemoData` deletes every row the studio keeps for the visitor and revokes the key on the sandbox.
tests/auth/test_demo_visit.py walks the same through the pages, on a real sandbox over HTTP.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from services.auth.demo_data import OWNED, DemoData, demo_terms, duration
from services.auth.sessions import TOUCH_EVERY, Principal, SessionStore, owner_id_for
from services.core.db import schema
from services.core.sealing import Sealer
from services.core.secret import Secret
from services.core.settings import SettingsError, load_settings
from services.platform.client import Credentials
from tests.support.databases import StoreKit

OPERATOR = Credentials('operator-key-1', Secret('operator-secret-1'), 'studio-user')
STORAGE_SECRET = 'storage-secret-for-the-demo-tests-0123456789'
LIFETIME = 600.0


def store(kit: StoreKit) -> SessionStore:
    return SessionStore(kit.db, kit.writer, sealer=Sealer(STORAGE_SECRET, 'sessions'), operator=OPERATOR,
                        demo_idle_timeout=LIFETIME)


def visitor(user_id: str, key: str) -> Principal:
    return Principal(owner_id=owner_id_for('demo', user_id), user_id=user_id, display_name='Demo visitor',
                     mode='demo', credentials=Credentials(key, Secret(f'{key}-secret'), user_id))


def account(name: str = 'alice') -> Principal:
    return Principal(owner_id=owner_id_for('account', name), user_id=name, display_name=name, mode='account',
                     credentials=OPERATOR)


class FakeKeys:
    """The sandbox's visitor keys as DemoData sees them (the real ones: tests/auth/test_demo_visit.py)."""

    def __init__(self, *issued: tuple[str, str, float]) -> None:
        self.issued = list(issued)
        self.revoked: list[str] = []

    async def revoke_key(self, api_key: str) -> dict[str, int] | None:
        if api_key not in [key for key, _, _ in self.issued]:
            return None
        self.issued = [entry for entry in self.issued if entry[0] != api_key]
        self.revoked.append(api_key)
        return {'agents': 1}

    async def issued_keys(self) -> list[tuple[str, str, float]]:
        return list(self.issued)


def put_work(kit: StoreKit, owner_id: str) -> None:
    """One row in every table that holds something of a person."""
    now = time.time()
    rows = {
        schema.drafts: dict(owner_id=owner_id, version=1, data={}, updated_at=now),
        schema.jobs: dict(id=f'job-{owner_id}', owner_id=owner_id, kind='cover', status='done', created_at=now,
                          data={}),
        schema.images: dict(owner_id=owner_id, item_id='cover1', suffix='.png', content=b'png', created_at=now),
        schema.generation_leases: dict(id=f'lease-{owner_id}', owner_id=owner_id, kind='cover', instance='a',
                                       started_at=now, expires_at=now + 60),
        schema.conversations: dict(id=f'c-{owner_id}', owner_id=owner_id, agent_id='a1', conversation_id='x',
                                   active=True, agent={}, created_at=now, updated_at=now),
        schema.chat_messages: dict(id=f'm-{owner_id}', conversation=f'c-{owner_id}', owner_id=owner_id, seq=1,
                                   role='user', status='done', text='hello', data={}, created_at=now, updated_at=now),
        schema.chat_pictures: dict(message_id=f'm-{owner_id}', owner_id=owner_id, content=b'png', created_at=now),
        schema.agent_records: dict(agent_id=f'agent-{owner_id}', owner_id=owner_id, user_id='u', display_name='u',
                                   created_at=now),
        schema.request_log: dict(at=now, owner_id=owner_id, user_id='u', method='POST', endpoint='/v1/agent/cover',
                                 outcome='ok', duration_ms=1.0, request_bytes=1, response_bytes=1, call_id='c',
                                 attempt=1, clock_offset=0.0, resigned=False, detail={}),
        schema.preferences: dict(owner_id=owner_id, language='ja', updated_at=now),
        schema.cover_line: dict(job_id=f'queued-{owner_id}', owner_id=owner_id, instance='a', enqueued_at=now,
                                expires_at=now + 30),
        schema.cover_uses: dict(job_id=f'job-{owner_id}', owner_id=owner_id, user_id='u', mode='demo', at=now),
        schema.cover_budgets: dict(owner_id=owner_id, per_hour=1, per_day=2, updated_at=now, updated_by='admin'),
    }
    # Every table keyed by a person but the sessions (which say why a visit ended) holds their things: a new one
    # must be added to OWNED, or a demo visit would leave it behind.
    assert set(rows) == set(OWNED) == {t for t in schema.TABLES if 'owner_id' in t.c and t is not schema.sessions}

    def write(connection: Connection) -> None:
        for table, row in rows.items():
            connection.execute(insert(table).values(**row))

    kit.db.run_sync(write)


def rows_of(kit: StoreKit, owner_id: str) -> dict[str, int]:
    def count(connection: Connection) -> dict[str, int]:
        return {table.name: connection.execute(
            select(func.count()).select_from(table).where(table.c.owner_id == owner_id)).scalar_one()
            for table in OWNED}

    return kit.db.run_sync(count)


async def test_a_restored_demo_session_signs_with_its_own_key_never_the_operators(any_kit: StoreKit) -> None:
    first = store(any_kit)
    session = first.create(visitor('demo-ana', 'sbx_visitor_ana'))
    assert await first.stored(session)
    sealed = any_kit.db.run_sync(lambda c: c.execute(select(schema.sessions.c.sealed_credentials)).scalar_one())
    assert sealed and b'sbx_visitor_ana' not in sealed  # kept, and only sealed

    restored = await store(any_kit).load(session.sid)  # a restart, or another instance
    assert restored is not None and restored.principal.mode == 'demo'
    assert restored.principal.credentials.api_key == 'sbx_visitor_ana'
    assert restored.principal.credentials.api_secret.get() == 'sbx_visitor_ana-secret'

    # A demo row of before its key was sealed cannot be restored: ended, not signed with the operator's key.
    older = first.create(visitor('demo-ben', 'sbx_visitor_ben'))
    assert await first.stored(older)
    any_kit.db.run_sync(lambda c: c.execute(update(schema.sessions).where(schema.sessions.c.sid_hash == older.key)
                                            .values(sealed_credentials=None)))
    assert await store(any_kit).load(older.sid) is None


async def test_a_demo_session_ends_after_its_own_lifetime(any_kit: StoreKit) -> None:
    sessions = store(any_kit)
    demo, tool = sessions.create(visitor('demo-ana', 'k1')), sessions.create(account())
    ended: list[str] = []
    sessions.on_end(lambda session, reason: ended.append(f'{session.principal.user_id}: {reason}'))
    for session in (demo, tool):
        session.last_seen -= LIFETIME + 1  # idle longer than a demo lives, far shorter than a tool account's 12 h
    assert sessions.get(demo.sid) is None and sessions.get(tool.sid) is tool
    assert ended == ['demo-ana: expired']

    # The table's sweep, too, ends demo sessions after their lifetime (allowing for last_seen written only every
    # TOUCH_EVERY seconds) and leaves other sessions alone.
    other = sessions.create(visitor('demo-ben', 'k2'))
    assert any_kit.writer.flush(5)
    any_kit.db.run_sync(lambda c: c.execute(update(schema.sessions).values(
        last_seen=time.time() - LIFETIME - TOUCH_EVERY - 1)))
    await sessions.purge()
    live = {row['user_id'] for row in await sessions.list_all()}
    assert 'demo-ben' not in live and 'alice' in live
    assert await store(any_kit).load(other.sid) is None


async def test_the_sweep_deletes_only_ended_visits_and_revokes_their_keys(any_kit: StoreKit) -> None:
    sessions = store(any_kit)
    gone, staying = visitor('demo-gone', 'sbx_visitor_gone'), visitor('demo-here', 'sbx_visitor_here')
    idle = visitor('demo-idle', 'sbx_visitor_idle')
    for principal in (gone, staying, idle, account()):
        assert await sessions.stored(sessions.create(principal))
        put_work(any_kit, principal.owner_id)
    sessions.end_all_for(gone.owner_id, 'signed out')
    assert any_kit.writer.flush(5)
    any_kit.db.run_sync(lambda c: c.execute(update(schema.sessions).where(schema.sessions.c.user_id == 'demo-idle')
                                            .values(last_seen=time.time() - LIFETIME - TOUCH_EVERY - 1)))
    put_work(any_kit, owner_id_for('demo', 'demo-no-session'))  # an instance stopped before it could delete
    old = time.time() - 3600
    keys = FakeKeys(('sbx_visitor_gone', 'demo-gone', old), ('sbx_visitor_here', 'demo-here', old),
                    ('sbx_visitor_idle', 'demo-idle', old), ('sbx_visitor_new', 'demo-new', time.time()),
                    ('sbx_other', 'someone-else', old))

    assert await DemoData(any_kit.db, keys=keys, lifetime=LIFETIME).sweep() == 3
    for owner in (gone.owner_id, idle.owner_id, owner_id_for('demo', 'demo-no-session')):
        assert set(rows_of(any_kit, owner).values()) == {0}, owner
    for owner in (staying.owner_id, account().owner_id):
        assert set(rows_of(any_kit, owner).values()) == {1}, owner  # a live visit and a tool account keep all
    # Keys of ended visits are revoked; a key issued a moment ago (its session may still be being written) and a
    # key that is not a demo visitor's are not.
    assert sorted(keys.revoked) == ['sbx_visitor_gone', 'sbx_visitor_idle']
    assert await DemoData(any_kit.db, keys=keys, lifetime=LIFETIME).sweep() == 0  # nothing left to do


async def test_forget_deletes_one_visit_at_once(any_kit: StoreKit) -> None:
    ana, ben = visitor('demo-ana', 'sbx_visitor_ana'), visitor('demo-ben', 'sbx_visitor_ben')
    for principal in (ana, ben):
        put_work(any_kit, principal.owner_id)
    keys = FakeKeys(('sbx_visitor_ana', 'demo-ana', time.time()))
    deleted = await DemoData(any_kit.db, keys=keys, lifetime=LIFETIME).forget(ana)
    assert deleted['sandbox.agents'] == 1 and deleted['drafts'] == 1 and deleted['request_log'] == 1
    assert keys.revoked == ['sbx_visitor_ana']
    assert set(rows_of(any_kit, ana.owner_id).values()) == {0}
    assert set(rows_of(any_kit, ben.owner_id).values()) == {1}


def test_the_promise_names_the_lifetime() -> None:
    assert duration(7200) == '2 hours' and duration(3600) == '1 hour' and duration(90 * 60) == '90 minutes'
    terms = demo_terms(90 * 60)
    assert 'deleted when you sign out' in terms and 'inactive for 90 minutes' in terms
    assert 'audit log' in terms  # what stays is said too


def test_the_demo_lifetime_setting() -> None:
    assert load_settings({}).demo_idle_seconds == 2 * 3600
    assert load_settings({'STUDIO_DEMO_IDLE_MINUTES': '30'}).demo_idle_seconds == 1800
    with pytest.raises(SettingsError, match='STUDIO_DEMO_IDLE_MINUTES must be at least 5'):
        load_settings({'STUDIO_DEMO_IDLE_MINUTES': '1'})
