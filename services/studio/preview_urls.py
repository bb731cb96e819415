"""Signed, expiring, owner-bound URLs for images the app serves (covers, reference photos).

A URL carries (owner, kind, id) signed with itsdangerous. The media route accepts it only when the
signature is valid, it has not expired, and the person asking is signed in as that owner: a copied link
is useless to anyone else, and stale links die on their own.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from services.core.errors import UserFacingError

MEDIA_PREFIX = '/media'
# cover-preview: the display-sized copy of a cover; chat-picture(-full): a chat picture's copy and original.
KINDS = ('cover', 'cover-preview', 'ref', 'chat-picture', 'chat-picture-full')
MAX_REMEMBERED = 10_000  # tokens kept for reuse; older ones are dropped first


class PreviewDenied(UserFacingError):
    """An image link that may not be served; `reason` (= `user_message`) is the text of the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class PreviewTarget:
    owner_id: str
    kind: str
    item_id: str


class PreviewSigner:
    def __init__(self, secret: str, max_age: int) -> None:
        if not secret:
            raise ValueError('a preview URL signer needs a secret')
        self._serializer = URLSafeTimedSerializer(secret, salt='agent-studio.preview-url')
        self.max_age = max_age
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}

    def url(self, owner_id: str, kind: str, item_id: str, *, version: str = '') -> str:
        if kind not in KINDS:
            raise ValueError(f'unknown preview kind {kind!r}')
        token = self._token(owner_id, kind, item_id)
        # `version` changes the URL when the file behind the same id changes (a replaced photo).
        return f'{MEDIA_PREFIX}/{token}' + (f'?v={version}' if version else '')

    def _token(self, owner_id: str, kind: str, item_id: str) -> str:
        """The same token for the same image for half its lifetime. A fresh token every time (its timestamp
        changes each second) made every redraw a new URL, so the browser downloaded every cover again on
        each redraw of the cover panel (bench fig4: up to 16 downloads, 32 MB, per generated cover)."""
        key = (owner_id, kind, item_id)
        now = time.time()
        cached = self._tokens.get(key)
        if cached is not None and now - cached[1] < self.max_age / 2:
            return cached[0]
        if len(self._tokens) >= MAX_REMEMBERED:
            self._tokens = {k: v for k, v in self._tokens.items() if now - v[1] < self.max_age / 2}
        # The payload is signed, not encrypted: it carries a digest of the owner, never the owner id itself.
        token = self._serializer.dumps([_owner_digest(owner_id), kind, item_id])
        self._tokens[key] = (token, now)
        return token

    def verify(self, token: str, owner_id: str | None) -> PreviewTarget:
        try:
            digest, kind, item_id = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise PreviewDenied(403, 'This image link has expired; reload the page for a fresh one.') from None
        except (BadSignature, ValueError, TypeError):
            raise PreviewDenied(404, 'No such image.') from None
        if owner_id is None:
            raise PreviewDenied(403, 'Sign in to see this image.')
        if not hmac.compare_digest(str(digest), _owner_digest(owner_id)) or kind not in KINDS:
            raise PreviewDenied(403, 'This image belongs to someone else.')
        return PreviewTarget(owner_id, kind, str(item_id))


def _owner_digest(owner_id: str) -> str:
    return hashlib.sha256(owner_id.encode()).hexdigest()[:24]
