"""member search text

Revision ID: d16a00000001
Revises: 3becebc49170
Create Date: 2026-12-06 02:00:00
"""

import sqlalchemy as sa
from alembic import op

import panel.db
from panel.search import recompute

revision = 'd16a00000001'
down_revision = '3becebc49170'
branch_labels = None
depends_on = None

SEARCHED = ('name', 'email', 'phone', 'postcode')


def upgrade() -> None:
    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('call_requested_at', panel.db.UTCDateTime(),
                                      nullable=True))
        # Who asked to be called, per wijk.
        batch_op.create_index('ix_panel_member_wijk_call',
                              ['neighbourhood_id', 'call_requested_at'], unique=False)
        # A page of a team's member list, newest first, also when searching: from the
        # index alone.
        batch_op.create_index('ix_panel_member_wijk_created',
                              ['neighbourhood_id', 'created_at', 'id', 'search_text'],
                              unique=False)
    # The members there are now get their search text (folded in Python, a thousand at a
    # time); those who left have no name, email, phone or postcode and keep ''.
    member = sa.table('panel_member', sa.column('id', sa.Integer()),
                      sa.column('search_text', sa.Text()),
                      *(sa.column(name, sa.String()) for name in SEARCHED))
    recompute(op.get_bind(), member, SEARCHED)


def downgrade() -> None:
    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.drop_index('ix_panel_member_wijk_created')
        batch_op.drop_index('ix_panel_member_wijk_call')
        batch_op.drop_column('call_requested_at')
        batch_op.drop_column('search_text')
