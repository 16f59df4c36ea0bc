"""What every CLI command shares: the application, the acting user, output in tables or JSON."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from candor.domain.access import Actor, OrgRole
from candor.domain.errors import InvalidInput, Problem
from candor.domain.incidents import check_person
from candor.domain.vocabulary import parse_instant

if TYPE_CHECKING:  # the workspace (database, every adapter) loads only for commands that use it
    from candor import bootstrap

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON with stable field names.")


class State:
    """Options given before the command (``candor --as alice …``)."""

    acting_as: str | None = None
    app: bootstrap.Application | None = None


state = State()


def application(*, require_schema: bool = True) -> bootstrap.Application:
    if state.app is None:
        from candor import bootstrap, config  # the settings model costs 0.2 s to import

        state.app = bootstrap.build(config.load())
    if require_schema:
        state.app.require_schema()
    return state.app


def actor() -> Actor:
    """Who the CLI acts as. The CLI is run by an operator with access to the workspace itself,
    so it acts with administrator rights, under a named person for the record."""
    app = application()
    name = state.acting_as or app.settings.user or getpass.getuser()
    username = check_person(name, field="--as")
    role = _lookup_role(app, username)
    return Actor(username, role, via="cli")


def _lookup_role(app: bootstrap.Application, username: str) -> OrgRole:
    lookup = getattr(app, "user_role", None)
    if lookup is None:
        return OrgRole.ADMIN
    role: OrgRole | None = lookup(username)
    return role or OrgRole.ADMIN


def when(value: str | None, *, field: str) -> datetime | None:
    if value is None:
        return None
    return parse_instant(value, field=field)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def fail_usage(message: str, *, field: str) -> InvalidInput:
    return InvalidInput(Problem(message, field=field))


@contextmanager
def closing_app() -> Iterator[None]:
    try:
        yield
    finally:
        if state.app is not None:
            state.app.close()
            state.app = None


def short_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M UTC")
