"""A small cache of rendered responses, safe because every change bumps one number.

Every change in the workspace appends an audit record in the same transaction
(``services.audit.version``), so a response rendered at audit version N is still right while the
version is N. The key also holds the caller's session or token (pages carry the session's CSRF
token and are filtered by need-to-know), the exact path and query, and the current minute (pages
show ages and overdue flags). Each worker process keeps its own cache; the version is read from
the database on every request, so a change made through another process is seen at once.

Turn it off with ``web.page_cache = false`` (the web benchmark measures both).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from candor.services import incidents
from candor.web.deps import (
    Caller,
    application,
    context,
    workspace_version,
    workspace_version_on_loop,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Stored:
    body: bytes
    status: int
    media_type: str


class ResponseCache:
    def __init__(self, *, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        # rendered responses (``Stored``) and, under keys of their own, data (``remembered``)
        self._items: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple[object, ...], threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[object, ...]) -> Stored | None:
        found = self.get_any(key)
        return found if isinstance(found, Stored) else None

    def get_any(self, key: tuple[object, ...]) -> object | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def single_flight(
        self, key: tuple[object, ...], build: Callable[[], Stored | None]
    ) -> Stored | None:
        """``build()`` once for concurrent misses on one key: the others wait for its result
        instead of rendering the same page at the same time (a stampede that, on a big
        workspace, makes every one of them slow)."""
        with self._lock:
            lock = self._building.setdefault(key, threading.Lock())
        with lock:
            found = self.get(key)
            if found is None:
                found = build()
                if found is not None:
                    self.put(key, found)
            with self._lock:
                if self._building.get(key) is lock:
                    del self._building[key]
            return found

    def put(self, key: tuple[object, ...], value: object) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)


def _caller_key(caller: Caller) -> object:
    resolved = caller.resolved
    if resolved.session is not None:
        return ("session", resolved.session.id)
    if resolved.token is not None:
        return ("token", resolved.token.id)
    return ("user", caller.actor.username)


def _snapshot(build: Callable[[], Response]) -> Callable[[], Response]:
    """A page is built from many sections, each reading the incident: read it once."""

    def run() -> Response:
        with incidents.read_snapshot():
            return build()

    return run


def _data_key(request: Request, caller: Caller) -> tuple[object, ...]:
    """What a response depends on besides the clock: path, query, caller, workspace version."""
    return (request.url.path, request.url.query, _caller_key(caller), workspace_version(request))


def _key(request: Request, caller: Caller, fresh_for: int) -> tuple[object, ...]:
    tick = int(context(request).clock.now().timestamp() // fresh_for)
    return (*_data_key(request, caller), tick)


def _store(request: Request) -> ResponseCache | None:
    store: ResponseCache | None = getattr(request.app.state, "response_cache", None)
    if store is None or not application(request).settings.web.page_cache:
        return None
    return store


def remembered(request: Request, caller: Caller, compute: Callable[[], T]) -> T:
    """``compute()``'s result for this request's path, query and caller, kept while the
    workspace version stays the same. For data read from the database that a response then
    dresses with the time (ages): when only the clock moved, the response is made again from
    the data kept here, without the database."""
    store = _store(request)
    if store is None:
        return compute()
    key = ("data", *_data_key(request, caller))
    found = store.get_any(key)
    if found is not None:
        return found  # type: ignore[return-value]
    value = compute()
    store.put(key, value)
    return value


async def cached_on_loop(
    request: Request, caller: Caller, build: Callable[[], Response], *, fresh_for: int = 60
) -> Response:
    """``cached`` for an ``async`` route: a response still fresh is answered from the event
    loop, with no worker thread; only a render (``build`` reads the database) goes to one,
    under the key looked up here."""
    store = _store(request)
    if store is None:
        return await run_in_threadpool(_snapshot(build))
    await workspace_version_on_loop(request)  # read in place, or remembered from the caller's
    key = _key(request, caller, fresh_for)
    found = store.get(key)
    if found is not None:
        return Response(found.body, status_code=found.status, media_type=found.media_type)
    return await run_in_threadpool(_render, store, key, _snapshot(build))


def cached(
    request: Request, caller: Caller, build: Callable[[], Response], *, fresh_for: int = 60
) -> Response:
    """Serve ``build()``'s response, from the cache when nothing changed since it was made.

    ``fresh_for`` is how many seconds a response may be reused when nothing changed: pages
    show ages in minutes (60); the API's ages are in seconds (1).
    """
    build = _snapshot(build)
    store = _store(request)
    if store is None:
        return build()
    key = _key(request, caller, fresh_for)
    found = store.get(key)
    if found is not None:
        return Response(found.body, status_code=found.status, media_type=found.media_type)
    return _render(store, key, build)


def _render(
    store: ResponseCache, key: tuple[object, ...], build: Callable[[], Response]
) -> Response:
    """A miss: ``build()`` once for concurrent requests on ``key``, kept when worth keeping."""
    built: list[Response] = []

    def render() -> Stored | None:
        response = build()
        built.append(response)
        body = getattr(response, "body", None)
        if response.status_code == 200 and isinstance(body, bytes):
            media = response.media_type or "text/html; charset=utf-8"
            return Stored(body, response.status_code, media)
        return None

    stored = store.single_flight(key, render)
    if built:  # rendered here: answer with the response itself (headers, cookies and all)
        return built[0]
    if stored is None:  # another request rendered something not worth keeping: render ours
        return build()
    return Response(stored.body, status_code=stored.status, media_type=stored.media_type)
