"""One realistic incident, built through the domain functions, for the learn tests.

An API token for a customer-facing service was pushed to a public repository; it was used from
outside before the team noticed. Times are explicit so metrics can be checked by hand.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from candor.domain import incidents, retros
from candor.domain import timeline as tl
from candor.domain.chain import GENESIS
from candor.domain.incidents import Incident
from candor.domain.milestones import Audience, Communication, ObligationRecord
from candor.domain.retros import Retro
from candor.domain.timeline import Entry


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


FIRST_ACTIVITY = t(1, 22, 15)
DETECTED = t(2, 9, 40)
DECLARED = t(2, 10, 0)
LEAD_AT = t(2, 10, 25)
CONTAINED = t(2, 16, 0)
CUSTOMERS_TOLD = t(3, 11, 0)

TOKEN_CHAIN: dict[str, Any] = {
    "problem": "An API token was pushed to a public GitHub repository",
    "steps": [
        {
            "why": "Why was the token in the repository?",
            "because": "It was committed with a configuration file and no review caught it",
        },
        {
            "why": "Why did no review catch it?",
            "because": "No tool checks commits for secrets",
        },
        {
            "why": "Why is there no such tool?",
            "because": "Nobody was trained to see secrets in code as a risk",
        },
        {
            "why": "Why was a long-lived secret in a file at all?",
            "because": "Tokens were the wrong mechanism: short-lived credentials from the "
            "platform's identity service would not need storing",
        },
    ],
}


@dataclass
class Story:
    incident: Incident
    entries: list[Entry]
    communications: list[Communication]
    obligations: list[ObligationRecord]


def _seal(incident: Incident, entries: list[Entry], draft: tl.Draft) -> Entry:
    prev = entries[-1].hash if entries else GENESIS
    entry = tl.seal(
        draft,
        id=uuid.uuid4(),
        incident_id=incident.id,
        seq=len(entries) + 1,
        prev_hash=prev,
        recorded_at=draft.occurred_at,
    )
    entries.append(entry)
    return entry


def story(*, key: str = "INC-2026-7", exercise: bool = False) -> Story:
    inc = incidents.declare(
        id=uuid.uuid4(),
        key=key,
        title="API token exposed in a public repository",
        summary="A token for the export API was published on GitHub and used from outside.",
        kind="supply_chain_breach",
        severity="SEV1",
        exercise=exercise,
        by="alice",
        now=DECLARED,
        detected_at=DETECTED,
        aware_at=DECLARED,
    )
    entries: list[Entry] = []
    _seal(
        inc,
        entries,
        tl.draft(kind="status_change", author="alice", occurred_at=DECLARED, body="Declared"),
    )
    _seal(
        inc,
        entries,
        tl.draft(
            kind="finding",
            author="bob",
            occurred_at=t(2, 10, 10),
            body="Token used from 203.0.113.7 against the export API at 22:15 on 1 March",
        ),
    )
    inc = incidents.assign_role(inc, "incident_lead", "carol", now=LEAD_AT)
    _seal(
        inc,
        entries,
        tl.draft(
            kind="role_change",
            author="alice",
            occurred_at=LEAD_AT,
            body="incident_lead: carol.",
            data={"changes": {"role.incident_lead": [None, "carol"]}},
        ),
    )
    inc = incidents.transition(inc, "mitigation", by="carol", now=t(2, 11, 0))
    _seal(
        inc,
        entries,
        tl.draft(kind="action", author="bob", occurred_at=t(2, 11, 5), body="Token revoked"),
    )
    inc = incidents.transition(inc, "containment", by="carol", now=t(2, 12, 0))
    inc = incidents.transition(inc, "eradication", by="carol", now=CONTAINED)
    inc = incidents.transition(inc, "recovery", by="carol", now=t(3, 9, 0))
    inc = incidents.transition(inc, "post_incident", by="carol", now=t(5, 9, 0))
    comms = [
        Communication(Audience.INTERNAL, t(2, 10, 30), "All-hands note"),
        Communication(Audience.CUSTOMERS, CUSTOMERS_TOLD, "Notice to affected customers"),
        Communication(Audience.PUBLIC, t(3, 15, 0), "Status page post"),
    ]
    obligations = [
        ObligationRecord(
            "GDPR Art. 33 notification",
            "Irish DPC",
            deadline=DECLARED + timedelta(hours=72),
            filed_at=t(4, 18, 0),
            citation="GDPR Art. 33(1)",
        ),
        ObligationRecord(
            "Customer contract notice",
            "Example Corp",
            deadline=DECLARED + timedelta(hours=24),
            filed_at=CUSTOMERS_TOLD,
        ),
        ObligationRecord("Insurer notice", "Cyber insurer", deadline=t(6, 10, 0)),
    ]
    return Story(inc, entries, comms, obligations)


def written_retro(s: Story, *, now: datetime | None = None) -> Retro:
    """A retro as a team would write it: two chains, three action items."""
    now = now or t(6, 9, 0)
    retro = retros.new_retro(
        id=uuid.uuid4(),
        incident=s.incident,
        by="carol",
        now=now,
        impact="Export data of 12 customers was read with the leaked token.",
    )
    return retros.revise(
        retro,
        {
            "summary": "A token committed by mistake was found and used by an attacker; "
            "we revoked it within 90 minutes of declaring.",
            "went_well": ["Revocation took minutes once the lead was named"],
            "went_poorly": ["Detection took eleven hours"],
            "lucky": ["The token could read exports but not write"],
            "chains": [
                TOKEN_CHAIN,
                {
                    "problem": "Detection took eleven hours",
                    "steps": [
                        {
                            "why": "Why did it take so long?",
                            "because": "The export API logs were not alerting on new source "
                            "addresses",
                        },
                        {
                            "why": "Why not?",
                            "because": "No secret scanning in CI",
                        },
                    ],
                },
            ],
            "contributing_factors": ["The token had no expiry"],
            "action_items": [
                {
                    "title": "Enable secret scanning on all repositories",
                    "kind": "prevent",
                    "owner": "bob",
                    "due_on": "2026-03-20",
                    "tracker_url": "https://tracker.example.com/SEC-101",
                },
                {
                    "title": "Alert on export API use from new networks",
                    "kind": "detect",
                    "owner": "dave",
                    "due_on": "2026-04-01",
                },
                {
                    "title": "Replace tokens with workload identity",
                    "kind": "mitigate",
                    "owner": "carol",
                    "due_on": date(2026, 6, 1).isoformat(),
                },
            ],
        },
        now=now,
    )
