"""Alembic environment: the engine comes from Candor's configuration, never from alembic.ini."""

from __future__ import annotations

from alembic import context

from candor.adapters.db import tables
from candor.adapters.db.engine import for_writing

config = context.config
engine = config.attributes["engine"]


def run() -> None:
    with for_writing(engine).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=tables.metadata(),
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
