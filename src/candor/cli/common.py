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
from candor.domain.vocabulary import Kind, Severity, parse_instant

if TYPE_CHECKING:  # the workspace (database, every adapter) loads only for commands that use it
    from candor import bootstrap

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON with stable field names.")
INCIDENT_KEY = typer.Argument(
    ..., help="The incident's key, e.g. INC-2026-7 (`candor incident list` shows them)."
)
KIND_HELP = (
    "What happened: event (observed, no compromise), security_incident (our systems or data "
    "compromised), personal_data_breach (personal data exposed: legal clocks may run), "
    "supply_chain_breach (secrets or code we hold for customers exposed)."
)
SEVERITY_HELP = (
    "SEV1 critical (customer or personal data reached, or attacker active: all hands now) to "
    "SEV4 low (no evidence of compromise)."
)
NEW_KIND = typer.Option(Kind.SECURITY_INCIDENT, "--kind", case_sensitive=False, help=KIND_HELP)
NEW_SEVERITY = typer.Option(
    Severity.SEV3, "--severity", help=SEVERITY_HELP + " Triage may change it."
)
RESTRICTED = typer.Option(
    False,
    "--restricted",
    help="Need-to-know: only the incident's members (roles, participants, the declarer) and "
    "admins see it.",
)


def limit_option(default: int, *, maximum: int | None = None) -> Any:
    """``--limit N`` of a listing command: how many rows it shows at most."""
    bounds = f" (1 to {maximum})" if maximum else ""
    return typer.Option(
        default, "--limit", min=1, max=maximum, help=f"Show at most this many rows{bounds}."
    )


EXPECTED_VERSION = typer.Option(
    None,
    "--expected-version",
    help="Refuse the change if the incident is no longer at this version (`candor incident "
    "show` prints it), so you never overwrite a colleague's change. Unset: no check.",
)


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
