"""Fair use: concurrent cover generations per person and for the whole deployment, refused with a when.

On SQLite and on PostgreSQL; two GenerationLimits on one database stand for two instances.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import update

from services.core.db.schema import generation_leases
from services.studio import limits
from services.studio.limits import GenerationLimits, LimitExceeded
from tests.support.databases import StoreKit


def gate(kit: StoreKit, per_user: int = 2, total: int = 50, instance: str = 'instance-a') -> GenerationLimits:
    return GenerationLimits(kit.db, kit.writer, per_user, total, instance=instance)


async def test_a_person_is_stopped_at_their_limit_and_told_when_to_try_again(any_kit: StoreKit) -> None:
    limits_ = gate(any_kit)
    first, second = await limits_.acquire('alice', 'j1'), await limits_.acquire('alice', 'j2')
    with pytest.raises(LimitExceeded) as refused:
        await limits_.acquire('alice', 'j3')
    message = refused.value.user_message
    assert 'You already have 2 cover generations running' in message
    assert 'the limit is 2 per person' in message
    assert 'Try again' in message and ('minutes' in message or 'seconds' in message)
    assert refused.value.retry_after > 0
    assert await limits_.running('alice') == 2  # nothing was queued
    (await limits_.acquire('bob', 'j4')).release()  # others are not affected
    first.release()
    assert any_kit.writer.flush(5)
    await limits_.acquire('alice', 'j5')  # a finished one frees a place at once
    second.release()
    second.release()  # releasing twice does not free a second place
    assert any_kit.writer.flush(5)
    assert await limits_.running('alice') == 1


async def test_the_server_limit_covers_everyone_on_every_instance(any_kit: StoreKit) -> None:
    a, b = gate(any_kit, total=3, instance='a'), gate(any_kit, total=3, instance='b')
    leases = [await a.acquire('p1', 'j1'), await b.acquire('p2', 'j2'), await a.acquire('p3', 'j3')]
    with pytest.raises(LimitExceeded) as refused:
        await b.acquire('p4', 'j4')
    assert 'for everyone' in refused.value.user_message and 'limit' in refused.value.user_message
    assert await b.running() == 3
    leases[0].release()
    assert any_kit.writer.flush(5)
    await b.acquire('p4', 'j4')


async def test_instances_racing_for_the_last_places_never_overshoot(any_kit: StoreKit) -> None:
    a, b = gate(any_kit, per_user=2, total=5, instance='a'), gate(any_kit, per_user=2, total=5, instance='b')

    async def attempt(index: int) -> bool:
        try:
            await (a if index % 2 else b).acquire(f'owner-{index % 4}', f'job-{index}')
        except LimitExceeded:
            return False
        return True

    granted = await asyncio.gather(*(attempt(index) for index in range(24)))
    assert sum(granted) == 5 and await a.running() == 5
    for owner in range(4):
        assert await a.running(f'owner-{owner}') <= 2


async def test_an_instance_that_stops_renewing_frees_its_places(any_kit: StoreKit) -> None:
    dead, alive = gate(any_kit, per_user=1, instance='dead'), gate(any_kit, per_user=1, instance='alive')
    await dead.acquire('alice', 'j1')
    await alive.acquire('bob', 'j2')
    with pytest.raises(LimitExceeded):
        await alive.acquire('alice', 'j3')
    # Time passes: the living instance renews its leases, the dead one cannot.
    await any_kit.db.run(lambda c: c.execute(update(generation_leases).values(expires_at=time.time() - 1)))
    await alive.renew()
    assert await alive.running() == 1  # bob's, renewed
    await alive.acquire('alice', 'j3')  # the dead instance's place is free again


async def test_the_wait_estimate_follows_the_oldest_running_generation(any_kit: StoreKit,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    now = [time.time()]
    monkeypatch.setattr(limits.time, 'time', lambda: now[0])
    limits_ = gate(any_kit, per_user=1)
    await limits_.acquire('alice', 'j1')
    now[0] += 280  # the platform takes at most 300 s
    await limits_.renew()  # as the job heartbeat does every few seconds while it runs
    with pytest.raises(LimitExceeded) as refused:
        await limits_.acquire('alice', 'j2')
    assert refused.value.retry_after == pytest.approx(20)
    assert 'in about 20 seconds' in refused.value.user_message


def test_the_defaults_are_two_per_person_and_fifty_in_total() -> None:
    from services.core.settings import load_settings

    settings = load_settings({})
    assert (settings.max_covers_per_user, settings.max_covers_total) == (2, 50)
    settings = load_settings({'STUDIO_MAX_COVERS_PER_USER': '1', 'STUDIO_MAX_COVERS_TOTAL': '7'})
    assert (settings.max_covers_per_user, settings.max_covers_total) == (1, 7)
