"""hardening: audit of reference data, idempotency keys, outbox by publish time

Revision ID: 0003_hardening
Revises: 0005_console
Create Date: 2026-12-02 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003_hardening'
down_revision: str | None = '0005_console'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'reference_changes',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('table_name', sa.String(length=64), nullable=False),
        sa.Column('record_key', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('changed_by', sa.String(length=100), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint("action IN ('insert', 'update', 'delete')",
                           name=op.f('ck_reference_changes_action_known')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_changes')),
    )
    op.create_index('ix_reference_changes_table_changed', 'reference_changes',
                    ['table_name', 'changed_at'], unique=False)
    op.create_table(
        'idempotency_keys',
        sa.Column('principal', sa.String(length=100), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('endpoint', sa.String(length=200), nullable=False),
        sa.Column('request_sha256', sa.String(length=64), nullable=False),
        sa.Column('event', postgresql.JSONB(astext_type=sa.Text()), nullable=True,
                  comment='The command published over the bus, re-sent unchanged on a retry.'),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('response', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('principal', 'key', name=op.f('pk_idempotency_keys')),
    )
    # After a Redis loss the outbox rows published within a window are published again.
    op.create_index('ix_outbox_published_at', 'outbox', ['published_at'], unique=False,
                    postgresql_where='published_at IS NOT NULL')


def downgrade() -> None:
    op.drop_index('ix_outbox_published_at', table_name='outbox',
                  postgresql_where='published_at IS NOT NULL')
    op.drop_table('idempotency_keys')
    op.drop_index('ix_reference_changes_table_changed', table_name='reference_changes')
    op.drop_table('reference_changes')
