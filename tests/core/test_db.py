"""The storage layer against both databases it supports: SQLite (the default) and a real PostgreSQL server.

Every test taking `url` runs twice, once per database; the PostgreSQL runs need the server tests/support/postgres.py
starts (skipped with a reason without its binaries, a failure under STUDIO_REQUIRE_POSTGRES=1).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, insert, inspect, select, text, update
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import IntegrityError, InternalError

from services.core.db import Database, DatabaseUnavailable, advisory_lock, database_url, schema
from services.core.db import changes as outbox
from tests.support.postgres import PostgresServer, postgres_server, postgres_url, private_postgres  # noqa: F401

# The newest revision: 0001 → 0101 (chat) → 0201 (agent records) → 0301 (request log) → 0401 (session ends)
# → 0501 (preferences) → 0601 (chat messages name their instance) → 0701 (cover line and budgets).
HEAD = '0701'
TABLE_NAMES = {table.name for table in schema.TABLES}


@pytest.fixture(params=['sqlite', 'postgresql'])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == 'sqlite':
        return database_url(None, tmp_path)
    return str(request.getfixturevalue('postgres_url'))


@pytest.fixture
def db(url: str) -> Iterator[Database]:
    database = Database(url)
    database.upgrade()
    try:
        yield database
    finally:
        database.close()


def _inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


# --- migrations ------------------------------------------------------------------------------------------------


def test_migrations_create_the_schema_from_an_empty_database(url: str) -> None:
    database = Database(url)
    try:
        assert database.current() is None
        assert database.head() == HEAD
        assert database.read_sync(_tables) == set()
        assert database.upgrade() == HEAD
        assert database.current() == HEAD
        assert database.read_sync(_tables) == TABLE_NAMES | {'alembic_version'}
        # The migration and schema.py describe the same database: no column, type, index or key differs.
        differences = database.read_sync(lambda c: compare_metadata(MigrationContext.configure(c), schema.metadata))
        assert differences == []
    finally:
        database.close()


def test_upgrade_is_idempotent_and_keeps_data(db: Database) -> None:
    db.run_sync(lambda c: c.execute(insert(schema.audit).values(at=1.0, event='e', actor='a', detail='kept')))
    assert db.upgrade() == HEAD
    assert db.upgrade() == HEAD
    assert db.read_sync(lambda c: c.execute(select(schema.audit.c.detail)).scalars().all()) == ['kept']


def test_instances_starting_together_migrate_once(url: str) -> None:
    """Several instances run the start-up upgrade at the same moment: each ends at head, none fails."""
    databases = [Database(url) for _ in range(4)]
    results: list[object] = []
    barrier = threading.Barrier(len(databases))

    def start(database: Database) -> None:
        barrier.wait()
        try:
            results.append(database.upgrade())
        except Exception as error:  # collected, so the assertion shows it
            results.append(error)

    threads = [threading.Thread(target=start, args=(database,)) for database in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert results == [HEAD] * len(databases)
        assert databases[0].read_sync(
            lambda c: c.execute(text('SELECT COUNT(*) FROM alembic_version')).scalar_one()) == 1
    finally:
        for database in databases:
            database.close()


def test_revision_unknown_to_this_code_is_reported(db: Database) -> None:
    assert db.knows(HEAD)
    assert not db.knows('9999')


# --- round trips -------------------------------------------------------------------------------------------------

NOW = 1_796_000_000.123456
ROWS: dict[str, dict[str, Any]] = {
    'accounts': {'name': 'alice', 'salt': 'ab' * 16, 'digest': 'cd' * 32, 'scrypt_n': 16384, 'scrypt_r': 8,
                 'scrypt_p': 1, 'is_admin': True, 'created_at': NOW},
    'sessions': {'sid_hash': 'f' * 64, 'owner_id': 'account-alice', 'user_id': 'alice', 'display_name': 'Alice Ä',
                 'mode': 'byok', 'is_admin': False, 'account_stamp': 'ab' * 8, 'created_at': NOW,
                 'last_seen': NOW + 5, 'sealed_credentials': b'\x00sealed\xff', 'ended_at': NOW + 9,
                 'end_reason': 'ended by an administrator'},
    'drafts': {'owner_id': 'demo-x', 'version': 3, 'data': {'step': 'cover', 'look': {'hair': 'red'}},
               'updated_at': NOW},
    'jobs': {'id': 'job-1', 'owner_id': 'demo-x', 'kind': 'cover', 'status': 'running', 'instance': 'host-1:42',
             'heartbeat_at': NOW, 'created_at': NOW, 'data': {'request': {'gender': 'female'}, 'cover_id': None}},
    'generation_leases': {'id': 'lease-1', 'owner_id': 'demo-x', 'kind': 'cover', 'instance': 'host-1:42',
                          'started_at': NOW, 'expires_at': NOW + 400},
    'images': {'owner_id': 'demo-x', 'item_id': 'job-1', 'suffix': '.preview.jpg', 'content': b'\xff\xd8\xff\xe0',
               'created_at': NOW},
}


@pytest.mark.parametrize('table_name', sorted(ROWS))
async def test_round_trip(db: Database, table_name: str) -> None:
    table = schema.metadata.tables[table_name]
    row = ROWS[table_name]
    await db.run(lambda c: c.execute(insert(table).values(**row)))
    stored = await db.read(lambda c: c.execute(select(table)).mappings().one())
    assert dict(stored) == row


async def test_auto_numbered_tables(db: Database) -> None:
    def write(connection: Connection) -> list[int]:
        ids = []
        for index in range(3):
            result = connection.execute(insert(schema.audit).values(
                at=NOW + index, event='auth.sign_in', actor='alice', detail=f'from 10.0.0.{index} — ünïcode',
                trace_id=None if index else 'trace-0'))
            ids.append(_inserted_id(result))
        ids.append(outbox.publish(connection, 'jobs', 'demo-x'))
        return ids

    ids = await db.run(write)
    assert ids[:3] == sorted(ids[:3]) and len(set(ids[:3])) == 3
    entries = await db.read(lambda c: c.execute(select(schema.audit).order_by(schema.audit.c.id)).all())
    assert [(e.event, e.actor, e.detail, e.trace_id) for e in entries] == [
        ('auth.sign_in', 'alice', f'from 10.0.0.{index} — ünïcode', None if index else 'trace-0')
        for index in range(3)]
    assert [e.at for e in entries] == [NOW, NOW + 1, NOW + 2]
    found = await db.read(outbox.changes_after, 0)
    assert [(c.id, c.topic, c.key) for c in found] == [(ids[3], 'jobs', 'demo-x')]
    assert await db.read(outbox.latest_id) == ids[3]


async def test_json_columns_keep_structure_and_can_be_replaced(db: Database) -> None:
    data = {'name': 'Zoë 🎭', 'look': {'hair': 'red', 'eyes': None}, 'ids': [1, 2**53, -7], 'ratio': 0.1,
            'flags': [True, False], 'nested': {'a': {'b': {'c': ['d']}}}, 'empty': {}, 'quote': 'it\'s "fine"'}
    await db.run(lambda c: c.execute(insert(schema.drafts).values(owner_id='o', version=1, data=data,
                                                                   updated_at=NOW)))
    assert await db.read(lambda c: c.execute(select(schema.drafts.c.data)).scalar_one()) == data

    def bump(connection: Connection, seen: int) -> int:
        # The drafts store's optimistic write: only if nobody saved since `seen`.
        result = connection.execute(update(schema.drafts).where(schema.drafts.c.owner_id == 'o',
                                                                schema.drafts.c.version == seen)
                                    .values(version=seen + 1, data={**data, 'step': 'details'}, updated_at=NOW + 1))
        return int(result.rowcount)

    assert await db.run(bump, 1) == 1
    assert await db.run(bump, 1) == 0  # a second tab that read version 1 does not overwrite version 2
    stored = await db.read(lambda c: c.execute(select(schema.drafts)).mappings().one())
    assert stored['version'] == 2 and stored['data']['step'] == 'details'


async def test_two_megabyte_image_round_trips_byte_for_byte(db: Database) -> None:
    original = os.urandom(2 * 1024 * 1024)
    preview = os.urandom(80 * 1024)

    def store(connection: Connection) -> None:
        connection.execute(insert(schema.images), [
            {'owner_id': 'demo-x', 'item_id': 'job-1', 'suffix': '.png', 'content': original, 'created_at': NOW},
            {'owner_id': 'demo-x', 'item_id': 'job-1', 'suffix': '.preview.jpg', 'content': preview,
             'created_at': NOW},
        ])

    await db.run(store)

    def load(connection: Connection, suffix: str) -> bytes:
        return bytes(connection.execute(select(schema.images.c.content).where(
            schema.images.c.owner_id == 'demo-x', schema.images.c.item_id == 'job-1',
            schema.images.c.suffix == suffix)).scalar_one())

    # A second Database on the same URL stands for another instance: it serves the image it never stored.
    other = Database(db.engine.url.render_as_string(hide_password=False))
    try:
        assert await other.read(load, '.png') == original
        assert await other.read(load, '.preview.jpg') == preview
    finally:
        other.close()


# --- concurrency -------------------------------------------------------------------------------------------------


def _try_lease(connection: Connection, owner: str, lease_id: str, per_user: int, total: int) -> bool:
    """GenerationLimits.try_acquire across instances: count, then insert, under the limits' lock."""
    advisory_lock(connection, 'generation-limits')
    leases = schema.generation_leases
    mine = connection.execute(select(func.count()).where(leases.c.owner_id == owner)).scalar_one()
    everyone = connection.execute(select(func.count()).select_from(leases)).scalar_one()
    if mine >= per_user or everyone >= total:
        return False
    time.sleep(0.002)  # widen the window between count and insert that the lock must close
    connection.execute(insert(leases).values(id=lease_id, owner_id=owner, kind='cover', instance='test',
                                             started_at=time.time(), expires_at=time.time() + 400))
    return True


