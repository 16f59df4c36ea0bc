"""Storage on SQLAlchemy 2: SQLite (embedded, WAL) by default, PostgreSQL for teams."""

# Feature repositories register themselves with every unit of work when imported; importing them
# here means any use of the database package has them (services rely on ``uow.attachments`` …).
from candor.adapters.db import records_repos as _records_repos  # noqa: F401
