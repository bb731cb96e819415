"""Keeping an open studio page in step with what happens elsewhere.

A person's jobs tell the page the moment they change (JobManager.subscribe), so a finished cover shows without
waiting; a one-second timer runs the clocks and notices what nobody pushes (another tab's change to the draft).
Both end in StudioView.sync().
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from nicegui import Client, background_tasks, ui

if TYPE_CHECKING:
    from pages.studio.view import StudioView


class LiveUpdates:
    def __init__(self, view: StudioView) -> None:
        self.view = view
        self._push_pending = False

    def start(self) -> None:
        """Listen while this page exists; the listener goes with the page (a tab closed for good, not a
        reconnect: NiceGUI deletes the client only after its reconnect timeout)."""
        client = ui.context.client
        unsubscribe = self.view.studio.subscribe(lambda: self._job_changed(client))
        client.on_delete(unsubscribe)
        ui.timer(1.0, self._tick)

    def _job_changed(self, client: Client) -> None:
        """Called inside the job, on the event loop: only schedule the catching up. Several changes in one turn
        of the loop (cover stored, then the draft told to choose it) make one, after all of them."""
        if self._push_pending or client.is_deleted:
            return
        self._push_pending = True
        background_tasks.create(self._pushed(), name='studio-jobs-changed', context=client)

    async def _pushed(self) -> None:
        self._push_pending = False
        self.view.sync()

    def _tick(self) -> None:
        self.view.sync()
        self.view.cover.tick(time.time())
