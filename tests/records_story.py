"""A workspace with every kind of record Candor keeps, for backup, restore and export tests.

Built through the services, as users would: incidents (normal, restricted, exercise, declined),
roles, participants, clocks, tasks, timeline entries and a correction, attachments on the
incident and on its records (the same content twice, to exercise content addressing), a legal
hold placed and released, and an incident purged under the retention policy.

``build_every_kind`` adds a row in every other table of the schema (impact, obligations, scope,
statements and their deliveries, retros, advisories, exercises, reports, the directory,
accounts, the worker's leases …), for the backup round trip that compares every table.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import replace
from datetime import timedelta

import pysequoia

from candor.adapters import prepare_files
from candor.adapters.export import formats
from candor.adapters.export import learn as veris_exports
from candor.adapters.pgp import OrganisationKey
from candor.bootstrap import Application, load_jobs
from candor.domain.access import SYSTEM, Actor, OrgRole
from candor.domain.bounces import Bounce, RecipientStatus
from candor.domain.errors import InvalidInput
from candor.domain.inventory_sample import sample_inventory
from candor.domain.outbox import Channel as OutboxChannel
from candor.domain.reports import Channel
from candor.domain.retention import Policy
from candor.services import (
    accounts,
    advisories,
    attachments,
    contacts,
    exercises,
    impact,
    incidents,
    inventory,
    jobs,
    obligation_tracking,
    obligations,
    outbox,
    reports,
    retention,
    retros,
    scope,
    sharing,
    statements,
    subscriptions,
    tasks,
    timeline,
    triage,
)
from candor.services.context import Context
from candor.services.jobs import JobEnv
from candor.services.ports_delivery import Transport
from tests.conftest import ADMIN, ALICE, BOB, PEOPLE
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


ADVISORY = """\
id: DRAFT
title: Integration keys readable through the export endpoint
status: draft
tlp: CLEAR
description: The export endpoint returned the integration keys of the caller's organisation.
vulnerabilities:
  - cwe:
      - id: CWE-200
        name: Exposure of Sensitive Information to an Unauthorized Actor
    cvss:
      - CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N
    affected:
      - vendor: Example
        product: example-agent
        package: example-agent
        ecosystem: PyPI
        ranges:
          - scheme: python
            introduced: "1.0.0"
            fixed: "1.4.2"
