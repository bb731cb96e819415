"""One sandbox instance's state: its config (mutable at runtime), pending faults, storage and caches.

The app factory creates one per app and keeps it as `app.state.sandbox`; every route reaches it from there.
"""

from __future__ import annotations

import asyncio
import random
import time

from starlette.requests import Request

from services.core.secret import Secret

from . import cover_art
from .auth import ReplayGuard
from .chat_store import ChatState
from .config import SandboxConfig
from .faults import Faults
from .keys import KEY_PREFIX, IssuedKey, IssuedKeys
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
        # Keys issued at run time (one per demo visitor) are accepted like the configured ones.
        self.issued = IssuedKeys(config.data_dir)
        config.keys.update(self.issued.secrets())
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

    def issue_key(self, label: str) -> IssuedKey:
        """A new key of its own for `label` (a demo visitor): sees nothing any other key made."""
        key = self.issued.issue(label)
        self.config.keys[key.api_key] = Secret(key.secret)
        return key

    def revoke_key(self, api_key: str) -> dict[str, int] | None:
        """Stop accepting an issued key and delete all it made; None if it was not issued here (configured keys
        cannot be revoked: they are the operator's)."""
        if not self.issued.revoke(api_key):
            return None
        self.config.keys.pop(api_key, None)
        return self._delete_key_data(api_key)

    def _delete_key_data(self, api_key: str) -> dict[str, int]:
        deleted = self.store.delete_key_data(api_key)
        deleted['conversations'] = self.chat.store.delete_key(api_key)
        return deleted

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
            await asyncio.to_thread(self.purge_revoked)

    def purge_revoked(self) -> int:
        """Delete what revoked visitor keys still have: a cover or agent that was being made while its key was
        revoked lands after the deletion. Only issued keys' data goes, never a configured key's."""
        live = {key.api_key for key in self.issued.all()}
        orphans = (self.store.keys_with_data(KEY_PREFIX) | self.chat.store.keys_with_data(KEY_PREFIX)) - live
        for api_key in orphans:
            self._delete_key_data(api_key)
        return len(orphans)


def controller_of(request: Request) -> SandboxController:
    """The sandbox serving `request` (Starlette's app.state is untyped; this gives routes the type back)."""
    sandbox: SandboxController = request.app.state.sandbox
    return sandbox
