"""`python main.py WORD`: a word that is no command prints the commands and exits non-zero, never starts the app."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from services.cli.commands import COMMANDS, EXIT_UNKNOWN, dispatch
from tests.support.app_process import ROOT, clean_env


@pytest.mark.parametrize('argv', [['serve'], ['user', 'add', 'alice'], ['--port', '9000'], ['run']])
def test_an_unknown_word_prints_the_commands_and_fails(argv: list[str]) -> None:
    err = io.StringIO()
    assert dispatch(argv, err=err) == EXIT_UNKNOWN
    text = err.getvalue()
    assert f'unknown command {argv[0]!r}' in text
    assert all(name in text for name in COMMANDS)


def test_help_prints_the_commands_and_succeeds() -> None:
    out = io.StringIO()
    assert dispatch(['--help'], out=out) == 0
    assert 'start the web app' in out.getvalue() and 'users' in out.getvalue()


def test_no_word_means_start_the_app() -> None:
    assert dispatch([]) is None


def test_the_real_program_refuses_an_unknown_word_without_starting_a_server(tmp_path: Path) -> None:
    # A server would not exit by itself: the timeout would fire instead of a quick exit code.
    result = subprocess.run([sys.executable, 'main.py', 'serve'], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=False, env=clean_env({'STUDIO_DATA_DIR': str(tmp_path)}))
    assert result.returncode == EXIT_UNKNOWN
    assert "unknown command 'serve'" in result.stderr and 'users' in result.stderr
    assert not (tmp_path / 'app.sqlite3').exists() and not any(tmp_path.iterdir())
