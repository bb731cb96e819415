"""Ended sessions say why, and each change names the process that made it.

- sessions.ended_at / end_reason: an ended session keeps its row (its sealed credentials dropped) so a browser
  coming back with that id hears why it must sign in again; old ended rows are purged.
- changes.origin: the instance that published a change has already told its own pages, so it skips its own rows.

Revision ID: 0401
Revises: 0301
Created: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0401'
down_revision: str | None = '0301'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sessions') as batch:
        batch.add_column(sa.Column('ended_at', sa.Double, nullable=True))
        batch.add_column(sa.Column('end_reason', sa.String(64), nullable=True))
        batch.create_index('ix_sessions_ended_at', ['ended_at'])
    with op.batch_alter_table('changes') as batch:
        batch.add_column(sa.Column('origin', sa.String(120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('changes') as batch:
        batch.drop_column('origin')
    with op.batch_alter_table('sessions') as batch:
        batch.drop_index('ix_sessions_ended_at')
        batch.drop_column('end_reason')
        batch.drop_column('ended_at')
