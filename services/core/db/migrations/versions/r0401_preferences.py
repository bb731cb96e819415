"""Preferences: a person's own settings, for now the interface language (issue 15).

A frozen copy of the `preferences` table in services/core/db/schema.py as it was when written.

Revision ID: 0401
Revises: 0301
Created: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0401'
down_revision: str | None = '0301'  # the lead re-chains this on merge
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
