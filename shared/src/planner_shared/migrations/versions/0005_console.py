"""console sign-in sessions

Revision ID: 0005_console
Revises: 0002
Create Date: 2026-12-02 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_console'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'console_sessions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column(
            'token_sha256',
            sa.String(length=64),
            nullable=False,
            comment='SHA-256 of the cookie value; the value itself is never stored.',
        ),
        sa.Column(
            'key_sha256',
            sa.String(length=64),
            nullable=False,
            comment='SHA-256 of the API key signed in with: removing the key ends its sessions.',
        ),
        sa.Column('principal_name', sa.String(length=100), nullable=False),
        sa.Column(
            'csrf_token',
            sa.String(length=64),
            nullable=False,
            comment='What writes with this session must send as X-CSRF-Token.',
        ),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_console_sessions')),
        sa.UniqueConstraint('token_sha256', name=op.f('uq_console_sessions_token_sha256')),
    )


def downgrade() -> None:
    op.drop_table('console_sessions')
