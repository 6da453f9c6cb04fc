"""transfers: a week's proposal of DC releases and store-to-store moves, and its decision

Revision ID: 0010_transfers
Revises: 0012_overrides
Create Date: 2026-12-07 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0010_transfers'
down_revision: str | None = '0012_overrides'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'transfers',
        sa.Column('workflow_id', sa.Uuid(), nullable=False),
        sa.Column(
            'week_number',
            sa.Integer(),
            nullable=False,
            comment='The week after whose upload it was made.',
        ),
        sa.Column(
            'status',
            sa.String(length=16),
            nullable=False,
            comment="'proposed', 'approved', 'rejected' or 'superseded'.",
        ),
        sa.Column('strategy', sa.String(length=16), nullable=False),
        sa.Column(
            'proposal',
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The TransferProposal: moves, donors' limits, lost sales before and after.",
        ),
        sa.Column(
            'moves',
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="The approved moves (the proposal's, or the planner's edit).",
        ),
        sa.Column('decided_by', sa.String(length=100), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column(
            'created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ['workflow_id'],
            ['workflows.id'],
            name=op.f('fk_transfers_workflow_id_workflows'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers')),
        sa.UniqueConstraint(
            'workflow_id', 'week_number', name=op.f('uq_transfers_workflow_id_week_number')
        ),
    )


def downgrade() -> None:
    op.drop_table('transfers')
