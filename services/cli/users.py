"""`python main.py users ...`: manage tool accounts from the command line.

Passwords are read with getpass (never echoed, never an argument, so never in shell history or `ps`), or one
line from standard input with --password-stdin for scripts.

Accounts live in the app's database (STUDIO_DATABASE_URL, or the SQLite file in the data directory), which is
migrated first, so the command works before the server ever started; running servers see each change within a
second. Exit codes: 0 done, 1 refused (the message says why), 2 bad arguments or configuration, 13 database
unavailable, 130 cancelled.
"""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from services.auth.accounts import AccountError, AccountStore
from services.core.db import Database, DatabaseUnavailable, DatabaseUrlError, database_url
from services.core.settings import SettingsError, get_settings

EXIT_UNAVAILABLE = 13


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python main.py users', description='Manage Agent Studio tool accounts.')
    parser.add_argument('--data-dir', type=Path,
                        help='data directory holding the default SQLite file (default: STUDIO_DATA_DIR or ./data)')
    commands = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')

    add = commands.add_parser('add', help='create an account (asks for the password)')
    add.add_argument('name')
    add.add_argument('--admin', action='store_true', help='may open the audit log')
    add.add_argument('--password-stdin', action='store_true', help='read the password from standard input')

    remove = commands.add_parser('remove', help='delete an account (its open sessions end at their next request)')
    remove.add_argument('name')

    commands.add_parser('list', help='list accounts')

    passwd = commands.add_parser('passwd', help='set a new password (its open sessions end)')
    passwd.add_argument('name')
    passwd.add_argument('--password-stdin', action='store_true', help='read the password from standard input')

    admin = commands.add_parser('admin', help='grant or revoke the admin flag')
    admin.add_argument('name')
    admin.add_argument('--revoke', action='store_true')
    return parser


def _read_password(from_stdin: bool, stdin: TextIO, prompt: Callable[[str], str]) -> str:
    if from_stdin:
        return stdin.readline().rstrip('\r\n')
    first = prompt('Password: ')
    second = prompt('Repeat password: ')
    if first != second:
        raise AccountError('The two passwords differ; nothing was changed.')
    return first


def run(argv: list[str], *, stdin: TextIO | None = None, stdout: TextIO | None = None,
        stderr: TextIO | None = None, prompt: Callable[[str], str] = getpass.getpass) -> int:
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has already printed the usage
        return int(exit_.code or 0)
    try:
        data_dir = args.data_dir or get_settings().data_dir
        url = database_url(os.environ.get('STUDIO_DATABASE_URL'), data_dir)
    except (SettingsError, DatabaseUrlError) as error:
        print(f'Configuration error: {error}', file=stderr)
        return 2
    database = Database(url, pool_size=1)
    try:
        database.upgrade()
        store = AccountStore(database, origin=f'cli:{socket.gethostname()}:{os.getpid()}')
        store.import_legacy(data_dir)
        return _command(args, store, stdin, stdout, prompt)
    except AccountError as error:
        print(f'Error: {error}', file=stderr)
        return 1
    except DatabaseUnavailable as error:
        print(f'Database unavailable, nothing was changed: {error}', file=stderr)
        return EXIT_UNAVAILABLE
    except (EOFError, KeyboardInterrupt):
        print('\nCancelled; nothing was changed.', file=stderr)
        return 130
    finally:
        database.close()


def _command(args: argparse.Namespace, store: AccountStore, stdin: TextIO, stdout: TextIO,
             prompt: Callable[[str], str]) -> int:
    if args.command == 'add':
        account = store.add(args.name, _read_password(args.password_stdin, stdin, prompt), admin=args.admin)
        print(f'Added {account.name}{" (admin)" if account.is_admin else ""}.', file=stdout)
    elif args.command == 'remove':
        store.remove(args.name)
        print(f'Removed {args.name}.', file=stdout)
    elif args.command == 'passwd':
        if store.get(args.name) is None:  # ask before prompting, not after two passwords were typed
            raise AccountError(f'There is no account named {args.name!r}.')
        store.set_password(args.name, _read_password(args.password_stdin, stdin, prompt))
        print(f'Changed the password of {args.name}.', file=stdout)
    elif args.command == 'admin':
        account = store.set_admin(args.name, not args.revoke)
        print(f'{account.name} is {"now" if account.is_admin else "no longer"} an admin.', file=stdout)
    else:
        accounts = store.list()
        if not accounts:
            print(f'No accounts yet (in {store.db.display_url}). Add one with: python main.py users add NAME',
                  file=stdout)
        for account in accounts:
            created = datetime.fromtimestamp(account.created_at, UTC).strftime('%Y-%m-%d')
            print(f'{account.name:<32} {"admin" if account.is_admin else "user":<6} created {created}',
                  file=stdout)
    return 0
