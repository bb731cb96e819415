"""What `python main.py WORD ...` does: the table of commands, and the answer to a word that is not one of them.

`python main.py` with nothing after it starts the web app; a known command runs that command; anything else
(a typo such as `user add`, a flag such as `--port`) prints what is accepted and exits non-zero, instead of
quietly starting a web server nobody asked for.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from services.cli.cards import run as run_export_cards
from services.cli.db import run as run_db_cli
from services.cli.users import run as run_users_cli

Command = Callable[[list[str]], int]

COMMANDS: Mapping[str, tuple[Command, str]] = {
    'users': (run_users_cli, 'manage tool accounts (add, remove, list, passwd, admin)'),
    'db': (run_db_cli, 'migrate the database (upgrade) or show its revision (current)'),
    'export-cards': (run_export_cards, 'write every custom agent of the key as PNG and JSON character cards'),
}
HELP_WORDS = ('-h', '--help', 'help')
EXIT_UNKNOWN = 2  # the exit code argparse uses for a bad command line


def usage() -> str:
    rows = [('(none)', 'start the web app'), *((name, about) for name, (_, about) in COMMANDS.items())]
    width = max(len(name) for name, _ in rows)
    return '\n'.join(['usage: python main.py [COMMAND ...]', '', 'commands:',
                      *(f'  {name.ljust(width)}  {about}' for name, about in rows), '',
                      'Run "python main.py COMMAND --help" for the options of a command.'])


def dispatch(argv: Sequence[str], *, out: TextIO | None = None, err: TextIO | None = None) -> int | None:
    """Run the command `argv` names and return its exit code; None when there is none and the app should start."""
    if not argv:
        return None
    word, rest = argv[0], list(argv[1:])
    if word in COMMANDS:
        return COMMANDS[word][0](rest)
    if word in HELP_WORDS:
        print(usage(), file=out or sys.stdout)
        return 0
    print(f'python main.py: unknown command {word!r}\n\n{usage()}', file=err or sys.stderr)
    return EXIT_UNKNOWN
