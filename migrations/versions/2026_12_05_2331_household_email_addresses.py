"""household email addresses

Revision ID: c1a5e0d40002
Revises: c1a5e0d40001
Create Date: 2026-12-05 23:31:00
"""

from alembic import op

revision = 'c1a5e0d40002'
down_revision = 'c1a5e0d40001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # People of one household may share an email address: an ordinary index instead of
    # the unique constraint (the name follows the convention in panel/db.py).
    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.drop_constraint('uq_panel_member_email', type_='unique')
        batch_op.create_index(batch_op.f('ix_panel_member_email'), ['email'], unique=False)


def downgrade() -> None:
    # Fails when two members share an address: give them their own addresses first.
    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_member_email'))
        batch_op.create_unique_constraint('uq_panel_member_email', ['email'])
