"""Engines: SQLite in WAL mode (embedded default) and PostgreSQL (teams)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.pool import NullPool

WRITE = "candor_write"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return create_engine(
            url, echo=echo, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size * 2
        )
    raise ValueError(
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite:///PATH or "
        "postgresql://USER@HOST/DB"
    )


def version_engine(engine: Engine) -> Engine:
    """An engine for the one-row read the web layer makes on every request (the workspace
    version), apart from the main pool so that this read never waits behind units of work.

    On SQLite the read runs on the event loop: with the main pool's connections all held by
    worker threads it would stop every request of the worker, so it gets a pool of its own
    (one connection, no overflow; a new engine, which the caller disposes). An in-memory
    database has one connection and shares it. On PostgreSQL: a small pool in autocommit (no
    BEGIN and ROLLBACK around one SELECT), no ping before each use (``chains.audit_head_seq``
    reconnects instead), and no overflow connections: under 32 concurrent requests the main
    pool's overflow opened and closed a connection, a new server process, for a good share of
    requests. One such engine serves every Application on the same database in a process."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite":
        if url in ("sqlite://", "sqlite:///:memory:"):
            return engine
        return _sqlite_engine(url, echo=False, pool_size=1)
    return _version_engine(url)


@functools.cache
def _version_engine(url: str) -> Engine:
    # one per database and process, shared by every Application on it (tests build hundreds)
    return create_engine(
        url,
        pool_size=VERSION_POOL,
        max_overflow=0,
        pool_pre_ping=False,
        pool_timeout=30,
        isolation_level="AUTOCOMMIT",
    )


VERSION_POOL = 4


def _sqlite_engine(url: str, *, echo: bool, pool_size: int | None = None) -> Engine:
    memory = url in ("sqlite://", "sqlite:///:memory:")
    kwargs: dict[str, Any] = {
        "echo": echo,
        "connect_args": {"check_same_thread": False, "timeout": 30},
    }
    if memory:
        from sqlalchemy.pool import StaticPool

        kwargs["poolclass"] = StaticPool
    else:
        parsed = make_url(url)
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["poolclass"] = NullPool if parsed.query.get("nullpool") else None
        if kwargs["poolclass"] is None:
            del kwargs["poolclass"]
            if pool_size is not None:
                kwargs.update(pool_size=pool_size, max_overflow=0)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself, so writers can take the
        # write lock up front (BEGIN IMMEDIATE) instead of failing to upgrade a read lock.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(WRITE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


def for_writing(engine: Engine) -> Engine:
    return engine.execution_options(**{WRITE: True})
