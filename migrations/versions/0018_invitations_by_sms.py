"""invitations by SMS: confirmed batches (counts only), one-time tokens (hashed) with their
counter, campaign and return day, dossiers already invited for (keyed hashes), the
invitations' funnel per counter and return day, and each campaign's SMS budget; no phone
number anywhere

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 21:30:34.542762

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_budget', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sms_sent', sa.Integer(), server_default='0',
                                      nullable=False))
    op.create_table('invited_dossier',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('returned_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_invited_dossier')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('invited_dossier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invited_dossier_returned_on'), ['returned_on'], unique=False)

    op.create_table('invitation',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('returned_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('screened', sa.Boolean(), nullable=False),
    sa.Column('opened', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_invitation_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_invitation_counter_id_counter')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_invitation')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_counter_id'), ['counter_id'], unique=False)
        batch_op.create_index('ix_invitation_campaign_expires', ['campaign_id', 'expires_on'],
                              unique=False)

    op.create_table('invitation_batch',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('excluded', sa.JSON(), nullable=False),
    sa.Column('to_send', sa.Integer(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('failures', sa.JSON(), nullable=False),
    sa.Column('over_budget', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_invitation_batch_unit_id_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_invitation_batch_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_batch'))
    )
    with op.batch_alter_table('invitation_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_batch_unit_id'), ['unit_id'], unique=False)

    op.create_table('invitation_day',
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('opened', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_invitation_day_counter_id_counter')),
    sa.PrimaryKeyConstraint('counter_id', 'day', name=op.f('pk_invitation_day'))
    )


def downgrade():
    op.drop_table('invitation_day')
    with op.batch_alter_table('invitation_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_batch_unit_id'))

    op.drop_table('invitation_batch')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index('ix_invitation_campaign_expires')
        batch_op.drop_index(batch_op.f('ix_invitation_counter_id'))

    op.drop_table('invitation')
    with op.batch_alter_table('invited_dossier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invited_dossier_returned_on'))

    op.drop_table('invited_dossier')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('sms_sent')
        batch_op.drop_column('sms_budget')
