"""variance checks record the re-forecast they requested

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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


def downgrade() -> None:
    op.drop_column('variance_checks', 'reforecast_outcome')
    op.drop_column('variance_checks', 'reforecast_run_number')
