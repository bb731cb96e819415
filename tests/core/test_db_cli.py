"""`python main.py db upgrade|current` (services/cli/db.py:run)."""

from __future__ import annotations

import io
from pathlib import Path

from services.cli.db import EXIT_CONFIG, EXIT_UNAVAILABLE, run
from tests.core.test_db import HEAD  # the newest revision: one place to change when a migration is added
from tests.support.postgres import free_port


def _run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err, env=env or {})
    return code, out.getvalue(), err.getvalue()


def test_current_upgrade_current(tmp_path: Path) -> None:
    code, out, _ = _run('--data-dir', str(tmp_path), 'current')
    assert code == 0 and 'empty (no schema yet); run: python main.py db upgrade' in out
    code, out, _ = _run('--data-dir', str(tmp_path), 'upgrade')
    assert code == 0 and f'from an empty database to revision {HEAD}' in out and 'studio.sqlite3' in out
    code, out, _ = _run('--data-dir', str(tmp_path), 'upgrade')
    assert code == 0 and f'at revision {HEAD} already, the newest' in out
    code, out, _ = _run('--data-dir', str(tmp_path), 'current')
    assert code == 0 and f'at revision {HEAD}, the newest' in out


def test_url_from_the_environment(tmp_path: Path) -> None:
    env = {'STUDIO_DATABASE_URL': f'sqlite:///{tmp_path}/elsewhere.sqlite3'}
    code, out, _ = _run('--data-dir', str(tmp_path / 'unused'), 'upgrade', env=env)
    assert code == 0 and 'elsewhere.sqlite3' in out
    assert (tmp_path / 'elsewhere.sqlite3').is_file() and not (tmp_path / 'unused').exists()


def test_bad_url_is_a_configuration_error(tmp_path: Path) -> None:
    code, _, err = _run('--data-dir', str(tmp_path), 'current',
                        env={'STUDIO_DATABASE_URL': 'mysql://root:hunter22@db/x'})
    assert code == EXIT_CONFIG and 'STUDIO_DATABASE_URL' in err and 'hunter22' not in err


def test_unreachable_server_is_reported_without_the_password(tmp_path: Path) -> None:
    url = f'postgresql+psycopg://studio:hunter22-pw@127.0.0.1:{free_port()}/studio'  # nothing listens there
    code, out, err = _run('--data-dir', str(tmp_path), 'upgrade', env={'STUDIO_DATABASE_URL': url})
    assert code == EXIT_UNAVAILABLE
    assert 'Database unavailable' in err and 'studio:***@127.0.0.1' in err
    assert 'hunter22-pw' not in out + err


def test_usage_errors(tmp_path: Path) -> None:
    assert _run()[0] == 2
    assert _run('downgrade')[0] == 2
    assert _run('--help')[0] == 0
