"""The waiting line for cover generations, and cover budgets per person.

- cover_line: generations waiting for a place when the deployment's cap (STUDIO_MAX_COVERS_TOTAL) is reached, in
  first-come order across instances.
- cover_uses: one row per cover generation a person started (refunded when it ends without a cover), counted
  against the budgets per hour and per day and shown on the admin page.
- cover_budgets: an administrator's budget for one person, instead of the deployment's default.

Revision ID: 0701
Revises: 0601
Created: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0701'
down_revision: str | None = '0601'  # after main's 0501 (preferences) and 0601 (chat instances)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER = 160
Serial = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'cover_line',
        sa.Column('seq', Serial, autoincrement=True, nullable=False),
        sa.Column('job_id', sa.String(64), nullable=False),
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('instance', sa.String(100), nullable=False),
        sa.Column('enqueued_at', sa.Double, nullable=False),
        sa.Column('expires_at', sa.Double, nullable=False),
        sa.PrimaryKeyConstraint('seq', name='pk_cover_line'),
        sa.UniqueConstraint('job_id', name='uq_cover_line_job_id'),
    )
    op.create_index('ix_cover_line_owner_id', 'cover_line', ['owner_id'])
    op.create_index('ix_cover_line_expires_at', 'cover_line', ['expires_at'])
    op.create_table(
        'cover_uses',
        sa.Column('job_id', sa.String(64), nullable=False),
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('user_id', sa.String(200), nullable=False),
        sa.Column('mode', sa.String(16), nullable=False),
        sa.Column('at', sa.Double, nullable=False),
        sa.Column('seconds', sa.Double, nullable=True),
        sa.PrimaryKeyConstraint('job_id', name='pk_cover_uses'),
    )
    op.create_index('ix_cover_uses_at', 'cover_uses', ['at'])
    op.create_index('ix_cover_uses_owner_id_at', 'cover_uses', ['owner_id', 'at'])
    op.create_table(
        'cover_budgets',
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('per_hour', sa.Integer, nullable=True),
        sa.Column('per_day', sa.Integer, nullable=True),
        sa.Column('updated_at', sa.Double, nullable=False),
        sa.Column('updated_by', sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint('owner_id', name='pk_cover_budgets'),
    )


def downgrade() -> None:
    op.drop_table('cover_budgets')
    op.drop_index('ix_cover_uses_owner_id_at', table_name='cover_uses')
    op.drop_index('ix_cover_uses_at', table_name='cover_uses')
    op.drop_table('cover_uses')
    op.drop_index('ix_cover_line_expires_at', table_name='cover_line')
    op.drop_index('ix_cover_line_owner_id', table_name='cover_line')
    op.drop_table('cover_line')