async def test_concurrent_writers_from_two_instances_respect_the_limits(db: Database) -> None:
    other = Database(db.engine.url.render_as_string(hide_password=False))
    try:
        attempts = [(db if index % 2 else other).run(_try_lease, f'owner-{index % 3}', f'lease-{index}', 2, 5)
                    for index in range(40)]
        granted = await asyncio.gather(*attempts)
    finally:
        other.close()
    assert sum(granted) == 5
    per_owner = await db.read(lambda c: c.execute(
        select(schema.generation_leases.c.owner_id, func.count()).group_by(schema.generation_leases.c.owner_id)).all())
    assert sum(count for _, count in per_owner) == 5
    assert all(count <= 2 for _, count in per_owner)


async def test_concurrent_inserts_all_land_with_distinct_ids(db: Database) -> None:
    other = Database(db.engine.url.render_as_string(hide_password=False))

    def record(connection: Connection, index: int) -> int:
        result = connection.execute(insert(schema.audit).values(at=time.time(), event='cover.generated',
                                                                actor=f'user-{index}', detail=''))
        return _inserted_id(result)

    try:
        ids = await asyncio.gather(*[(db if i % 2 else other).run(record, i) for i in range(200)])
    finally:
        other.close()
    assert len(set(ids)) == 200
    assert await db.read(lambda c: c.execute(select(func.count()).select_from(schema.audit)).scalar_one()) == 200


