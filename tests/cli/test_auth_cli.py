"""`python main.py users ...`: accounts stored hashed in the database (a 0600 file on SQLite), managed without a
running server, seen by running servers without a restart."""

from __future__ import annotations

import asyncio
import io
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from services.auth.accounts import AccountError, AccountStore
from services.cli.users import run
from services.core.db import Database, database_url
from services.core.db.notifier import ChangeNotifier
from services.core.db.schema import accounts as accounts_table
from tests.support.databases import data_dir_db

ROOT = Path(__file__).resolve().parents[2]


def cli(data_dir: Path, *args: str, stdin: str = '', prompts: list[str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    answers = iter(prompts or [])
    code = run(['--data-dir', str(data_dir), *args], stdin=io.StringIO(stdin), stdout=out, stderr=err,
               prompt=lambda _: next(answers))
    return code, out.getvalue(), err.getvalue()


def test_add_list_passwd_admin_remove(tmp_path: Path) -> None:
    assert cli(tmp_path, 'add', 'alice', prompts=['s3cret-pass', 's3cret-pass'])[0] == 0
    assert cli(tmp_path, 'add', 'root', '--admin', '--password-stdin', stdin='root-password\n')[0] == 0
    code, out, _ = cli(tmp_path, 'list')
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()] == [['alice', 'user'], ['root', 'admin']]

    store = AccountStore(data_dir_db(tmp_path))
    assert store.verify('alice', 's3cret-pass') is not None
    assert cli(tmp_path, 'passwd', 'alice', '--password-stdin', stdin='another-pass\n')[0] == 0
    assert store.verify('alice', 's3cret-pass') is None
    assert store.verify('alice', 'another-pass') is not None

    assert cli(tmp_path, 'admin', 'alice')[0] == 0
    assert store.get('alice').is_admin  # type: ignore[union-attr]
    assert cli(tmp_path, 'admin', 'alice', '--revoke')[0] == 0
    assert not store.get('alice').is_admin  # type: ignore[union-attr]

    assert cli(tmp_path, 'remove', 'alice')[0] == 0
    assert store.get('alice') is None
    assert store.verify('alice', 'another-pass') is None


def test_the_database_holds_no_password_and_only_its_owner_may_read_the_file(tmp_path: Path) -> None:
    cli(tmp_path, 'add', 'alice', '--password-stdin', stdin='plain-text-password\n')
    path = tmp_path / 'studio.sqlite3'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b'plain-text-password' not in b''.join(p.read_bytes() for p in tmp_path.glob('studio.sqlite3*'))

    def records() -> dict[str, dict[str, object]]:
        rows = data_dir_db(tmp_path).read_sync(lambda c: c.execute(select(accounts_table)).mappings().all())
        return {row['name']: dict(row) for row in rows}

    assert set(records()['alice']) >= {'salt', 'digest', 'scrypt_n', 'scrypt_r', 'scrypt_p', 'is_admin'}
    # A per-user salt: the same password hashes differently for another name.
    cli(tmp_path, 'add', 'bob', '--password-stdin', stdin='plain-text-password\n')
    stored = records()
    assert stored['alice']['digest'] != stored['bob']['digest']
    assert stored['alice']['salt'] != stored['bob']['salt']


def test_accounts_json_of_an_older_version_is_imported_once(tmp_path: Path) -> None:
    legacy = AccountStore(data_dir_db(tmp_path / 'old'))
    legacy.add('alice', 'from-the-old-file')
    record = legacy.db.read_sync(lambda c: c.execute(select(accounts_table)).mappings().one())
    (tmp_path / 'accounts.json').write_text(json.dumps({'version': 1, 'accounts': {'alice': {
        'salt': record['salt'], 'digest': record['digest'], 'n': record['scrypt_n'], 'r': record['scrypt_r'],
        'p': record['scrypt_p'], 'admin': True, 'created_at': record['created_at']}}}))
    code, out, _ = cli(tmp_path, 'list')
    assert code == 0 and out.split()[:2] == ['alice', 'admin']
    assert not (tmp_path / 'accounts.json').exists() and (tmp_path / 'accounts.json.imported').exists()
    assert AccountStore(data_dir_db(tmp_path)).verify('alice', 'from-the-old-file') is not None


def test_mistakes_are_explained_and_change_nothing(tmp_path: Path) -> None:
    cli(tmp_path, 'add', 'alice', '--password-stdin', stdin='first-password\n')
    store = AccountStore(data_dir_db(tmp_path))
    before = store.list()
    code, _, err = cli(tmp_path, 'add', 'alice', '--password-stdin', stdin='other-password\n')
    assert code == 1 and 'exists already' in err
    code, _, err = cli(tmp_path, 'add', 'bob', '--password-stdin', stdin='short\n')
    assert code == 1 and 'at least 8 characters' in err
    code, _, err = cli(tmp_path, 'add', 'bad name!', '--password-stdin', stdin='long-enough-pw\n')
    assert code == 1 and 'username' in err
    code, _, err = cli(tmp_path, 'add', 'carol', prompts=['one-password', 'another-one'])
    assert code == 1 and 'differ' in err
    code, _, err = cli(tmp_path, 'remove', 'nobody')
    assert code == 1 and 'no account' in err
    code, _, err = cli(tmp_path, 'passwd', 'nobody')
    assert code == 1 and 'no account' in err
    assert store.list() == before
    assert cli(tmp_path, 'frobnicate')[0] == 2


def test_verify_gives_one_answer_for_every_kind_of_wrong(tmp_path: Path) -> None:
    store = AccountStore(data_dir_db(tmp_path))
    store.add('alice', 'the-password')
    assert store.verify('alice', 'the-password') is not None
    assert store.verify('alice', 'wrong-password') is None
    assert store.verify('nobody', 'the-password') is None
    assert store.verify('alice', '') is None
    assert store.verify('bad name!', 'x') is None
    assert store.verify('alice', 'x' * 5000) is None
    with pytest.raises(AccountError):
        store.add('alice', 'x' * 5000)


async def test_another_process_sees_changes_without_a_restart(tmp_path: Path) -> None:
    # As a running server holds it: a snapshot for the event loop, kept current by the change notifier.
    db = Database(database_url(None, tmp_path))
    db.upgrade()
    server_view = AccountStore(db, snapshot=True, origin='server')
    notifier = ChangeNotifier(db, origin='server')
    heard = asyncio.Event()

    async def reload(_: object) -> None:
        await server_view.refresh()
        heard.set()

    notifier.subscribe('accounts', reload)
    await notifier.start()
    try:
        assert server_view.get('alice') is None
        result = await asyncio.to_thread(
            subprocess.run, [sys.executable, 'main.py', 'users', '--data-dir', str(tmp_path), 'add', 'alice',
                             '--password-stdin'], input='typed-in-a-script\n', cwd=ROOT, capture_output=True,
            text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert 'Added alice' in result.stdout
        assert 'typed-in-a-script' not in result.stdout + result.stderr
        assert await asyncio.to_thread(server_view.verify, 'alice', 'typed-in-a-script') is not None
        await asyncio.wait_for(heard.wait(), 1.0)  # within a second, without a restart
        assert server_view.get('alice') is not None
    finally:
        await notifier.stop()
        db.close()


def test_an_unreachable_database_is_reported_and_changes_nothing(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.postgres import free_port

    monkeypatch.setenv('STUDIO_DATABASE_URL', f'postgresql+psycopg://studio:pw-hunter22@127.0.0.1:{free_port()}/x')
    code, _, err = cli(tmp_path, 'add', 'alice', '--password-stdin', stdin='long-enough-pw\n')
    assert code == 13 and 'Database unavailable' in err and 'pw-hunter22' not in err
