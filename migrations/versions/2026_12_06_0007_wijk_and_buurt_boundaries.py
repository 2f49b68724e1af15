"""wijk and buurt boundaries

Revision ID: 3becebc49170
Revises: c1a5e0d40002
Create Date: 2026-12-06 00:07:19.863892
"""

import sqlalchemy as sa
from alembic import op

import panel.db

revision = '3becebc49170'
down_revision = 'c1a5e0d40002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The shapes of wijken and buurten for the maps (see panel.areas.models.Boundary).
    op.create_table('boundary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('geojson', sa.Text(), nullable=False),
    sa.Column('rd_rings', sa.Text(), nullable=False),
    sa.Column('min_x', sa.Float(), nullable=False),
    sa.Column('min_y', sa.Float(), nullable=False),
    sa.Column('max_x', sa.Float(), nullable=False),
    sa.Column('max_y', sa.Float(), nullable=False),
    sa.Column('loaded_at', panel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boundary')),
    sa.UniqueConstraint('level', 'code', name=op.f('uq_boundary_level'))
    )


def downgrade() -> None:
    op.drop_table('boundary')
