"""matcher: pending matching work and the matcher's lease

Revision ID: 0007_matcher
Revises: 0005_outbox
Create Date: 2026-12-04 19:45:00

match_job holds the postings whose matches the matcher process must compute; matcher_lease
says which matcher process is the active one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import matchmaker.db

revision: str = '0007_matcher'
down_revision: str | None = '0004_structure'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('match_job',
    sa.Column('posting_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('requested_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['posting_id'], ['posting.id'], name=op.f('fk_match_job_posting_id_posting'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('posting_id', name=op.f('pk_match_job'))
    )
    with op.batch_alter_table('match_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_job_requested_at'), ['requested_at'], unique=False)

    op.create_table('matcher_lease',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('acquired_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_matcher_lease'))
    )


def downgrade() -> None:
    op.drop_table('matcher_lease')
    with op.batch_alter_table('match_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_job_requested_at'))
    op.drop_table('match_job')
