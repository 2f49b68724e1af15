"""the English name of an indicator's theme

Revision ID: e18a1a000008
Revises: e18a1a000007
Create Date: 2026-12-07 01:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'e18a1a000008'
down_revision = 'e18a1a000007'
branch_labels = None
depends_on = None

# The themes of the Veiligheidsmonitor's standard indicators (the shipped catalogue), so
# that the English pages of a municipality that loaded them read English at once.
STANDARD_THEMES = {
    "Leefbaarheid": "Liveability",
    "Overlast": "Nuisance",
    "Politie en gemeente": "Police and municipality",
    "Preventie": "Prevention",
    "Slachtofferschap": "Victims of crime",
    "Veiligheidsgevoel": "Feeling safe",
}


def upgrade() -> None:
    # A column with a default is added in place, also on SQLite (no copy of the table).
    op.add_column('indicator', sa.Column('theme_en', sa.String(length=80), nullable=False,
                                         server_default=''))
    indicator = sa.table('indicator', sa.column('theme', sa.String()),
                         sa.column('theme_en', sa.String()))
    for dutch, english in STANDARD_THEMES.items():
        op.execute(indicator.update().where(indicator.c.theme == dutch)
                   .values(theme_en=english))


def downgrade() -> None:
    with op.batch_alter_table('indicator') as batch:
        batch.drop_column('theme_en')
