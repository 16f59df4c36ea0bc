"""The demo workspace behind ``make demo``: deterministic, generated, no real people.

Data is written through the same use cases a team would use, with a clock that steps through
the days of the story, so every timeline entry and audit record is what the product itself
would have written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from candor.bootstrap import Application
from candor.domain.access import SYSTEM, Actor, OrgRole
from candor.domain.lifecycle import Phase
from candor.domain.tasks import TaskStatus
from candor.services import accounts, incidents, tasks, timeline
from candor.services.context import Context

DEMO_PASSWORD = "candor-demo-password"  # noqa: S105 - printed by `make demo` on purpose

PEOPLE = [
    ("maria", "Maria Okafor", "Head of Security", OrgRole.ADMIN),
    ("tomas", "Tomás Lindqvist", "Site reliability engineer", OrgRole.RESPONDER),
    ("priya", "Priya Raman", "Security engineer", OrgRole.RESPONDER),
    ("sam", "Sam Whitfield", "Communications", OrgRole.RESPONDER),
    ("elena", "Elena Duarte", "General counsel", OrgRole.COUNSEL),
    ("kenji", "Kenji Watanabe", "CTO", OrgRole.VIEWER),
]


class StepClock:
    """A clock the story moves forward by hand."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def at(self, moment: datetime) -> StepClock:
        self.current = moment
        return self


@dataclass(frozen=True)
class Loaded:
    created: bool
    users: list[str]
    incidents: list[str]


def load(app: Application, *, now: datetime | None = None) -> Loaded:
    """Load the demo once; a second call changes nothing."""
    ctx = app.context
    with ctx.uow() as uow:
        if uow.users.get("maria") is not None:
            return Loaded(
                False,
                [p[0] for p in PEOPLE],
                [i.key for i in uow.incidents.list(incidents.visible_filter(SYSTEM))],
            )
    end = (now or app.clock.now()).astimezone(UTC).replace(microsecond=0)
    clock = StepClock(end - timedelta(days=40))
    story = replace(ctx, clock=clock)
    for username, name, _title, role in PEOPLE:
        accounts.create_user(
            story,
            SYSTEM,
            username=username,
            password=DEMO_PASSWORD,
            display_name=name,
            email=f"{username}@example.com",
            role=role,
        )
    keys = [
        _closed_token_leak(story, clock, end),
        _credentials_breach(story, clock, end),
        _phishing_event(story, clock, end),
    ]
    return Loaded(True, [p[0] for p in PEOPLE], keys)


def _as(name: str) -> Actor:
    role = next(r for n, _, _, r in PEOPLE if n == name)
    return Actor(name, role, via="session")


def _closed_token_leak(ctx: Context, clock: StepClock, end: datetime) -> str:
    start = end - timedelta(days=38, hours=5)
    clock.at(start)
    made = incidents.declare(
        ctx,
        _as("priya"),
        title="API token committed to a public repository",
        summary="A deploy token for the staging cluster appeared in a public GitHub "
        "repository of a contractor.",
        kind="security_incident",
        severity="SEV3",
        detected_at=start - timedelta(minutes=40),
        aware_at=start - timedelta(minutes=20),
    )
    key = made.key
    clock.at(start + timedelta(minutes=5))
    incidents.assign_role(ctx, _as("priya"), key, "incident_lead", "maria")
    incidents.assign_role(ctx, _as("maria"), key, "technical_lead", "priya")
    clock.at(start + timedelta(minutes=12))
    timeline.add(
        ctx,
        _as("priya"),
        key,
        kind="action",
        body="Token revoked in the CI provider; new token issued through the vault.",
    )
    incidents.transition(ctx, _as("maria"), key, Phase.MITIGATION, reason="token revoked")
    clock.at(start + timedelta(hours=3))
    timeline.add(
        ctx,
        _as("priya"),
        key,
        kind="finding",
        body="Audit logs show no use of the token between the commit and the "
        "revocation (window: 2 h 10 min).",
    )
    incidents.transition(
        ctx,
        _as("maria"),
        key,
        Phase.POST_INCIDENT,
        reason="no use of the token found; retro scheduled",
    )
    clock.at(start + timedelta(days=3))
    incidents.transition(ctx, _as("maria"), key, Phase.CLOSED, reason="retro done")
    return key


