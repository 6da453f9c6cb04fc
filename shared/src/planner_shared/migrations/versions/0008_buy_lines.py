"""approvals remember the decided lines per category (the buy by category, issue 25)

Revision ID: 0008_buy_lines
Revises: 0007_arch
Create Date: 2026-12-07 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0008_buy_lines'
down_revision: str | None = '0007_arch'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('approvals', sa.Column('decided_lines', postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade() -> None:
    op.drop_column('approvals', 'decided_lines')
