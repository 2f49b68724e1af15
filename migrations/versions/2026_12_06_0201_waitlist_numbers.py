"""waitlist numbers

Revision ID: d16a00000002
Revises: d16a00000001
Create Date: 2026-12-06 02:00:00
"""

import sqlalchemy as sa
from alembic import op

import panel.db

revision = 'd16a00000002'
down_revision = 'd16a00000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waitlist_counter', sa.Integer(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('reply', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_number', sa.Integer(), nullable=True))
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('letter_printed_at', panel.db.UTCDateTime(),
                                      nullable=True))

    # Number the people waiting now in the order they had: the moment they asked, then id.
    connection = op.get_bind()
    waiting = connection.execute(sa.text(
        "SELECT id, meeting_id FROM reply WHERE status = 'waiting' "
        "ORDER BY meeting_id, CASE WHEN waiting_since IS NULL THEN 1 ELSE 0 END, "
        "waiting_since, id")).all()
    numbers: dict[int, int] = {}
    rows = []
    for reply_id, meeting_id in waiting:
        numbers[meeting_id] = numbers.get(meeting_id, 0) + 1
        rows.append({"id": reply_id, "number": numbers[meeting_id]})
    if rows:
        connection.execute(sa.text("UPDATE reply SET waiting_number = :number WHERE id = :id"),
                           rows)
        connection.execute(sa.text("UPDATE meeting SET waitlist_counter = :counter "
                                   "WHERE id = :id"),
                           [{"id": meeting_id, "counter": counter}
                            for meeting_id, counter in numbers.items()])


def downgrade() -> None:
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_column('letter_printed_at')
    with op.batch_alter_table('reply', schema=None) as batch_op:
        batch_op.drop_column('waiting_number')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('waitlist_counter')
