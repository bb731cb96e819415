"""`Database`: the one connection pool of a process, over SQLite or PostgreSQL, used from worker threads.

Why SQLAlchemy Core and Alembic: a well-kept library with one code path for both databases (the same `Table`s,
the same statements, dialect differences handled by the library), and real, versioned migrations instead of
`CREATE TABLE IF NOT EXISTS` strings scattered over the stores.

Why the synchronous engine on a private thread pool rather than SQLAlchemy's async engine:
- SQLite, the default, has no asynchronous driver; aiosqlite is a thread per connection in disguise, so "async"
  would only add a layer, a dependency and its own failure modes to the case every developer and test runs.
- One driver per database (the standard library's sqlite3, psycopg 3) and one code path for the app, the
  `python main.py db` command and Alembic (which is synchronous), instead of async code for pages and sync code
  for everything else.
- Stores are also called from threads that are not the event loop (sessions end from sweeps, the CLI has no
  loop); `run_sync` serves them with the same functions.
The cost is a thread hop per transaction (tens of microseconds), small beside a commit. The pool has a connection
for each of its threads (plus two for the blocking callers on other threads), so work queues in the executor, never
inside the pool's checkout, and the loop's default executor (image decoding, NiceGUI's io_bound) is never starved
by the database, nor the database by it.

Transactions are functions: `await db.run(fn, *args)` calls `fn(connection, *args)` in one transaction on a worker
thread and commits when it returns (rolls back when it raises). `db.read(...)` is the same for reads. Cancelling
the awaiting task does not stop the thread: the transaction still finishes, committed or not, as it would have.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from services.core.db.errors import DatabaseUnavailable, Reason
from services.core.db.url import password_of, safe_url
from services.core.secret import register_sensitive

log = logging.getLogger(__name__)

P = ParamSpec('P')
T = TypeVar('T')

MIGRATIONS_DIR = Path(__file__).parent / 'migrations'
# Execution option set on every connection `run` opens: this transaction may write (SQLite: it began IMMEDIATE).
WRITE_OPTION = 'studio_write'
_SCHEMA_LOCK = 'schema-migrations'
# SQLite errors (sqlite3.OperationalError texts) that mean "cannot use the file now", not a mistake in a statement
# (`no such table` is an OperationalError too, and must not be reported as the database being down).
_SQLITE_BUSY = ('database is locked', 'database table is locked', 'database is busy')
_SQLITE_UNREACHABLE = ('unable to open database', 'disk i/o error', 'database or disk is full',
                       'readonly database', 'file is not a database', 'database disk image is malformed')


class Database:
    """An engine for `url` (see services/core/db/url.py:database_url) and the threads that use it.

    SQLite: WAL (readers never wait for the writer), synchronous=NORMAL, a busy timeout, and every write
    transaction begun IMMEDIATE (it takes the write lock first, so a read-then-write never fails half-way when
    another writer got in between). PostgreSQL: psycopg 3, a short connect timeout (a stopped server is reported
    in seconds, not minutes), pooled connections checked before use, so after a restart of the server the same
    Database carries on with new connections.
    """

    def __init__(self, url: str, *, pool_size: int = 5, busy_timeout: float = 5.0,
                 connect_timeout: float = 5.0) -> None:
        if pool_size < 1:
            raise ValueError('pool_size must be at least 1')
        register_sensitive(password_of(url))  # a password never reaches a log, whatever quotes it
        parsed = make_url(url)
        self.display_url = safe_url(parsed)
        self.dialect = parsed.get_backend_name()
        self.busy_timeout = busy_timeout
        # Two connections beyond the executor's threads: the WriteBehind's thread and the blocking callers on other
        # threads (`run_sync` / `read_sync`: a sign-in's password check) must not wait for a page's query.
        pool = {'pool_size': pool_size, 'max_overflow': 2, 'pool_timeout': max(busy_timeout, 10.0)}
        if self.dialect == 'sqlite':
            path = Path(parsed.database or '')
            path.parent.mkdir(parents=True, exist_ok=True)
            _create_private(path)
            self.engine: Engine = create_engine(
                parsed, **pool, connect_args={'timeout': busy_timeout, 'check_same_thread': False})
            event.listen(self.engine, 'connect', self._sqlite_connect)
            event.listen(self.engine, 'begin', _sqlite_begin)
        elif self.dialect == 'postgresql':
            self.engine = create_engine(
                parsed, **pool, pool_pre_ping=True, pool_recycle=1800,
                # libpq's connect_timeout is whole seconds, at least 2.
                connect_args={'connect_timeout': max(2, math.ceil(connect_timeout)),
                              'application_name': 'agent-studio'})
        else:
            raise ValueError(f'unsupported database {self.display_url} (SQLite or PostgreSQL)')
        self._executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix='studio-db')
        self._closed = False
        self._close_lock = threading.Lock()

    def __repr__(self) -> str:
        return f'Database({self.display_url!r})'

    # --- transactions ---------------------------------------------------------------------------------

    async def run(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(connection, *args, **kwargs)` in one read-write transaction on a database thread, never on the loop.

        Raises DatabaseUnavailable when the database cannot be used just now; anything else `fn` raises (an
        IntegrityError, a ValueError of its own) rolls back and propagates unchanged."""
        return await self._in_thread(functools.partial(self._transact, True, fn, *args, **kwargs))

    async def read(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Like `run`, in a read-only transaction (PostgreSQL refuses writes in it; SQLite reads beside writers)."""
        return await self._in_thread(functools.partial(self._transact, False, fn, *args, **kwargs))

    def run_sync(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`run` for code that is not on the event loop (the CLI, start-up, worker threads). Blocks: never call it
        from a coroutine."""
        return self._transact(True, fn, *args, **kwargs)

    def read_sync(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        return self._transact(False, fn, *args, **kwargs)

    async def _in_thread(self, call: Callable[[], T]) -> T:
        self._check_open()
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def _transact(self, write: bool, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        self._check_open()
        try:
            with self.engine.connect() as connection:
                options: dict[str, Any] = {WRITE_OPTION: write}
                if not write and self.dialect == 'postgresql':
                    options['postgresql_readonly'] = True
                connection.execution_options(**options)
                with connection.begin():
                    return fn(connection, *args, **kwargs)
        except (exc.DBAPIError, exc.TimeoutError) as error:
            reason = self._reason(error)
            if reason is None:
                raise
            unavailable = DatabaseUnavailable(reason, database=self.display_url, detail=_detail(error))
            log.warning('%s', unavailable)
            raise unavailable from error

    def _reason(self, error: exc.SQLAlchemyError) -> Reason | None:
        """Whether this failure means the database cannot be used now (and how), or is the statement's own."""
        if isinstance(error, exc.TimeoutError):  # no pooled connection came free in time
            return 'busy'
        assert isinstance(error, exc.DBAPIError)
        if error.connection_invalidated:
            return 'unreachable'
        if self.dialect == 'sqlite':
            message = str(error.orig).lower()
            if any(text in message for text in _SQLITE_BUSY):
                return 'busy'
            if any(text in message for text in _SQLITE_UNREACHABLE):
                return 'unreachable'
            return None
        # psycopg: OperationalError is the server or the connection failing (refused, closed, shutting down, out
        # of disk, a statement or lock timeout); InterfaceError a connection that is already closed. Mistakes in
        # a statement are ProgrammingError, IntegrityError, DataError, and pass through.
        if isinstance(error, exc.OperationalError):
            name = type(error.orig).__name__
            return 'busy' if name in ('QueryCanceled', 'LockNotAvailable', 'TooManyConnections') else 'unreachable'
        if isinstance(error, exc.InterfaceError):
            return 'unreachable'
        return None

    # --- schema ---------------------------------------------------------------------------------------

    def upgrade(self, revision: str = 'head') -> str | None:
        """Migrate the schema to `revision` (blocking; start-up and `python main.py db upgrade` call it). Safe to run
        on every start and from several instances at once: the migration runs under a lock, and the second
        instance finds the work done. Returns the revision the database is at afterwards."""

        def migrate(connection: Connection) -> None:
            advisory_lock(connection, _SCHEMA_LOCK)
            command.upgrade(self.alembic_config(connection), revision)

        self.run_sync(migrate)
        return self.current()

    def current(self) -> str | None:
        """The schema revision the database is at; None for an empty database."""
        return self.read_sync(lambda connection: MigrationContext.configure(connection).get_current_revision())

    def head(self) -> str | None:
        """The newest revision this code knows (what `upgrade` migrates to)."""
        return ScriptDirectory.from_config(self.alembic_config(None)).get_current_head()

    def knows(self, revision: str) -> bool:
        """Whether `revision` is one of this code's migrations (a database a newer version migrated is not)."""
        try:
            return ScriptDirectory.from_config(self.alembic_config(None)).get_revision(revision) is not None
        except CommandError:
            return False

    def alembic_config(self, connection: Connection | None = None) -> Config:
        """Alembic's configuration for these migrations; with `connection`, env.py works on that connection (how
        `upgrade` runs them, and how migrations/README.md writes a new revision)."""
        config = Config()
        config.set_main_option('script_location', str(MIGRATIONS_DIR).replace('%', '%%'))
        # r0002_add_x.py: a module name must not start with a digit (mypy checks these files too).
        config.set_main_option('file_template', 'r%%(rev)s_%%(slug)s')
        # env.py migrates on this connection, inside the transaction (and under the lock) taken here.
        config.attributes['connection'] = connection
        return config

    # --- lifetime -------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f'{self!r} is closed')

    def close(self) -> None:
        """Wait for running transactions, then close every connection. Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._executor.shutdown(wait=True)
        self.engine.dispose()

    def _sqlite_connect(self, dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # The sqlite3 module's own transaction handling would BEGIN lazily before the first write, after reads
        # that may already be stale; SQLAlchemy emits BEGIN instead (_sqlite_begin), the documented recipe.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # Writers wait this long for one another (and for other processes sharing the file) before
            # DatabaseUnavailable('busy'). Set first, so the statements below wait too.
            cursor.execute(f'PRAGMA busy_timeout={int(self.busy_timeout * 1000)}')
            # WAL: readers (the pages) do not wait for a writer (a finishing job), nor it for them.
            _set_wal(cursor, self.busy_timeout)
            # With the default FULL every commit waits for an fsync (4-25 ms on this disk, measured by bench fig2).
            # NORMAL keeps WAL commits safe when the process dies; only an OS crash or power loss can drop the
            # last few.
            cursor.execute('PRAGMA synchronous=NORMAL')
        finally:
            cursor.close()


def _create_private(path: Path) -> None:
    """Create a new database file readable by its owner only: it holds password digests and people's drafts and
    photos. SQLite gives its -wal and -shm files the database file's permissions, so they follow."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _set_wal(cursor: Any, patience: float) -> None:
    """Switch a file to WAL. On a new file several instances (or test threads) connecting at once race for the
    exclusive lock the switch needs, and SQLite answers 'database is locked' there without calling the busy
    handler (seen with four instances starting together): so retry, briefly, within the busy timeout."""
    deadline = time.monotonic() + patience
    while True:
        try:
            cursor.execute('PRAGMA journal_mode=WAL')
            return
        except sqlite3.OperationalError as error:
            if 'locked' not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock now: a transaction that reads and then writes cannot be refused at its first
    # write because another writer committed since its read (SQLITE_BUSY_SNAPSHOT, which no busy timeout retries).
    write = connection.get_execution_options().get(WRITE_OPTION, True)
    connection.exec_driver_sql('BEGIN IMMEDIATE' if write else 'BEGIN')


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (pg_advisory_xact_lock takes a bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], 'big', signed=True)


def advisory_lock(connection: Connection, name: str) -> None:
    """Serialise this transaction with every other one, in any instance, that takes the lock `name`; held until
    commit or rollback. For read-then-write work that must see every other writer's result (count the running
    generations, then add one).

    PostgreSQL: a transaction-level advisory lock. SQLite: nothing to take, since `Database.run` began the
    transaction IMMEDIATE and so holds the file's single write lock already; that is also why it must be called in
    a `run` transaction, not a `read` one."""
    if not connection.get_execution_options().get(WRITE_OPTION, False):
        raise RuntimeError('advisory_lock needs a read-write transaction (Database.run / run_sync)')
    if connection.dialect.name == 'postgresql':
        connection.execute(text('SELECT pg_advisory_xact_lock(:key)'), {'key': lock_key(name)})


def _detail(error: exc.SQLAlchemyError) -> str:
    """The driver's message, first line only (psycopg adds hints and context after it), without the statement."""
    original = error.orig if isinstance(error, exc.DBAPIError) else error
    first = (str(original).strip().splitlines() or [''])[0]
    return f'{type(original).__name__}: {first}'[:300]
