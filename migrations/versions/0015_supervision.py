"""supervision: supervisors, assignments to communes and difficult chapters, visits, commendations (59-KH/HU §2.6–2.7)

Revision ID: 0015_supervision
Revises: 0014_accounts
Create Date: 2026-12-01 17:38:01.638221

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_supervision'
down_revision = '0014_accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('supervisor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('post', sa.String(length=200), nullable=False),
    sa.Column('rank', sa.Enum('district_committee', 'standing_committee', 'front', name='supervisorrank', native_enum=False, length=32), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_supervisor_district_id_district')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervisor'))
    )
    with op.batch_alter_table('supervisor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervisor_district_id'), ['district_id'], unique=False)

    op.create_table('supervision_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('commune', 'chapter', 'front', name='supervisionkind', native_enum=False, length=32), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('chapter_id', sa.Integer(), nullable=True),
    sa.Column('supervisor_id', sa.Integer(), nullable=False),
    sa.Column('assigned_on', sa.Date(), nullable=False),
    sa.Column('decision', sa.String(length=120), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.String(length=300), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user.id'], name=op.f('fk_supervision_assignment_assigned_by_id_user')),
    sa.ForeignKeyConstraint(['chapter_id'], ['chapter.id'], name=op.f('fk_supervision_assignment_chapter_id_chapter')),
    sa.ForeignKeyConstraint(['commune_id'], ['commune.id'], name=op.f('fk_supervision_assignment_commune_id_commune')),
    sa.ForeignKeyConstraint(['supervisor_id'], ['supervisor.id'], name=op.f('fk_supervision_assignment_supervisor_id_supervisor')),
    sa.ForeignKeyConstraint(['term_id'], ['term.id'], name=op.f('fk_supervision_assignment_term_id_term')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_assignment'))
    )
    with op.batch_alter_table('supervision_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_assignment_chapter_id'), ['chapter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_assignment_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_assignment_supervisor_id'), ['supervisor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_assignment_term_id'), ['term_id'], unique=False)

    op.create_table('commendation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('certificate', 'merit', 'title', 'other', name='awardkind', native_enum=False, length=32), nullable=False),
    sa.Column('post', sa.Enum('hamlet_chief', 'chapter_secretary', 'chapter_deputy_secretary', 'chapter_committee_member', 'front_head', 'other', name='post', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('decision_number', sa.String(length=60), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=False),
    sa.Column('issued_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_commendation_person_id_person')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_commendation_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commendation')),
    sa.UniqueConstraint('person_id', 'year', 'decision_number', name='uq_commendation_decision')
    )
    with op.batch_alter_table('commendation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commendation_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commendation_year'), ['year'], unique=False)

    op.create_table('supervision_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['supervision_assignment.id'], name=op.f('fk_supervision_visit_assignment_id_supervision_assignment')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_supervision_visit_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_visit'))
    )
    with op.batch_alter_table('supervision_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_visit_assignment_id'), ['assignment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('supervision_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_visit_assignment_id'))

    op.drop_table('supervision_visit')
    with op.batch_alter_table('commendation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commendation_year'))
        batch_op.drop_index(batch_op.f('ix_commendation_person_id'))

    op.drop_table('commendation')
    with op.batch_alter_table('supervision_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_assignment_term_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_assignment_supervisor_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_assignment_commune_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_assignment_chapter_id'))

    op.drop_table('supervision_assignment')
    with op.batch_alter_table('supervisor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervisor_district_id'))

    op.drop_table('supervisor')
