"""Workspace commands: ``candor init`` and ``candor db …``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import typer

from candor import config
from candor.adapters.db import migrate
from candor.cli.common import application, console, state

db_app = typer.Typer(no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("demo")(demo)
    app.add_typer(db_app, name="db", help="Database schema.")


def init(
    home: Path | None = typer.Option(
        None, "--home", help="Workspace directory (default: CANDOR_HOME, then ~/.candor)."
    ),
    organization: str | None = typer.Option(
        None, "--organization", help="Your organisation's name."
    ),
    timezone: str | None = typer.Option(
        None, "--timezone", help="IANA time zone, e.g. Europe/Dublin."
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="Use this database instead of SQLite in the workspace (e.g. postgresql://…).",
    ),
) -> None:
    """Create a workspace: configuration, database schema. Safe to run again (it upgrades)."""
    if home is not None:
        os.environ["CANDOR_HOME"] = str(home.expanduser().resolve())
    target = config.default_home()
    target.mkdir(parents=True, exist_ok=True)
    path = target / config.CONFIG_NAME
    created = False
    if not path.exists():
        overrides: dict[str, object] = {}
        org: dict[str, str] = {}
        if organization:
            org["name"] = organization
        if timezone:
            org["timezone"] = timezone
        if org:
            overrides["organization"] = org
        if database_url:
            overrides["database_url"] = database_url
        settings = config.load(**overrides)
        path.write_text(
            config.render_toml(settings, secret_key=secrets.token_urlsafe(32)), encoding="utf-8"
        )
        path.chmod(0o600)
        created = True
    state.app = None
    app = application(require_schema=False)
    migrate.upgrade(app.engine)
    verb = "Created" if created else "Upgraded"
    console.print(f"{verb} workspace {target}")
    console.print(f"  configuration: {path}")
    console.print(f"  database:      {app.engine.url.render_as_string(hide_password=True)}")


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply pending schema migrations."""
    app = application(require_schema=False)
    migrate.upgrade(app.engine)
    console.print("Database schema is current.")


@db_app.command("status")
def status() -> None:
    """Show whether the schema is current."""
    app = application(require_schema=False)
    current = migrate.current_revisions(app.engine)
    heads = migrate.head_revisions(app.engine)
    console.print(f"current: {', '.join(sorted(current)) or 'empty'}")
    console.print(f"latest:  {', '.join(sorted(heads))}")
    if current != heads:
        console.print("Run `candor db upgrade`.")
        raise typer.Exit(1)


def demo(
    serve_it: bool = typer.Option(True, "--serve/--no-serve", help="Serve the UI afterwards."),
    port: int | None = typer.Option(
        None,
        "--port",
        help="The port to serve on. Unset: the workspace's web.port (8000 by default).",
    ),
) -> None:
    """Create (or reuse) a demo workspace with realistic data and serve it."""
    from candor import demo as demo_data
    from candor.cli.serve import serve

    target = config.default_home()
    if not (target / config.CONFIG_NAME).exists():
        init(
            home=None,
            organization="Northwind Metrics, Inc. (demo)",
            timezone="America/New_York",
            database_url=None,
        )
    if demo_data.configure(target) and state.app is not None:
        state.app.close()  # the organisation profile was added: read the settings again
        state.app = None
    app = application()
    migrate.upgrade(app.engine)
    loaded = demo_data.load(app)
    settings = app.settings.web
    url = f"http://{settings.host}:{port or settings.port}/"
    console.print()
    console.print(
        "Demo workspace " + ("loaded" if loaded.created else "already loaded") + f" in {target}"
    )
    console.print(f"  Open {url}")
    console.print(
        f"  Sign in as maria (administrator) or tomas, priya, sam, elena, kenji; "
        f"password: {demo_data.DEMO_PASSWORD}"
    )
    console.print(f"  Incidents: {', '.join(loaded.incidents)}")
    console.print(f"  Public status page (no sign-in): {url}status")
    if serve_it:
        serve(host=None, port=port, workers=None)
