"""Developer tool: write a new migration from the difference between the models and a database.

    uv run python -m candor.adapters.db.revision "add inventory tables"

It upgrades a scratch SQLite database to the current head, then autogenerates the difference.
Review the generated file before committing it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from candor.adapters.db import migrate
from candor.adapters.db.engine import make_engine


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        migrate.upgrade(engine)
        command.revision(migrate.alembic_config(engine), message=message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "change")
