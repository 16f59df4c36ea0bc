"""``candor readiness``: how prepared we are, check by check, with how to fix each."""

from __future__ import annotations

import typer

from candor.adapters import prepare_files, readiness_inputs
from candor.cli.common import JSON_OPTION, actor, application, console, print_json
from candor.domain.readiness import Readiness
from candor.services import prepare_views, readiness


def command(json: bool = JSON_OPTION) -> None:
    """The readiness score with each check: status, what was found, how to fix it."""
    app_ = application()
    settings = app_.settings
    loaded = prepare_files.load_playbooks(settings.prepare.playbooks_dir)
    result = readiness.assess(
        app_.context,
        actor(),
        readiness_inputs.configured(settings, loaded, now=app_.clock.now()),
        app_.signals,
    )
    if json:
        print_json(as_data(result))
        return
    console.print("\n".join(lines(result)), markup=False)


def as_data(r: Readiness) -> dict[str, object]:
    return prepare_views.readiness(r)


def lines(r: Readiness) -> list[str]:
    score = f"{r.score}%" if r.score is not None else "nothing measured"
    out = [f"Readiness: {score} (over checks worth {r.measured_weight} of {r.total_weight})", ""]
    for c in r.checks:
        out.append(f"  {c.status.value:>12}  {c.title} (weight {c.weight}): {c.detail}")
        if c.fix:
            out.append(f"                Fix: {c.fix}")
    return out


def register(app: typer.Typer) -> None:
    app.command("readiness")(command)
