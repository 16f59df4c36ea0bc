"""``candor readiness``: how prepared we are, check by check, with how to fix each."""

from __future__ import annotations

from datetime import datetime

import typer

from candor.adapters import prepare_files
from candor.cli.common import JSON_OPTION, actor, application, console, print_json
from candor.config import Settings
from candor.domain.errors import InvalidInput
from candor.domain.readiness import Readiness
from candor.domain.securitytxt import Report, check, generate, values_from_settings
from candor.services import readiness


def _security_txt(settings: Settings, now: datetime) -> tuple[Report | None, str]:
    """The file our settings would publish, checked as of now (no settings: why not)."""
    conf = settings.security_txt
    try:
        values = values_from_settings(
            contact=conf.contact,
            expires=conf.expires,
            encryption=conf.encryption,
            policy=conf.policy,
            preferred_languages=conf.preferred_languages,
            canonical=conf.canonical,
        )
        text = generate(values, now=now)
    except InvalidInput as exc:  # unset or already expired: nothing valid can be published
        return None, str(exc.problems[0])
    return check(text, now=now), ""


def command(json: bool = JSON_OPTION) -> None:
    """The readiness score with each check: status, what was found, how to fix it."""
    app_ = application()
    settings = app_.settings
    loaded = prepare_files.load_playbooks(settings.prepare.playbooks_dir)
    report, problem = _security_txt(settings, app_.clock.now())
    result = readiness.assess(
        app_.context,
        actor(),
        readiness.Configured(
            response_plan=settings.prepare.response_plan,
            playbooks=len(loaded.entries),
            playbook_problems=[str(p) for p in loaded.problems],
            incident_leads=settings.prepare.incident_leads,
            cyber_insurance=settings.prepare.cyber_insurance,
            security_txt=report,
            security_txt_problem=problem,
        ),
        app_.signals,
    )
    if json:
        print_json(as_data(result))
        return
    console.print("\n".join(lines(result)), markup=False)


def as_data(r: Readiness) -> dict[str, object]:
    return {
        "score": r.score,
        "measured_weight": r.measured_weight,
        "total_weight": r.total_weight,
        "checks": [
            {
                "id": c.id,
                "title": c.title,
                "weight": c.weight,
                "status": c.status.value,
                "detail": c.detail,
                "fix": c.fix,
            }
            for c in r.checks
        ],
    }


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
