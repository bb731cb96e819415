"""One sandbox instance's state: its config (mutable at runtime), pending faults, storage and caches.

The app factory creates one per app and keeps it as `app.state.sandbox`; every route reaches it from there.
"""

from __future__ import annotations

import asyncio
import random
import time

from starlette.requests import Request

from . import cover_art
from .auth import ReplayGuard
from .chat_store import ChatState
from .config import SandboxConfig
from .faults import Faults
from .store import SandboxStore

PURGE_EVERY = 300.0  # seconds between sweeps for expired, never-used covers


class SandboxController:
    """Everything one sandbox instance holds: config (mutable at runtime), faults, storage, caches."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.faults = Faults()
        if config.faults:
            self.faults.load_spec(config.faults)
        self.store = SandboxStore(config.data_dir)
        self.store.purge_expired_covers()  # leftovers from before a restart
        self.replay = ReplayGuard(config.replay_window)
        self._previews: dict[tuple[str, str, str | None], bytes] = {}
        self._next_purge = 0.0
        self.official_dir = config.data_dir / 'official'
        self.official_dir.mkdir(parents=True, exist_ok=True)
        self.chat = ChatState(config.data_dir, pace=config.chat_pace, image_latency=config.image_latency)

    def close(self) -> None:
        self.store.close()
        self.chat.close()

    def public_base(self, request: Request) -> str:
        if self.config.public_url is not None:
            return self.config.public_url.rstrip('/')
        return str(request.base_url).rstrip('/')

    def latency(self, share: float = 1.0) -> float:
        low, high = self.config.latency
        return random.uniform(low, high) * share

    async def preview(self, category: str, code: str, gender: str | None) -> bytes:
        key = (category, code, gender)
        if key not in self._previews:
            self._previews[key] = await asyncio.to_thread(cover_art.draw_preview, category, code, gender)
        return self._previews[key]

    async def purge_if_due(self) -> None:
        if time.monotonic() >= self._next_purge:
            self._next_purge = time.monotonic() + PURGE_EVERY
            await asyncio.to_thread(self.store.purge_expired_covers)


def controller_of(request: Request) -> SandboxController:
    """The sandbox serving `request` (Starlette's app.state is untyped; this gives routes the type back)."""
    sandbox: SandboxController = request.app.state.sandbox
    return sandbox
