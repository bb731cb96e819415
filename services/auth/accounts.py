"""Tool accounts: who may sign in with the operator's credentials, stored under the data directory.

Passwords are kept only as `hashlib.scrypt` digests with a per-user random salt. The file is written
atomically with mode 0600, so the command line tool and a running server can share it: the server
re-reads it whenever it changes, so `users remove` / `users passwd` take effect without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from services.auth.names import canonical_name, confusable_with, name_problem
from services.core.errors import UserFacingError
from services.core.storage import atomic_write

# ~16 MiB and ~50 ms per hash: slow enough to make guessing expensive, fast enough for a sign-in.
SCRYPT_N = 2 ** 14
SCRYPT_R = 8
SCRYPT_P = 1
DIGEST_BYTES = 32
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # scrypt hashes anything, but megabyte "passwords" are a denial of service
FILE_NAME = 'accounts.json'


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
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE_NAME
        self._lock = threading.Lock()
        self._cache: dict[str, _Record] = {}
        self._cache_key: tuple[int, int, int] | None = None

    # --- reading ------------------------------------------------------------------------------------

    def _records(self) -> dict[str, _Record]:
        """The file's records, re-read only when the file changed (the CLI may edit it at any time)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            with self._lock:
                self._cache, self._cache_key = {}, None
            return {}
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)  # a rename by the CLI changes the inode
        with self._lock:
            if key == self._cache_key:
                return self._cache
        raw = json.loads(self.path.read_text(encoding='utf-8') or '{}')
        records = {name: _Record(**fields) for name, fields in raw.get('accounts', {}).items()}
        with self._lock:
            self._cache, self._cache_key = records, key
        return records

    def list(self) -> list[Account]:
        return [record.account(name) for name, record in sorted(self._records().items())]

    def get(self, name: str) -> Account | None:
        name = canonical_name(name)
        record = self._records().get(name)
        return record.account(name) if record else None

    def verify(self, name: str, password: str) -> Account | None:
        """The account if name and password match, else None — the same answer, in about the same time,
        whichever part was wrong. CPU-bound: call it from a worker thread."""
        name = canonical_name(name)  # 'José' typed as J, o, s, e + accent is the same account
        record = self._records().get(name)
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
        records = dict(self._records())
        if name in records:
            raise AccountError(f'An account named {name!r} exists already (use "users passwd {name}" to change '
                               f'its password).')
        if lookalike := confusable_with(name, records):
            raise AccountError(f'{name!r} looks too much like the existing account {lookalike!r} (letters that look '
                               f'alike, or the same letters in another case). Choose a name that reads differently.')
        records[name] = self._new_record(password, admin=admin, created_at=time.time())
        self._write(records)
        return records[name].account(name)

    def set_password(self, name: str, password: str) -> Account:
        validate_password(password)
        name = canonical_name(name)
        records = dict(self._records())
        old = records.get(name)
        if old is None:
            raise AccountError(f'There is no account named {name!r}.')
        records[name] = self._new_record(password, admin=old.admin, created_at=old.created_at)
        self._write(records)
        return records[name].account(name)

    def set_admin(self, name: str, admin: bool) -> Account:
        name = canonical_name(name)
        records = dict(self._records())
        old = records.get(name)
        if old is None:
            raise AccountError(f'There is no account named {name!r}.')
        records[name] = _Record(**{**asdict(old), 'admin': admin})
        self._write(records)
        return records[name].account(name)

    def remove(self, name: str) -> None:
        name = canonical_name(name)
        records = dict(self._records())
        if records.pop(name, None) is None:
            raise AccountError(f'There is no account named {name!r}.')
        self._write(records)

    @staticmethod
    def _new_record(password: str, *, admin: bool, created_at: float) -> _Record:
        salt = secrets.token_bytes(16)
        return _Record(salt=salt.hex(), digest=_hash(password, salt).hex(), n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                       admin=admin, created_at=created_at)

    def _write(self, records: dict[str, _Record]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({'version': 1, 'accounts': {name: asdict(r) for name, r in sorted(records.items())}},
                          indent=2)
        # 0600: password hashes. Durable: rare writes, and a lost one would undo an account or a password change.
        atomic_write(self.path, text, mode=0o600, durable=True)
        with self._lock:
            self._cache_key = None


_stores: dict[Path, AccountStore] = {}
_stores_lock = threading.Lock()


def store_for(data_dir: Path) -> AccountStore:
    """One store per data directory, so its parsed-file cache is shared."""
    key = Path(data_dir).resolve()
    with _stores_lock:
        if key not in _stores:
            _stores[key] = AccountStore(key)
        return _stores[key]
