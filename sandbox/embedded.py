"""The sandbox mounted inside Agent Studio at /sandbox, used when no PLATFORM_BASE_URL is configured.

The app then talks to it over real HTTP on loopback, signed like any real call, with a demo key that is
generated once and kept under the data directory (or SANDBOX_DEMO_KEY, which instances sharing a database need).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

from services.core.secret import Secret
from services.core.settings import Settings
from services.platform.client import Credentials

from .app import create_sandbox_app
from .config import SandboxConfig, load_or_create_demo_key
from .controller import SandboxController
from .endpoint import MULTIPART_OVERHEAD
from .request_io import DRAIN_LIMIT

MOUNT_PATH = '/sandbox'
# The sandbox answers an oversized upload itself, as the platform would, as long as it reads the body (it drains
# and drops up to DRAIN_LIMIT): the app's body limit for the mount starts above that.
MAX_BODY_BYTES = DRAIN_LIMIT + MULTIPART_OVERHEAD
LISTEN_ANYWHERE = ('', '0.0.0.0', '::', 'localhost', '127.0.0.1')


@dataclass
class EmbeddedSandbox:
    base_url: str
    credentials: Credentials
    controller: SandboxController

    def __repr__(self) -> str:
        return f'EmbeddedSandbox(base_url={self.base_url!r})'

    async def issue_key(self, label: str) -> tuple[str, Secret]:
        """A key of its own for one demo visitor (`label`: their user id), accepted at once."""
        key = await asyncio.to_thread(self.controller.issue_key, label)
        return key.api_key, Secret(key.secret)

    async def revoke_key(self, api_key: str) -> dict[str, int] | None:
        """Stop accepting a visitor's key and delete all that was made with it (None: not a visitor's key)."""
        return await asyncio.to_thread(self.controller.revoke_key, api_key)

    async def issued_keys(self) -> list[tuple[str, str, float]]:
        """(key, label, issued at) of every visitor key this sandbox accepts, never a secret."""
        return [(key.api_key, key.label, key.created_at) for key in self.controller.issued.all()]


def mount_embedded_sandbox(app: Any, settings: Settings) -> EmbeddedSandbox:
    """Mount a sandbox on NiceGUI's `app` at /sandbox and return how to reach it."""
    config = SandboxConfig.from_settings(settings)
    # SANDBOX_DEMO_KEY when set: instances sharing one database must sign demo calls with one key pair.
    demo_key, demo_secret = settings.sandbox_demo_key[0] if settings.sandbox_demo_key else \
        load_or_create_demo_key(config.data_dir)
    # Image URLs root-relative, so a browser on any host name loads them from this same server.
    config = replace(config, keys={demo_key: demo_secret, **config.keys}, public_url=MOUNT_PATH)
    sandbox_app = create_sandbox_app(config)
    app.mount(MOUNT_PATH, sandbox_app)
    controller: SandboxController = sandbox_app.state.sandbox
    on_shutdown = getattr(app, 'on_shutdown', None)  # NiceGUI's app has it; a bare Starlette app does not
    if callable(on_shutdown):
        on_shutdown(controller.close)
    # Loopback, unless the app listens on one specific address only (then 127.0.0.1 would not answer).
    host = settings.host if settings.host not in LISTEN_ANYWHERE else '127.0.0.1'
    host = f'[{host}]' if ':' in host else host
    return EmbeddedSandbox(base_url=f'http://{host}:{settings.port}{MOUNT_PATH}',
                           credentials=Credentials(demo_key, demo_secret, settings.user_id),
                           controller=controller)
