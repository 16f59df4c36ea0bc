"""Models and migrations never drift; the schema upgrades from empty on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from candor.adapters.db import migrate, tables


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, tables.metadata())
    assert differences == [], (
        "models and migrations differ; write a migration with "
        "`uv run python -m candor.adapters.db.revision 'what changed'`:\n"
        + "\n".join(map(str, differences))
    )


def test_schema_is_at_the_single_head(engine: Engine) -> None:
    assert len(migrate.head_revisions(engine)) == 1, "merge the migration heads"
    assert migrate.is_current(engine)


def test_every_table_exists(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    assert {t.name for t in tables.metadata().sorted_tables} <= names
