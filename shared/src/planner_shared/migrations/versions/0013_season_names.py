"""season names (workflows.name) and past seasons replayed from the history (replays)

Revision ID: 0013_season_names
Revises: 0011_scenarios
Create Date: 2026-12-07 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0013_season_names'
down_revision: str | None = '0011_scenarios'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'workflows',
        sa.Column(
            'name',
            sa.String(length=120),
            nullable=True,
            comment='What a person calls the season: typed, or read from the brief.',
        ),
    )
    op.create_index(op.f('ix_workflows_name'), 'workflows', ['name'])
    op.create_table(
        'replays',
        sa.Column('workflow_id', sa.Uuid(), nullable=False),
        sa.Column('decisions', sa.String(length=16), nullable=False),
        sa.Column('weeks_target', sa.Integer(), nullable=False),
        sa.Column('weeks_done', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('requested_by', sa.String(length=100), nullable=False),
        sa.Column('decided_approvals', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['workflow_id'],
            ['workflows.id'],
            name=op.f('fk_replays_workflow_id_workflows'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('workflow_id', name=op.f('pk_replays')),
        sa.CheckConstraint(
            "decisions IN ('automatic', 'approver')", name=op.f('ck_replays_decisions_known')
        ),
        sa.CheckConstraint(
            'weeks_done >= 0 AND weeks_done <= weeks_target', name=op.f('ck_replays_weeks_in_range')
        ),
    )


def downgrade() -> None:
    op.drop_table('replays')
    op.drop_index(op.f('ix_workflows_name'), table_name='workflows')
    op.drop_column('workflows', 'name')
