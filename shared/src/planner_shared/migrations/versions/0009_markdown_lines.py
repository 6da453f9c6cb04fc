"""the history's selling prices (the demand's price elasticity is estimated from them) and an
approval's decided lines per category (the markdown's depth by category)

Revision ID: 0009_markdown_lines
Revises: 0007_arch
Create Date: 2026-12-07 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0009_markdown_lines'
down_revision: str | None = '0007_arch'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'historical_sales',
        sa.Column('unit_price', sa.Numeric(precision=10, scale=2, asdecimal=False), nullable=True),
    )
    op.add_column(
        'approvals',
        sa.Column('decided_lines', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column('approvals', 'decided_lines')
    op.drop_column('historical_sales', 'unit_price')
