"""The demo's later parts (``candor.demo`` calls them): the inventory with 500 customers and the
breach scoped with it, statements on the status site with a correction, a customer notice in
review, and the closed incident's retro with action items.

Each function is one step of the story, written through the same use cases a team would use,
at a moment relative to when ``make demo`` runs (``Story.end``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from candor.domain.access import Actor
from candor.domain.errors import Problem
from candor.domain.inventory_sample import sample_inventory
from candor.services import inventory, retros, scope, statements

if TYPE_CHECKING:
    from candor.demo import Story

CUSTOMERS = 500
STORE = "integrations-store"  # the story's name for sample_inventory's credential store
# The three customers whose keys the attacker used (the planted attack in the CloudTrail), with
# where they are; the rest come from sample_inventory.
NAMED = {
    "kestrel": ("Kestrel Freight", ["US-TX"], "security@kestrel.example"),
    "harborview": ("Harborview Health", ["US-MA"], "privacy@harborview.example"),
    "lindgren": ("Lindgren Logistik", ["DE"], "security@lindgren.example"),
}
# Addresses that bounced before the incident: their customers cannot be reached by e-mail.
BOUNCED = (
    "contact1@customer-0007.example",
    "contact1@customer-0042.example",
    "contact1@customer-0311.example",
)


def _as(name: str) -> Actor:
    # candor.demo imports this module at its top: import back only when the story runs
    from candor.demo import _as as demo_as

    return demo_as(name)


def _identity(problems: list[Problem]) -> list[Problem]:
    return problems


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def inventory_data(named_keys: dict[str, str], *, now: datetime) -> dict[str, Any]:
    """``sample_inventory`` for 497 customers plus the story's three named customers, whose
    integration keys are the ones in the generated CloudTrail (``named_keys``: customer → key).
    Contacts were verified in the year before ``now`` (the sample's fixed dates are moved so the
    demo stays relative to when it runs)."""
    data = sample_inventory(customers=CUSTOMERS - len(NAMED), seed=2016)
    n = 0
    for customer in data["customers"]:
        for contact in customer["contacts"]:
            if contact.get("verified_at"):
                n += 1
                contact["verified_at"] = _stamp(now - timedelta(days=1 + (n * 37) % 330))
    for system in data["systems"]:
        if system["name"] == "collector-credentials":
            system["name"] = STORE
            system["description"] = (
                "The integrations store: the AWS access keys customers give our collectors, "
                "with the name and e-mail address of the person who set each one up."
            )
            system["data_elements"] = ["third_party_credentials", "name", "email_address"]
    for credential in data["credentials"]:
        credential["system"] = STORE
        credential["label"] = "AWS integration"
    for customer, (name, places, email) in NAMED.items():
        data["customers"].append(
            {
                "external_id": customer,
                "name": name,
                "tier": "enterprise",
                "jurisdictions": places,
                "contacts": [
                    {
                        "email": email,
                        "name": f"{name} security team",
                        "role": "Security lead",
                        "verified": True,
                        "verified_at": _stamp(now - timedelta(days=60)),
                    }
                ],
            }
        )
        data["credentials"].append(
            {
                "customer": customer,
                "type": "aws_access_key_id",
                "identifier": named_keys[customer],
                "system": STORE,
                "label": "AWS integration",
            }
        )
    customer_db = next(s for s in data["systems"] if s["name"] == "customer-db")
    for customer, count in (("lindgren", 340), ("harborview", 1_250), ("kestrel", 90)):
        place = NAMED[customer][1][0]
        customer_db["records"].append({"jurisdiction": place, "count": count, "customer": customer})
    return data


def load_inventory(story: Story, named_keys: dict[str, str]) -> None:
    """The platform team imported the inventory seven weeks ago; two addresses bounced since."""
    imported = story.end - timedelta(days=50)
    ctx = story.at(imported)
    inventory.import_inventory(
        ctx,
        _as("maria"),
        inventory_data(named_keys, now=imported),
        file="northwind-inventory.yaml",
        locate=_identity,
    )
    ctx = story.at(story.end - timedelta(days=12))
    for address in BOUNCED:
        inventory.mark_unreachable(ctx, _as("maria"), address, "550 5.1.1 user unknown")


def mark_store(story: Story, key: str, start: datetime) -> None:
    """The technical lead marks the integrations store compromised: scope and facts follow."""
    ctx = story.at(start + timedelta(hours=8, minutes=20))
    scope.mark_system(
        ctx,
        _as("tomas"),
        key,
        STORE,
        "confirmed",
        note="The bastion's service account read the whole store at 02:03 UTC (store audit log).",
    )


def attach_scan(story: Story, key: str, start: datetime, result: dict[str, Any]) -> list[int]:
    """The scoping run's result attached as a scan: the affected customers narrow to the three
    whose keys were used. Returns the numbers of the findings the scan added."""
    ctx = story.at(start + timedelta(hours=19, minutes=50))
    from candor.services import impact

    before = {n for n, _, _ in impact.findings(ctx, _as("tomas"), key).findings}
    scope.attach_scan(
        ctx,
        _as("tomas"),
        key,
        result,
        file="demo-logs/scan.json",
        label="CloudTrail of 40 customer accounts (demo-logs/cloudtrail)",
    )
    after = {n for n, _, _ in impact.findings(ctx, _as("tomas"), key).findings}
    return sorted(after - before)


def _reviewed_and_published(story: Story, key: str, number: int, at: datetime) -> None:
    """Counsel, then the incident lead approve; the communications lead publishes."""
    statements.submit(story.at(at), _as("sam"), key, number)
    statements.approve(story.at(at + timedelta(minutes=15)), _as("elena"), key, number)
    statements.approve(story.at(at + timedelta(minutes=25)), _as("maria"), key, number)
    statements.publish(story.at(at + timedelta(minutes=30)), _as("sam"), key, number)


ACKNOWLEDGEMENT = (
    "We are investigating unauthorised access to the store that holds the AWS access keys "
    "customers give our integration. We have stopped the integration and are rotating every "
    "key held in it.\n\n"
    "What we know: an attacker read the store; a small number of keys were then used against "
    "customers' AWS accounts. The keys are read-only, so no customer data in those accounts "
    "was read.\n\n"
    "What we do not know yet: how the attacker reached the store. We will update this page by "
    "18:00 UTC, or sooner if we learn more.\n\n"
    "What to do now: rotate the access key you gave our integration and look in your "
    "CloudTrail for calls from 203.0.113.7."
)
CORRECTION = (
    "Our update of this morning said that no customer data in customers' AWS accounts was "
    "read. That was wrong. The attacker used three customers' keys, and with two of them "
    "downloaded billing exports from the customers' S3 buckets (GetObject calls from "
    "203.0.113.7). We have told those customers directly.\n\n"
    "If you gave our integration a key that can read S3, look in your CloudTrail for "
    "GetObject calls from 203.0.113.7 and rotate the key if you have not done so already."
)


def acknowledge(story: Story, key: str, start: datetime) -> int:
    """An acknowledgement on the status site nine hours in (statement #1)."""
    at = start + timedelta(hours=9)
    first = statements.draft(
        story.at(at),
        _as("sam"),
        key,
        kind="acknowledgement",
        title="Investigating access to customers' integration keys",
        body=ACKNOWLEDGEMENT,
        audience="public",
        channels=["status_site"],
    )
    _reviewed_and_published(story, key, first.number, at + timedelta(minutes=10))
    return first.number


def correct(story: Story, key: str, start: datetime, number: int) -> None:
    """Once the scan showed objects downloaded, a correction of what the acknowledgement said
    about customer data, published the same way."""
    at = start + timedelta(hours=21)
    fixed = statements.correct(
        story.at(at),
        _as("sam"),
        key,
        number,
        title="Correction: customer data was read in two customers' accounts",
        body=CORRECTION,
        what_was_wrong="It said no customer data was read; the attacker downloaded objects "
        "from two customers' S3 buckets.",
    )
    _reviewed_and_published(story, key, fixed.number, at + timedelta(minutes=10))


def customer_notice(story: Story, key: str) -> int:
    """The notice to the affected customers (rotate the key), drafted from the template and
    sent for review: it waits for counsel's approval when the demo opens."""
    ctx = story.at(story.end - timedelta(hours=2, minutes=30))
    notice = statements.draft_from_template(
        ctx,
        _as("sam"),
        key,
        template="customer_notice",
        audience="affected_customers",
        channels=["email"],
    )
    statements.submit(story.at(story.end - timedelta(hours=2)), _as("sam"), key, notice.number)
    return notice.number


Chain = tuple[str, list[dict[str, str]]]  # the problem, then its why → because levels
CHAINS: list[Chain] = [
    (
        "A deploy token for the staging cluster was published in a public repository.",
        [
            {
                "why": "Why was the token in a public repository?",
                "because": "A contractor copied a working deploy script, token included, into "
                "a personal repository to debug it at home.",
            },
            {
                "why": "Why did the deploy script contain the token?",
                "because": "Staging scripts read the token from a file checked in beside them, "
                "a shortcut from before we had the vault.",
            },
            {
                "why": "Why was the shortcut still there?",
                "because": "The vault migration covered production only; staging was left "
                "for 'later' with no owner or date.",
            },
            {
                "why": "Why did nobody own staging's migration?",
                "because": "Migrations are planned per environment and staging has no owning team.",
            },
        ],
    ),
    (
        "We learnt of the leak from an outside scanner, two hours after the commit.",
        [
            {
                "why": "Why did our own checks not see it first?",
                "because": "Secret scanning runs on our organisation's repositories only, not "
                "on forks and contractors' repositories.",
            },
            {
                "why": "Why do we not watch for our token formats elsewhere?",
                "because": "Our tokens have no recognisable prefix, so public secret scanners "
                "cannot tell us about them.",
            },
            {
                "why": "Why do our tokens have no prefix?",
                "because": "The token format predates the provider's support for custom "
                "prefixes and was never revisited.",
            },
        ],
    ),
]


def closed_retro(story: Story, key: str, closed_at: datetime) -> None:
    """The token leak's retro, written the day after it closed and published; one of its three
    action items is overdue when the demo opens."""
    start = closed_at + timedelta(days=1)
    ctx = story.at(start)
    retros.start(ctx, _as("maria"), key)
    ctx = story.at(start + timedelta(hours=1))
    retros.revise(
        ctx,
        _as("maria"),
        key,
        {
            "summary": "A staging deploy token was committed to a contractor's public "
            "repository and found by an outside scanner; it was revoked within 2 h 10 min and "
            "audit logs show no use of it.",
            "went_well": [
                "Revocation took 12 minutes from the alert.",
                "The vault issued a new token without downtime.",
            ],
            "went_poorly": [
                "We heard of the leak from an outside scanner, not from our own checks.",
                "The token-use audit query took an hour: nobody had written it before.",
            ],
            "lucky": ["The token could only deploy to staging."],
            "contributing_factors": [
                "Staging secrets still in files beside the scripts",
                "No owner for staging's vault migration",
                "Token format without a scannable prefix",
            ],
        },
    )
    for number, (problem, steps) in enumerate(CHAINS):
        ctx = story.at(start + timedelta(hours=1, minutes=10 * (number + 1)))
        retros.add_chain(ctx, _as("maria"), key, problem=problem, steps=steps)
    ctx = story.at(start + timedelta(hours=2))
    items = [
        ("Move staging deploy secrets into the vault", "prevent", "tomas", 14),
        ("Give our tokens a prefix and register it with public secret scanning", "detect",
         "priya", 50),
        ("Write the token-use audit query into the playbook", "process", "maria", 7),
    ]  # fmt: skip
    for title, kind, owner, days in items:
        due = (start + timedelta(days=days)).date()
        retros.add_action_item(ctx, _as("maria"), key, title=title, kind=kind, owner=owner,
                               due_on=due)  # fmt: skip
    retros.set_status(story.at(start + timedelta(hours=3)), _as("maria"), key, "in_review")
    retros.set_status(story.at(start + timedelta(days=2)), _as("maria"), key, "published")
    # the playbook item was done in time; the vault move is late (overdue when the demo opens)
    retros.set_action_status(story.at(start + timedelta(days=6)), _as("maria"), key, 3, "done")


def named_keys(accounts: list[Any]) -> dict[str, str]:
    return {a.customer: a.key for a in accounts if a.customer in NAMED}
