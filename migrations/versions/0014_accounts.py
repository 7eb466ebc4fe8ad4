"""accounts: a polling team's account belongs to a term; one-time codes force a new password at first login

Revision ID: 0014_accounts
Revises: 0013_dates
Create Date: 2026-12-01 18:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_accounts'
down_revision = '0013_dates'
branch_labels = None
depends_on = None


def upgrade():
    # Existing accounts keep no term (they log in as before) and no pending code.
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('term_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('reset_code_hash', sa.String(length=256), nullable=True))
        batch.add_column(sa.Column('reset_code_expires_at', sa.DateTime(), nullable=True))
        batch.create_index('ix_user_term_id', ['term_id'], unique=False)
        batch.create_foreign_key('fk_user_term_id_term', 'term', ['term_id'], ['id'])


def downgrade():
    with op.batch_alter_table('user') as batch:
        batch.drop_constraint('fk_user_term_id_term', type_='foreignkey')
        batch.drop_index('ix_user_term_id')
        batch.drop_column('reset_code_expires_at')
        batch.drop_column('reset_code_hash')
        batch.drop_column('must_change_password')
        batch.drop_column('term_id')
