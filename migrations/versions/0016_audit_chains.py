"""audit chains: one hash chain per commune, per district and for the installation (core.audit); the entries
written before keep their single chain, named "legacy", verifiable as it was (its hashes do not cover the chain)

Revision ID: 0016_audit_chains
Revises: 0015_supervision
Create Date: 2026-12-01 23:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_audit_chains'
down_revision = '0015_supervision'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=40), nullable=False, server_default='legacy'))
        batch_op.drop_constraint('uq_audit_entry_seq', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_audit_entry_chain'), ['chain', 'seq'])
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('chain', server_default=None)
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=40), nullable=False, server_default='legacy'))
        batch_op.add_column(sa.Column('district_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('commune_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_head_chain'), ['chain'])
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.alter_column('chain', server_default=None)


def downgrade():
    # Only an installation that wrote nothing since the upgrade goes back: the other chains' entries would break
    # the single chain (their sequence numbers repeat).
    connection = op.get_bind()
    others = connection.scalar(sa.text("SELECT count(*) FROM audit_entry WHERE chain <> 'legacy'"))
    if others:
        raise RuntimeError(f"{others} audit entries belong to the per-commune chains: the single chain cannot "
                           "hold them; restore the backup taken before the upgrade instead.")
    connection.execute(sa.text("DELETE FROM audit_head WHERE chain <> 'legacy'"))
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_head_chain'), type_='unique')
        batch_op.drop_column('commune_id')
        batch_op.drop_column('district_id')
        batch_op.drop_column('chain')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_entry_chain'), type_='unique')
        batch_op.create_unique_constraint('uq_audit_entry_seq', ['seq'])
        batch_op.drop_column('chain')
