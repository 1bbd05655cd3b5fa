"""catalogue facts per tour version, so a listing reads one small row per tour

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

from tours.tour.catalogue import catalogue_facts
from tours.tour.domain import Tour


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tour_catalogue',
    sa.Column('tour_version_id', sa.Integer(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tour_version_id'], ['tour_versions.id'], name=op.f('fk_tour_catalogue_tour_version_id_tour_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tour_version_id', name=op.f('pk_tour_catalogue'))
    )
    # Work out the facts of every stored version, one document at a time.  A draft whose
    # document is not a complete tour yet gets none: publishing it works them out.
    versions = sa.table('tour_versions', sa.column('id', sa.Integer), sa.column('document', sa.JSON))
    catalogue = sa.table('tour_catalogue', sa.column('tour_version_id', sa.Integer), sa.column('facts', sa.JSON))
    bind = op.get_bind()
    ids = [row.id for row in bind.execute(sa.select(versions.c.id))]
    for version_id in ids:
        document = bind.execute(
            sa.select(versions.c.document).where(versions.c.id == version_id)
        ).scalar_one()
        try:
            facts = catalogue_facts(Tour.from_document(document))
        except (KeyError, TypeError, ValueError, IndexError):
            continue
        bind.execute(catalogue.insert().values(tour_version_id=version_id, facts=facts))


def downgrade() -> None:
    op.drop_table('tour_catalogue')
