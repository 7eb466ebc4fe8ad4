"""order: secret ballot against order — no kept ballot PDFs, random check-in ids, check-in times to the quarter hour

Revision ID: 0009_order
Revises: 0008_corrections
Create Date: 2026-12-01 16:00:00

- ballot_batch.pdf_file goes: the PDF listed the serials in the order of the stack; it is drawn at each download
  in a fresh random order (ballots/printing.py). The files kept under instance/ballots/ are deleted here.
- check_in.id becomes BIGINT on PostgreSQL without its sequence default (SQLite keeps INTEGER, the rowid): the
  application draws a random id below 2^53. The rows already there get random ids, and `at` truncated to the
  quarter hour (election.rules.checkin_time).
Not undone by this revision: the audit entries written before it (a hash chain cannot be rewritten), and the ids
of ballots printed before it, which follow the order of their stack.
"""
import secrets
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_order'
down_revision = '0008_corrections'
branch_labels = None
depends_on = None

GRAIN_MINUTES = 15  # election.rules.CHECKIN_TIME_GRAIN (a migration does not import the application)


def _forget_kept_pdfs() -> None:
    try:
        from flask import current_app

        folder = Path(current_app.instance_path) / "ballots"
    except RuntimeError:  # run outside the application: nothing to find
        return
    if folder.is_dir():
        for path in list(folder.glob("batch-*.pdf")) + list(folder.glob("batch-*.part")):
            path.unlink(missing_ok=True)


def _scrub_check_ins() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, at FROM check_in")).all()
    taken = {row[0] for row in rows}
    for old_id, at in rows:
        new_id = secrets.randbelow(2**53 - 1) + 1
        while new_id in taken:
            new_id = secrets.randbelow(2**53 - 1) + 1
        taken.add(new_id)
        if isinstance(at, str):  # SQLite hands back text
            at = datetime.fromisoformat(at)
        at = at.replace(minute=at.minute - at.minute % GRAIN_MINUTES, second=0, microsecond=0)
        bind.execute(sa.text("UPDATE check_in SET id = :new, at = :at WHERE id = :old"),
                     {"new": new_id, "at": at, "old": old_id})


def upgrade():
    with op.batch_alter_table('ballot_batch') as batch:
        batch.drop_column('pdf_file')
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('check_in', 'id', type_=sa.BigInteger(), existing_type=sa.Integer(), server_default=None,
                        existing_nullable=False)
        op.execute(sa.text("DROP SEQUENCE IF EXISTS check_in_id_seq"))
    _scrub_check_ins()
    _forget_kept_pdfs()


def downgrade():
    # Random ids above 2^31 would not fit PostgreSQL's INTEGER again: renumber in the (random) id order.
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM check_in ORDER BY id")).all()]
    for number, old_id in enumerate(ids, start=1):
        bind.execute(sa.text("UPDATE check_in SET id = :new WHERE id = :old"), {"new": -number, "old": old_id})
    bind.execute(sa.text("UPDATE check_in SET id = -id"))
    if bind.dialect.name == 'postgresql':
        op.execute(sa.text("CREATE SEQUENCE IF NOT EXISTS check_in_id_seq OWNED BY check_in.id"))
        op.execute(sa.text("SELECT setval('check_in_id_seq', COALESCE((SELECT MAX(id) FROM check_in), 0) + 1, false)"))
        op.alter_column('check_in', 'id', type_=sa.Integer(), existing_type=sa.BigInteger(),
                        server_default=sa.text("nextval('check_in_id_seq')"), existing_nullable=False)
    with op.batch_alter_table('ballot_batch') as batch:
        batch.add_column(sa.Column('pdf_file', sa.String(length=200), nullable=False, server_default=''))
    with op.batch_alter_table('ballot_batch') as batch:
        batch.alter_column('pdf_file', server_default=None)
