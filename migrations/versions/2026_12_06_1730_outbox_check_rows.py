"""the rows of mail settings checks marked, and the outbox's state read from indexes

Revision ID: e18a1a000006
Revises: e18a1a000005
Create Date: 2026-12-06 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'e18a1a000006'
down_revision = 'e18a1a000005'
branch_labels = None
depends_on = None

# How the rows of a settings check were known until now: the template in their headers.
CHECK_HEADERS = '%"X-Wijkpanel-Template": "mail_check"%'


def upgrade() -> None:
    with op.batch_alter_table('outbox_message') as batch:
        batch.add_column(sa.Column('is_check', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    outbox = sa.table('outbox_message', sa.column('headers', sa.Text()),
                      sa.column('is_check', sa.Boolean()))
    op.execute(outbox.update().where(outbox.c.headers.like(CHECK_HEADERS))
               .values(is_check=True))
    op.create_index('ix_outbox_message_check_id', 'outbox_message', ['is_check', 'id'])
    op.create_index('ix_outbox_message_status_check_to', 'outbox_message',
                    ['status', 'is_check', 'to_address'])
    op.create_index('ix_outbox_message_status_attempts', 'outbox_message',
                    ['status', 'attempts'])


def downgrade() -> None:
    op.drop_index('ix_outbox_message_status_attempts', table_name='outbox_message')
    op.drop_index('ix_outbox_message_status_check_to', table_name='outbox_message')
    op.drop_index('ix_outbox_message_check_id', table_name='outbox_message')
    with op.batch_alter_table('outbox_message') as batch:
        batch.drop_column('is_check')
