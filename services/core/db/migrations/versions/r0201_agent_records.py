"""Agent records: who made which agent, and which agent a variant derives from (the agents library).

Revision ID: 0201
Revises: 0101
Created: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0201'
down_revision: str | None = '0101'  # the lead re-chains this on merge
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER = 160


def upgrade() -> None:
    op.create_table(
        'agent_records',
        sa.Column('agent_id', sa.String(200), nullable=False),
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('user_id', sa.String(200), nullable=False),
        sa.Column('display_name', sa.String(200), nullable=False),
        sa.Column('derived_from', sa.String(200), nullable=True),
        sa.Column('created_at', sa.Double, nullable=False),
        sa.PrimaryKeyConstraint('agent_id', name='pk_agent_records'),
    )
    op.create_index('ix_agent_records_owner_id', 'agent_records', ['owner_id'])


def downgrade() -> None:
    op.drop_index('ix_agent_records_owner_id', table_name='agent_records')
    op.drop_table('agent_records')
