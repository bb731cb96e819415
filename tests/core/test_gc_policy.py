"""The server's garbage-collector policy (services/core/gc_policy.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from services.core import gc_policy


@pytest.fixture
def unfrozen() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test runner's process goes on collecting everything, as it did
    gc.set_threshold(*thresholds)


def test_start_up_objects_leave_later_collections(unfrozen: None) -> None:
    kept = [object() for _ in range(10)]  # tracked containers alive at start-up
    cycle: list[object] = []
    cycle.append(cycle)  # start-up garbage: collected first, not frozen
    del cycle
    gc_policy.after_start_up()
    assert gc.get_freeze_count() > len(kept)
    # A frozen object is in no generation any more: a full collection no longer walks it.
    assert not any(o is kept for o in gc.get_objects())
    made_after = [[] for _ in range(3)]
    assert any(o is made_after for o in gc.get_objects())
    assert gc.get_threshold() == gc_policy.THRESHOLDS
