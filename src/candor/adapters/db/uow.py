"""The SQL unit of work: one transaction, the repositories that share it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from candor.adapters.db.accounts import SqlAttempts, SqlSessions, SqlTokens, SqlUsers
from candor.adapters.db.chains import SqlAudit, SqlTimeline
from candor.adapters.db.engine import for_writing
from candor.adapters.db.repositories import SqlIncidents, SqlSequences, SqlTasks
from candor.domain.errors import Conflict


class SqlUnitOfWork:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self.session: Session | None = None

    def __enter__(self) -> Self:
        self.session = self._factory()
        self.incidents = SqlIncidents(self.session)
        self.timeline = SqlTimeline(self.session)
        self.tasks = SqlTasks(self.session)
        self.sequences = SqlSequences(self.session)
        self.audit = SqlAudit(self.session)
        self.users = SqlUsers(self.session)
        self.sessions = SqlSessions(self.session)
        self.tokens = SqlTokens(self.session)
        self.attempts = SqlAttempts(self.session)
        self._extend(self.session)
        return self

    def _extend(self, session: Session) -> None:
        """Attach the repositories that feature modules register (see ``candor.adapters.db``)."""
        for name, repository in EXTRA_REPOSITORIES.items():
            setattr(self, name, repository(session))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.session is not None
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self.session = None
        if isinstance(exc, IntegrityError):
            raise Conflict(
                "the change conflicts with a record written at the same time; try again"
            ) from exc
        if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
            raise Conflict("the database is busy; try again in a moment") from exc

    def commit(self) -> None:
        assert self.session is not None
        try:
            self.session.commit()
        except IntegrityError as exc:
            self.session.rollback()
            raise Conflict(
                "the change conflicts with a record written at the same time; try again"
            ) from exc
        except OperationalError as exc:
            self.session.rollback()
            if "locked" in str(exc).lower():
                raise Conflict("the database is busy; try again in a moment") from exc
            raise

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()


EXTRA_REPOSITORIES: dict[str, type] = {}


def register_repository(name: str, repository: type) -> None:
    """Feature modules add their repositories to every unit of work under ``name``."""
    EXTRA_REPOSITORIES[name] = repository


class SqlUnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        # every feature's repositories register themselves when their module is imported
        from candor.adapters.db import tables  # noqa: F401

        self.engine = engine
        self._read = sessionmaker(bind=engine, expire_on_commit=False)
        self._write = sessionmaker(bind=for_writing(engine), expire_on_commit=False)

    def __call__(self, *, write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._write if write else self._read)
