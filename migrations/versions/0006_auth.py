"""auth: login attempts record their outcome and are indexed by address; users carry a session version

Revision ID: 0006_auth
Revises: 0005
Create Date: 2026-12-10 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006_auth'
down_revision = '0005'
branch_labels = None
depends_on = None

OUTCOME = sa.Enum('ok', 'failed', 'throttled', name='loginoutcome', native_enum=False, length=32,
                  create_constraint=False)


def upgrade():
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('login_attempt') as batch:
        batch.add_column(sa.Column('outcome', OUTCOME, nullable=False, server_default='failed'))
    op.execute(sa.text("UPDATE login_attempt SET outcome = 'ok' WHERE ok"))
    with op.batch_alter_table('login_attempt') as batch:
        batch.alter_column('outcome', server_default=None)
        batch.drop_column('ok')
        batch.drop_index('ix_login_attempt_username')
        batch.create_index('ix_login_attempt_username_at', ['username', 'at'], unique=False)
        batch.create_index('ix_login_attempt_addr_at', ['remote_addr', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('login_attempt') as batch:
        batch.add_column(sa.Column('ok', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(sa.text("UPDATE login_attempt SET ok = (outcome = 'ok')"))
    with op.batch_alter_table('login_attempt') as batch:
        batch.alter_column('ok', server_default=None)
        batch.drop_index('ix_login_attempt_addr_at')
        batch.drop_index('ix_login_attempt_username_at')
        batch.create_index('ix_login_attempt_username', ['username'], unique=False)
        batch.drop_column('outcome')
    with op.batch_alter_table('user') as batch:
        batch.drop_column('session_version')
