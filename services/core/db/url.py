"""`STUDIO_DATABASE_URL`: which database the app keeps everything in.

Pure functions, no connection is made here: settings validate the value once at start-up (the lead wires
`database_url` into `services/core/settings.py`, turning `DatabaseUrlError` into its `SettingsError`), and the
`db` command and the tests build URLs the same way.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

VARIABLE = 'STUDIO_DATABASE_URL'
DEFAULT_FILE = 'studio.sqlite3'
SQLITE_DRIVERS = ('sqlite', 'sqlite+pysqlite')
# The app talks to PostgreSQL through psycopg 3 only (see services/core/db/database.py for why one sync driver).
# `postgresql+asyncpg://` is accepted because it is the form the issue and many hosting guides give; it names the
# same server and is served by psycopg, so nobody has to rewrite a URL they were handed.
POSTGRES_DRIVERS = ('postgresql+psycopg', 'postgresql+asyncpg')
ACCEPTED = 'sqlite:///PATH, postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE or postgresql+asyncpg://...'
# asyncpg spells libpq's `sslmode` as `ssl`; psycopg passes unknown query keys to libpq, which would refuse it.
_ASYNCPG_SSL = {'true': 'require', 'false': 'disable', 'disable': 'disable', 'allow': 'allow', 'prefer': 'prefer',
                'require': 'require', 'verify-ca': 'verify-ca', 'verify-full': 'verify-full'}


class DatabaseUrlError(ValueError):
    """`STUDIO_DATABASE_URL` is not a URL the app can use; the message names the variable and never its password."""


def default_url(data_dir: Path | str) -> str:
    """The SQLite file in the data directory: `make run` and the test suite need no database server."""
    path = Path(data_dir).expanduser().resolve() / DEFAULT_FILE
    return URL.create('sqlite', database=str(path)).render_as_string(hide_password=False)


def database_url(env_value: str | None, data_dir: Path | str) -> str:
    """The URL to open, from the variable's value (None or blank: the default SQLite file in `data_dir`).

    Accepts SQLite files and PostgreSQL through psycopg 3 (asyncpg URLs are rewritten to psycopg, their `ssl`
    query key to libpq's `sslmode`). Raises DatabaseUrlError, naming the variable and what it accepts; the value is
    only ever shown with its password replaced by ***, since the message reaches logs and terminals."""
    raw = (env_value or '').strip()
    if not raw:
        return default_url(data_dir)
    try:
        url = make_url(raw)
    except ArgumentError:
        # make_url's own message repeats the whole value, password included; say what is wrong without it.
        raise DatabaseUrlError(f'{VARIABLE} is not a URL (expected {ACCEPTED})') from None
    shown = safe_url(url)
    driver = url.drivername
    if driver in SQLITE_DRIVERS:
        return _sqlite(url, shown)
    if driver in POSTGRES_DRIVERS:
        return _postgres(url, shown)
    hint = ''
    if driver in ('postgresql', 'postgres') or driver.startswith(('postgresql+', 'postgres+')):
        hint = ' (for PostgreSQL write postgresql+psycopg://, the driver the app installs)'
    raise DatabaseUrlError(f'{VARIABLE} must be {ACCEPTED}; got {shown}{hint}')


def _sqlite(url: URL, shown: str) -> str:
    database = url.database or ''
    if not database or database == ':memory:' or database.startswith('file:') or 'mode=memory' in str(url.query):
        # Every pooled connection of an in-memory database is a database of its own, and no other instance could
        # ever see it: the app would seem to forget things at random.
        raise DatabaseUrlError(f'{VARIABLE} must name a SQLite file (sqlite:///path/to/studio.sqlite3), not an '
                               f'in-memory database; got {shown}')
    if url.username or url.password or url.host or url.port:
        raise DatabaseUrlError(f'{VARIABLE}: a SQLite URL has no user, password or host (sqlite:///relative/path or '
                               f'sqlite:////absolute/path); got {shown}')
    path = Path(database).expanduser()
    return url.set(drivername='sqlite', database=str(path)).render_as_string(hide_password=False)


def _postgres(url: URL, shown: str) -> str:
    if not url.host and 'host' not in url.query:
        raise DatabaseUrlError(f'{VARIABLE} must name the PostgreSQL server (postgresql+psycopg://USER:PASSWORD@HOST'
                               f':PORT/DATABASE); got {shown}')
    if not url.database:
        raise DatabaseUrlError(f'{VARIABLE} must name the database after the host (...@HOST:PORT/DATABASE); '
                               f'got {shown}')
    if url.drivername == 'postgresql+asyncpg':
        query = dict(url.query)
        ssl = query.pop('ssl', None)
        if ssl is not None:
            value = ssl if isinstance(ssl, str) else ssl[-1]
            mode = _ASYNCPG_SSL.get(value.lower())
            if mode is None:
                raise DatabaseUrlError(f'{VARIABLE}: ssl={value!r} is not one of {", ".join(_ASYNCPG_SSL)}')
            query['sslmode'] = mode
        url = url.set(drivername='postgresql+psycopg', query=query)
    return url.render_as_string(hide_password=False)


def safe_url(url: URL | str) -> str:
    """The URL as it may be shown to a person or a log: the password replaced by ***."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except ArgumentError:
            return '(not a URL)'
    return url.render_as_string(hide_password=True)


def password_of(url: str) -> str:
    """The URL's password, or '' (so it can be registered with the log scrubber)."""
    try:
        return make_url(url).password or ''
    except ArgumentError:
        return ''