"""
ERIN = Actor("erin", PEOPLE["erin"])
CAROL = Actor("carol", PEOPLE["carol"])
DAN = Actor("dan", PEOPLE["dan"])
PASSWORD = "correct horse battery staple"
VERIS = {"action": {"hacking": {"variety": ["Use of stolen creds"], "vector": ["Web application"]}}}
CONTACT = {
    "category": "outside_counsel",
    "organisation": "Ashford & Bell LLP",
    "purpose": "Breach counsel.",
    "people": [{"name": "Dana Reyes", "email": "dana@ashford.example"}],
}
SCAN = {
    "source": "cloudtrail",
    "events_scanned": 1200,
    "events_matched": 3,
    "by_indicator": [{"indicator": "ip:198.51.100.7", "hits": 3}],
    "accounts": [{"account": "123456789012", "hits": 3, "events": 3}],
}


def build_every_kind(app: Application, ctx: Context, clock: FakeClock) -> dict[str, str]:
    """``build``, then at least one row in every table of the schema, through the services
    (``app`` gives the rules and policies a configured workspace has). The backup round trip
    fails when a table is left empty, so a new kind of record is added here."""
    keys = build(ctx, clock)
    main = keys["main"]
    _people_and_directory(app, ctx)
    clock.advance(minutes=5)
    handle = _analysis(app, ctx, main)
    clock.advance(minutes=5)
    said = _communications(ctx, main)
    for owner_type, owner_id, name in (  # evidence on each kind of record that takes it
        ("obligation", handle, "filing-receipt.pdf"),
        ("statement", str(said), "as-sent.txt"),
        ("timeline_entry", "1", "declared.txt"),
    ):
        attachments.add_attachment(
            ctx, ALICE, main, name, io.BytesIO(name.encode()),
            owner_type=owner_type, owner_id=owner_id,
        )  # fmt: skip
    clock.advance(minutes=5)
    return {**keys, **_learning_and_outside(app, ctx, main)}


def _people_and_directory(app: Application, ctx: Context) -> None:
    """Accounts (a session, a failed sign-in, a token), contacts, the inventory and its
    customers."""
    accounts.create_user(
        ctx, SYSTEM, username="sam", password=PASSWORD, role=OrgRole.RESPONDER, email="sam@x.org"
    )
    accounts.sign_in(ctx, username="sam", password=PASSWORD, client="192.0.2.1")
    with contextlib.suppress(InvalidInput):
        accounts.sign_in(ctx, username="sam", password="wrong password", client="192.0.2.1")
    accounts.create_token(ctx, Actor("sam", OrgRole.RESPONDER), name="ci", scopes=["read"])
    contacts.add(ctx, ALICE, "outside-counsel", CONTACT)
    inventory.import_inventory(
        ctx, ALICE, sample_inventory(customers=2), file="inventory.yaml", locate=lambda p: p
    )


def _analysis(app: Application, ctx: Context, main: str) -> str:
    """Triage, impact versions built on a reviewed finding, the review cadence, obligations
    (facts, a determination proposed and rejected, the worker's deadline reminder), scope
    (a system marked, a scan attached), an indicator and the VERIS classification. Returns
    the number of the obligation a receipt is attached to."""
    for role, person in (("counsel", "erin"), ("comms_lead", "carol")):
        incidents.assign_role(ctx, ALICE, main, role, person)
    triage.assess(
        ctx, ALICE, main, {"customer_secrets": ["cloud_keys"], "access": "confirmed"},
        policy=app.triage_policy, note="keys used from outside",
    )  # fmt: skip
    first = impact.save_version(
        ctx, ALICE, main, sections={"what_happened": "Keys were used."}, reason="first take",
        based_on=None, affected={"customers": 2, "confidence": "suspected"},
    )  # fmt: skip
    impact.review_finding(
        ctx, ALICE, main, 1,
        changes_customer_impact="yes", new_access_path="no", new_data="no",
    )  # fmt: skip
    impact.save_version(
        ctx, ALICE, main, sections={"what_data": "Integration keys."}, reason="finding 1",
        based_on=first.number, findings=[1],
    )  # fmt: skip
    impact.set_review_cadence(ctx, ALICE, main, 30)
    obligations.record_facts(
        ctx, ERIN, main,
        {"data_elements": ["name", "email_address"], "affected": {"IE": 25, "US-TX": 1200},
         "risk_of_harm": "unknown"},
        reason="first count",
    )  # fmt: skip
    handle = str(obligations.overview(ctx, ERIN, main).obligations[0].seq)
    obligation_tracking.propose_not_required(ctx, ALICE, main, handle, text="No risk of harm.")
    obligation_tracking.reject_not_required(ctx, ERIN, main, handle, reason="Unknown risk.")
    load_jobs()
    ran = jobs.run_due(JobEnv(ctx, _no_transport, "story"), names=["obligations.reminders"])
    assert [r.ok for r in ran] == [True] and not ran[0].result.startswith("0 "), ran
    scope.mark_system(ctx, BOB, main, "collector-credentials", "confirmed", note="read")
    scope.attach_scan(ctx, BOB, main, SCAN, file="scan.json", label="CloudTrail")
    sharing.add_indicator(ctx, BOB, main, type="ipv4", value="198.51.100.7", tlp="amber")
    veris_exports.classify(ctx, ALICE, main, VERIS)
    return handle


def _communications(ctx: Context, main: str) -> int:
    """A subscriber and a webhook; a statement to every customer published by the
    communications lead's delegate, and its correction: their deliveries wait in the outbox;
    one address bounces. Returns the first statement's number."""
    subscriptions.subscribe(ctx, address="reader@example.net")
    subscriptions.add_webhook(ctx, ADMIN, url="https://hooks.example.net/candor")
    statements.set_delegate(ctx, CAROL, main, "dan")
    said = statements.draft(
        ctx, ALICE, main, kind="update", audience="all_customers",
        channels=["email", "webhook"], title="We are investigating", body="Keys were read.",
    )  # fmt: skip
    _publish(ctx, main, said.number)
    fixed = statements.correct(
        ctx, ALICE, main, said.number, title="Correction", body="Keys were used.",
        what_was_wrong="They were used, not only read.",
    )  # fmt: skip
    _publish(ctx, main, fixed.number)
    bounced = next(m.recipient for m in outbox.messages(ctx, ADMIN) if "@" in m.recipient)
    outbox.record_bounce(
        ctx, ADMIN, Bounce("mx.example", (RecipientStatus(bounced, "failed", "5.1.1"),))
    )
    return said.number


def _learning_and_outside(app: Application, ctx: Context, main: str) -> dict[str, str]:
    """The retro with an action item, an advisory published from the incident, a tabletop
    with an inject released, and an encrypted report decrypted, kept and promoted, with the
    reporter's original as evidence."""
    retros.start(ctx, ALICE, main)
    retros.add_action_item(ctx, ALICE, main, title="Scan commits for secrets", kind="prevent")
    stored = advisories.create(
        ctx, ALICE, app.advisories,
        replace(formats.read_record(ADVISORY, file="advisory.yaml"), incidents=(main,)),
    )  # fmt: skip
    advisories.publish(ctx, ADMIN, app.advisories, stored.key, summary="First publication.")
    entry = prepare_files.load_scenarios().require().get("ransomware-build-server")
    drill = exercises.start(ctx, ALICE, entry.value, entry.data)
    exercises.release(ctx, ALICE, drill.key)

    pgp = pysequoia.Tsk.generate("Security team <security@example.org>")
    sent = pysequoia.encrypt(b"Your key was used.", recipients=[pgp.extract_certificate()])
    report = reports.receive(
        ctx, {"pgp_message": sent.decode()}, channel=Channel.WEB, client_address="192.0.2.9",
        client_id="reporter", rate=app.report_rate,
    )  # fmt: skip
    reports.decrypt(
        ctx, ALICE, report.key, organisation_key=OrganisationKey.from_bytes(bytes(pgp)), keep=True
    )
    _, promoted = reports.promote(ctx, ALICE, report.key, title="Reported: integration key used")
    attachments.add_attachment(
        ctx, ALICE, promoted.key, "original.eml", io.BytesIO(b"From: reporter\n\nhello\n"),
        owner_type="report", owner_id=report.key,
    )  # fmt: skip
    return {"advisory": stored.key, "tabletop": drill.key, "report": report.key}


def _publish(ctx: Context, key: str, number: int) -> None:
    statements.submit(ctx, ALICE, key, number)
    statements.approve(ctx, ERIN, key, number)
    statements.approve(ctx, ALICE, key, number)
    statements.publish(ctx, DAN, key, number)  # the communications lead's delegate


def _no_transport(channel: OutboxChannel) -> Transport:
    raise AssertionError("the story only queues")
