"""The waiting line: when every place of the deployment is taken, a new cover waits its turn (first come, first
served, across instances) instead of being refused; the person's own cap still refuses; a waiting cover can be
cancelled, and one whose instance stops loses its place without holding up the people behind it.

Two job managers on one database stand for two instances (each with its own change notifier, as in
test_jobs_shared.py); every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import update

from services.core.db.notifier import ChangeNotifier
from services.core.db.schema import jobs as jobs_table
from services.platform.client import PlatformClient
from services.studio import job_store
from services.studio.job import LINE_INTERRUPTED_MESSAGE
from services.studio.jobs import Job, JobManager
from services.studio.limits import LINE_TOPIC, LimitExceeded, estimate_start
from tests.studio.test_jobs import LOOK, jobs_on, principal
from tests.support.databases import StoreKit
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import eventually


@pytest.fixture
async def instances(any_kit: StoreKit, sandbox_client: PlatformClient) -> AsyncIterator[tuple[JobManager, JobManager]]:
    """Two instances sharing the database, a cap of 10 covers at once for everyone, one per person."""
    made, notifiers = [], []
    for name in ('instance-a', 'instance-b'):
        jobs = jobs_on(any_kit, sandbox_client, per_user=1, instance=name, total=10)
        notifier = ChangeNotifier(any_kit.db, origin=f'{name}/test')
        notifier.subscribe(job_store.TOPIC, jobs.on_jobs_changed)
        notifier.subscribe(job_store.CANCEL_TOPIC, jobs.on_cancel_requested)
        notifier.subscribe(LINE_TOPIC, jobs.line.on_line_changed)
        await notifier.start()
        made.append(jobs)
        notifiers.append(notifier)
    try:
        yield made[0], made[1]
    finally:
        for notifier in notifiers:
            await notifier.stop()
        for jobs in made:
            await jobs.aclose()


async def test_sixty_people_and_a_cap_of_ten_are_served_in_order_and_see_their_places(
        instances: tuple[JobManager, JobManager], sandbox: RunningSandbox) -> None:
    a, b = instances
    sandbox.controller.config.latency = (3.0, 3.5)
    seen: dict[str, list[int]] = {}  # each person's places, as their pages would hear them
    jobs: list[Job] = []
    started = time.monotonic()
    for index in range(60):  # one after another: the order they come in is the order they are served
        person = principal(sandbox, f'p{index:02d}')
        instance = a if index % 2 else b  # half of them on each instance
        job = await instance.start_cover(person, LOOK)
        jobs.append(job)

        def heard(job: Job = job) -> None:
            if job.waiting and job.line_position is not None:
                places = seen.setdefault(job.owner_id, [])
                if not places or places[-1] != job.line_position:
                    places.append(job.line_position)

        instance.subscribe(job.owner_id, heard)
        heard()
    assert time.monotonic() - started < 2.9, 'all sixty asked before the first cover could finish'
    assert not any(job.waiting for job in jobs[:10])  # the first ten start at once
    for index, job in enumerate(jobs[10:], start=1):  # nobody is refused: the others wait, and know where
        assert job.waiting and job.line_position == index and index <= (job.line_waiting or 0) <= 50
        assert job.line_starts_at is not None and job.line_starts_at > time.time()
    estimates = [job.line_starts_at or 0 for job in jobs[10:]]
    assert estimates == sorted(estimates) and estimates[-1] > estimates[0]  # later in line, later start

    await asyncio.wait_for(asyncio.gather(*(job.wait() for job in jobs)), 90)
    assert [job.status for job in jobs] == ['done'] * 60
    # Served in the order they came, whichever instance each asked: every place went to the head of the line.
    admitted = [job.started_at or 0 for job in jobs]
    assert admitted == sorted(admitted)
    assert all(job.started_at and job.started_at >= job.created_at for job in jobs)
    # Each waiting person saw their place move up, never back, down to the front.
    for index, job in enumerate(jobs[10:], start=1):
        places = seen[job.owner_id]
        assert places[0] == index and places == sorted(places, reverse=True), (job.owner_id, places)
    if len(jobs) > 20:  # a place seen at least once between the first and the front: the page is told as it moves
        assert sum(len(seen[job.owner_id]) > 1 for job in jobs[20:]) >= 30


async def test_the_own_cap_still_refuses_and_a_waiting_cover_can_be_cancelled(
        instances: tuple[JobManager, JobManager], any_kit: StoreKit, sandbox: RunningSandbox) -> None:
    a, b = instances
    sandbox.controller.config.latency = (30.0, 30.0)
    running = [await a.start_cover(principal(sandbox, f'r{index}'), LOOK) for index in range(10)]
    alice = principal(sandbox, 'alice')
    waiting = await b.start_cover(alice, LOOK)
    assert waiting.waiting and waiting.line_position == 1
    with pytest.raises(LimitExceeded) as refused:  # one per person: running and waiting count together
        await a.start_cover(alice, LOOK)
    assert 'You already have 1 cover generation running or waiting (0 running, 1 waiting in line; the limit is 1 ' \
        'per person). Try again when one finishes' in refused.value.user_message
    bob = await a.start_cover(principal(sandbox, 'bob'), LOOK)
    assert bob.waiting and bob.line_position == 2
    await eventually(lambda: a.get(alice.owner_id, waiting.id) is not None, seconds=5, what='a to see it')
    assert a.cancel(alice.owner_id, waiting.id)  # from the other instance: it reaches the one holding it
    await asyncio.wait_for(waiting.wait(), 5)
    assert waiting.status == 'cancelled'
    await eventually(lambda: bob.line_position == 1, seconds=5, what="bob to move up to alice's place")
    assert all(job.running and not job.waiting for job in running)
    a.close()
    b.close()


async def test_the_waiting_covers_of_an_instance_that_died_leave_the_line_and_say_why(
        instances: tuple[JobManager, JobManager], any_kit: StoreKit, sandbox: RunningSandbox) -> None:
    a, b = instances
    sandbox.controller.config.latency = (30.0, 30.0)
    for index in range(10):
        await b.start_cover(principal(sandbox, f'r{index}'), LOOK)
    doomed = await a.start_cover(principal(sandbox, 'alice'), LOOK)
    behind = await b.start_cover(principal(sandbox, 'bob'), LOOK)
    assert doomed.waiting and behind.waiting and behind.line_position == 2
    # a dies: it writes nothing more, its line stops moving, its heartbeat stops (here: it was last seen longer ago
    # than the survivors wait).
    a._persist = lambda job: None  # type: ignore[method-assign]
    a.line._waiters.clear()
    assert any_kit.writer.flush(5)
    await any_kit.db.run(lambda c: c.execute(update(jobs_table).where(jobs_table.c.id == doomed.id)
                                             .values(heartbeat_at=time.time() - job_store.STALE_SECONDS - 1)))
    await b.heartbeat()
    await b.load('account-alice')
    seen = b.get('account-alice', doomed.id)
    assert seen is not None and seen.status == 'interrupted' and seen.error_message == LINE_INTERRUPTED_MESSAGE
    # Its place went with it: bob is next now.
    await eventually(lambda: behind.line_position == 1, seconds=5, what='bob to move up past the dead waiter')
    a.close()
    b.close()


def test_the_estimate_counts_the_places_freeing_and_the_line_ahead() -> None:
    # 2 places, generations of 60 s, running for 10 s and 50 s: they free in 50 s and 10 s.
    assert estimate_start(1, [10, 50], 2, 60) == pytest.approx(10)
    assert estimate_start(2, [10, 50], 2, 60) == pytest.approx(50)
    assert estimate_start(3, [10, 50], 2, 60) == pytest.approx(70)  # the second round of the place freed first
    assert estimate_start(1, [], 2, 60) == 0  # a free place
    assert estimate_start(1, [200], 1, 60) == 5  # overdue: any moment now, never "in the past"
