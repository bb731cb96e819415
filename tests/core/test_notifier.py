"""The change notifier and the write-behind queue: how one instance's change reaches the others (within a second,
in order, never its own), and how writes the event loop hands off land in order, even across an outage.

Each test runs on SQLite and on PostgreSQL (where the notifier also LISTENs); two Database objects on one URL stand
for two instances.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from services.core.db import Database, DatabaseUnavailable, schema
from services.core.db import changes as outbox
from services.core.db.notifier import ChangeNotifier
from tests.support.databases import StoreKit, open_kit
from tests.support.postgres import PostgresServer


def publish(topic: str, key: str, origin: str) -> object:
    return lambda connection: outbox.publish(connection, topic, key, origin=origin)


async def heard_within(events: list[object], count: int, seconds: float) -> float:
    started = time.monotonic()
    while len(events) < count:
        if time.monotonic() - started > seconds:
            raise AssertionError(f'heard {len(events)} of {count} changes within {seconds} s: {events}')
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def test_a_change_reaches_another_instance_within_a_second(any_kit: StoreKit) -> None:
    other = Database(any_kit.db.engine.url.render_as_string(hide_password=False))
    notifier = ChangeNotifier(other, origin='instance-b')
    heard: list[tuple[str, str | None]] = []
    notifier.subscribe('jobs', lambda change: heard.append((change.key, change.origin)))
    await notifier.start()
    try:
        await any_kit.db.run(publish('jobs', 'account-alice', 'instance-a'))
        assert await heard_within(heard, 1, 1.0) < 1.0
        assert heard == [('account-alice', 'instance-a')]
    finally:
        await notifier.stop()
        other.close()


async def test_own_changes_are_skipped_repeats_coalesced_other_topics_ignored(any_kit: StoreKit) -> None:
    notifier = ChangeNotifier(any_kit.db, origin='me')
    heard: list[str] = []
    notifier.subscribe('jobs', lambda change: heard.append(change.key))
    await notifier.start()
    try:
        def burst(connection: Connection) -> None:
            outbox.publish(connection, 'jobs', 'mine', origin='me')  # told its own pages already
            for _ in range(5):
                outbox.publish(connection, 'jobs', 'busy', origin='other')
            outbox.publish(connection, 'drafts', 'unrelated', origin='other')
            outbox.publish(connection, 'jobs', 'quiet', origin=None)  # e.g. the CLI

        await any_kit.db.run(burst)
        await notifier.poll()
        assert sorted(heard) == ['busy', 'quiet']  # one call for five saves of the same thing
    finally:
        await notifier.stop()


async def test_async_listeners_run_as_tasks_and_a_failing_one_stops_nothing(any_kit: StoreKit,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    notifier = ChangeNotifier(any_kit.db, origin='me')
    done: list[str] = []

    def broken(_: outbox.Change) -> None:
        raise RuntimeError('boom')

    async def slow(change: outbox.Change) -> None:
        await asyncio.sleep(0.05)
        done.append(change.key)

    notifier.subscribe('sessions', broken)
    notifier.subscribe('sessions', slow)
    await notifier.start()
    try:
        await any_kit.db.run(publish('sessions', 'abc', 'other'))
        await notifier.poll()
        await notifier.idle()
        assert done == ['abc']
        assert 'change listener for sessions failed' in caplog.text
    finally:
        await notifier.stop()


async def test_only_changes_after_the_start_are_delivered(any_kit: StoreKit) -> None:
    await any_kit.db.run(publish('jobs', 'before', 'other'))
    notifier = ChangeNotifier(any_kit.db, origin='me')
    heard: list[str] = []
    notifier.subscribe('jobs', lambda change: heard.append(change.key))
    await notifier.start()
    try:
        await any_kit.db.run(publish('jobs', 'after', 'other'))
        await heard_within(heard, 1, 1.0)
        assert heard == ['after']  # what happened before is in the tables already
    finally:
        await notifier.stop()


async def test_the_notifier_survives_a_database_restart_and_catches_up(private_postgres: PostgresServer) -> None:
    kit = open_kit(private_postgres.create_database())
    notifier = ChangeNotifier(kit.db, origin='me')
    heard: list[str] = []
    notifier.subscribe('jobs', lambda change: heard.append(change.key))
    await notifier.start()
    try:
        private_postgres.stop()
        await asyncio.sleep(notifier.interval * 3)  # a few rounds fail meanwhile, quietly
        assert isinstance(notifier.failing, DatabaseUnavailable)
        private_postgres.start()
        await kit.db.run(publish('jobs', 'after-the-restart', 'other'))
        await heard_within(heard, 1, 3.0)
        assert heard == ['after-the-restart'] and notifier.failing is None
    finally:
        await notifier.stop()
        kit.close()


# --- WriteBehind ------------------------------------------------------------------------------------------------


def _audit(connection: Connection, actor: str) -> None:
    connection.execute(insert(schema.audit).values(at=time.time(), event='test', actor=actor, detail=''))


def _actors(connection: Connection) -> list[str]:
    return list(connection.execute(select(schema.audit.c.actor).order_by(schema.audit.c.id)).scalars())


async def test_writes_land_in_the_order_they_were_handed_off(any_kit: StoreKit) -> None:
    futures = [any_kit.writer.submit(_audit, f'actor-{index}') for index in range(50)]
    assert await any_kit.writer.drain(10)
    assert all(future.done() and future.exception() is None for future in futures)
    assert await any_kit.db.read(_actors) == [f'actor-{index}' for index in range(50)]
    assert any_kit.writer.pending() == 0


async def test_a_broken_write_fails_alone(any_kit: StoreKit, caplog: pytest.LogCaptureFixture) -> None:
    def broken(connection: Connection) -> None:
        raise ValueError('not a database problem')

    first = any_kit.writer.submit(_audit, 'before')
    bad = any_kit.writer.submit(broken)
    last = any_kit.writer.submit(_audit, 'after')
    assert await any_kit.writer.drain(10)
    assert isinstance(bad.exception(), ValueError) and first.exception() is None and last.exception() is None
    assert await any_kit.db.read(_actors) == ['before', 'after']
    assert 'database write' in caplog.text


def test_after_close_writes_are_refused_not_lost_silently(db_url: str) -> None:
    kit = open_kit(db_url)
    kit.writer.close()
    refused = kit.writer.submit(_audit, 'late')
    assert isinstance(refused.exception(), RuntimeError)
    kit.db.close()


async def test_writes_wait_for_a_database_that_went_away_and_land_in_order(private_postgres: PostgresServer) -> None:
    kit = open_kit(private_postgres.create_database())
    try:
        kit.writer.submit(_audit, 'before')
        assert await kit.writer.drain(10)
        private_postgres.stop()
        for name in ('during-1', 'during-2', 'during-3'):
            kit.writer.submit(_audit, name)
        assert not await kit.writer.drain(1.0)  # still waiting for the database, nothing dropped
        assert isinstance(kit.writer.failing, DatabaseUnavailable)
        private_postgres.start()
        assert await kit.writer.drain(30)
        assert kit.writer.failing is None
        assert await kit.db.read(_actors) == ['before', 'during-1', 'during-2', 'during-3']
    finally:
        kit.close()
