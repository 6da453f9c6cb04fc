"""variance checks no longer carry re-forecast bookkeeping: the orchestrator records which
week started which run (its memory, and `started_by_week` on `forecast.requested`)

Revision ID: 0007_arch
Revises: 0006_stock_money
Create Date: 2026-12-07 13:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_arch'
down_revision: str | None = '0006_stock_money'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_column('variance_checks', 'reforecast_outcome')
    op.drop_column('variance_checks', 'reforecast_run_number')


def downgrade() -> None:
    op.add_column(
        'variance_checks',
        sa.Column(
            'reforecast_run_number',
            sa.Integer(),
            nullable=True,
            comment='The re-forecast run this check requested; none when it requested none.',
        ),
    )
    op.add_column(
        'variance_checks',
        sa.Column(
            'reforecast_outcome',
            sa.String(length=16),
            nullable=True,
            comment="'completed' or 'failed' once the requested run is done; null while it runs.",
        ),
    )
