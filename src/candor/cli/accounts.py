"""``candor user …`` and ``candor token …``"""

from __future__ import annotations

import secrets
import sys
import uuid

import typer
from rich.table import Table

from candor.cli.common import JSON_OPTION, actor, application, console, err, print_json, short_time
from candor.domain.access import OrgRole, Scope
from candor.domain.errors import InvalidInput, Problem
from candor.services import accounts

users_app = typer.Typer(no_args_is_help=True)
tokens_app = typer.Typer(no_args_is_help=True)

USERNAME = typer.Argument(..., help="The user's sign-in name, as `candor user list` shows it.")
ROLE_HELP = (
    "What the user may do: admin (users, tokens, settings, every incident), responder (declare "
    "and work incidents), counsel (also records legal determinations), viewer (reads incidents "
    "that are not restricted)."
)
DISPLAY_NAME_HELP = "Full name shown on pages, the timeline and statements, e.g. 'Alice Smith'."
EMAIL_HELP = "Where Candor sends this user's notifications, e.g. alice@example.com."
FROM_STDIN_HELP = (
    "Read the password from the first line of standard input instead of prompting for it "
    "twice (for scripts and when not in a terminal)."
)
GENERATE_HELP = "Generate a strong random password and print it once; it is not stored."


def _read_password(from_stdin: bool, generate: bool) -> tuple[str, bool]:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\n")
        if not value:
            raise InvalidInput(Problem("no password on standard input", field="--password-stdin"))
        return value, False
    if generate:
        return secrets.token_urlsafe(18), True
    if not sys.stdin.isatty():
        raise InvalidInput(
            Problem(
                "give --password-stdin or --generate-password when not running in a terminal",
                field="password",
            )
        )
    first = typer.prompt("Password", hide_input=True)
    second = typer.prompt("Repeat password", hide_input=True)
    if first != second:
        raise InvalidInput(Problem("the two passwords differ", field="password"))
    return first, False


@users_app.command("create")
def create(
    username: str = typer.Argument(..., help="Lower-case user name, e.g. alice."),
    admin: bool = typer.Option(False, "--admin", help="Make the user an administrator."),
    role: OrgRole = typer.Option(
        OrgRole.RESPONDER,
        "--role",
        case_sensitive=False,
        help=ROLE_HELP + " --admin overrides it.",
    ),
    display_name: str = typer.Option("", "--display-name", help=DISPLAY_NAME_HELP),
    email: str = typer.Option("", "--email", help=EMAIL_HELP),
    password_stdin: bool = typer.Option(False, "--password-stdin", help=FROM_STDIN_HELP),
    generate_password: bool = typer.Option(False, "--generate-password", help=GENERATE_HELP),
    json: bool = JSON_OPTION,
) -> None:
    """Create a user who can sign in to the web UI."""
    app_ = application()
    password, generated = _read_password(password_stdin, generate_password)
    user = accounts.create_user(
        app_.context,
        actor(),
        username=username,
        password=password,
        display_name=display_name,
        email=email,
        role=OrgRole.ADMIN if admin else role,
    )
    if json:
        out: dict[str, object] = {"username": user.username, "role": user.role.value}
        if generated:
            out["password"] = password
        print_json(out)
        return
    console.print(f"Created user {user.username} ({user.role.value}).")
    if generated:
        console.print(f"Password (shown once): {password}", markup=False)


@users_app.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", help="Include deactivated users."),
    json: bool = JSON_OPTION,
) -> None:
    """List users."""
    app_ = application()
    items = accounts.list_users(app_.context, actor(), include_inactive=all_)
    if json:
        print_json(
            [
                {
                    "username": u.username,
                    "display_name": u.display_name,
                    "email": u.email,
                    "role": u.role.value,
                    "active": u.active,
                }
                for u in items
            ]
        )
        return
    table = Table("user", "name", "role", "active", "e-mail")
    for u in items:
        table.add_row(
            u.username,
            u.display_name or "—",
            u.role.value,
            "yes" if u.active else "no",
            u.email or "—",
        )
    console.print(table)


