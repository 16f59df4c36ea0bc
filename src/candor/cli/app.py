"""The ``candor`` command. One module per area registers its commands here.

Exit codes: 0 done; 1 the request was understood but refused (a domain error: not found, illegal
transition, conflict, invalid value); 2 the command line itself is wrong (usage error).
"""

from __future__ import annotations

import sys
from functools import cache
from typing import Any

import typer

from candor import __version__
from candor.cli.common import closing_app, err, state
from candor.domain.errors import CandorError

HELP = "Candor: handle security incidents from routine to breach."
SCOPE_HELP = "Blast radius from logs (CloudTrail, web, …)."


def _version(value: bool) -> None:
    if value:
        print(f"candor {__version__}")
        raise typer.Exit()


def root(
    acting_as: str | None = typer.Option(
        None,
        "--as",
        metavar="USER",
        help="Act as this user (default: CANDOR_USER, then your "
        "login name). Recorded as the author of every change.",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    state.acting_as = acting_as


def _base() -> typer.Typer:
    made = typer.Typer(
        name="candor",
        help=HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    made.callback()(root)
    return made


@cache
def full_app() -> typer.Typer:
    """Every command. Its modules load the workspace's adapters, the web application and the
    exporters: about two seconds of imports."""
    from candor.cli import (
        accounts,
        advisories,
        attachments,
        audit,
        contacts,
        delivery,
        exercises,
        impact,
        incidents,
        inventory,
        playbooks,
        readiness,
        records,
        reports,
        retros,
        roles,
        scope,
        secrets,
        securitytxt,
        serve,
        sharing,
        statements,
        stix,
        tasks,
        timeline,
        triage,
        veris,
        workspace,
    )
    from candor.cli.obligations import app as obligations_app

    app = _base()
    workspace.register(app)
    app.command("serve")(serve.serve)
    app.add_typer(incidents.app, name="incident", help="Declare, list, show and change incidents.")
    app.add_typer(roles.app, name="role", help="Assign response roles.")
    app.add_typer(tasks.app, name="task", help="Tasks of an incident.")
    app.add_typer(timeline.app, name="timeline", help="The append-only, hash-chained timeline.")
    app.add_typer(audit.app, name="audit", help="The tamper-evident audit log.")
    app.add_typer(impact.impact_app, name="impact", help="The living impact statement.")
    app.add_typer(impact.findings_app, name="findings", help="New information waiting for review.")
    app.command("status-report")(impact.status_report)
    app.add_typer(accounts.users_app, name="user", help="Users who sign in to the web UI.")
    app.add_typer(accounts.tokens_app, name="token", help="API tokens for automation.")
    app.add_typer(
        triage.app, name="triage", help="Classify an incident from questionnaire answers."
    )
    app.add_typer(reports.app, name="report", help="Reports from outside: add, list, handle.")
    app.add_typer(
        secrets.app, name="secrets", help="Identify a leaked secret and how to rotate it."
    )
    app.add_typer(securitytxt.app, name="securitytxt", help="Generate and check security.txt.")
    app.add_typer(stix.app, name="stix", help="Build and check STIX 2.1 bundles of indicators.")
    app.add_typer(veris.app, name="veris", help="Check and import VERIS 1.4 incident records.")
    app.add_typer(
        advisories.app, name="advisory", help="CVE, CSAF and OSV advisories from one record."
    )
    app.add_typer(
        obligations_app, name="obligations", help="Who must be notified, by when, with what."
    )
    app.add_typer(
        playbooks.app, name="playbook", help="Playbooks: tasks per phase for each kind of incident."
    )
    app.add_typer(
        contacts.app, name="contact", help="Outside help: counsel, forensics, insurer, CERT …"
    )
    app.add_typer(exercises.app, name="exercise", help="Tabletop exercises on the real workflow.")
    readiness.register(app)
    app.add_typer(attachments.app, name="attach", help="Evidence files with a chain of custody.")
    app.add_typer(attachments.hold_app, name="hold", help="Legal holds on incidents.")
    app.add_typer(
        attachments.export_app, name="export", help="Export records for counsel or regulators."
    )
    records.register(app)
    app.add_typer(scope.app, name="scope", help=SCOPE_HELP)
    retros.register(app)
    sharing.register(app)
    app.add_typer(
        inventory.inventory_app,
        name="inventory",
        help="Systems, the data they hold, secrets, code.",
    )
    app.add_typer(inventory.customers_app, name="customers", help="Customers and their contacts.")
    app.add_typer(
        statements.app, name="statements", help="Statements: draft, review, publish, correct."
    )
    app.add_typer(statements.site_app, name="site", help="The public status site as static files.")
    delivery.register(app)
    return app


def scope_app(command: str | None = None) -> typer.Typer:
    """``candor scope …`` alone: a scan of logs on a laptop needs the log engine, not the
    workspace, so it starts in a fraction of the time (the scope benchmark counts it).

    ``candor scope run`` loads only its own module; the commands that work on an incident's
    scope (mark, show, attach …) live with the inventory and load half a second of workspace
    code, so they come in for any other subcommand and for the help that lists them all."""
    from candor.cli import scope

    if command != "run":
        from candor.cli import inventory  # noqa: F401 - adds mark, show, attach … to `scope`

    app = _base()
    app.add_typer(scope.app, name="scope", help=SCOPE_HELP)
    return app


def __getattr__(name: str) -> Any:
    if name == "app":  # ``from candor.cli.app import app``: the whole command tree
        return full_app()
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["scope"]:
        chosen = scope_app(args[1] if len(args) > 1 else None)
    elif args == ["--version"]:
        chosen = _base()
    else:
        chosen = full_app()
    command = typer.main.get_command(chosen)
    try:
        with closing_app():
            result = command.main(args=args, prog_name="candor", standalone_mode=False)
    except typer.Exit as done:
        return int(done.exit_code or 0)
    except typer.Abort:
        err.print("Aborted.")
        return 1
    except typer.TyperException as exc:
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            err.print(f"Error: {exc.format_message()}", markup=False)
        return exc.exit_code
    except CandorError as exc:
        err.print(f"Error: {exc.message}", markup=False)
        return 1
    except KeyboardInterrupt:
        err.print("Interrupted.")
        return 130
    return result if isinstance(result, int) else 0


def run() -> None:  # pragma: no cover - console script entry
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
