"""the history's selling prices (the demand's price elasticity is estimated from them); the
approval's decided lines per category came with 0008_buy_lines

Revision ID: 0009_markdown_lines
Revises: 0013_season_names
Create Date: 2026-12-07 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_markdown_lines'
down_revision: str | None = '0013_season_names'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'historical_sales',
        sa.Column('unit_price', sa.Numeric(precision=10, scale=2, asdecimal=False), nullable=True),
    )


def downgrade() -> None:
    op.drop_column('historical_sales', 'unit_price')