async def test_outbox_ids_become_visible_in_order(db: Database) -> None:
    """A reader polling while others publish never sees an id after a higher one it already passed."""
    other = Database(db.engine.url.render_as_string(hide_password=False))
    seen: list[int] = []
    done = asyncio.Event()

    async def poll() -> None:
        last = 0
        while True:
            finished = done.is_set()
            for change in await db.read(outbox.changes_after, last):
                seen.append(change.id)
                last = change.id
            if finished:
                return
            await asyncio.sleep(0.001)

    def publish(connection: Connection, index: int) -> int:
        change_id = outbox.publish(connection, 'jobs', f'owner-{index}')
        time.sleep(0.004 * (index % 4))  # commit a little later, as a real transaction does more work
        return change_id

    reader = asyncio.create_task(poll())
    try:
        published = await asyncio.gather(*[(db if i % 2 else other).run(publish, i) for i in range(60)])
    finally:
        done.set()
        await reader
        other.close()
    assert seen == sorted(published)


async def test_database_work_never_stalls_the_event_loop(db: Database) -> None:
    ticks = 0
    stop = asyncio.Event()

    async def tick() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    # Slow transactions (a big image, a lock wait): each keeps a thread busy for half a second, never the loop.
    # Reads, so that SQLite runs them side by side too (its writers take turns).
    await asyncio.gather(*[db.read(lambda c: time.sleep(0.5)) for _ in range(3)])
    stop.set()
    await ticker
    assert time.monotonic() - started < 2.0  # the three ran side by side on the pool's threads
    assert ticks >= 25


