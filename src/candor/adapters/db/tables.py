"""All tables, from every feature: import this to get the complete metadata."""

from __future__ import annotations

from sqlalchemy import MetaData

from candor.adapters.db import models, models_records


def metadata() -> MetaData:
    # Feature modules with their own table definitions are imported here so that Alembic and the
    # drift test see every table.
    assert models_records.AttachmentRow.__table__.metadata is models.Base.metadata
    return models.Base.metadata
