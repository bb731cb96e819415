"""Listeners by key (services/core/listeners.py), the one list the job view, drafts and notifier share."""

from __future__ import annotations

from services.core.listeners import Listeners


def test_listeners_by_key_and_stopping_them() -> None:
    heard: list[str] = []
    listeners: Listeners[object] = Listeners()
    stop_a = listeners.add('alice', lambda: heard.append('a'))
    listeners.add('alice', lambda: heard.append('b'))
    listeners.add('bob', lambda: heard.append('c'))
    assert (listeners.count('alice'), listeners.count('bob'), listeners.count()) == (2, 1, 3)
    for listener in listeners.of('alice'):
        listener()  # type: ignore[operator]
    assert heard == ['a', 'b']
    stop_a()
    stop_a()  # twice is harmless
    assert listeners.count('alice') == 1 and listeners.count('nobody') == 0


def test_a_listener_may_stop_itself_while_being_called() -> None:
    listeners: Listeners[object] = Listeners()
    stops = []
    stops.append(listeners.add('alice', lambda: stops[0]()))
    for listener in listeners.of('alice'):
        listener()  # type: ignore[operator]
    assert listeners.count() == 0 and not listeners._by_key  # no key is kept for nobody
