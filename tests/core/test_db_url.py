"""STUDIO_DATABASE_URL: what is accepted, what it becomes, and that a refusal names the variable, never a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.core.db import DatabaseUrlError, database_url, safe_url
from services.core.db.url import password_of

PASSWORD = 's3cr3t-p@ss/word'
QUOTED = 's3cr3t-p%40ss%2Fword'


@pytest.mark.parametrize('value', [None, '', '   '])
def test_unset_means_the_sqlite_file_in_the_data_dir(value: str | None, tmp_path: Path) -> None:
    assert database_url(value, tmp_path / 'data') == f'sqlite:///{tmp_path}/data/studio.sqlite3'


def test_relative_data_dir_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert database_url(None, 'data') == f'sqlite:///{tmp_path}/data/studio.sqlite3'


@pytest.mark.parametrize(('value', 'expected'), [
    ('sqlite:////var/lib/studio/db.sqlite3', 'sqlite:////var/lib/studio/db.sqlite3'),
    ('sqlite+pysqlite:////var/lib/studio/db.sqlite3', 'sqlite:////var/lib/studio/db.sqlite3'),
    ('sqlite:///relative/db.sqlite3', 'sqlite:///relative/db.sqlite3'),
    (f'postgresql+psycopg://studio:{QUOTED}@db.internal:5432/studio',
     f'postgresql+psycopg://studio:{QUOTED}@db.internal:5432/studio'),
    ('postgresql+psycopg://studio@db.internal/studio?sslmode=require',
     'postgresql+psycopg://studio@db.internal/studio?sslmode=require'),
    # Accepted as given in guides, served by psycopg; asyncpg's `ssl` is libpq's `sslmode`.
    (f'postgresql+asyncpg://studio:{QUOTED}@db.internal:5432/studio',
     f'postgresql+psycopg://studio:{QUOTED}@db.internal:5432/studio'),
    ('postgresql+asyncpg://studio@db.internal/studio?ssl=require',
     'postgresql+psycopg://studio@db.internal/studio?sslmode=require'),
    ('  postgresql+psycopg://studio@db.internal/studio  ', 'postgresql+psycopg://studio@db.internal/studio'),
])
def test_accepted_urls(value: str, expected: str, tmp_path: Path) -> None:
    assert database_url(value, tmp_path) == expected


@pytest.mark.parametrize(('value', 'says'), [
    (f'mysql://root:{QUOTED}@db/studio', 'must be sqlite:///PATH'),
    (f'postgresql://studio:{QUOTED}@db/studio', 'postgresql+psycopg://, the driver the app installs'),
    (f'postgres://studio:{QUOTED}@db/studio', 'postgresql+psycopg://'),
    (f'postgresql+psycopg2://studio:{QUOTED}@db/studio', 'postgresql+psycopg://'),
    (f'postgresql+psycopg://studio:{QUOTED}@db.internal', 'must name the database'),
    (f'postgresql+psycopg://studio:{QUOTED}@/studio', 'must name the PostgreSQL server'),
    ('postgresql+asyncpg://studio@db/studio?ssl=sometimes', "ssl='sometimes'"),
    ('sqlite://', 'not an in-memory database'),
    ('sqlite:///:memory:', 'not an in-memory database'),
    ('sqlite:///file:x?mode=memory&uri=true', 'not an in-memory database'),
    (f'sqlite://user:{QUOTED}@host/db.sqlite3', 'no user, password or host'),
    (f'not a url {PASSWORD}', 'is not a URL'),
    (f'://:{PASSWORD}@', 'is not a URL'),
])
def test_refused_urls_name_the_variable_and_hide_the_password(value: str, says: str, tmp_path: Path) -> None:
    with pytest.raises(DatabaseUrlError) as raised:
        database_url(value, tmp_path)
    message = str(raised.value)
    assert message.startswith('STUDIO_DATABASE_URL')
    assert says in message
    assert PASSWORD not in message and QUOTED not in message


def test_safe_url_masks_the_password() -> None:
    url = f'postgresql+psycopg://studio:{QUOTED}@db.internal:5432/studio'
    assert safe_url(url) == 'postgresql+psycopg://studio:***@db.internal:5432/studio'
    assert password_of(url) == PASSWORD
    assert safe_url('sqlite:////data/studio.sqlite3') == 'sqlite:////data/studio.sqlite3'
