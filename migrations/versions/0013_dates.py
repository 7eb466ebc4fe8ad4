"""dates: a re-vote round records the day the commune ordered it to vote (R-V8)

Revision ID: 0013_dates
Revises: 0012_households
Create Date: 2026-12-01 16:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_dates'
down_revision = '0012_households'
branch_labels = None
depends_on = None


def upgrade():
    # Round 1 keeps NULL (it votes on the term's election day, R-V4); a round already held keeps its held_on.
    with op.batch_alter_table('poll') as batch:
        batch.add_column(sa.Column('voting_day', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('poll') as batch:
        batch.drop_column('voting_day')
