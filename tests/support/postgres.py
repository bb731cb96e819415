"""A real PostgreSQL server for the tests, started from Debian's binaries in a temporary directory.

`postgres_server` (session-scoped) starts one server for the whole run; `postgres_url` gives each test a fresh,
empty database on it; `start_postgres()` starts a private one a test may stop and start again.

How it runs: `initdb` into a temporary directory, then `pg_ctl start` with the server listening on a free
loopback port only, its Unix socket in that same directory (never /var/run/postgresql, which needs a system
install), fsync off (test data need not survive a power cut). PostgreSQL refuses to run as root, and CI runs as
root: then the directory is given to the `postgres` user Debian's package creates and every binary runs as that
user through `runuser`. As any other user it simply runs as that user. The app connects over TCP with a password
(scram-sha-256), as it would to a real server.

Binaries are looked up in STUDIO_POSTGRES_BIN (only there, when set), else /usr/lib/postgresql/<newest>/bin, then
PATH. Without them the
tests that need a server are skipped with a reason, unless STUDIO_REQUIRE_POSTGRES=1 (CI), where that is a failure.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

INSTALL_HINT = 'install PostgreSQL with: sudo apt-get install -y postgresql'
SUPERUSER = 'postgres'
REQUIRE = 'STUDIO_REQUIRE_POSTGRES'


class PostgresMissing(RuntimeError):
    """No PostgreSQL binaries here, or no way to run them; the message says how to install them."""


def find_bin_dir() -> Path:
    configured = os.environ.get('STUDIO_POSTGRES_BIN', '').strip()
    if configured:  # an explicit choice is the only one tried
        if (Path(configured) / 'initdb').is_file() and (Path(configured) / 'pg_ctl').is_file():
            return Path(configured)
        raise PostgresMissing(f'STUDIO_POSTGRES_BIN={configured} holds no initdb and pg_ctl')
    candidates = []
    debian = Path('/usr/lib/postgresql')
    if debian.is_dir():
        versions = [p for p in debian.iterdir() if p.name.isdigit()]
        candidates += [p / 'bin' for p in sorted(versions, key=lambda p: int(p.name), reverse=True)]
    on_path = shutil.which('pg_ctl')
    if on_path:
        candidates.append(Path(on_path).parent)
    for candidate in candidates:
        if (candidate / 'initdb').is_file() and (candidate / 'pg_ctl').is_file():
            return candidate
    raise PostgresMissing(f'PostgreSQL binaries (initdb, pg_ctl) not found; {INSTALL_HINT}')


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path  # owned by the user the server runs as; holds data/, the socket, the log and the password file
    port: int = 0
    password: str = field(default_factory=lambda: 'pw-' + secrets.token_hex(12), repr=False)
    run_as: str | None = None  # 'postgres' when this process is root
    _databases: int = 0

    @property
    def data_dir(self) -> Path:
        return self.root / 'data'

    @property
    def log_file(self) -> Path:
        return self.root / 'server.log'

    def url(self, database: str = 'postgres') -> str:
        return f'postgresql+psycopg://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}'

    def _run(self, *argv: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / argv[0]), *argv[1:]]
        if self.run_as:
            command = ['runuser', '-u', self.run_as, '--', *command]
        # cwd: the server's user may not be allowed into the test's working directory.
        result = subprocess.run(command, cwd=self.root, capture_output=True, text=True, timeout=timeout,
                                env={**os.environ, 'LC_ALL': 'C', 'PGTZ': 'UTC'}, check=False)
        if check and result.returncode != 0:
            log = self.log_file.read_text(errors='replace')[-3000:] if self.log_file.exists() else ''
            raise RuntimeError(f'{" ".join(argv[:2])} failed ({result.returncode}): {result.stderr.strip()}\n{log}')
        return result

    def init(self) -> None:
        password_file = self.root / 'password'
        password_file.write_text(self.password + '\n')
        self._own(password_file)
        self._run('initdb', '-D', str(self.data_dir), '-U', SUPERUSER, '--pwfile', str(password_file),
                  '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C',
                  '--no-sync')
        password_file.unlink()
        settings = {
            'listen_addresses': "'127.0.0.1'",
            'unix_socket_directories': f"'{self.root}'",
            'fsync': 'off', 'synchronous_commit': 'off', 'full_page_writes': 'off',
            'max_connections': '100', 'shared_buffers': '32MB',
            'log_min_messages': 'warning', 'logging_collector': 'off',
        }
        with (self.data_dir / 'postgresql.conf').open('a') as conf:
            conf.write('\n# tests/support/postgres.py\n')
            conf.writelines(f'{name} = {value}\n' for name, value in settings.items())

    def start(self) -> None:
        """Start (or start again) on `self.port`, choosing a free one the first time; returns once it accepts."""
        for attempt in range(3):
            if not self.port or attempt:
                self.port = free_port()
            result = self._run('pg_ctl', '-D', str(self.data_dir), '-l', str(self.log_file), '-o',
                               f'-p {self.port}', '-w', '-t', '60', 'start', check=False, timeout=90)
            if result.returncode == 0:
                return
            if attempt == 2 or 'could not bind' not in self.log_file.read_text(errors='replace'):
                raise RuntimeError(f'pg_ctl start failed: {result.stderr.strip()}\n'
                                   f'{self.log_file.read_text(errors="replace")[-3000:]}')

    def stop(self) -> None:
        """Stop at once (fast shutdown: open connections are cut, as when a server goes down)."""
        self._run('pg_ctl', '-D', str(self.data_dir), '-m', 'fast', '-w', '-t', '60', 'stop', check=False)

    def is_running(self) -> bool:
        return self._run('pg_ctl', '-D', str(self.data_dir), 'status', check=False).returncode == 0

    def create_database(self, prefix: str = 'test') -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        self._databases += 1
        name = f'{prefix}_{os.getpid()}_{self._databases}'
        with psycopg.connect(host='127.0.0.1', port=self.port, user=SUPERUSER, password=self.password,
                             dbname='postgres', autocommit=True, connect_timeout=10) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _own(self, path: Path) -> None:
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def cleanup(self) -> None:
        if self.data_dir.exists() and self.is_running():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Initialise and start a server of its own in a new temporary directory; `cleanup()` stops and removes it."""
    bin_dir = find_bin_dir()
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise PostgresMissing(f'running as root, PostgreSQL needs the "{SUPERUSER}" user Debian\'s package '
                                  f'creates, and there is none; {INSTALL_HINT}') from None
        if not shutil.which('runuser'):
            raise PostgresMissing('running as root, PostgreSQL must run as another user, and runuser is missing')
        run_as = SUPERUSER
    # Not under pytest's tmp_path: that is private to this user (0700), and the server's user must get in.
    root = Path(tempfile.mkdtemp(prefix='studio-pg-'))
    server = PostgresServer(bin_dir=bin_dir, root=root, run_as=run_as)
    try:
        server._own(root)
        server.init()
        server.start()
    except BaseException:
        server.cleanup()
        raise
    return server


def skip_or_fail(reason: str) -> None:
    if os.environ.get(REQUIRE, '').strip() == '1':
        pytest.fail(f'{reason} ({REQUIRE}=1: the PostgreSQL tests must run here)', pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope='session')
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = start_postgres()
    except PostgresMissing as missing:
        skip_or_fail(str(missing))
        raise  # not reached: skip_or_fail raises
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a new, empty database on the shared server (so tests see no tables of each other's)."""
    return postgres_server.create_database()


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    """A server of this test's own, for tests that stop it (the shared one must stay up for the others)."""
    try:
        server = start_postgres()
    except PostgresMissing as missing:
        skip_or_fail(str(missing))
        raise
    try:
        yield server
    finally:
        server.cleanup()
