"""outbox

Revision ID: 0005_outbox
Revises: 0002
Create Date: 2026-12-04 18:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import matchmaker.db

revision: str = '0005_outbox'
down_revision: str | None = '0006_review'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', matchmaker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', matchmaker.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'sending', 'sent', 'dead')", name=op.f('ck_outbox_message_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_message_dedupe_key')),
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_state_next_attempt_at', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_recipient'), ['recipient'], unique=False)

    op.create_table('digest_preference',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('min_score', sa.Float(), nullable=False),
    sa.Column('network_ids', sa.JSON(), nullable=False),
    sa.Column('empty_week', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('updated_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("empty_week IN ('note', 'skip')", name=op.f('ck_digest_preference_empty_week')),
    sa.CheckConstraint('hour >= 0 AND hour <= 23', name=op.f('ck_digest_preference_hour')),
    sa.CheckConstraint('min_score >= 0 AND min_score <= 1', name=op.f('ck_digest_preference_min_score')),
    sa.CheckConstraint('weekday >= 0 AND weekday <= 6', name=op.f('ck_digest_preference_weekday')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_digest_preference_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_digest_preference')),
    )
    op.create_table('digest_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('week', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('trigger', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('match_count', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Boolean(), nullable=False),
    sa.Column('forced_count', sa.Integer(), nullable=False),
    sa.Column('created_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_message.id'], name=op.f('fk_digest_delivery_outbox_message_id_outbox_message'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_digest_delivery_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_delivery')),
    sa.UniqueConstraint('user_id', 'week', name='uq_digest_delivery_user_week'),
    )
    with op.batch_alter_table('digest_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_delivery_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_digest_delivery_outbox_message_id'), ['outbox_message_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('digest_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_delivery_outbox_message_id'))
        batch_op.drop_index(batch_op.f('ix_digest_delivery_user_id'))
    op.drop_table('digest_delivery')
    op.drop_table('digest_preference')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_recipient'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_kind'))
        batch_op.drop_index('ix_outbox_message_state_next_attempt_at')
    op.drop_table('outbox_message')
