"""`python main.py db upgrade|current`: migrate the database, or say which revision it is at.

The database is the app's own: STUDIO_DATABASE_URL, or the SQLite file in the data directory. There is no flag
for the URL on purpose, since a password on a command line ends up in shell history and `ps`.

Exit codes: 0 done (`current`: also when the database is behind, which the output says), 2 bad arguments,
3 configuration, 13 database unavailable, 1 anything else.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from alembic.util import CommandError

from services.core.db import Database, DatabaseUnavailable, DatabaseUrlError, database_url
from services.core.settings import SettingsError, get_settings

EXIT_CONFIG = 3
EXIT_UNAVAILABLE = 13


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python main.py db', description='Agent Studio database schema.')
    parser.add_argument('--data-dir', type=Path,
                        help='data directory holding the default SQLite file (default: STUDIO_DATA_DIR or ./data)')
    commands = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    commands.add_parser('upgrade', help='migrate the database to the newest schema (what start-up does)')
    commands.add_parser('current', help="show the database's schema revision and whether it is the newest")
    return parser


def run(argv: list[str], *, stdout: TextIO | None = None, stderr: TextIO | None = None,
        env: Mapping[str, str] | None = None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    env = os.environ if env is None else env
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse has already printed the usage or the help
        return int(exit_.code or 0)
    try:
        data_dir = args.data_dir or get_settings().data_dir
        url = database_url(env.get('STUDIO_DATABASE_URL'), data_dir)
    except (SettingsError, DatabaseUrlError) as error:
        print(f'Configuration error: {error}', file=stderr)
        return EXIT_CONFIG
    database = Database(url)
    try:
        head = database.head()
        if args.command == 'upgrade':
            before = database.current()
            after = database.upgrade()
            if before == after:
                print(f'{database.display_url} is at revision {after} already, the newest.', file=stdout)
            else:
                print(f'Upgraded {database.display_url} from {before or "an empty database"} to revision {after}.',
                      file=stdout)
        else:
            current = database.current()
            if current is None:
                state = 'empty (no schema yet); run: python main.py db upgrade'
            elif not database.knows(current):
                state = f'at revision {current}, which this version of the app does not know (a newer one migrated it)'
            elif current == head:
                state = f'at revision {current}, the newest'
            else:
                state = f'at revision {current}; the newest is {head} (run: python main.py db upgrade)'
            print(f'{database.display_url} is {state}.', file=stdout)
    except DatabaseUnavailable as error:
        print(f'Database unavailable: {error}', file=stderr)
        return EXIT_UNAVAILABLE
    except CommandError as error:  # e.g. a revision this code does not know: a newer version migrated it
        print(f'Error: {error}', file=stderr)
        return 1
    finally:
        database.close()
    return 0
