"""stored files: the signed minutes and the roll uploads in preview in the database, not the app host's disk (issue 18)

Revision ID: 0017_stored_files
Revises: 0016_audit_chains
Create Date: 2026-12-01 23:00:00

- stored_file (core/storage.py) holds a file's bytes with its kind and key, name, type, size, SHA-256, creation and
  expiry, and the user, hamlet and term it belongs to.
- The signed minutes an earlier release kept under instance/minutes/ are copied in (the file as uploaded under its
  stored name, the clean copy of an image under the same key as minutes_served), best effort: a file that is not
  there is skipped (its page then answers 404). The files themselves are left where they are, for the operator to
  delete once the upgrade is committed (a migration that failed later would otherwise have lost them); with several
  app hosts, run the upgrade on the host that kept them.
- Roll uploads in preview (instance/roll_uploads/, kept 6 hours) are not copied: a preview left open across the
  upgrade asks for the file again.
The downgrade writes the minutes back under instance/minutes/ (those not there already) before dropping the table.
"""
import hashlib
import os

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_stored_files'
down_revision = '0016_audit_chains'
branch_labels = None
depends_on = None

MINUTES, MINUTES_SERVED = "minutes", "minutes_served"  # core.storage's kinds (a migration does not import the app)

stored_file = sa.table(
    'stored_file', sa.column('kind', sa.String), sa.column('key', sa.String), sa.column('filename', sa.String),
    sa.column('content_type', sa.String), sa.column('size', sa.Integer), sa.column('sha256', sa.String),
    sa.column('data', sa.LargeBinary), sa.column('created_at', sa.DateTime), sa.column('expires_at', sa.DateTime),
    sa.column('owner_id', sa.Integer), sa.column('hamlet_id', sa.Integer), sa.column('term_id', sa.Integer))
minutes_upload = sa.table(
    'minutes_upload', sa.column('poll_id', sa.Integer), sa.column('stored_name', sa.String),
    sa.column('original_name', sa.String), sa.column('content_type', sa.String),
    sa.column('uploaded_at', sa.DateTime))
poll = sa.table('poll', sa.column('id', sa.Integer), sa.column('hamlet_id', sa.Integer))


def _minutes_folder():
    """instance/minutes of the application running the upgrade, or None (run outside it, or no such folder)."""
    try:
        from flask import current_app

        folder = os.path.join(current_app.instance_path, "minutes")
    except RuntimeError:  # outside the application: nothing to find
        return None
    return folder


def _served_name(stored_name):
    stem, ext = os.path.splitext(stored_name)
    return f"{stem}.served{ext}"


def _read(folder, name):
    if not name or os.path.basename(name) != name:
        return None
    try:
        with open(os.path.join(folder, name), "rb") as file:
            return file.read()
    except OSError:
        return None


def _copy_minutes_in() -> None:
    folder = _minutes_folder()
    if folder is None or not os.path.isdir(folder):
        return
    bind = op.get_bind()
    rows = bind.execute(sa.select(minutes_upload.c.stored_name, minutes_upload.c.original_name,
                                  minutes_upload.c.content_type, minutes_upload.c.uploaded_at, poll.c.hamlet_id)
                        .outerjoin(poll, poll.c.id == minutes_upload.c.poll_id)).all()
    for stored_name, original_name, content_type, uploaded_at, hamlet_id in rows:
        for kind, name in ((MINUTES, stored_name), (MINUTES_SERVED, _served_name(stored_name))):
            data = _read(folder, name)
            if data is None:
                continue
            bind.execute(stored_file.insert().values(
                kind=kind, key=stored_name, filename=(original_name or "")[:200], content_type=content_type,
                size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data, created_at=uploaded_at,
                expires_at=None, owner_id=None, hamlet_id=hamlet_id, term_id=None))


def _write_minutes_back() -> None:
    folder = _minutes_folder()
    if folder is None:
        return
    bind = op.get_bind()
    keys = bind.execute(sa.select(stored_file.c.kind, stored_file.c.key)
                        .where(stored_file.c.kind.in_((MINUTES, MINUTES_SERVED)))).all()
    for kind, key in keys:
        name = key if kind == MINUTES else _served_name(key)
        if os.path.basename(name) != name or os.path.exists(os.path.join(folder, name)):
            continue
        data = bind.scalar(sa.select(stored_file.c.data).where(stored_file.c.kind == kind, stored_file.c.key == key))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "wb") as file:
            file.write(data)


def upgrade():
    op.create_table('stored_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=80), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('hamlet_id', sa.Integer(), nullable=True),
    sa.Column('term_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['hamlet_id'], ['hamlet.id'], name=op.f('fk_stored_file_hamlet_id_hamlet')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_stored_file_owner_id_user')),
    sa.ForeignKeyConstraint(['term_id'], ['term.id'], name=op.f('fk_stored_file_term_id_term')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_file')),
    sa.UniqueConstraint('kind', 'key', name='uq_stored_file_kind_key')
    )
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_file_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stored_file_hamlet_id'), ['hamlet_id'], unique=False)
    _copy_minutes_in()


def downgrade():
    _write_minutes_back()
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_file_hamlet_id'))
        batch_op.drop_index(batch_op.f('ix_stored_file_expires_at'))
    op.drop_table('stored_file')
