"""scanpage: the idempotency keys of undone ballot scans (a late retry of an undone scan is refused, not counted)

Revision ID: 0010_scanpage
Revises: 0009_order
Create Date: 2026-12-01 15:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_scanpage'
down_revision = '0009_order'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'undone_scan',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('poll_id', sa.Integer(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=80), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('by_user_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['by_user_id'], ['user.id'], name=op.f('fk_undone_scan_by_user_id_user')),
        sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_undone_scan_poll_id_poll')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_undone_scan')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_undone_scan_idempotency_key')),
    )
    with op.batch_alter_table('undone_scan') as batch:
        batch.create_index(batch.f('ix_undone_scan_poll_id'), ['poll_id'], unique=False)


def downgrade():
    with op.batch_alter_table('undone_scan') as batch:
        batch.drop_index(batch.f('ix_undone_scan_poll_id'))
    op.drop_table('undone_scan')
