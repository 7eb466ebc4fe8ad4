"""frozen check-ins: a poll keeps the check-in count of the moment voting ended (issue 15)

Revision ID: 0007_frozen_check_ins
Revises: 0006_auth
Create Date: 2026-12-01 15:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007_frozen_check_ins'
down_revision = '0006_auth'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('poll') as batch:
        batch.add_column(sa.Column('checked_in_at_close', sa.Integer(), nullable=True))
    # Polls already past voting: their check-ins as they stand now (nothing could be refused before).
    op.execute(sa.text(
        "UPDATE poll SET checked_in_at_close = (SELECT COUNT(*) FROM check_in WHERE check_in.poll_id = poll.id) "
        "WHERE counting_started_at IS NOT NULL AND status <> 'voting'"))


def downgrade():
    with op.batch_alter_table('poll') as batch:
        batch.drop_column('checked_in_at_close')
