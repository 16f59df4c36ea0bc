"""What the readiness score reads from settings and files, gathered for the CLI and the web page
alike (``services.readiness.Configured``): the response plan and incident leads named in
``[prepare]``, the playbook library, and the security.txt the settings would publish."""

from __future__ import annotations

from datetime import datetime

from candor.adapters.prepare_files import Library
from candor.config import Settings
from candor.domain.errors import InvalidInput
from candor.domain.playbooks import Playbook
from candor.domain.securitytxt import Report, check, generate, values_from_settings
from candor.services.readiness import Configured


def security_txt(settings: Settings, now: datetime) -> tuple[Report | None, str]:
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


def configured(settings: Settings, playbooks: Library[Playbook], *, now: datetime) -> Configured:
    report, problem = security_txt(settings, now)
    return Configured(
        response_plan=settings.prepare.response_plan,
        playbooks=len(playbooks.entries),
        playbook_problems=[str(p) for p in playbooks.problems],
        incident_leads=settings.prepare.incident_leads,
        cyber_insurance=settings.prepare.cyber_insurance,
        security_txt=report,
        security_txt_problem=problem,
    )
