"""Preferences: a person's own settings, for now the interface language (issue 15).

A frozen copy of the `preferences` table in services/core/db/schema.py as it was when written.

Revision ID: 0501
Revises: 0401
Created: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0501'
down_revision: str | None = '0401'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER = 160


def upgrade() -> None:
    op.create_table(
        'preferences',
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('language', sa.String(8), nullable=True),
        sa.Column('updated_at', sa.Double, nullable=False),
        sa.PrimaryKeyConstraint('owner_id', name='pk_preferences'),
    )


def downgrade() -> None:
    op.drop_table('preferences')
