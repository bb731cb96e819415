"""The secret that signs NiceGUI's browser-id cookie: from configuration, or generated once and kept 0600."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from services.settings import Settings, SettingsError

WEAK = {'', 'secret', 'changeme', 'change-me', 'password', 'storage-secret', 'placeholder', 'nicegui'}
MIN_LENGTH = 32


def resolve_storage_secret(settings: Settings) -> str:
    configured = settings.storage_secret.get()
    if configured:
        if (configured.lower() in WEAK or len(configured) < MIN_LENGTH) and not settings.uses_sandbox:
            raise SettingsError(f'STUDIO_STORAGE_SECRET is too weak: use at least {MIN_LENGTH} random characters '
                                f'(or leave it unset and one is generated under the data directory)')
        return configured
    path = Path(settings.data_dir) / 'storage-secret'
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not each write their own secret.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write(value)
    return value
