"""Running a function on NiceGUI's event loop from wherever a change is noticed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from nicegui import core


def call_on_app_loop(function: Callable[..., Any], *args: object) -> None:
    """Run on NiceGUI's event loop (outboxes and job tasks belong to it); skip if no app loop is running.

    Sessions end from worker threads (a sweep, an account change noticed in a thread) as well as from the loop,
    and outside the app (a test's set-up, the CLI) there is no loop at all."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop = core.loop
        if loop is not None and loop.is_running() and not loop.is_closed():
            loop.call_soon_threadsafe(function, *args)
        return
    function(*args)
