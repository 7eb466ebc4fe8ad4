"""mark reads: the ballots the reader of marks left unclear, waiting for two members, and the scanner batches read
page by page (issue 19)

Revision ID: 0019_mark_reads
Revises: 0018_ballot_geometry
Create Date: 2026-12-02 03:00:00

- mark_read (ballots.models.MarkRead): one unclear ballot of a poll (its serial unique: a ballot waits once), the
  reader's per-line reads, the key of its rectified image in stored_file, and the two members' decisions.
- scan_upload (ballots.models.ScanUpload): a scanner batch, its file in stored_file, the page it has reached and
  its figures.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_mark_reads'
down_revision = '0018_ballot_geometry'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mark_read',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('poll_id', sa.Integer(), nullable=False),
        sa.Column('serial', sa.String(length=16), nullable=False),
        sa.Column('qr_text', sa.String(length=1000), nullable=False),
        sa.Column('source_sha256', sa.String(length=64), nullable=False),
        sa.Column('image_key', sa.String(length=120), nullable=False),
        sa.Column('image_sha256', sa.String(length=64), nullable=False),
        sa.Column('lines', sa.Text(), nullable=False),
        sa.Column('stray_ink', sa.Boolean(), nullable=False),
        sa.Column('state', sa.Enum('pending', 'counted', name='markreadstate', native_enum=False, length=32),
                  nullable=False),
        sa.Column('first_choice', sa.String(length=20), nullable=True),
        sa.Column('first_reason', sa.String(length=20), nullable=True),
        sa.Column('first_by_id', sa.Integer(), nullable=True),
        sa.Column('first_at', sa.DateTime(), nullable=True),
        sa.Column('second_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('disputed', sa.Text(), nullable=False),
        sa.Column('read_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['first_by_id'], ['user.id'], name=op.f('fk_mark_read_first_by_id_user')),
        sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_mark_read_poll_id_poll')),
        sa.ForeignKeyConstraint(['read_by_id'], ['user.id'], name=op.f('fk_mark_read_read_by_id_user')),
        sa.ForeignKeyConstraint(['second_by_id'], ['user.id'], name=op.f('fk_mark_read_second_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mark_read')),
        sa.UniqueConstraint('serial', name=op.f('uq_mark_read_serial')),
    )
    with op.batch_alter_table('mark_read') as batch:
        batch.create_index(batch.f('ix_mark_read_poll_id'), ['poll_id'], unique=False)
    op.create_table(
        'scan_upload',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('poll_id', sa.Integer(), nullable=False),
        sa.Column('file_key', sa.String(length=120), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('next_page', sa.Integer(), nullable=False),
        sa.Column('counted', sa.Integer(), nullable=False),
        sa.Column('waiting', sa.Integer(), nullable=False),
        sa.Column('refused', sa.Integer(), nullable=False),
        sa.Column('problems', sa.Text(), nullable=False),
        sa.Column('by_user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['by_user_id'], ['user.id'], name=op.f('fk_scan_upload_by_user_id_user')),
        sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_scan_upload_poll_id_poll')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_upload')),
    )
    with op.batch_alter_table('scan_upload') as batch:
        batch.create_index(batch.f('ix_scan_upload_poll_id'), ['poll_id'], unique=False)


def downgrade():
    with op.batch_alter_table('scan_upload') as batch:
        batch.drop_index(batch.f('ix_scan_upload_poll_id'))
    op.drop_table('scan_upload')
    with op.batch_alter_table('mark_read') as batch:
        batch.drop_index(batch.f('ix_mark_read_poll_id'))
    op.drop_table('mark_read')
