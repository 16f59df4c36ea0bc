"""A workspace with every kind of record Candor keeps, for backup, restore and export tests.

Built through the services, as users would: incidents (normal, restricted, exercise, declined),
roles, participants, clocks, tasks, timeline entries and a correction, attachments on the
incident and on its records (the same content twice, to exercise content addressing), a legal
hold placed and released, and an incident purged under the retention policy.
"""

from __future__ import annotations

import io
from datetime import timedelta

from candor.domain.retention import Policy
from candor.services import attachments, impact, incidents, retention, tasks, timeline
from candor.services.context import Context
from tests.conftest import ADMIN, ALICE, BOB
from tests.fakes import FakeClock

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def build(ctx: Context, clock: FakeClock) -> dict[str, str]:
    """Returns the incident keys by role in the story."""
    old = incidents.declare(ctx, ALICE, title="Phished mailbox of J. Doe", summary="jdoe@x")
    timeline.add(ctx, ALICE, old.key, kind="note", body="Mailbox of Jane Doe forwarded mail")
    attachments.add_attachment(
        ctx, ALICE, old.key, "jane-doe-headers.txt", io.BytesIO(b"Received: from jane\n")
    )
    incidents.transition(ctx, ALICE, old.key, "post_incident")
    incidents.transition(ctx, ALICE, old.key, "closed", reason="mailbox cleaned")
    clock.advance(days=366 * 8)
    retention.run(ctx, ADMIN, Policy(7))

    main = incidents.declare(
        ctx,
        ALICE,
        title="Customer reports unusual AWS activity",
        summary="Keys from the monitoring integration used from 198.51.100.7",
        severity="SEV1",
        kind="supply_chain_breach",
        aware_at=clock.now(),
    )
    incidents.assign_role(ctx, ALICE, main.key, "incident_lead", "alice")
    incidents.assign_role(ctx, ALICE, main.key, "technical_lead", "bob")
    incidents.set_participants(ctx, ALICE, main.key, add=("carol",))
    clock.advance(minutes=10)
    task = tasks.add(ctx, ALICE, main.key, title="Rotate the integration keys", owner="bob")
    tasks.set_status(ctx, BOB, main.key, task.seq, "done")
    note = timeline.add(ctx, BOB, main.key, kind="finding", body="CloudTrail shows ListBuckets")
    timeline.add(ctx, BOB, main.key, kind="note", body="It was GetObject", corrects=note.seq)
    attachments.add_attachment(
        ctx, BOB, main.key, "cloudtrail.pdf", io.BytesIO(PDF), note="export from the console"
    )
    attachments.add_attachment(
        ctx, BOB, main.key, "screenshot.png", io.BytesIO(PNG), owner_type="task", owner_id="1"
    )
    finding, _ = impact.add_finding(
        ctx, BOB, main.key, summary="ListBuckets from 198.51.100.7", source="CloudTrail"
    )
    attachments.add_attachment(  # same content again: stored once
        ctx, ALICE, main.key, "copy.pdf", io.BytesIO(PDF),
        owner_type="finding", owner_id=str(finding),
    )  # fmt: skip
    retention.place_hold(ctx, ADMIN, main.key, reason="Insurer asked to keep everything")
    clock.advance(hours=1)
    retention.release_hold(ctx, ADMIN, main.key, reason="Claim settled")
    retention.place_hold(ctx, ADMIN, main.key, reason="Regulator inquiry 2026-41")

    secret = incidents.declare(
        ctx, ALICE, title="Insider copied HR files", confidentiality="restricted"
    )
    attachments.add_attachment(
        ctx, ALICE, secret.key, "hr-export.csv", io.BytesIO(b"name,salary\nx,1\n")
    )
    drill = incidents.declare(ctx, BOB, title="Tabletop: ransomware", exercise=True)
    declined = incidents.declare(ctx, BOB, title="Odd login alert")
    clock.advance(minutes=5)
    incidents.transition(ctx, BOB, declined.key, "declined", reason="it was the CFO travelling")
    return {
        "purged": old.key,
        "main": main.key,
        "restricted": secret.key,
        "exercise": drill.key,
        "declined": declined.key,
        "after": (clock.now() + timedelta(0)).isoformat(),
    }
