"""Process-wide services, created once at start-up and shared by every user.

Module-level state is shared by all users in NiceGUI, which is exactly what is wanted here (one
connection pool, one job table, one audit log); nothing per-user is kept on this object.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.core.audit import AuditLog
from services.core.settings import Settings
from services.platform.client import Credentials, PlatformClient
from services.studio.limits import GenerationLimits

log = logging.getLogger(__name__)

SANDBOX_MOUNT = '/sandbox'


@dataclass
class Runtime:
    settings: Settings = field(default_factory=Settings)
    client: PlatformClient | None = None
    # Credentials for tool accounts and the sandbox demo (never used for "bring your own key").
    operator_credentials: Credentials | None = None
    limits: GenerationLimits | None = None
    audit: AuditLog | None = None
    sandbox: Any = None  # the embedded sandbox's ASGI app, when the app runs on it
    extras: dict[str, Any] = field(default_factory=dict)  # other process-wide services (jobs, caches, ...)

    @property
    def uses_sandbox(self) -> bool:
        return self.settings.uses_sandbox

    @property
    def data_dir(self) -> Path:
        return Path(self.settings.data_dir)

    def upstream_label(self) -> str:
        return 'Sandbox' if self.uses_sandbox else self.settings.base_url

    def platform(self) -> PlatformClient:
        if self.client is None:
            raise RuntimeError('the platform client is created at start-up')
        return self.client

    def configure(self, settings: Settings, *, base_url: str | None = None) -> None:
        """Wire everything for these settings. `base_url` overrides the upstream (the embedded sandbox)."""
        self.settings = settings
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.client = PlatformClient.from_settings(settings, base_url=base_url or settings.base_url)
        # Reset, not just set: credentials from an earlier configuration must not outlive it.
        self.operator_credentials = (Credentials(settings.api_key, settings.api_secret, settings.user_id)
                                     if settings.has_operator_credentials else None)
        self.limits = GenerationLimits(settings.max_covers_per_user, settings.max_covers_total)
        if self.audit is not None:
            self.audit.close()
        self.audit = AuditLog(self.data_dir / 'audit.sqlite3')

    async def shutdown(self) -> None:
        if self.client is not None:
            await self.client.aclose()


runtime = Runtime()
