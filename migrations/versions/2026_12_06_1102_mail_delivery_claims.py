"""mail and reminder delivery claimed once

Revision ID: e18a1a000003
Revises: e18a1a000002
Create Date: 2026-12-06 11:02:00
"""

import sqlalchemy as sa
from alembic import op

from panel.db import UTCDateTime

revision = 'e18a1a000003'
down_revision = 'e18a1a000002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # claimed_by: the send-mail run that holds a message in ``sending`` (panel.mail.runs);
    # handed_over_at: when the whole message went to the mail server, just before the end
    # of its DATA: from then on the server may have accepted it.
    with op.batch_alter_table('outbox_message') as batch:
        batch.add_column(sa.Column('claimed_by', sa.String(length=40), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('handed_over_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_message') as batch:
        batch.drop_column('handed_over_at')
        batch.drop_column('claimed_by')
