"""survey inbox: completed forms move into response in shuffled batches

A completed form waits in response_inbox and moves with the others of its batch in one
transaction, in random order (app/survey/inbox.py), so neither PostgreSQL's xmin and ctid nor
the roll-ups' row versions tell when a citizen answered. inbox_move keeps when the last move
was (the time of a batch, never of an answer).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 19:13:03.197543

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inbox_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('moved_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_move'))
    )
    op.create_table('response_inbox',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_response_inbox_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_response_inbox_counter_id_counter')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_response_inbox_questionnaire_id_questionnaire')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_inbox')),
    sqlite_with_rowid=False
    )


def downgrade():
    op.drop_table('response_inbox')
    op.drop_table('inbox_move')
