"""API keys the sandbox hands out while it runs: one per demo visitor, so visitors never share agents or images.

The sandbox keeps every key's data apart (store.py scopes each query by key). The app's demo used to give every
visitor the one demo key, and with it everyone else's agents, covers and reference faces; now each demo sign-in
is issued a key of its own (`SandboxController.issue_key`, or `POST /_sandbox/keys` on a standalone sandbox),
and revoking it deletes all that key made.

Issued keys are kept in `issued-keys.json` (mode 0600) in the data directory, so a sandbox restart does not
invalidate a visitor who is still signed in. Keys given on the command line or in SANDBOX_KEYS are not "issued"
and cannot be revoked here.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from services.core.secret import Secret
from services.core.storage import atomic_write

log = logging.getLogger(__name__)

FILE_NAME = 'issued-keys.json'
KEY_PREFIX = 'sbx_visitor_'
MAX_LABEL = 80


@dataclass(frozen=True)
class IssuedKey:
    api_key: str
    secret: str
    label: str  # who it is for, as the issuer said (a demo user id); never needed to authenticate
    created_at: float


class IssuedKeys:
    """The issued keys of one sandbox data directory; thread-safe, written through on every change."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE_NAME
        self._lock = threading.Lock()
        self._keys: dict[str, IssuedKey] = self._load()

    def _load(self) -> dict[str, IssuedKey]:
        try:
            raw = json.loads(self.path.read_text(encoding='utf-8'))
            return {entry['api_key']: IssuedKey(**entry) for entry in raw.get('keys', [])}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, KeyError) as error:
            # A damaged file must not stop the sandbox: the visitors it held sign in again and get new keys.
            aside = self.path.with_name(f'{FILE_NAME}.damaged-{int(time.time())}')
            self.path.replace(aside)
            log.warning('sandbox: %s could not be read (%s); moved aside to %s', self.path, error, aside.name)
            return {}

    def _save(self) -> None:
        text = json.dumps({'version': 1, 'keys': [asdict(key) for key in self._keys.values()]}, indent=1)
        atomic_write(self.path, text, mode=0o600)

    def secrets(self) -> dict[str, Secret]:
        with self._lock:
            return {key.api_key: Secret(key.secret) for key in self._keys.values()}

    def issue(self, label: str) -> IssuedKey:
        key = IssuedKey(api_key=KEY_PREFIX + secrets.token_hex(12), secret=secrets.token_urlsafe(32),
                        label=''.join(c if c.isprintable() else '?' for c in label)[:MAX_LABEL],
                        created_at=time.time())
        with self._lock:
            self._keys[key.api_key] = key
            self._save()
        return key

    def revoke(self, api_key: str) -> bool:
        with self._lock:
            if self._keys.pop(api_key, None) is None:
                return False
            self._save()
        return True

    def get(self, api_key: str) -> IssuedKey | None:
        with self._lock:
            return self._keys.get(api_key)

    def all(self) -> list[IssuedKey]:
        with self._lock:
            return sorted(self._keys.values(), key=lambda key: key.created_at)
