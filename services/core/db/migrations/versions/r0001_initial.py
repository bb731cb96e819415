"""The initial schema: accounts, sessions, drafts, jobs, audit, generation leases, images and the change outbox.

A frozen copy of services/core/db/schema.py as it was when written; later changes to the schema are later
revisions, never edits to this one (databases already at 0001 would not see them).

Revision ID: 0001
Revises:
Created: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER = 160
Json = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
Serial = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'accounts',
        sa.Column('name', sa.String(64), nullable=False),
        sa.Column('salt', sa.String(64), nullable=False),
        sa.Column('digest', sa.String(128), nullable=False),
        sa.Column('scrypt_n', sa.Integer, nullable=False),
        sa.Column('scrypt_r', sa.Integer, nullable=False),
        sa.Column('scrypt_p', sa.Integer, nullable=False),
        sa.Column('is_admin', sa.Boolean, nullable=False),
        sa.Column('created_at', sa.Double, nullable=False),
        sa.PrimaryKeyConstraint('name', name='pk_accounts'),
    )
    op.create_table(
        'sessions',
        sa.Column('sid_hash', sa.String(64), nullable=False),
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('user_id', sa.String(200), nullable=False),
        sa.Column('display_name', sa.String(200), nullable=False),
        sa.Column('mode', sa.String(16), nullable=False),
        sa.Column('is_admin', sa.Boolean, nullable=False),
        sa.Column('account_stamp', sa.String(64), nullable=False),
        sa.Column('created_at', sa.Double, nullable=False),
        sa.Column('last_seen', sa.Double, nullable=False),
        sa.Column('sealed_credentials', sa.LargeBinary, nullable=True),
        sa.PrimaryKeyConstraint('sid_hash', name='pk_sessions'),
    )
    op.create_index('ix_sessions_owner_id', 'sessions', ['owner_id'])
    op.create_index('ix_sessions_last_seen', 'sessions', ['last_seen'])
    op.create_table(
        'drafts',
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('version', sa.Integer, nullable=False),
        sa.Column('data', Json, nullable=False),
        sa.Column('updated_at', sa.Double, nullable=False),
        sa.PrimaryKeyConstraint('owner_id', name='pk_drafts'),
    )
    op.create_index('ix_drafts_updated_at', 'drafts', ['updated_at'])
    op.create_table(
        'jobs',
        sa.Column('id', sa.String(64), nullable=False),
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('instance', sa.String(100), nullable=True),
        sa.Column('heartbeat_at', sa.Double, nullable=True),
        sa.Column('created_at', sa.Double, nullable=False),
        sa.Column('data', Json, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_jobs'),
    )
    op.create_index('ix_jobs_owner_id_created_at', 'jobs', ['owner_id', 'created_at'])
    op.create_index('ix_jobs_status_heartbeat_at', 'jobs', ['status', 'heartbeat_at'])
    op.create_table(
        'audit',
        sa.Column('id', Serial, autoincrement=True, nullable=False),
        sa.Column('at', sa.Double, nullable=False),
        sa.Column('event', sa.String(64), nullable=False),
        sa.Column('actor', sa.String(200), nullable=False),
        sa.Column('detail', sa.Text, nullable=False),
        sa.Column('trace_id', sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_audit'),
    )
    op.create_index('ix_audit_at', 'audit', ['at'])
    op.create_index('ix_audit_event', 'audit', ['event'])
    op.create_table(
        'generation_leases',
        sa.Column('id', sa.String(64), nullable=False),
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('instance', sa.String(100), nullable=False),
        sa.Column('started_at', sa.Double, nullable=False),
        sa.Column('expires_at', sa.Double, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_generation_leases'),
    )
    op.create_index('ix_generation_leases_owner_id', 'generation_leases', ['owner_id'])
    op.create_index('ix_generation_leases_expires_at', 'generation_leases', ['expires_at'])
    op.create_table(
        'images',
        sa.Column('owner_id', sa.String(OWNER), nullable=False),
        sa.Column('item_id', sa.String(80), nullable=False),
        sa.Column('suffix', sa.String(16), nullable=False),
        sa.Column('content', sa.LargeBinary, nullable=False),
        sa.Column('created_at', sa.Double, nullable=False),
        sa.PrimaryKeyConstraint('owner_id', 'item_id', 'suffix', name='pk_images'),
    )
    op.create_index('ix_images_created_at', 'images', ['created_at'])
    op.create_table(
        'changes',
        sa.Column('id', Serial, autoincrement=True, nullable=False),
        sa.Column('topic', sa.String(32), nullable=False),
        sa.Column('key', sa.String(200), nullable=False),
        sa.Column('at', sa.Double, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_changes'),
    )
    op.create_index('ix_changes_at', 'changes', ['at'])


def downgrade() -> None:
    for table in ('changes', 'images', 'generation_leases', 'audit', 'jobs', 'drafts', 'sessions', 'accounts'):
        op.drop_table(table)
