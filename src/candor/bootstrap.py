"""The one place that wires adapters into services."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from sqlalchemy import Engine

from candor import config
from candor.adapters import untracked
from candor.adapters.clock import SystemClock
from candor.adapters.db import migrate
from candor.adapters.db import obligations as _obligations  # noqa: F401 - registers obligations
from candor.adapters.db import prepare as _prepare  # noqa: F401 - registers contacts, exercises
from candor.adapters.db.engine import make_engine
from candor.adapters.db.uow import SqlUnitOfWorkFactory
from candor.adapters.obligations_setup import SettingsObligations
from candor.adapters.passwords import Argon2Hasher
from candor.domain.access import OrgRole
from candor.domain.errors import CandorError
from candor.services import accounts
from candor.services import obligations as _recompute  # noqa: F401 - recompute on clock changes
from candor.services.context import Context
from candor.services.obligation_records import TrackedObligationRecords
from candor.services.ports import Clock, PasswordHasher
from candor.services.ports_prepare import Signals


class NotInitialised(CandorError):
    status = 503
    title = "Workspace not initialised"
    code = "not-initialised"


@dataclass
class Application:
    settings: config.Settings
    clock: Clock
    hasher_override: PasswordHasher | None = None

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database)

    @cached_property
    def context(self) -> Context:
        return Context(
            uow=SqlUnitOfWorkFactory(self.engine),
            clock=self.clock,
            organization=self.settings.organization.name,
            hasher=self.hasher,
            session_hours=self.settings.web.session_hours,
            obligations=self.obligations,
        )

    @cached_property
    def obligations(self) -> SettingsObligations:
        return SettingsObligations(self.settings)

    @cached_property
    def hasher(self) -> PasswordHasher:
        return self.hasher_override or Argon2Hasher()

    def user_role(self, username: str) -> OrgRole | None:
        return accounts.role_of(self.context, username)

    @cached_property
    def signals(self) -> Signals:
        # What exercises and readiness read from features not installed yet: "not measured".
        # Each feature replaces its stand-in here when it lands.
        return replace(untracked.signals(), obligations=TrackedObligationRecords())

    def require_schema(self) -> None:
        if not migrate.is_current(self.engine):
            raise NotInitialised(
                f"the database at {self.engine.url.render_as_string(hide_password=True)} is not "
                "initialised or needs an upgrade: run `candor init` (new workspace) or "
                "`candor db upgrade`"
            )

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def build(
    settings: config.Settings | None = None,
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
) -> Application:
    return Application(
        settings=settings or config.load(), clock=clock or SystemClock(), hasher_override=hasher
    )
