"""The API against its own OpenAPI document: generated requests never cause a server error,
and every successful response matches its declared schema.

Schemathesis parametrizes at collection time, so the application is built when this module is
imported, on its own SQLite workspace in a temporary directory.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from candor.adapters.db import migrate
from candor.adapters.db.engine import make_engine
from candor.domain.access import SYSTEM
from candor.services import accounts
from candor.web.app import create_app
from tests.fakes import FakeClock
from tests.web.conftest import make_application, seed_users


def _build() -> tuple[schemathesis.BaseSchema, str]:
    workspace = Path(tempfile.mkdtemp(prefix="candor-schemathesis-"))
    atexit.register(shutil.rmtree, workspace, True)
    engine = make_engine(f"sqlite:///{workspace / 'candor.db'}")
    migrate.upgrade(engine)
    application = seed_users(make_application(engine, FakeClock(), workspace))
    secret = accounts.create_token(
        application.context,
        SYSTEM,
        name="schemathesis",
        scopes=["read", "write", "admin"],
        for_user="admin",
    ).secret
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(application)), secret


schema, TOKEN = _build()


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
