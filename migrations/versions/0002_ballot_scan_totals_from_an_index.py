"""ballot scan totals from an index: (poll_id, valid) replaces the poll_id index

Every scan answers with the poll's running totals; counted from the composite index alone, a hamlet's
1,000th scan no longer reads its 999 scan rows (bench/scans.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 16:58:10.933670

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ballot_scan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_scan_poll_id'))
        batch_op.create_index('ix_ballot_scan_poll_id_valid', ['poll_id', 'valid'], unique=False)



def downgrade():
    with op.batch_alter_table('ballot_scan', schema=None) as batch_op:
        batch_op.drop_index('ix_ballot_scan_poll_id_valid')
        batch_op.create_index(batch_op.f('ix_ballot_scan_poll_id'), ['poll_id'], unique=False)

