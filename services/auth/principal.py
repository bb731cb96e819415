"""Who is signed in: the Principal a page acts for, the Session a browser holds, and how both are named.

Kept apart from the session store (sessions.py), which re-exports them, so the store stays about storing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from services.platform.client import Credentials

Mode = Literal['account', 'byok', 'demo']
SESSION_KEY = 'sid'  # the only thing about a session kept in app.storage.user


@dataclass
class Principal:
    """A signed-in person. `owner_id` keys everything they own (drafts, jobs, covers)."""

    owner_id: str
    user_id: str  # sent as X-User-ID
    display_name: str
    mode: Mode
    credentials: Credentials = field(repr=False)
    is_admin: bool = False

    def __post_init__(self) -> None:
        # The request log files each platform call under the person it was made for: the credentials carry that.
        if self.credentials.owner != self.owner_id:
            self.credentials = replace(self.credentials, owner=self.owner_id)


@dataclass
class Session:
    sid: str
    principal: Principal
    created_at: float = field(default_factory=time.time)
    last_seen: float = field(default_factory=time.time)
    # For tool accounts: the account's password stamp at sign-in; a password change or removal ends the session.
    account_stamp: str = ''
    stored_seen: float = field(default=0.0, repr=False)  # last_seen as the table has it

    @property
    def key(self) -> str:
        return sid_hash(self.sid)


EndListener = Callable[[Session, str], None]  # (the ended session, why: 'signed out', 'expired', ...)


def sid_hash(sid: str) -> str:
    """The table's key for a session id: someone who can read the table still cannot present a session."""
    return hashlib.sha256(sid.encode()).hexdigest()


def owner_id_for(mode: Mode, user_id: str, api_key: str = '') -> str:
    if mode == 'byok':
        # Two people can use the same user id with different keys; the key itself is never used as a name.
        digest = hashlib.sha256(api_key.encode()).hexdigest()[:12]
        return f'byok-{digest}-{_slug(user_id)}'
    return f'{mode}-{_slug(user_id)}'


def _slug(value: str) -> str:
    cleaned = ''.join(c if c.isalnum() or c in '-_.' else '_' for c in value)[:64]
    return cleaned or '_'
