"""`python main.py users ...`: accounts stored hashed, 0600, managed without a running server."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from services.auth.accounts import AccountError, AccountStore
from services.cli.users import run

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

    store = AccountStore(tmp_path)
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


def test_the_file_holds_no_password_and_only_its_owner_may_read_it(tmp_path: Path) -> None:
    cli(tmp_path, 'add', 'alice', '--password-stdin', stdin='plain-text-password\n')
    path = tmp_path / 'accounts.json'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert 'plain-text-password' not in text
    record = json.loads(text)['accounts']['alice']
    assert set(record) >= {'salt', 'digest', 'n', 'r', 'p', 'admin'}
    # A per-user salt: the same password hashes differently for another name.
    cli(tmp_path, 'add', 'bob', '--password-stdin', stdin='plain-text-password\n')
    records = json.loads(path.read_text())['accounts']
    assert records['alice']['digest'] != records['bob']['digest']
    assert records['alice']['salt'] != records['bob']['salt']


def test_mistakes_are_explained_and_change_nothing(tmp_path: Path) -> None:
    cli(tmp_path, 'add', 'alice', '--password-stdin', stdin='first-password\n')
    before = (tmp_path / 'accounts.json').read_bytes()
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
    assert (tmp_path / 'accounts.json').read_bytes() == before
    assert cli(tmp_path, 'frobnicate')[0] == 2


def test_verify_gives_one_answer_for_every_kind_of_wrong(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    store.add('alice', 'the-password')
    assert store.verify('alice', 'the-password') is not None
    assert store.verify('alice', 'wrong-password') is None
    assert store.verify('nobody', 'the-password') is None
    assert store.verify('alice', '') is None
    assert store.verify('bad name!', 'x') is None
    assert store.verify('alice', 'x' * 5000) is None
    with pytest.raises(AccountError):
        store.add('alice', 'x' * 5000)


def test_another_process_sees_changes_without_a_restart(tmp_path: Path) -> None:
    server_view = AccountStore(tmp_path)  # as a running server holds it
    assert server_view.get('alice') is None
    result = subprocess.run([sys.executable, 'main.py', 'users', '--data-dir', str(tmp_path), 'add', 'alice',
                             '--password-stdin'], input='typed-in-a-script\n', cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert 'Added alice' in result.stdout
    assert 'typed-in-a-script' not in result.stdout + result.stderr
    assert server_view.verify('alice', 'typed-in-a-script') is not None
