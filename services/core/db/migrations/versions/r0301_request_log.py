"""The request log: one row per signed request to the platform, for the Requests page (issue 16).

A frozen copy of the `request_log` table in services/core/db/schema.py as it was when written.

Revision ID: 0301
Revises: 0201
Created: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0301'
down_revision: str | None = '0201'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER = 160
Json = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
Serial = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'request_log',
        sa.Column('id', Serial, autoincrement=True, nullable=False),
        sa.Column('at', sa.Double, nullable=False),
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('user_id', sa.String(200), nullable=False),
        sa.Column('method', sa.String(8), nullable=False),
        sa.Column('endpoint', sa.String(200), nullable=False),
        sa.Column('outcome', sa.String(16), nullable=False),
        sa.Column('http_status', sa.Integer, nullable=True),
        sa.Column('code', sa.Integer, nullable=True),
        sa.Column('message', sa.Text, nullable=True),
        sa.Column('duration_ms', sa.Double, nullable=False),
        sa.Column('request_bytes', sa.Integer, nullable=False),
        sa.Column('response_bytes', sa.Integer, nullable=False),
        sa.Column('request_id', sa.String(64), nullable=True),
        sa.Column('trace_id', sa.String(200), nullable=True),
        sa.Column('call_id', sa.String(32), nullable=False),
        sa.Column('attempt', sa.Integer, nullable=False),
        sa.Column('clock_offset', sa.Double, nullable=False),
        sa.Column('resigned', sa.Boolean, nullable=False),
        sa.Column('detail', Json, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_request_log'),
    )
    op.create_index('ix_request_log_at', 'request_log', ['at'])
    op.create_index('ix_request_log_request_id', 'request_log', ['request_id'])
    op.create_index('ix_request_log_trace_id', 'request_log', ['trace_id'])
    op.create_index('ix_request_log_owner_id_id', 'request_log', ['owner_id', 'id'])


def downgrade() -> None:
    op.drop_table('request_log')
