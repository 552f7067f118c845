"""daily roll-ups of responses and answers; response rows in no insertion order on SQLite

Reports read per campaign, counter and day: response_day (responses and the overall levels)
and answer_day (how many gave each value to each question), filled here from the rows already
stored and kept in step by the survey's POST from now on.

On SQLite, response and answer are rebuilt WITHOUT ROWID: a table whose key is not an integer
still keeps a hidden rowid in insertion order there, and anyone with the file could read who
answered after whom. PostgreSQL has no such column; its heap order is never used by the app
(every listing orders by a random id), see README "What is stored".

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:09:20

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _response_and_answer(with_rowid: bool):
    """Create the response and answer tables as 0001 made them, with or without a rowid."""
    op.create_table('response',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_response_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_response_counter_id_counter')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_response_questionnaire_id_questionnaire')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response')),
    sqlite_with_rowid=with_rowid,
    )
    op.create_table('answer',
    sa.Column('response_id', sa.Uuid(), nullable=False),
    sa.Column('question_key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_answer_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question_key', name=op.f('pk_answer')),
    sqlite_with_rowid=with_rowid,
    )


def _rebuild_on_sqlite(with_rowid: bool):
    """Copy response and answer into freshly made tables (child dropped before parent)."""
    if op.get_bind().dialect.name != 'sqlite':
        return
    for index in ('ix_response_campaign_id', 'ix_response_counter_id',
                  'ix_response_submitted_on'):
        op.drop_index(index, table_name='response')
    op.rename_table('answer', 'answer_old')
    op.rename_table('response', 'response_old')
    _response_and_answer(with_rowid)
    op.execute('INSERT INTO response (id, counter_id, campaign_id, questionnaire_id, '
               'submitted_on, comment) SELECT id, counter_id, campaign_id, questionnaire_id, '
               'submitted_on, comment FROM response_old')
    op.execute('INSERT INTO answer (response_id, question_key, value) '
               'SELECT response_id, question_key, value FROM answer_old')
    op.drop_table('answer_old')
    op.drop_table('response_old')
    op.create_index('ix_response_campaign_id', 'response', ['campaign_id'])
    op.create_index('ix_response_counter_id', 'response', ['counter_id'])
    op.create_index('ix_response_submitted_on', 'response', ['submitted_on'])


def _fill_rollups():
    bind = op.get_bind()
    for questionnaire_id, definition in bind.execute(
            sa.text('SELECT id, definition FROM questionnaire')).all():
        if isinstance(definition, str):  # SQLite hands JSON back as text
            definition = json.loads(definition)
        overall = next(q['key'] for q in definition['questions'] if q.get('role') == 'overall')
        levels = ', '.join(f'SUM(CASE WHEN a.value = {n} THEN 1 ELSE 0 END)' for n in range(1, 6))
        bind.execute(sa.text(
            'INSERT INTO response_day (campaign_id, counter_id, day, responses, overall_1, '
            'overall_2, overall_3, overall_4, overall_5) '
            f'SELECT r.campaign_id, r.counter_id, r.submitted_on, COUNT(*), {levels} '
            'FROM response r LEFT JOIN answer a '
            'ON a.response_id = r.id AND a.question_key = :overall '
            'WHERE r.questionnaire_id = :questionnaire '
            'GROUP BY r.campaign_id, r.counter_id, r.submitted_on'),
            {'overall': overall, 'questionnaire': questionnaire_id})
    op.execute('INSERT INTO answer_day (campaign_id, counter_id, day, question_key, value, '
               'responses) SELECT r.campaign_id, r.counter_id, r.submitted_on, a.question_key, '
               'a.value, COUNT(*) FROM answer a JOIN response r ON r.id = a.response_id '
               'GROUP BY r.campaign_id, r.counter_id, r.submitted_on, a.question_key, a.value')


def upgrade():
    op.create_table('answer_day',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('question_key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_answer_day_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_answer_day_counter_id_counter')),
    sa.PrimaryKeyConstraint('campaign_id', 'counter_id', 'day', 'question_key', 'value', name=op.f('pk_answer_day'))
    )
    op.create_index('ix_answer_day_campaign_day', 'answer_day', ['campaign_id', 'day'])
    op.create_table('response_day',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('overall_1', sa.Integer(), nullable=False),
    sa.Column('overall_2', sa.Integer(), nullable=False),
    sa.Column('overall_3', sa.Integer(), nullable=False),
    sa.Column('overall_4', sa.Integer(), nullable=False),
    sa.Column('overall_5', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_response_day_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_response_day_counter_id_counter')),
    sa.PrimaryKeyConstraint('campaign_id', 'counter_id', 'day', name=op.f('pk_response_day'))
    )
    op.create_index('ix_response_day_campaign_day', 'response_day', ['campaign_id', 'day'])
    _rebuild_on_sqlite(with_rowid=False)
    _fill_rollups()


def downgrade():
    _rebuild_on_sqlite(with_rowid=True)
    op.drop_index('ix_response_day_campaign_day', table_name='response_day')
    op.drop_table('response_day')
    op.drop_index('ix_answer_day_campaign_day', table_name='answer_day')
    op.drop_table('answer_day')
