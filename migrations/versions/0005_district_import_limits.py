"""district import limits: the configuration screen bounds uploaded spreadsheets (rows, columns)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('district') as batch:
        batch.add_column(sa.Column('import_max_rows', sa.Integer(), nullable=False, server_default='20000'))
        batch.add_column(sa.Column('import_max_columns', sa.Integer(), nullable=False, server_default='100'))


def downgrade():
    with op.batch_alter_table('district') as batch:
        batch.drop_column('import_max_columns')
        batch.drop_column('import_max_rows')
