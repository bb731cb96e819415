"""Sealing: what must be kept on disk but never in plain text (a person's own API key and secret in their stored
session) is encrypted and authenticated with a key derived from the storage secret.

Fernet (the `cryptography` package): AES-128-CBC with an HMAC-SHA256 over it, a well-known format that nobody here
has to get right by hand. The key is derived with HKDF per purpose, so the storage secret itself is never used as a
cipher key and two purposes never share one. Every instance derives the same key from the same (shared) storage
secret, so any of them opens what another sealed; a token sealed under another secret does not open at all.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Sealer:
    def __init__(self, storage_secret: str, purpose: str) -> None:
        if not storage_secret:
            raise ValueError('sealing needs the storage secret')
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=f'agent-studio.{purpose}'.encode()).derive(storage_secret.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def open(self, token: bytes) -> bytes | None:
        """The sealed bytes, or None when `token` was sealed under another storage secret or was altered."""
        try:
            return self._fernet.decrypt(token)
        except (InvalidToken, ValueError, TypeError):
            return None

    def __repr__(self) -> str:
        return 'Sealer(<key hidden>)'
