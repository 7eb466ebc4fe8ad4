"""corrections: a reopened count keeps a correction record and bumps the minutes' version; superseded recognitions
keep their row; the single-member setting of a poll (R-C7); who recorded the ballot accounting; a count waiting for
the accounting keeps its entry

Revision ID: 0008_corrections
Revises: 0007_frozen_check_ins
Create Date: 2026-12-01 15:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_corrections'
down_revision = '0007_frozen_check_ins'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'count_correction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('poll_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('by_user_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('previous_status', sa.String(length=32), nullable=False),
        sa.Column('minutes_version', sa.Integer(), nullable=False),
        sa.Column('superseded', sa.JSON(), nullable=False),
        sa.Column('recognition_id', sa.Integer(), nullable=True),
        sa.Column('entries_discarded', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['by_user_id'], ['user.id'], name=op.f('fk_count_correction_by_user_id_user')),
        sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_count_correction_poll_id_poll')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_count_correction')),
        sa.UniqueConstraint('poll_id', 'number', name='uq_count_correction_number'),
    )
    with op.batch_alter_table('poll') as batch:
        batch.add_column(sa.Column('pending_entry_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('minutes_version', sa.Integer(), nullable=False, server_default='1'))
        batch.add_column(sa.Column('single_member', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('single_member_reason', sa.String(length=300), nullable=False,
                                   server_default=''))
    with op.batch_alter_table('minutes_upload') as batch:
        batch.add_column(sa.Column('minutes_version', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('recognition') as batch:
        batch.add_column(sa.Column('minutes_version', sa.Integer(), nullable=False, server_default='1'))
        batch.add_column(sa.Column('superseded_at', sa.DateTime(), nullable=True))
        batch.drop_constraint('uq_recognition_poll_id', type_='unique')
        batch.create_index('ix_recognition_poll_id', ['poll_id'], unique=False)
    with op.batch_alter_table('ballot_account') as batch:
        batch.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_ballot_account_recorded_by_id_user', 'user', ['recorded_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('ballot_account') as batch:
        batch.drop_constraint('fk_ballot_account_recorded_by_id_user', type_='foreignkey')
        batch.drop_column('recorded_by_id')
    # Superseded recognitions go: one recognition per poll again.
    op.execute(sa.text("DELETE FROM recognition WHERE superseded_at IS NOT NULL"))
    with op.batch_alter_table('recognition') as batch:
        batch.drop_index('ix_recognition_poll_id')
        batch.create_unique_constraint('uq_recognition_poll_id', ['poll_id'])
        batch.drop_column('superseded_at')
        batch.drop_column('minutes_version')
    with op.batch_alter_table('minutes_upload') as batch:
        batch.drop_column('minutes_version')
    op.execute(sa.text("UPDATE poll SET status = 'counting' WHERE status IN ('awaiting_accounting', 'reopened')"))
    with op.batch_alter_table('poll') as batch:
        batch.drop_column('single_member_reason')
        batch.drop_column('single_member')
        batch.drop_column('minutes_version')
        batch.drop_column('pending_entry_id')
    op.drop_table('count_correction')
