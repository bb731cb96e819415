"""The app's database for tests: on both engines (`any_db`), or the default SQLite file of a data directory.

- `db_url` / `any_db`: parametrized over SQLite and PostgreSQL, so a store's tests run on both (PostgreSQL needs
  the server tests/support/postgres.py starts; without its binaries those runs are skipped with a reason).
- `data_dir_db(data_dir)`: the migrated database a data directory's app uses by default, shared by every call for
  that directory within a test and closed after it (import `close_test_databases` into the conftest using it).
- `StoreKit`: a Database with its WriteBehind, as the runtime builds them for the stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.core.audit import AuditLog
from services.core.db import Database, database_url
from services.core.db.writer import WriteBehind

_open: dict[Path, StoreKit] = {}


@dataclass
class StoreKit:
    db: Database
    writer: WriteBehind

    def close(self) -> None:
        self.writer.close()
        self.db.close()


def open_kit(url: str) -> StoreKit:
    db = Database(url)
    db.upgrade()
    return StoreKit(db, WriteBehind(db))


def data_dir_kit(data_dir: Path) -> StoreKit:
    key = Path(data_dir).resolve()
    if key not in _open:
        _open[key] = open_kit(database_url(None, key))
    return _open[key]


def data_dir_db(data_dir: Path) -> Database:
    return data_dir_kit(data_dir).db


def audit_log(data_dir: Path) -> AuditLog:
    kit = data_dir_kit(data_dir)
    return AuditLog(kit.db, kit.writer)


def close_all() -> None:
    while _open:
        _, kit = _open.popitem()
        kit.close()


@pytest.fixture(autouse=True)
def close_test_databases() -> Iterator[None]:
    yield
    close_all()


@pytest.fixture(params=['sqlite', 'postgresql'])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == 'sqlite':
        return database_url(None, tmp_path)
    return str(request.getfixturevalue('postgres_url'))


@pytest.fixture
def any_kit(db_url: str) -> Iterator[StoreKit]:
    kit = open_kit(db_url)
    try:
        yield kit
    finally:
        kit.close()
