"""Fair use: concurrent cover generations per person and for the whole server, refused with a when."""

from __future__ import annotations

import pytest

from services.studio import limits
from services.studio.limits import GenerationLimits, LimitExceeded


def test_a_person_is_stopped_at_their_limit_and_told_when_to_try_again() -> None:
    gate = GenerationLimits(per_user=2, total=50)
    first, second = gate.try_acquire('alice'), gate.try_acquire('alice')
    with pytest.raises(LimitExceeded) as refused:
        gate.try_acquire('alice')
    message = refused.value.user_message
    assert 'You already have 2 cover generations running' in message
    assert 'the limit is 2 per person' in message
    assert 'Try again' in message and ('minutes' in message or 'seconds' in message)
    assert refused.value.retry_after > 0
    assert gate.running('alice') == 2  # nothing was queued
    gate.try_acquire('bob').release()  # others are not affected
    first.release()
    gate.try_acquire('alice')  # a finished one frees a place at once
    second.release()
    second.release()  # releasing twice does not free a second place
    assert gate.running('alice') == 1


def test_the_server_limit_covers_everyone() -> None:
    gate = GenerationLimits(per_user=2, total=3)
    leases = [gate.try_acquire(owner) for owner in ('a', 'b', 'c')]
    with pytest.raises(LimitExceeded) as refused:
        gate.try_acquire('d')
    assert 'for everyone' in refused.value.user_message and 'limit' in refused.value.user_message
    assert gate.running() == 3
    leases[0].release()
    gate.try_acquire('d')


def test_the_wait_estimate_follows_the_oldest_running_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(limits.time, 'time', lambda: now[0])
    gate = GenerationLimits(per_user=1, total=50)
    gate.try_acquire('alice')
    now[0] += 280  # the platform takes at most 300 s
    with pytest.raises(LimitExceeded) as refused:
        gate.try_acquire('alice')
    assert refused.value.retry_after == pytest.approx(20)
    assert 'in about 20 seconds' in refused.value.user_message


def test_the_defaults_are_two_per_person_and_fifty_in_total() -> None:
    from services.core.settings import load_settings

    settings = load_settings({})
    assert (settings.max_covers_per_user, settings.max_covers_total) == (2, 50)
    settings = load_settings({'STUDIO_MAX_COVERS_PER_USER': '1', 'STUDIO_MAX_COVERS_TOTAL': '7'})
    assert (settings.max_covers_per_user, settings.max_covers_total) == (1, 7)
