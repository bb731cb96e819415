"""Alembic's environment: migrations run on the app's own database.

The app runs them through `Database.upgrade()` (start-up, `python main.py db upgrade`), which hands over its
connection in `config.attributes['connection']`, inside a transaction that holds the schema lock; writing a new
revision (README.md here) passes a connection the same way. Without one (Alembic driven some other way, or `--sql`
to print the SQL), the URL comes from STUDIO_DATABASE_URL / STUDIO_DATA_DIR, as the app's does.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

from services.core.db.database import Database
from services.core.db.schema import metadata
from services.core.db.url import database_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most of a table; batch mode copies it into a new one, the only portable way.
        render_as_batch=connection.dialect.name == 'sqlite',
        compare_type=True,
    )


def _run_online() -> None:
    connection = context.config.attributes.get('connection')
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():  # a no-op inside Database.upgrade's transaction
            context.run_migrations()
        return
    # Only reached through the alembic command line; the app always passes its connection.
    database = Database(database_url(os.environ.get('STUDIO_DATABASE_URL'), os.environ.get('STUDIO_DATA_DIR', 'data')))
    try:
        with database.engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        database.close()


def _run_offline() -> None:
    """`--sql`: print the SQL for a DBA to review or apply by hand."""
    url = database_url(os.environ.get('STUDIO_DATABASE_URL'), os.environ.get('STUDIO_DATA_DIR', 'data'))
    context.configure(url=url, target_metadata=metadata, literal_binds=True,
                      render_as_batch=url.startswith('sqlite'))
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