@users_app.command("set")
def set_(
    username: str = USERNAME,
    role: OrgRole | None = typer.Option(
        None, "--role", case_sensitive=False, help=ROLE_HELP + " Unset: unchanged."
    ),
    active: bool | None = typer.Option(
        None,
        "--active/--inactive",
        help="Allow or stop signing in; deactivating ends the user's sessions and tokens at "
        "once. Unset: unchanged.",
    ),
    display_name: str | None = typer.Option(
        None, "--display-name", help=DISPLAY_NAME_HELP + " Unset: unchanged."
    ),
    email: str | None = typer.Option(None, "--email", help=EMAIL_HELP + " Unset: unchanged."),
) -> None:
    """Change a user's role, name, e-mail or whether they may sign in."""
    app_ = application()
    user = accounts.update_user(
        app_.context,
        actor(),
        username,
        role=role,
        active=active,
        display_name=display_name,
        email=email,
    )
    console.print(
        f"{user.username}: {user.role.value}, {'active' if user.active else 'deactivated'}."
    )


@users_app.command("passwd")
def passwd(
    username: str = USERNAME,
    password_stdin: bool = typer.Option(False, "--password-stdin", help=FROM_STDIN_HELP),
    generate_password: bool = typer.Option(False, "--generate-password", help=GENERATE_HELP),
) -> None:
    """Set a user's password (ends their sessions)."""
    app_ = application()
    password, generated = _read_password(password_stdin, generate_password)
    accounts.set_password(app_.context, actor(), username, password)
    console.print(f"Password of {username} changed; their sessions were ended.")
    if generated:
        console.print(f"Password (shown once): {password}", markup=False)


@tokens_app.command("create")
def token_create(
    name: str = typer.Option(..., "--name", help="What will use it, e.g. 'SIEM export'."),
    scope: list[Scope] = typer.Option(
        [Scope.READ],
        "--scope",
        case_sensitive=False,
        help="What the token may do: read, write or admin; repeat for several. It never "
        "exceeds its owner's own rights.",
    ),
    user: str | None = typer.Option(
        None, "--user", help="User name of the token's owner (admins only). Unset: you."
    ),
    expires_days: int | None = typer.Option(
        None,
        "--expires-days",
        min=1,
        max=3650,
        help="Days until the token stops working (1 to 3650). Unset: it never expires; "
        "revoke it with `candor token revoke`.",
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Create an API token. It is shown once; only its hash is stored."""
    app_ = application()
    made = accounts.create_token(
        app_.context,
        actor(),
        name=name,
        scopes=[s.value for s in scope],
        expires_days=expires_days,
        for_user=user,
    )
    if json:
        print_json(
            {
                "id": str(made.token.id),
                "token": made.secret,
                "scopes": sorted(s.value for s in made.token.scopes),
            }
        )
        return
    console.print(
        f"Token {made.token.id} ({', '.join(sorted(s.value for s in made.token.scopes))})"
        " created. Copy it now; it will not be shown again:"
    )
    print(made.secret)


@tokens_app.command("list")
def token_list(
    all_: bool = typer.Option(False, "--all", help="Every user's tokens (admins)."),
    json: bool = JSON_OPTION,
) -> None:
    """List API tokens (never their values)."""
    app_ = application()
    items = accounts.list_tokens(app_.context, actor(), all_users=all_)
    names = accounts.user_names(app_.context)
    if json:
        print_json(
            [
                {
                    "id": str(t.id),
                    "name": t.name,
                    "user": names.get(t.user_id),
                    "prefix": t.prefix,
                    "scopes": sorted(s.value for s in t.scopes),
                    "created_at": t.created_at.isoformat(),
                    "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                    "revoked": t.revoked_at is not None,
                    "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                }
                for t in items
            ]
        )
        return
    table = Table("id", "name", "user", "prefix", "scopes", "expires", "state")
    for t in items:
        table.add_row(
            str(t.id),
            t.name,
            names.get(t.user_id, "?"),
            t.prefix + "…",
            ",".join(sorted(s.value for s in t.scopes)),
            short_time(t.expires_at),
            "revoked" if t.revoked_at else "active",
        )
    console.print(table)


@tokens_app.command("revoke")
def token_revoke(token_id: str = typer.Argument(..., help="The token's id.")) -> None:
    """Revoke an API token at once."""
    try:
        parsed = uuid.UUID(token_id)
    except ValueError:
        err.print(f"Error: not a token id: {token_id}", markup=False)
        raise typer.Exit(2) from None
    app_ = application()
    token = accounts.revoke_token(app_.context, actor(), parsed)
    console.print(f"Token {token.id} ({token.name}) revoked.", markup=False)
