"""The phases of a response and the moves allowed between them.

Triage decides whether there is an incident at all; mitigation stops the bleeding; containment
stops the spread; eradication removes the attacker; recovery restores service; post_incident is
the retro; closed is the end. ``declined`` is a triage outcome (a false positive or not ours).

Phases may be skipped forward (a contained event may go straight to recovery), and a response may
step back when the attacker shows up again (containment → mitigation). Closed and declined
incidents can be reopened, which is recorded like any other move.
"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    TRIAGE = "triage"
    MITIGATION = "mitigation"
    CONTAINMENT = "containment"
    ERADICATION = "eradication"
    RECOVERY = "recovery"
    POST_INCIDENT = "post_incident"
    CLOSED = "closed"
    DECLINED = "declined"

    @property
    def is_open(self) -> bool:
        return self not in (Phase.CLOSED, Phase.DECLINED)


ACTIVE_ORDER: tuple[Phase, ...] = (
    Phase.TRIAGE,
    Phase.MITIGATION,
    Phase.CONTAINMENT,
    Phase.ERADICATION,
    Phase.RECOVERY,
    Phase.POST_INCIDENT,
)


def _build() -> dict[Phase, frozenset[Phase]]:
    allowed: dict[Phase, set[Phase]] = {phase: set() for phase in Phase}
    working = ACTIVE_ORDER[1:-1]  # mitigation … recovery
    for i, phase in enumerate(ACTIVE_ORDER[:-1]):
        # forward to any later active phase
        allowed[phase].update(ACTIVE_ORDER[i + 1 :])
    for i, phase in enumerate(working):
        # back to an earlier working phase when the attacker reappears
        allowed[phase].update(working[:i])
    allowed[Phase.TRIAGE].add(Phase.DECLINED)
    allowed[Phase.POST_INCIDENT].add(Phase.CLOSED)
    allowed[Phase.POST_INCIDENT].add(Phase.RECOVERY)
    allowed[Phase.CLOSED].add(Phase.POST_INCIDENT)  # reopen
    allowed[Phase.DECLINED].add(Phase.TRIAGE)  # reopen
    return {phase: frozenset(targets) for phase, targets in allowed.items()}


TRANSITIONS: dict[Phase, frozenset[Phase]] = _build()


def allowed_targets(current: Phase) -> list[Phase]:
    order = list(Phase)
    return sorted(TRANSITIONS[current], key=order.index)


def is_allowed(current: Phase, target: Phase) -> bool:
    return target in TRANSITIONS[current]


PHASE_DESCRIPTIONS: dict[Phase, str] = {
    Phase.TRIAGE: ("Work out what is happening and how important it is."),
    Phase.MITIGATION: ("Stop the bleeding: end the attacker's current access and the damage now."),
    Phase.CONTAINMENT: ("Stop the spread: make sure no more systems or data are reached."),
    Phase.ERADICATION: ("Remove the attacker: clean, rebuild or replace what was touched."),
    Phase.RECOVERY: ("Restore normal service and watch for a return."),
    Phase.POST_INCIDENT: ("Learn: the retro, action items, final reports and filings."),
    Phase.CLOSED: ("Done. Reopen if something new comes up."),
    Phase.DECLINED: ("Triage found no incident (false positive, or not ours)."),
}
