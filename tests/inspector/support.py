"""Helpers of the inspector tests: the echo platform's key, credentials for a person, the stored rows."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from services.core.db import Database
from services.core.db.schema import request_log
from services.core.secret import Secret
from services.platform.client import Credentials
from services.platform.request_log import RequestLog

KEY = 'rl-key-4f1c9a2b7d6e5f40'
SECRET = 'rl-secret-9d8c7b6a5f4e3d2c1b0a'
PNG_BASE64_START = 'iVBORw0KGgo'  # how every PNG starts, base64-encoded
DATABASES = ['sqlite', 'postgresql']  # for the queries, whose SQL differs between the two (ILIKE, JSONB, ...)


def creds(owner: str = 'account-alice', user: str = 'alice') -> Credentials:
    return Credentials(KEY, Secret(SECRET), user, owner=owner)


def rows(db: Database) -> list[dict[str, Any]]:
    return db.read_sync(lambda c: [dict(r._mapping) for r in c.execute(select(request_log).order_by(request_log.c.id))])


async def flushed(log: RequestLog) -> None:
    assert await asyncio.to_thread(log.flush), 'the request log did not write in time'
