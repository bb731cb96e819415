"""Tool accounts: who may sign in with the operator's credentials, in the database's `accounts` table.

Passwords are kept only as `hashlib.scrypt` digests with a per-user random salt. The command line tool and every
running instance share the table: each change is published to the outbox, so `users remove` / `users passwd` take
effect on every instance within a second, without a restart (their open sessions end).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from services.auth.names import canonical_name, confusable_with, name_problem
from services.core.db import Database
from services.core.db import changes as outbox
from services.core.db.schema import accounts as table
from services.core.errors import UserFacingError

log = logging.getLogger(__name__)
T = TypeVar('T')

# ~16 MiB and ~50 ms per hash: slow enough to make guessing expensive, fast enough for a sign-in.
SCRYPT_N = 2 ** 14
SCRYPT_R = 8
SCRYPT_P = 1
DIGEST_BYTES = 32
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # scrypt hashes anything, but megabyte "passwords" are a denial of service
LEGACY_FILE = 'accounts.json'  # where accounts were kept before the database; imported once
TOPIC = 'accounts'


class AccountError(UserFacingError, ValueError):
    """A request the account store refuses; the message says why and what is accepted."""


@dataclass(frozen=True)
class Account:
    name: str
    is_admin: bool
    created_at: float
    # Changes with every password change: sessions opened with an older stamp are no longer valid.
    stamp: str


@dataclass(frozen=True)
class _Record:
    salt: str
    digest: str
    n: int
    r: int
    p: int
    admin: bool
    created_at: float

    def account(self, name: str) -> Account:
        return Account(name=name, is_admin=self.admin, created_at=self.created_at, stamp=self.salt[:16])

    def row(self, name: str) -> dict[str, object]:
        return {'name': name, 'salt': self.salt, 'digest': self.digest, 'scrypt_n': self.n, 'scrypt_r': self.r,
                'scrypt_p': self.p, 'is_admin': self.admin, 'created_at': self.created_at}

    @staticmethod
    def of(row: Row[tuple[object, ...]]) -> _Record:
        values = row._mapping
        return _Record(salt=values['salt'], digest=values['digest'], n=values['scrypt_n'], r=values['scrypt_r'],
                       p=values['scrypt_p'], admin=bool(values['is_admin']), created_at=values['created_at'])


def validate_name(name: str) -> str:
    """The name as stored (NFKC), or AccountError saying what is wrong and what is allowed (services/auth/names)."""
    name = canonical_name(name)
    if problem := name_problem(name):
        raise AccountError(problem)
    return name


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f'A password needs at least {MIN_PASSWORD_LENGTH} characters.')
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f'A password may have at most {MAX_PASSWORD_LENGTH} characters.')
    return password


def _hash(password: str, salt: bytes, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=128 * 1024 * 1024,
                          dklen=DIGEST_BYTES)


# A fixed record to hash against when the name is unknown, so an unknown name costs as long as a known one.
_DUMMY = _Record(salt=secrets.token_hex(16), digest='00' * DIGEST_BYTES, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                 admin=False, created_at=0.0)


class AccountStore:
    """The tool accounts of one database.

    Two ways of reading, for two kinds of caller:
    - `verify` (a sign-in, already on a worker thread) and the command line read the table itself, so an account
      just added or a password just changed, by the CLI or on another instance, counts at once.
    - In a server, `get` / `list` are asked on the event loop on every request (is this session's account still
      there, with the same password?), where no query may run. With `snapshot=True` they answer from a copy of the
      table that `refresh()` reloads; the runtime reloads it whenever the outbox says accounts changed (within a
      second, on every instance) and on a slow timer besides. Without it (the CLI, tests) they read the table.
    """

    def __init__(self, db: Database, *, snapshot: bool = False, origin: str | None = None) -> None:
        self.db = db
        self.origin = origin  # names this process in the changes it publishes
        self._snapshot: dict[str, _Record] | None = None
        self._lock = threading.Lock()
        if snapshot:
            self.refresh_sync()

    # --- reading ------------------------------------------------------------------------------------

    def _records(self) -> dict[str, _Record]:
        with self._lock:
            snapshot = self._snapshot
        return snapshot if snapshot is not None else self.db.read_sync(_read_all)

    def refresh_sync(self) -> None:
        """Reload the snapshot (blocking: start-up, or a worker thread)."""
        records = self.db.read_sync(_read_all)
        with self._lock:
            self._snapshot = records

    async def refresh(self) -> None:
        records = await self.db.read(_read_all)
        with self._lock:
            self._snapshot = records

    def _note(self, name: str, record: _Record) -> None:
        """Keep a record just read from the table in the snapshot, so the session a sign-in opens is judged by the
        account it was opened with, not by a snapshot that may not have caught up with a just-added account."""
        with self._lock:
            if self._snapshot is not None:
                self._snapshot = {**self._snapshot, name: record}

    def list(self) -> list[Account]:
        return [record.account(name) for name, record in sorted(self._records().items())]

    def get(self, name: str) -> Account | None:
        name = canonical_name(name)
        record = self._records().get(name)
        return record.account(name) if record else None

    def verify(self, name: str, password: str) -> Account | None:
        """The account if name and password match, else None — the same answer, in about the same time,
        whichever part was wrong. Reads the table and hashes (CPU-bound): call it from a worker thread."""
        name = canonical_name(name)  # 'José' typed as J, o, s, e + accent is the same account
        record = None if name_problem(name) else self.db.read_sync(_read_one, name)
        if record is not None:
            self._note(name, record)
        candidate = record or _DUMMY
        if len(password) > MAX_PASSWORD_LENGTH:
            password = ''  # still hash something, so a long password is not a timing oracle either
        digest = _hash(password, bytes.fromhex(candidate.salt), candidate.n, candidate.r, candidate.p)
        matches = hmac.compare_digest(digest, bytes.fromhex(candidate.digest))
        if record is None or not matches or not password:
            return None
        return record.account(name)

    # --- writing (the command line tool) ------------------------------------------------------------

    def add(self, name: str, password: str, *, admin: bool = False) -> Account:
        name = validate_name(name)
        validate_password(password)
        record = self._new_record(password, admin=admin, created_at=time.time())

        def write(connection: Connection) -> None:
            existing = _read_all(connection)
            if name in existing:
                raise AccountError(f'An account named {name!r} exists already (use "users passwd {name}" to change '
                                   f'its password).')
            if lookalike := confusable_with(name, existing):
                raise AccountError(f'{name!r} looks too much like the existing account {lookalike!r} (letters that '
                                   f'look alike, or the same letters in another case). Choose a name that reads '
                                   f'differently.')
            connection.execute(insert(table).values(**record.row(name)))
            self._publish(connection, name)

        self._write(write)
        return record.account(name)

    def set_password(self, name: str, password: str) -> Account:
        validate_password(password)
        name = canonical_name(name)
        fresh = self._new_record(password, admin=False, created_at=0.0)  # hashed before the transaction

        def write(connection: Connection) -> _Record:
            old = self._existing(connection, name)
            record = replace(fresh, admin=old.admin, created_at=old.created_at)
            connection.execute(update(table).where(table.c.name == name).values(**record.row(name)))
            self._publish(connection, name)
            return record

        return self._write(write).account(name)

    def set_admin(self, name: str, admin: bool) -> Account:
        name = canonical_name(name)

        def write(connection: Connection) -> _Record:
            record = replace(self._existing(connection, name), admin=admin)
            connection.execute(update(table).where(table.c.name == name).values(is_admin=admin))
            self._publish(connection, name)
            return record

        return self._write(write).account(name)

    def remove(self, name: str) -> None:
        name = canonical_name(name)

        def write(connection: Connection) -> None:
            self._existing(connection, name)
            connection.execute(delete(table).where(table.c.name == name))
            self._publish(connection, name)

        self._write(write)

    def import_legacy(self, data_dir: Path) -> int:
        """Copy the accounts of a data directory's accounts.json (kept there before the database) into the table,
        once: names already in the table are left alone, and the file is renamed so it is not read again."""
        path = Path(data_dir) / LEGACY_FILE
        if not path.is_file():
            return 0
        raw = json.loads(path.read_text(encoding='utf-8') or '{}')
        records = {name: _Record(**fields) for name, fields in raw.get('accounts', {}).items()}

        def write(connection: Connection) -> int:
            existing = set(_read_all(connection))
            added = [name for name in records if name not in existing]
            for name in added:
                connection.execute(insert(table).values(**records[name].row(name)))
                self._publish(connection, name)
            return len(added)

        added = self._write(write)
        path.replace(path.with_name(LEGACY_FILE + '.imported'))
        log.info('imported %d tool accounts from %s into the database', added, path)
        return added

    @staticmethod
    def _existing(connection: Connection, name: str) -> _Record:
        record = _read_one(connection, name)
        if record is None:
            raise AccountError(f'There is no account named {name!r}.')
        return record

    def _publish(self, connection: Connection, name: str) -> None:
        # Every instance reloads its snapshot and ends the sessions this change ended (removed, new password).
        outbox.publish(connection, TOPIC, name, origin=self.origin)

    def _write(self, fn: Callable[[Connection], T]) -> T:
        """A write transaction (blocking: the CLI, start-up; never the event loop)."""
        result = self.db.run_sync(fn)
        if self._snapshot is not None:
            self.refresh_sync()  # this process's own change counts here at once
        return result

    @staticmethod
    def _new_record(password: str, *, admin: bool, created_at: float) -> _Record:
        salt = secrets.token_bytes(16)
        return _Record(salt=salt.hex(), digest=_hash(password, salt).hex(), n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                       admin=admin, created_at=created_at)


def _read_all(connection: Connection) -> dict[str, _Record]:
    return {row.name: _Record.of(row) for row in connection.execute(select(table))}


def _read_one(connection: Connection, name: str) -> _Record | None:
    row = connection.execute(select(table).where(table.c.name == name)).first()
    return _Record.of(row) if row is not None else None
