"""Process-wide services, created once at start-up and shared by every user.

Module-level state is shared by all users in NiceGUI, which is exactly what is wanted here (one
connection pool, one job table) and nothing per-user is kept on this object.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from services.platform import Credentials, PlatformClient
from services.settings import Settings, get_settings

log = logging.getLogger(__name__)

SANDBOX_MOUNT = '/sandbox'


@dataclass
class Runtime:
    settings: Settings = field(default_factory=get_settings)
    client: PlatformClient | None = None
    # Credentials used for tool accounts and the sandbox demo (never for "bring your own key").
    operator_credentials: Credentials | None = None

    @property
    def uses_sandbox(self) -> bool:
        return self.settings.uses_sandbox

    def upstream_label(self) -> str:
        return 'Sandbox' if self.uses_sandbox else self.settings.base_url

    def platform(self) -> PlatformClient:
        if self.client is None:
            raise RuntimeError('the platform client is created at start-up')
        return self.client


runtime = Runtime()
