"""households: the voter roll keeps the commune committee's confirmation of a difference with the household register

Revision ID: 0012_households
Revises: 0011_idempotency
Create Date: 2026-12-01 16:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_households'
down_revision = '0011_idempotency'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('voter_roll') as batch:
        batch.add_column(sa.Column('households_confirmed', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('households_register', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('households_note', sa.String(length=500), nullable=False, server_default=''))
        batch.add_column(sa.Column('households_confirmed_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('households_confirmed_at', sa.DateTime(), nullable=True))
        batch.create_foreign_key('fk_voter_roll_households_confirmed_by_id_user', 'user',
                                 ['households_confirmed_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('voter_roll') as batch:
        batch.drop_constraint('fk_voter_roll_households_confirmed_by_id_user', type_='foreignkey')
        batch.drop_column('households_confirmed_at')
        batch.drop_column('households_confirmed_by_id')
        batch.drop_column('households_note')
        batch.drop_column('households_register')
        batch.drop_column('households_confirmed')
