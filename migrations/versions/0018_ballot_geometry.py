"""ballot geometry: the version of the layout a batch's ballots are drawn with, for reading their marks (issue 19)

Revision ID: 0018_ballot_geometry
Revises: 0017_stored_files
Create Date: 2026-12-02 02:30:00

ballot_batch.geometry_version: ballots.geometry's GEOMETRY_VERSION (registration marks, the places of the names) for
the batches printed from now on; NULL for the batches printed before, which keep printing as they did and are counted
with taps.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018_ballot_geometry'
down_revision = '0017_stored_files'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ballot_batch') as batch_op:
        batch_op.add_column(sa.Column('geometry_version', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('ballot_batch') as batch_op:
        batch_op.drop_column('geometry_version')
