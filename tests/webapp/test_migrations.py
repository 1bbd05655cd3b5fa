"""The Alembic migrations and the typed models describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tours.db import Base
from webapp.common.database import alembic_config, upgrade


def test_migrations_match_models(engine):
    import webapp.migrations.env_models  # noqa: F401  (every model module)

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(engine):
    from alembic import command

    command.downgrade(alembic_config(engine), "base")
    assert not inspect(engine).has_table("tours")
    upgrade(engine)
    assert inspect(engine).has_table("tours")