def _credentials_breach(ctx: Context, clock: StepClock, end: datetime) -> str:
    start = end - timedelta(hours=30)
    clock.at(start)
    made = incidents.declare(
        ctx,
        _as("priya"),
        title="Customer reports AWS activity tied to keys they gave us",
        summary="A customer wrote (PGP-encrypted) that their AWS account shows API calls from "
        "an unknown address with the access key they configured in our integration. "
        "We hold customers' cloud keys in the integrations store.",
        kind="supply_chain_breach",
        severity="SEV1",
        confidentiality="restricted",
        detected_at=start - timedelta(minutes=35),
        aware_at=start - timedelta(minutes=10),
    )
    key = made.key
    clock.at(start + timedelta(minutes=4))
    for role, person in (
        ("incident_lead", "maria"),
        ("technical_lead", "tomas"),
        ("comms_lead", "sam"),
        ("counsel", "elena"),
        ("scribe", "priya"),
        ("exec_sponsor", "kenji"),
    ):
        incidents.assign_role(ctx, _as("priya"), key, role, person)
    clock.at(start + timedelta(minutes=20))
    timeline.add(
        ctx,
        _as("tomas"),
        key,
        kind="finding",
        body="CloudTrail in the customer's account: `ListBuckets` and `GetObject` "
        "calls with the integration key from 203.0.113.7, user agent "
        "python-requests.",
    )
    clock.at(start + timedelta(minutes=45))
    timeline.add(
        ctx,
        _as("maria"),
        key,
        kind="decision",
        body="Rotate every customer key held in the integrations store; stop the "
        "integration workers until rotation is done.",
    )
    incidents.transition(
        ctx, _as("maria"), key, Phase.MITIGATION, reason="integration workers stopped"
    )
    for title, owner, hours in (
        ("Snapshot the integrations store and its access logs for forensics", "tomas", 2),
        ("Scope: which customers' keys were read, from where, when", "tomas", 8),
        ("Call outside counsel and the cyber insurer (notice clause: 72 h)", "elena", 4),
        ("Draft the first customer notice: what we know, what we do not know yet", "sam", 6),
    ):
        tasks.add(
            ctx, _as("maria"), key, title=title, owner=owner, due_at=start + timedelta(hours=hours)
        )
    clock.at(start + timedelta(hours=3))
    tasks.set_status(ctx, _as("tomas"), key, 1, TaskStatus.DONE)
    wrong = timeline.add(
        ctx,
        _as("tomas"),
        key,
        kind="finding",
        body="The attacker used a monitoring host's credentials, not a "
        "customer's: access began 3 days earlier.",
    )
    clock.at(start + timedelta(hours=5))
    timeline.add(
        ctx,
        _as("tomas"),
        key,
        kind="finding",
        corrects=wrong.seq,
        body="Correction: access began 2 days earlier, not 3; the earlier entry read "
        "a log timestamp in local time.",
    )
    incidents.set_clock(
        ctx,
        _as("elena"),
        key,
        "breach_determined_at",
        start + timedelta(hours=5),
        reason="customer credentials confirmed accessed",
    )
    incidents.transition(
        ctx, _as("maria"), key, Phase.CONTAINMENT, reason="attacker's access path closed"
    )
    return key


def _phishing_event(ctx: Context, clock: StepClock, end: datetime) -> str:
    start = end - timedelta(hours=2)
    clock.at(start)
    made = incidents.declare(
        ctx,
        _as("sam"),
        title="Phishing mails imitating our billing notices",
        summary="Several customers forwarded mails that imitate our invoices and link to a "
        "look-alike domain.",
        kind="event",
        severity="SEV4",
    )
    clock.at(start + timedelta(minutes=30))
    timeline.add(
        ctx,
        _as("sam"),
        made.key,
        kind="note",
        body="Look-alike domain reported to the registrar's abuse desk.",
    )
    return made.key
