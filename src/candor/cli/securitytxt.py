"""``candor securitytxt …``: generate /.well-known/security.txt and check one (RFC 9116).

``check`` exits 1 when the file is invalid or expired, so it can run from cron or CI; warnings
(Expires within 30 days, a missing Encryption field …) are printed but do not fail it.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import typer

from candor.adapters.clock import SystemClock
from candor.cli.common import JSON_OPTION, application, console, err, print_json, when
from candor.domain.errors import InvalidInput, Problem
from candor.domain.securitytxt import Report, check

app = typer.Typer(no_args_is_help=True)


def _configured_text(expires: str | None) -> str:
    # the same text the web server serves at /.well-known/security.txt
    return application(require_schema=False).security_txt(expires=when(expires, field="--expires"))


@app.command("generate")
def generate_(
    expires: str | None = typer.Option(
        None, "--expires", help="RFC 3339 time; overrides security_txt.expires in candor.toml."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file instead of standard output."
    ),
) -> None:
    """Print security.txt from the [security_txt] settings."""
    text = _configured_text(expires)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(Problem(f"cannot write: {exc.strerror}", file=str(output))) from None
    console.print(f"Wrote {output}.", markup=False)


@app.command("check")
def check_(
    file: str | None = typer.Argument(
        None,
        metavar="[FILE|-]",
        help="The file to check, or - for standard input. Default: what the settings generate.",
    ),
    now: str | None = typer.Option(None, "--now", help="Check as of this time (RFC 3339)."),
    warn_days: int = typer.Option(
        30, "--warn-days", min=1, max=365, help="Warn when Expires is this close."
    ),
    location: str | None = typer.Option(
        None, "--location", help="The URI the file is served from; compared with Canonical."
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Validate a security.txt file. Exits 1 when it is invalid or expired."""
    if file is None:
        name, text = "(from settings)", _configured_text(None)
    elif file == "-":
        name, text = "<stdin>", sys.stdin.read()
    else:
        name = file
        try:
            text = Path(file).read_bytes().decode("utf-8")
        except OSError as exc:
            raise InvalidInput(Problem(f"cannot read: {exc.strerror}", file=file)) from None
        except UnicodeDecodeError:
            raise InvalidInput(Problem("security.txt must be UTF-8", file=file)) from None
    report = check(
        text,
        now=when(now, field="--now") or SystemClock().now(),
        warn_within=timedelta(days=warn_days),
        location=location,
    )
    if json:
        print_json(_as_dict(name, report))
    else:
        _show(name, report)
    if not report.valid:
        raise typer.Exit(1)


def _where(name: str, problem: Problem) -> str:
    return f"{name}:{problem.line}" if problem.line else name


def _show(name: str, report: Report) -> None:
    for level, problems in (
        ("error", report.errors),
        ("warning", report.warnings),
        ("note", report.notices),
    ):
        for p in problems:
            hint = f" ({p.hint})" if p.hint else ""
            line = f"{_where(name, p)}: {level}: {p.message}{hint}"
            (err if level == "error" else console).print(line, markup=False)
    if report.valid:
        expires = report.expires.strftime("%Y-%m-%d %H:%M UTC") if report.expires else "?"
        console.print(f"{name}: valid; expires {expires}.", markup=False)
    else:
        count = len(report.errors)
        err.print(f"{name}: invalid ({count} error{'s' if count != 1 else ''}).", markup=False)


def _as_dict(name: str, report: Report) -> dict[str, object]:
    def items(problems: tuple[Problem, ...]) -> list[dict[str, object]]:
        return [p.as_dict() for p in problems]

    return {
        "file": name,
        "valid": report.valid,
        "signed": report.signed,
        "expires": report.expires.isoformat() if report.expires else None,
        "errors": items(report.errors),
        "warnings": items(report.warnings),
        "notices": items(report.notices),
        "fields": [{"name": f.name, "value": f.value, "line": f.line} for f in report.fields],
    }
