"""Conversations: the platform's conversation per person and agent, its messages, and chat pictures.

A frozen copy of those three tables of services/core/db/schema.py as they were when written.

Revision ID: 0101
Revises: 0001
Created: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0101'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER = 160
Json = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'conversations',
        sa.Column('id', sa.String(64), nullable=False),
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('agent_id', sa.String(100), nullable=False),
        sa.Column('conversation_id', sa.String(100), nullable=False),
        sa.Column('active', sa.Boolean, nullable=False),
        sa.Column('agent', Json, nullable=False),
        sa.Column('created_at', sa.Double, nullable=False),
        sa.Column('updated_at', sa.Double, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_conversations'),
    )
    op.create_index('ix_conversations_owner_id_agent_id_active', 'conversations', ['owner_id', 'agent_id', 'active'])
    op.create_table(
        'chat_messages',
        sa.Column('id', sa.String(64), nullable=False),
        sa.Column('conversation', sa.String(64), nullable=False),
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('seq', sa.Integer, nullable=False),
        sa.Column('role', sa.String(16), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('text', sa.Text, nullable=False),
        sa.Column('data', Json, nullable=False),
        sa.Column('created_at', sa.Double, nullable=False),
        sa.Column('updated_at', sa.Double, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_chat_messages'),
    )
    op.create_index('ix_chat_messages_status', 'chat_messages', ['status'])
    op.create_index('ix_chat_messages_conversation_seq', 'chat_messages', ['conversation', 'seq'], unique=True)
    op.create_table(
        'chat_pictures',
        sa.Column('message_id', sa.String(64), nullable=False),
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('content', sa.LargeBinary, nullable=False),
        sa.Column('preview', sa.LargeBinary, nullable=True),
        sa.Column('created_at', sa.Double, nullable=False),
        sa.PrimaryKeyConstraint('message_id', name='pk_chat_pictures'),
    )
    op.create_index('ix_chat_pictures_owner_id', 'chat_pictures', ['owner_id'])


def downgrade() -> None:
    for table in ('chat_pictures', 'chat_messages', 'conversations'):
        op.drop_table(table)
