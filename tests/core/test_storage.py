"""The shared storage helpers: whole-file atomic writes and the app's SQLite connections."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from services.core import storage
from services.core.storage import atomic_write, open_sqlite


def test_atomic_write_replaces_the_whole_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / 'draft.json'
    target.write_text('old and rather longer content')
    atomic_write(target, '{"name": "Ada"}')
    assert target.read_text() == '{"name": "Ada"}'
    atomic_write(target, b'\x89PNG')
    assert target.read_bytes() == b'\x89PNG'
    assert [p.name for p in tmp_path.iterdir()] == ['draft.json']


def test_text_is_written_as_utf8(tmp_path: Path) -> None:
    atomic_write(tmp_path / 'x.json', '日本語 é')
    assert (tmp_path / 'x.json').read_bytes() == '日本語 é'.encode()


def test_files_are_private_by_default_and_a_given_mode_is_applied(tmp_path: Path) -> None:
    atomic_write(tmp_path / 'private', 'x')
    assert stat.S_IMODE((tmp_path / 'private').stat().st_mode) == 0o600
    atomic_write(tmp_path / 'shared', 'x', mode=0o640)
    assert stat.S_IMODE((tmp_path / 'shared').stat().st_mode) == 0o640


def test_a_secret_is_never_readable_by_others_even_while_it_is_written(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real_fdopen = os.fdopen

    def spying_fdopen(fd: int, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))  # the mode at the moment the first byte would go in
        return real_fdopen(fd, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(storage.os, 'fdopen', spying_fdopen)
    atomic_write(tmp_path / 'secret', 's3cret', mode=0o600)
    assert seen == [0o600]


def test_durable_writes_fsync_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(storage.os, 'fsync', lambda fd: (events.append('fsync'), real_fsync(fd))[1])
    monkeypatch.setattr(storage.os, 'replace', lambda a, b: (events.append('replace'), real_replace(a, b))[1])
    atomic_write(tmp_path / 'accounts.json', '{}', durable=True)
    assert events == ['fsync', 'replace']
    events.clear()
    atomic_write(tmp_path / 'draft.json', '{}')
    assert events == ['replace']  # drafts are saved on every change, from the event loop: no fsync there


def test_a_failed_write_keeps_the_old_file_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / 'draft.json'
    target.write_text('old')

    def broken_replace(src: str, dst: str) -> None:
        raise OSError('disk full')

    monkeypatch.setattr(storage.os, 'replace', broken_replace)
    with pytest.raises(OSError, match='disk full'):
        atomic_write(target, 'new')
    assert target.read_text() == 'old'
    assert [p.name for p in tmp_path.iterdir()] == ['draft.json']


def test_an_exclusive_write_never_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / 'storage-secret'
    atomic_write(target, 'first', exclusive=True)
    with pytest.raises(FileExistsError):
        atomic_write(target, 'second', exclusive=True)
    assert target.read_text() == 'first'
    assert [p.name for p in tmp_path.iterdir()] == ['storage-secret']


def test_open_sqlite_creates_the_folder_and_sets_wal_and_normal_sync(tmp_path: Path) -> None:
    db = open_sqlite(tmp_path / 'nested' / 'jobs.sqlite3')
    try:
        assert db.execute('PRAGMA journal_mode').fetchone()[0] == 'wal'
        assert db.execute('PRAGMA synchronous').fetchone()[0] == 1  # NORMAL
        assert db.isolation_level is None
        db.execute('CREATE TABLE t (x)')
        db.execute('INSERT INTO t VALUES (1)')
        # Autocommit: a second connection sees the row without anyone calling commit().
        other = open_sqlite(tmp_path / 'nested' / 'jobs.sqlite3')
        assert other.execute('SELECT x FROM t').fetchall() == [(1,)]
        other.close()
        # check_same_thread=False: the stores use one connection from several threads, under their own lock.
        rows: list[object] = []
        worker = threading.Thread(target=lambda: rows.extend(db.execute('SELECT x FROM t').fetchall()))
        worker.start()
        worker.join()
        assert rows == [(1,)]
    finally:
        db.close()


@pytest.mark.parametrize(('name', 'expected'), [
    ('account-alice', 'account-alice'),
    ('byok-0123abcd-ada.l_x', 'byok-0123abcd-ada.l_x'),
    ('a/b\\c d:é', 'a_b_c_d__'),
    ('', '_'),
    ('.', '_'),
    ('..', '_.'),
    ('.hidden', '_hidden'),
    ('x' * 300, 'x' * 120),
])
def test_safe_filename_keeps_a_name_inside_its_folder(name: str, expected: str) -> None:
    assert storage.safe_filename(name) == expected
    assert (Path('/root') / storage.safe_filename(name)).parent == Path('/root')
