"""The readiness score: gather what the directory, exercises, incidents and the ports show, and
let the domain score it (``candor.domain.readiness``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from candor.domain import readiness as model
from candor.domain.access import Actor
from candor.domain.securitytxt import Report
from candor.domain.vocabulary import Role
from candor.services.context import Context
from candor.services.incidents import visible_filter
from candor.services.ports import IncidentFilter
from candor.services.ports_prepare import Signals, prepared

RECENT = timedelta(days=180)


@dataclass(frozen=True)
class Configured:
    """What the readiness score reads from settings and files (the caller loads them)."""

    response_plan: str | None
    playbooks: int
    playbook_problems: Sequence[str]
    incident_leads: Sequence[str]
    cyber_insurance: bool
    security_txt: Report | None
    security_txt_problem: str = ""


def assess(ctx: Context, actor: Actor, configured: Configured, signals: Signals) -> model.Readiness:
    now = ctx.clock.now()
    with ctx.uow() as raw:
        uow = prepared(raw)
        contacts = uow.contacts.list()
        last_exercise = uow.exercises.last_started_at()
        # real incidents only: leading a tabletop is practice, not evidence of a named lead
        leads = uow.incidents.people_in_role(
            visible_filter(actor, IncidentFilter(exercise=False, declared_after=now - RECENT)),
            Role.INCIDENT_LEAD,
        )
        customers = signals.customers.verified(uow)
        inventory = signals.inventory.described(uow)
        items = signals.action_items.action_items(uow)
    return model.assess(
        model.Facts(
            now=now,
            response_plan=configured.response_plan,
            playbooks=configured.playbooks,
            playbook_problems=configured.playbook_problems,
            designated_leads=configured.incident_leads,
            recent_leads=sorted(leads),
            contacts=contacts,
            cyber_insurance=configured.cyber_insurance,
            customer_contacts=customers,
            inventory=inventory,
            last_exercise_at=last_exercise,
            action_items=items,
            security_txt=configured.security_txt,
            security_txt_problem=configured.security_txt_problem,
        )
    )
