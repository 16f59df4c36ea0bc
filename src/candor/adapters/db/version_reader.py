"""The workspace version read from the event loop on PostgreSQL.

The web layer reads the audit chain's length on every request (it keys the response cache and
the remembered callers). On SQLite that is a local read; on PostgreSQL it is a round trip, which
a synchronous driver must make from a worker thread: two hand-offs per request, the largest
cost left in a cached answer. psycopg's asyncio connections make it on the loop instead.

A reader belongs to one event loop: the web application opens it at start-up (its lifespan)
and closes it at shutdown, so each server worker has its own and none outlives its loop.
"""

from __future__ import annotations

import asyncio

import psycopg
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql

from candor.adapters.db.chains import AUDIT_HEAD_SEQ

CONNECT_TIMEOUT = 10  # seconds

SQL = str(
    AUDIT_HEAD_SEQ.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
)


class AsyncVersionReader:
    """A few autocommit connections, each used by one read at a time."""

    def __init__(self, conninfo: str, *, size: int = 4) -> None:
        self._conninfo = conninfo
        self._size = size
        self._idle: list[psycopg.AsyncConnection[tuple[int]]] = []
        self._open = 0
        self._ready = asyncio.Condition()
        self._closed = False

    @classmethod
    def for_engine(cls, engine: Engine) -> AsyncVersionReader | None:
        if engine.dialect.name != "postgresql":
            return None
        url = engine.url.set(drivername="postgresql")
        return cls(url.render_as_string(hide_password=False))

    async def read(self) -> int:
        conn = await self._take()
        try:
            try:
                row = await (await conn.execute(SQL, prepare=True)).fetchone()
            except psycopg.OperationalError:
                # the server dropped it (a restart): once more on a new connection
                await conn.close()
                conn = await self._connect()
                row = await (await conn.execute(SQL, prepare=True)).fetchone()
        except BaseException:
            await conn.close()
            async with self._ready:
                self._open -= 1
                self._ready.notify()
            raise
        async with self._ready:
            closing = self._closed  # closed while this read ran: the connection goes too
            if closing:
                self._open -= 1
            else:
                self._idle.append(conn)
            self._ready.notify()
        if closing:
            await conn.close()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        self._closed = True
        async with self._ready:
            idle, self._idle = self._idle, []
            self._open -= len(idle)
        for conn in idle:
            await conn.close()

    async def _take(self) -> psycopg.AsyncConnection[tuple[int]]:
        async with self._ready:
            while True:
                if self._closed:
                    raise RuntimeError("the version reader is closed")
                if self._idle:
                    return self._idle.pop()
                if self._open < self._size:
                    self._open += 1
                    break
                await self._ready.wait()
        try:
            return await self._connect()
        except BaseException:
            async with self._ready:
                self._open -= 1
                self._ready.notify()
            raise

    async def _connect(self) -> psycopg.AsyncConnection[tuple[int]]:
        # bounded like the synchronous pool's wait: an unreachable server fails the request
        return await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT
        )