# --- errors ------------------------------------------------------------------------------------------------------


async def test_statement_errors_pass_through_and_roll_back(db: Database) -> None:
    row = ROWS['accounts']

    def twice(connection: Connection) -> None:
        connection.execute(insert(schema.drafts).values(owner_id='z', version=0, data={}, updated_at=NOW))
        connection.execute(insert(schema.accounts).values(**row))
        connection.execute(insert(schema.accounts).values(**row))

    with pytest.raises(IntegrityError):
        await db.run(twice)
    assert await db.read(lambda c: c.execute(select(func.count()).select_from(schema.drafts)).scalar_one()) == 0
    with pytest.raises(ValueError, match='mine'):
        await db.run(lambda c: (_ for _ in ()).throw(ValueError('mine')))


async def test_read_transactions_do_not_write(db: Database) -> None:
    with pytest.raises(RuntimeError, match='read-write'):
        await db.read(advisory_lock, 'x')
    if db.dialect == 'postgresql':
        with pytest.raises(InternalError, match='read-only'):
            await db.read(lambda c: c.execute(insert(schema.audit).values(at=1.0, event='e', actor='a', detail='')))


async def test_closed_database_refuses_work(url: str) -> None:
    database = Database(url)
    database.close()
    database.close()
    with pytest.raises(RuntimeError, match='closed'):
        await database.read(lambda c: None)


def test_sqlite_busy_past_the_timeout_is_unavailable_then_recovers(tmp_path: Path) -> None:
    url = database_url(None, tmp_path)
    database = Database(url, busy_timeout=0.2)
    database.upgrade()
    holder = sqlite3.connect(tmp_path / 'studio.sqlite3', isolation_level=None)
    try:
        holder.execute('BEGIN IMMEDIATE')  # another process holds the write lock
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable) as raised:
            database.run_sync(lambda c: c.execute(insert(schema.audit).values(at=1.0, event='e', actor='a',
                                                                              detail='')))
        assert time.monotonic() - started < 3
        assert raised.value.reason == 'busy'
        assert 'try again in a few seconds' in raised.value.user_message.lower()
        holder.execute('ROLLBACK')
        database.run_sync(lambda c: c.execute(insert(schema.audit).values(at=1.0, event='e', actor='a', detail='')))
    finally:
        holder.close()
        database.close()


def test_sqlite_file_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / 'studio.sqlite3').mkdir()  # the database's path is taken by a directory
    database = Database(database_url(None, tmp_path))
    try:
        with pytest.raises(DatabaseUnavailable) as raised:
            database.upgrade()
        assert raised.value.reason == 'unreachable'
    finally:
        database.close()


async def test_postgres_down_is_unavailable_and_the_same_database_recovers(
        private_postgres: PostgresServer) -> None:  # noqa: F811 - the fixture
    url = private_postgres.create_database()
    database = Database(url, connect_timeout=2)
    try:
        database.upgrade()
        await database.run(lambda c: c.execute(insert(schema.audit).values(at=1.0, event='e', actor='a',
                                                                           detail='before')))
        private_postgres.stop()

        for _ in range(2):  # the pooled connection that died, then a new connection that is refused
            started = time.monotonic()
            with pytest.raises(DatabaseUnavailable) as raised:
                await database.read(lambda c: c.execute(select(schema.audit.c.detail)).scalars().all())
            assert time.monotonic() - started < 10
            error = raised.value
            assert error.reason == 'unreachable'
            assert 'cannot reach its database' in error.user_message
            for shown in (str(error), error.user_message, error.detail, repr(error)):
                assert private_postgres.password not in shown
            assert error.database.startswith('postgresql+psycopg://postgres:***@127.0.0.1:')

        # A Database opened while the server is down fails the same way at its first use (start-up's upgrade).
        late = Database(url, connect_timeout=2)
        with pytest.raises(DatabaseUnavailable):
            late.upgrade()
        late.close()

        private_postgres.start()  # same port, same data
        assert await database.read(lambda c: c.execute(select(schema.audit.c.detail)).scalars().all()) == ['before']
        await database.run(lambda c: c.execute(insert(schema.audit).values(at=2.0, event='e', actor='a',
                                                                           detail='after')))
    finally:
        database.close()
