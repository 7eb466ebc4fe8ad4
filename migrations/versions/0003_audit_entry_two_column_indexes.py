"""audit entry: two two-column indexes (scope, record) replace five one-column ones

Every audited write, a ballot scan above all, updates each index of audit_entry. The audit page filters by
district (then commune) and by record type and id, never by user: (district_id, commune_id) and
(record_type, record_id) serve those filters; the user_id index served nothing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 19:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SINGLE = ('user_id', 'record_type', 'record_id', 'district_id', 'commune_id')


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        for column in SINGLE:
            batch_op.drop_index(batch_op.f(f'ix_audit_entry_{column}'))
        batch_op.create_index('ix_audit_entry_scope', ['district_id', 'commune_id'], unique=False)
        batch_op.create_index('ix_audit_entry_record', ['record_type', 'record_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entry_record')
        batch_op.drop_index('ix_audit_entry_scope')
        for column in SINGLE:
            batch_op.create_index(batch_op.f(f'ix_audit_entry_{column}'), [column], unique=False)
