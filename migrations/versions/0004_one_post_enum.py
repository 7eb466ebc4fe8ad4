"""one post enum: a chapter congress's nominees and ballots store the post as Position does

core.enums.Post replaces the congress's own ChapterPost ("secretary", "deputy_secretary", "committee_member"): the
same posts are now stored under the values a Position has always stored ("chapter_secretary", …). The columns are
VARCHAR(32) either way (enums are stored as strings without a CHECK constraint), so only the values are rewritten;
plain UPDATEs, the same on SQLite and PostgreSQL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ('nominee', 'congress_ballot')
RENAMED = {'secretary': 'chapter_secretary', 'deputy_secretary': 'chapter_deputy_secretary',
           'committee_member': 'chapter_committee_member'}


def _rewrite(mapping):
    for table in TABLES:
        posts = sa.table(table, sa.column('post', sa.String(32)))
        for old, new in mapping.items():
            op.execute(posts.update().where(posts.c.post == old).values(post=new))


def upgrade():
    _rewrite(RENAMED)


def downgrade():
    _rewrite({new: old for old, new in RENAMED.items()})
