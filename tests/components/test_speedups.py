"""components/speedups.py: the cached `expects_arguments` answers exactly what NiceGUI's own does."""

from __future__ import annotations

import functools
from typing import Any

import nicegui.helpers
from nicegui import observables

from components import speedups


class Handler:
    def takes_event(self, event: object) -> None: ...

    def takes_nothing(self) -> None: ...

    def optional(self, event: object = None) -> None: ...

    def __call__(self, event: object) -> None: ...


def plain(event: object) -> None: ...


def cases() -> list[Any]:
    first, second = Handler(), Handler()
    return [first.takes_event, second.takes_event, first.takes_nothing, second.takes_nothing, first.optional,
            plain, lambda: None, lambda event: None, functools.partial(plain), functools.partial(lambda a, b: None, 1),
            first, print, functools.wraps(plain)(lambda *args: None)]


def test_the_same_answers_as_nicegui_for_every_kind_of_handler() -> None:
    for handler in cases():
        expected = speedups._original(handler)
        assert speedups.expects_arguments(handler) is expected, handler
        assert speedups.expects_arguments(handler) is expected, handler  # from the cache the second time


def test_bound_methods_are_remembered_by_their_function() -> None:
    Handler().takes_event  # noqa: B018 - a new bound method object every time, which is why the key is __func__
    speedups.expects_arguments(Handler().takes_event)
    assert Handler.takes_event in speedups._bound


def test_install_makes_nicegui_modules_use_it() -> None:
    before = nicegui.helpers.expects_arguments
    try:
        speedups.install()
        seen: list[object] = []
        data = observables.ObservableList([1], on_change=lambda event: seen.append(event))
        data.append(2)
        assert len(seen) == 1  # the handler wants its event, and got it
        assert nicegui.helpers.expects_arguments is speedups.expects_arguments
    finally:
        nicegui.helpers.expects_arguments = before
