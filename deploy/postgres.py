"""PostgreSQL for the local deployment: Debian's binaries, a data directory of the deployment's own, loopback only.

`initdb` once (the directory then survives restarts of `make cluster`), `pg_ctl start` on a fixed port with its Unix
socket in that directory, a password over TCP as a real server would want. PostgreSQL refuses to run as root: then
the directory belongs to the `postgres` user Debian's package creates, and every binary runs as that user.
tests/support/postgres.py does the same for throw-away test databases (fsync off, a fresh directory each time).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
from pathlib import Path

SUPERUSER = 'postgres'
DATABASE = 'studio'


def find_bin_dir() -> Path:
    configured = os.environ.get('STUDIO_POSTGRES_BIN', '').strip()
    candidates = [Path(configured)] if configured else []
    debian = Path('/usr/lib/postgresql')
    if not configured and debian.is_dir():
        versions = sorted((p for p in debian.iterdir() if p.name.isdigit()), key=lambda p: int(p.name), reverse=True)
        candidates += [p / 'bin' for p in versions]
    if not configured and (on_path := shutil.which('pg_ctl')):
        candidates.append(Path(on_path).parent)
    for candidate in candidates:
        if (candidate / 'initdb').is_file() and (candidate / 'pg_ctl').is_file():
            return candidate
    raise FileNotFoundError('PostgreSQL binaries (initdb, pg_ctl) not found; on Debian: '
                            'sudo apt-get install -y postgresql')


class LocalPostgres:
    def __init__(self, root: Path, port: int, *, durable: bool = True) -> None:
        self.root = root
        self.port = port
        self.durable = durable  # fsync on for a deployment a person keeps; off for tests
        self.bin_dir = find_bin_dir()
        self.run_as = SUPERUSER if os.geteuid() == 0 else None
        self.password_file = root.parent / f'{root.name}.password'  # outside the server's directory, 0600

    @property
    def data_dir(self) -> Path:
        return self.root / 'data'

    @property
    def log_path(self) -> Path:
        return self.root / 'server.log'

    @property
    def password(self) -> str:
        return self.password_file.read_text().strip()

    def url(self, database: str = DATABASE) -> str:
        return f'postgresql+psycopg://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}'

    def _run(self, *argv: str, check: bool = True, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / argv[0]), *argv[1:]]
        if self.run_as:
            command = ['runuser', '-u', self.run_as, '--', *command]
        result = subprocess.run(command, cwd=self.root, capture_output=True, text=True, timeout=timeout, check=False,
                                env={**os.environ, 'LC_ALL': 'C', 'PGTZ': 'UTC'})
        if check and result.returncode != 0:
            log = self.log_path.read_text(errors='replace')[-3000:] if self.log_path.exists() else ''
            raise RuntimeError(f'{argv[0]} {argv[1] if len(argv) > 1 else ""} failed ({result.returncode}): '
                               f'{result.stderr.strip()}\n{log}')
        return result

    def _own(self, path: Path) -> None:
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def init(self) -> None:
        """Create the cluster and the studio database, unless an earlier run did."""
        if (self.data_dir / 'PG_VERSION').exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self._own(self.root)
        if not self.password_file.exists():
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, 'w') as handle:
                handle.write('pg-' + secrets.token_hex(16) + '\n')
        # initdb reads the password from a file the server's user can read; it is removed straight after.
        handover = self.root / 'initial-password'
        handover.write_text(self.password + '\n')
        self._own(handover)
        try:
            self._run('initdb', '-D', str(self.data_dir), '-U', SUPERUSER, '--pwfile', str(handover),
                      '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C',
                      *([] if self.durable else ['--no-sync']))
        finally:
            handover.unlink(missing_ok=True)
        settings = {
            'listen_addresses': "'127.0.0.1'",
            'unix_socket_directories': f"'{self.root}'",
            # Each instance keeps a small pool (services/core/db); 200 leaves room for a dozen instances and psql.
            'max_connections': '200',
            'shared_buffers': '64MB',
            'logging_collector': 'off',
            **({} if self.durable else {'fsync': 'off', 'synchronous_commit': 'off', 'full_page_writes': 'off'}),
        }
        with (self.data_dir / 'postgresql.conf').open('a') as conf:
            conf.write('\n# deploy/postgres.py\n')
            conf.writelines(f'{name} = {value}\n' for name, value in settings.items())
        self.start()
        self._run('psql', '-h', str(self.root), '-p', str(self.port), '-U', SUPERUSER, '-d', 'postgres', '-q',
                  '-c', f'CREATE DATABASE {DATABASE}')

    def start(self) -> None:
        if self.is_running():
            return
        self._run('pg_ctl', '-D', str(self.data_dir), '-l', str(self.log_path), '-o', f'-p {self.port}',
                  '-w', '-t', '60', 'start')

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, as when a database server goes down."""
        if self.data_dir.exists():
            self._run('pg_ctl', '-D', str(self.data_dir), '-m', 'fast', '-w', '-t', '60', 'stop', check=False)

    def is_running(self) -> bool:
        if not self.data_dir.exists():
            return False
        return self._run('pg_ctl', '-D', str(self.data_dir), 'status', check=False).returncode == 0
