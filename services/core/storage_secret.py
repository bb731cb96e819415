"""The secret that signs NiceGUI's browser-id cookie: from configuration, or generated once and kept 0600."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from services.core.settings import Settings, SettingsError
from services.core.storage import atomic_write

WEAK = {'', 'secret', 'changeme', 'change-me', 'password', 'storage-secret', 'placeholder', 'nicegui'}
MIN_LENGTH = 32
SECRET_FILE = 'storage-secret'


def resolve_storage_secret(settings: Settings) -> str:
    configured = settings.storage_secret.get()
    if configured:
        if (configured.lower() in WEAK or len(configured) < MIN_LENGTH) and not settings.uses_sandbox:
            raise SettingsError(f'STUDIO_STORAGE_SECRET is too weak: use at least {MIN_LENGTH} random characters '
                                f'(or leave it unset and one is generated under the data directory)')
        return configured
    path = Path(settings.data_dir) / SECRET_FILE
    if path.exists():
        return _read_existing(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # Exclusive: two processes starting at once must not each write their own secret; the loser reads the
    # winner's, which only appears under its name once complete (O_EXCL alone let it read a still-empty file).
    try:
        atomic_write(path, value, mode=0o600, durable=True, exclusive=True)
    except FileExistsError:
        return _read_existing(path)
    return value


def _read_existing(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        # Readable by others, e.g. after a copy or a restore: tighten it rather than keep serving a leaked secret.
        os.chmod(path, 0o600)
    value = path.read_text().strip()
    if len(value) < MIN_LENGTH:
        raise SettingsError(f'{path} holds no usable storage secret (fewer than {MIN_LENGTH} characters); delete '
                            f'it and a new one is generated')
    return value
