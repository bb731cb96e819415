"""Chat replies and pictures name the instance working on them, so a survivor can tell a dead instance's work.

- chat_messages.instance: the instance streaming a reply or drawing a picture (STUDIO_INSTANCE_ID). While it runs
  it renews the message's `updated_at` every few seconds; an unfinished message whose `updated_at` stopped moving
  belongs to an instance that died, and any other instance marks it interrupted. A restarted instance does that for
  its own at once. Rows written before this revision have none and are treated as anybody's (swept when stale).
- an index on (status, updated_at): that sweep, run every few seconds by every instance.

Revision ID: 0601
Revises: 0501
Created: 2026-12-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0601'
down_revision: str | None = '0501'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('chat_messages') as batch:
        batch.add_column(sa.Column('instance', sa.String(120), nullable=True))
        batch.create_index('ix_chat_messages_status_updated_at', ['status', 'updated_at'])


def downgrade() -> None:
    with op.batch_alter_table('chat_messages') as batch:
        batch.drop_index('ix_chat_messages_status_updated_at')
        batch.drop_column('instance')
