"""The secret that signs NiceGUI's browser-id cookie (and, derived from it, image links and sealed sessions): from
configuration, or generated once and kept 0600 when the database is this instance's own."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from services.core.settings import Settings, SettingsError
from services.core.storage import atomic_write

WEAK = {'', 'secret', 'changeme', 'change-me', 'password', 'storage-secret', 'placeholder', 'nicegui'}
MIN_LENGTH = 32
SECRET_FILE = 'storage-secret'


def check_shared_configuration(settings: Settings) -> None:
    """With STUDIO_DATABASE_URL set, several instances may share the database, and whatever one generates for
    itself the others would not know: a browser cookie or image link signed by one would be refused by the next,
    a session sealed by one could not be opened by another, demo calls would be signed with different keys. So
    instead of generating, refuse to start and name the variable to set (the same value on every instance)."""
    if not settings.database_configured:
        return
    missing = []
    if not settings.storage_secret.get():
        missing.append(f'STUDIO_STORAGE_SECRET (at least {MIN_LENGTH} random characters: it signs the browser cookie '
                       'and image links and seals stored sessions)')
    # Only the embedded sandbox has a demo key pair of its own; a standalone one (STUDIO_DEMO_SANDBOX_URL) issues keys.
    if settings.embeds_sandbox and not settings.sandbox_demo_key:
        missing.append("SANDBOX_DEMO_KEY (KEY:SECRET, the embedded sandbox's demo key pair)")
    if missing:
        raise SettingsError('STUDIO_DATABASE_URL is set, so several instances may share this database, and they must '
                            'share their secrets too instead of each generating its own. Set '
                            + ' and '.join(missing) + ' to the same value on every instance.')


def resolve_storage_secret(settings: Settings) -> str:
    check_shared_configuration(settings)
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
