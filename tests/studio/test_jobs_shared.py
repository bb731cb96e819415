"""Jobs and drafts shared by instances: what one runs another shows and serves; a change reaches the other within a
second; a cancel reaches the instance running the job; a dead instance's jobs are marked interrupted by a survivor;
a draining instance refuses new work, lets running work finish, and never throws away a cover that arrived.

Two job managers on one database stand for two instances (each with its own change notifier); every test runs on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import update

from services.core.db.notifier import ChangeNotifier
from services.core.db.schema import jobs as jobs_table
from services.core.drain import DRAINING_MESSAGE
from services.platform.client import PlatformClient
from services.studio import drafts as drafts_module
from services.studio import job_store
from services.studio.drafts import DraftStore
from services.studio.jobs import INTERRUPTED_MESSAGE, JobManager, JobRefused
from services.studio.limits import LimitExceeded
from tests.studio.test_jobs import LOOK, jobs_on, principal
from tests.support.databases import StoreKit
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import eventually


@dataclass
class Instance:
    jobs: JobManager
    drafts: DraftStore
    notifier: ChangeNotifier


@pytest.fixture
async def pair(any_kit: StoreKit, sandbox_client: PlatformClient) -> AsyncIterator[tuple[Instance, Instance]]:
    started = []
    for name in ('instance-a', 'instance-b'):
        drafts = DraftStore(any_kit.db, any_kit.writer, origin=f'{name}/test')
        jobs = jobs_on(any_kit, sandbox_client, per_user=1, instance=name, drafts=drafts)
        notifier = ChangeNotifier(any_kit.db, origin=f'{name}/test')
        notifier.subscribe(job_store.TOPIC, jobs.on_jobs_changed)
        notifier.subscribe(job_store.CANCEL_TOPIC, jobs.on_cancel_requested)
        notifier.subscribe(drafts_module.TOPIC, drafts.on_change)
        await notifier.start()
        started.append(Instance(jobs, drafts, notifier))
    try:
        yield started[0], started[1]
    finally:
        for instance in started:
            await instance.notifier.stop()
            await instance.jobs.aclose()


async def test_a_job_run_by_one_instance_is_shown_and_served_by_the_other(
        pair: tuple[Instance, Instance], sandbox: RunningSandbox) -> None:
    a, b = pair
    sandbox.controller.config.latency = (0.5, 0.5)
    await b.jobs.load('account-alice')  # b shows alice's studio
    heard: list[int] = []
    b.jobs.subscribe('account-alice', lambda: heard.append(1))
    job = await a.jobs.start_cover(principal(sandbox), LOOK)
    await eventually(lambda: bool(b.jobs.jobs_for('account-alice')), seconds=1.0, what='b to see the new job')
    assert b.jobs.jobs_for('account-alice')[0].running
    await job.wait()
    await eventually(lambda: b.jobs.jobs_for('account-alice')[0].status == 'done', seconds=1.0,
                     what='b to see the cover finished within a second')
    assert heard, 'b told its pages'
    assert await b.jobs.cover_image('account-alice', job.id) == await a.jobs.cover_image('account-alice', job.id)
    assert (await b.jobs.cover_preview('account-alice', job.id)) is not None
    # The finished cover chose itself in alice's draft, which b shows too.
    await eventually(lambda: b.drafts.get('account-alice').selected_cover_job == job.id, seconds=1.0,
                     what="b to see the draft's new cover")


async def test_the_limit_holds_across_instances_and_a_cancel_reaches_the_running_one(
        pair: tuple[Instance, Instance], sandbox: RunningSandbox) -> None:
    a, b = pair
    sandbox.controller.config.latency = (30.0, 30.0)
    job = await a.jobs.start_cover(principal(sandbox), LOOK)
    with pytest.raises(LimitExceeded, match='limit is 1 per person'):
        await b.jobs.start_cover(principal(sandbox), LOOK)  # one per person, whichever instance asks
    await eventually(lambda: b.jobs.get('account-alice', job.id) is not None, seconds=1.0, what='b to see it')
    assert b.jobs.cancel('account-alice', job.id)  # b does not run it: it asks a, through the database
    await asyncio.wait_for(job.wait(), 1.0)
    assert job.status == 'cancelled'
    await eventually(lambda: b.jobs.jobs_for('account-alice')[0].status == 'cancelled', seconds=1.0,
                     what='b to see the cancel')
    assert a.jobs._writer.flush(5)
    sandbox.controller.config.latency = (0.0, 0.0)
    done = await (await b.jobs.start_cover(principal(sandbox), LOOK)).wait()  # the place is free again
    assert done.status == 'done'


async def test_a_survivor_marks_a_dead_instances_running_jobs_interrupted(
        pair: tuple[Instance, Instance], any_kit: StoreKit, sandbox: RunningSandbox) -> None:
    a, b = pair
    sandbox.controller.config.latency = (30.0, 30.0)
    alive = await b.jobs.start_cover(principal(sandbox, 'bob'), LOOK)
    doomed = await a.jobs.start_cover(principal(sandbox), LOOK)
    assert any_kit.writer.flush(5)
    await b.jobs.load('account-alice')
    # a dies: its heartbeat stops (here: it was last seen longer ago than the survivors wait).
    await any_kit.db.run(lambda c: c.execute(update(jobs_table).where(jobs_table.c.id == doomed.id)
                                             .values(heartbeat_at=time.time() - job_store.STALE_SECONDS - 1)))
    await b.jobs.heartbeat()
    seen = b.jobs.get('account-alice', doomed.id)
    assert seen is not None and seen.status == 'interrupted' and seen.error_message == INTERRUPTED_MESSAGE
    assert alive.running  # a living instance's job is never touched: its heartbeat is fresh
    await b.jobs.load('account-bob')
    assert b.jobs.get('account-bob', alive.id).running  # type: ignore[union-attr]
    # alice's place was freed with it, and the interrupted job regenerates with one click on b.
    sandbox.controller.config.latency = (0.0, 0.0)
    assert await b.jobs._limits.running('account-alice') == 0
    again = await (await b.jobs.regenerate(principal(sandbox), doomed.id)).wait()
    assert again.status == 'done' and again.request == seen.request
    a.jobs.close()


async def test_the_survivor_finds_them_within_30_seconds_of_the_death() -> None:
    # A running instance renews every HEARTBEAT_SECONDS; a survivor looks every HEARTBEAT_SECONDS and takes a job
    # for dead after STALE_SECONDS without a heartbeat: at worst the last heartbeat, the stale time and one round.
    assert job_store.STALE_SECONDS + job_store.HEARTBEAT_SECONDS <= 30
    assert job_store.STALE_SECONDS >= 3 * job_store.HEARTBEAT_SECONDS  # a slow round is not a death


async def test_draining_refuses_new_work_and_waits_for_the_running(pair: tuple[Instance, Instance],
                                                                   sandbox: RunningSandbox) -> None:
    a, b = pair
    sandbox.controller.config.latency = (1.0, 1.0)
    running = await a.jobs.start_cover(principal(sandbox), LOOK)
    a.jobs.start_draining()
    with pytest.raises(JobRefused) as refused:
        await a.jobs.start_cover(principal(sandbox, 'bob'), LOOK)
    assert refused.value.user_message == DRAINING_MESSAGE
    assert await a.jobs.wait_idle(10.0)  # it finished instead of being interrupted
    assert running.status == 'done'
    sandbox.controller.config.latency = (30.0, 30.0)
    other = await b.jobs.start_cover(principal(sandbox, 'bob'), LOOK)  # the other instance still takes work
    b.jobs.start_draining()
    assert not await b.jobs.wait_idle(0.3)  # time up: what still runs is interrupted at shutdown
    await b.jobs.aclose()
    assert other.status == 'interrupted'


async def test_a_cover_that_arrived_is_kept_even_when_the_process_stops_while_storing_it(
        pair: tuple[Instance, Instance], sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    a, _ = pair
    stored = asyncio.Event()
    original = a.jobs.images.save_cover

    async def slow_save(*args: object) -> None:
        stored.set()
        await asyncio.sleep(0.5)  # a big cover on a busy database
        await original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(a.jobs.images, 'save_cover', slow_save)
    job = await a.jobs.start_cover(principal(sandbox), LOOK)
    await asyncio.wait_for(stored.wait(), 10)
    await a.jobs.aclose()  # SIGTERM's end: interrupt what runs
    assert job.status == 'done' and job.has_image
    assert await a.jobs.cover_image('account-alice', job.id) is not None


async def test_a_draft_edited_on_one_instance_shows_on_the_other_within_a_second(
        pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    shown_on_b = await b.drafts.load('account-alice')
    told: list[int] = []
    b.drafts.subscribe('account-alice', lambda: told.append(1))
    await a.drafts.load('account-alice')
    a.drafts.update('account-alice', name='Nova', gender='female')
    await eventually(lambda: shown_on_b.name == 'Nova', seconds=1.0, what='b to show the new name')
    assert b.drafts.get('account-alice') is shown_on_b  # in place: every tab on b holds this object
    assert shown_on_b.gender == 'female' and told
    # Both edit at once: the save the table took last wins everywhere.
    a.drafts.update('account-alice', name='From A')
    b.drafts.update('account-alice', name='From B')
    await eventually(lambda: a.drafts.get('account-alice').name == b.drafts.get('account-alice').name,
                     seconds=2.0, what='the two instances to agree')
