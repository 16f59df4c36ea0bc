"""All tables, from every feature: import this to get the complete metadata."""

from __future__ import annotations

from sqlalchemy import MetaData

from candor.adapters.db import advisories as _advisories  # noqa: F401 - advisory tables
from candor.adapters.db import delivery as _delivery  # noqa: F401 - outbox, leases, subscribers
from candor.adapters.db import impact as _impact  # noqa: F401 - impact statements, findings
from candor.adapters.db import intake as _intake  # noqa: F401 - reports, triage assessments
from candor.adapters.db import inventory as _inventory  # noqa: F401 - inventory, customers, scope
from candor.adapters.db import learn as _learn  # noqa: F401 - retros, shared indicators, VERIS
from candor.adapters.db import models
from candor.adapters.db import models_records as _records  # noqa: F401 - registers its tables
from candor.adapters.db import obligations as _obligations  # noqa: F401 - facts, obligations
from candor.adapters.db import prepare as _prepare  # noqa: F401 - contacts and exercises tables
from candor.adapters.db import statements as _statements  # noqa: F401 - statements


def metadata() -> MetaData:
    # Feature modules with their own table definitions are imported here so that Alembic and the
    # drift test see every table.
    return models.Base.metadata
