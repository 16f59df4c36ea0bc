"""The issue's tabletop, end to end in a real browser: the cloud-credentials scenario run by a
facilitator (alice) with two participants (bob and carol), each in a browser context of their own.
All injects are released, decisions recorded, the exercise incident worked on the real incident
page, and the after-action report read with its score.

Nothing may leave the organisation. The server delivers mail to an SMTP server on loopback, with
``northwind.example`` as the organisation's own domain; the customer directory holds customers at
other domains, and counsel (carol) has an address at her firm. During the exercise the team is
refused a notice to the affected customers, then drafts, approves and publishes the customer
notice with audience internal, and the delivery worker runs: the SMTP server receives the
messages to the organisation's own addresses and nothing else, the message to counsel's firm is
held (and shown as held on the statement's page), and the only connections the Candor process
opens are to that SMTP server.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from candor.domain.access import Actor, OrgRole
from candor.services import accounts, delivery_jobs
from candor.services.jobs import JobEnv
from tests.browser.conftest import LiveServer, Shots, serving, sign_in
from tests.browser.test_whole_arc import (
    credential_store_marked,
    inventory_imported,
    statement_drafted,
)
from tests.delivery.sink import Sink

pytestmark = pytest.mark.browser

SCENARIO = "cloud-credentials-breach"


OWN_DOMAIN = "northwind.example"
EMAILS = {
    "alice": f"alice@{OWN_DOMAIN}",
    "bob": f"bob@{OWN_DOMAIN}",
    "carol": "carol@counsel.example",  # outside counsel, with an address at her firm
    "val": f"val@{OWN_DOMAIN}",
}


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    """The mail server the exercise server delivers to: a real SMTP server on loopback."""
    server = Sink()
    server.recorder.keep = True
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live_server(sink: Sink) -> Iterator[LiveServer]:
    with serving(
        smtp={"host": "127.0.0.1", "port": sink.port, "from_address": f"security@{OWN_DOMAIN}"},
        delivery={"own_domains": [OWN_DOMAIN]},
    ) as live:
        admin = Actor("admin", OrgRole.ADMIN)
        for name, address in EMAILS.items():
            accounts.update_user(live.application.context, admin, name, email=address)
        yield live


@pytest.fixture
def outbound(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every address this process connects a socket to (mail, webhooks, any HTTP call)."""
    seen: list[Any] = []
    real = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        seen.append(address)
        real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


def new_page(chromium: Browser, server: LiveServer, user: str) -> Page:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server, user)
    return page


def notice(page: Page, text: str) -> None:
    expect(page.locator("p.notice[role=status]")).to_have_text(text)


def assign(page: Page, role: str, person: str) -> None:
    field = page.get_by_label(f"Person for {role}")
    field.select_option(person)
    field.locator("xpath=..").get_by_role("button", name="Assign").click()
    notice(page, "Role updated.")


def customer_notice_held(
    bob: Page, carol: Page, server: LiveServer, incident: str, sink: Sink, shot: Shots
) -> None:
    """The customers' keys are in scope; the notice to them is refused, the internal one goes
    through review and publication, and the worker delivers it inside the organisation only."""
    credential_store_marked(bob, server, incident)
    statement_drafted(
        bob, server, incident, audience="affected_customers", channel="email",
        template="customer_notice", refused=f"{incident} is an exercise",
    )  # fmt: skip
    bob.goto(f"{server.url}/incidents/{incident}")
    assign(bob, "counsel", "carol")
    assign(bob, "comms lead", "bob")
    url = statement_drafted(
        bob, server, incident, audience="internal", channel="email", kind="customer_notice",
        title="Rotate your integration keys",
        body="The cloud keys you gave us were read by an attacker. **Rotate them now.**",
    )  # fmt: skip
    bob.get_by_role("button", name="Submit for review").click()
    notice(bob, "Sent for review.")
    carol.goto(url)
    carol.get_by_role("button", name="Approve as counsel").click()
    notice(carol, "Approved.")
    bob.goto(url)
    bob.get_by_role("button", name="Approve as incident lead").click()
    notice(bob, "Approved.")
    bob.get_by_role("button", name="Publish now").click()
    notice(bob, "Published. It can no longer change.")
    delivery = bob.locator("table.delivery-status")
    expect(delivery.locator("tr[data-state=queued] td").last).to_have_text("3")
    expect(delivery.locator("tr[data-state=held] td").last).to_have_text("1")

    # the worker's delivery job, once, as `candor worker` runs it
    app = server.application
    summary = delivery_jobs.deliver_outbox(
        JobEnv(ctx=app.context, transports=app.transports(), worker="tabletop")
    )
    assert summary.startswith("3 sent"), summary
    assert len(sink.recorder.messages) == 3
    bob.reload()
    expect(delivery.locator("tr[data-state=sent] td").last).to_have_text("3")
    expect(delivery.locator("tr[data-state=held] td").last).to_have_text("1")
    shot(bob, "exercise-notice-held")


def test_a_tabletop_with_a_facilitator_and_two_participants(
    live_server: LiveServer,
    chromium: Browser,
    shot: Shots,
    sink: Sink,
    outbound: list[Any],
) -> None:
    alice = new_page(chromium, live_server, "alice")
    bob = new_page(chromium, live_server, "bob")
    carol = new_page(chromium, live_server, "carol")
    try:
        # before the exercise: the organisation's customer directory, customers at their domains
        inventory_imported(alice)

        # the facilitator picks the scenario and starts it
        alice.get_by_role("link", name="Exercises", exact=True).click()
        shot(alice, "exercises-empty")
        alice.get_by_role("link", name="Scenario library").click()
        expect(alice.get_by_role("heading", level=1)).to_contain_text("Scenario library")
        shot(alice, "scenarios")
        card = alice.locator("li.card").filter(has=alice.locator(f"#sc-{SCENARIO}"))
        card.get_by_role("button", name="Start this exercise").click()
        notice(alice, "Exercise started: the first inject is out.")
        expect(alice.locator(".banner.exercise")).to_be_visible()
        key = alice.locator("h1 .key").inner_text()
        assert re.fullmatch(r"EX-\d{4}-\d+", key)
        expect(alice.get_by_role("button", name="Release inject 2")).to_be_visible()
        shot(alice, "facilitator-started", guide="tabletop-facilitator")

        # the participants find it and read the first inject, not the second
        bob.get_by_role("link", name="Exercises", exact=True).click()
        bob.get_by_role("link", name=key).click()
        expect(bob.locator(".banner.exercise")).to_be_visible()
        expect(bob.locator("#inject-1")).to_contain_text("An encrypted e-mail from a customer")
        expect(bob.locator("#inject-1")).to_contain_text("cloud keys")
        expect(bob.locator("#inject-2")).to_have_count(0)
        shot(bob, "participant-inject-1", guide="tabletop-participant")
        carol.goto(f"{live_server.url}/exercises/{key}")
        expect(carol.get_by_role("link", name="Facilitator view")).to_have_count(0)
        assert carol.goto(f"{live_server.url}/exercises/{key}/facilitate").status == 403
        carol.goto(f"{live_server.url}/exercises/{key}")

        # bob leads and works the exercise incident on the real incident page
        bob.get_by_role("link", name=re.compile(r"^Work the incident")).click()
        incident = bob.locator("h1 .key").inner_text()
        expect(bob.locator(".banner.exercise")).to_be_visible()
        assign(bob, "incident lead", "bob")
        assign(bob, "technical lead", "carol")
        bob.get_by_label("Apply a playbook").select_option("customer-credentials-exposed")
        bob.get_by_role("button", name="Apply", exact=True).click()
        notice(bob, "Playbook applied: its tasks were added.")

        # a new inject: the open participant page says so without a reload
        alice.get_by_role("button", name="Release inject 2").click()
        notice(alice, "Inject released.")
        carol.locator("[data-poll]").get_by_role("link").wait_for(timeout=20_000)
        expect(carol.locator("[data-poll]")).to_contain_text("Inject 2 is out")
        carol.locator("[data-poll]").get_by_role("link").click()
        expect(carol.locator("#inject-2")).to_contain_text("Our bastion host saw the same address")
        shot(carol, "participant-inject-2")

        bob.goto(f"{live_server.url}/incidents/{incident}")
        bob.get_by_label("Record", exact=True).select_option("aware_at")
        aware = datetime.now(UTC) - timedelta(minutes=2)
        bob.locator("#clock-value").fill(aware.strftime("%Y-%m-%dT%H:%MZ"))
        bob.locator("#clock-reason").fill("the bastion login confirms access")
        bob.get_by_role("button", name="Record time").click()
        notice(bob, "Time recorded.")

        alice.get_by_role("button", name="Release inject 3").click()
        notice(alice, "Inject released.")
        bob.goto(f"{live_server.url}/incidents/{incident}")
        bob.get_by_label("Kind", exact=True).select_option("supply_chain_breach")
        bob.get_by_label("Severity", exact=True).select_option("SEV1")
        bob.get_by_label("Reason for the change").fill("all customers' keys were in the snapshot")
        bob.get_by_role("button", name="Save", exact=True).click()
        notice(bob, "Incident updated.")
        bob.get_by_label("Move to").select_option("mitigation")
        bob.get_by_role("button", name="Change phase").click()
        notice(bob, "Phase changed.")
        expect(bob.locator("#contacts")).to_contain_text("Cloud provider")
        expect(bob.locator("#exercise")).to_contain_text(key)
        shot(bob, "exercise-incident")

        carol.goto(f"{live_server.url}/exercises/{key}")
        carol.get_by_label("Decision", exact=True).fill(
            "Disable the stored keys now; integrations break, the attacker loses them too."
        )
        carol.get_by_label(re.compile(r"^Decide whether to disable the stored")).check()
        carol.get_by_role("button", name="Record decision").click()
        notice(carol, "Decision recorded on the timeline.")
        expect(carol.locator("#decisions")).to_contain_text("Disable the stored keys now")

        for number in (4, 5, 6):
            alice.get_by_role("button", name=f"Release inject {number}").click()
            notice(alice, "Inject released.")
        expect(alice.get_by_role("button", name=re.compile(r"^Release inject"))).to_have_count(0)
        shot(alice, "facilitator-all-released")

        bob.goto(f"{live_server.url}/exercises/{key}")
        expect(bob.locator("article.inject")).to_have_count(6)
        bob.get_by_label("Decision", exact=True).fill(
            "Approve the short customer notice now: rotate your keys; we will update daily."
        )
        bob.get_by_role("button", name="Record decision").click()
        notice(bob, "Decision recorded on the timeline.")
        expect(bob.get_by_label(re.compile(r"^Customer notice approved"))).to_have_count(0)
        shot(bob, "participant-decisions")
        customer_notice_held(bob, carol, live_server, incident, sink, shot)

        # the facilitator ends it; decisions close
        alice.once("dialog", lambda dialog: dialog.accept())
        alice.get_by_role("button", name="End the exercise").click()
        notice(alice, "Exercise ended. Unmet expectations now count as missed.")
        carol.goto(f"{live_server.url}/exercises/{key}")
        expect(carol.get_by_role("button", name="Record decision")).to_have_count(0)
        expect(carol.locator("#decisions")).to_contain_text("decisions are closed")

        # everyone reads the after-action report
        for page in (alice, bob, carol):
            page.goto(f"{live_server.url}/exercises/{key}/report")
            expect(page.locator(".banner.exercise")).to_be_visible()
        report = bob
        outcomes = {
            row.get_attribute("id"): row.locator(".outcome").inner_text()
            for row in report.locator("tr[id^=result-]").all()
        }
        assert outcomes == {
            "result-lead-assigned": "met",
            "result-lead-not-investigator": "met",
            "result-aware-at-recorded": "met",
            "result-playbook-applied": "met",
            "result-classified-supply-chain": "met",
            "result-comms-lead-assigned": "met",
            "result-mitigation-reached": "met",
            "result-impact-statement-started": "missed",
            "result-keys-decision": "met",
            "result-obligations-computed": "met",  # marking the store in scope recorded facts
            # the facts recorded were not enough to compute any notice obligation, so none
            # could be filed: the item is missed, as it is for a team that computes nothing
            "result-deadlines-met": "missed",
            "result-customer-notice-approved": "met",
        }
        expect(report.locator("#result-deadlines-met")).to_contain_text("no obligations computed")
        expect(report.locator("#result-customer-notice-approved")).to_contain_text(
            "statement #1 (Rotate your integration keys) approved"
        )
        # 10 met, 2 missed (nobody wrote the impact statement or filed a notice)
        expect(report.locator("#score strong")).to_have_text(f"{round(100 * 10 / 12)}%")
        expect(report.get_by_role("heading", name="Lessons")).to_be_visible()
        expect(report.locator("body")).to_contain_text("Missed — impact statement started")
        expect(report.locator("body")).to_contain_text("Missed — obligation deadlines met")
        shot(report, "after-action-report", guide="tabletop-report")
    finally:
        for page in (alice, bob, carol):
            page.context.close()

    # nothing left the organisation: mail to its own addresses only, and no other connection
    received = [email.message_from_bytes(raw, policy=email.policy.default)
                for raw in sink.recorder.messages]  # fmt: skip
    assert sorted(str(m["To"]) for m in received) == sorted(
        EMAILS[name] for name in ("alice", "bob", "val")
    )
    assert all(str(m["To"]).endswith(f"@{OWN_DOMAIN}") for m in received)
    assert set(outbound) == {("127.0.0.1", sink.port)}, f"Candor connected to {outbound}"


def test_prepare_pages_in_the_browser(
    live_server: LiveServer, chromium: Browser, shot: Shots
) -> None:
    page = new_page(chromium, live_server, "alice")
    try:
        page.get_by_role("link", name="Playbooks", exact=True).click()
        shot(page, "playbooks")
        page.get_by_role("link", name="leaked-secret").click()
        expect(page.get_by_role("heading", name="Roles to fill")).to_be_visible()
        shot(page, "playbook")

        page.get_by_role("link", name="Contacts", exact=True).click()
        page.get_by_role("link", name="Add a contact").click()
        page.get_by_label("Short name").fill("cover-co")
        page.get_by_label("Category").select_option("insurer")
        page.get_by_label("Organisation").fill("Cover Co")
        page.get_by_label("Name (1)").fill("Pat Lee")
        page.get_by_label("Phone", exact=True).first.fill("+44 20 7946 0001")
        page.locator("#oob_phone").fill("+44 20 7946 0000")
        page.get_by_label("What the policy says").fill("Notify the claims line within 48 hours.")
        page.get_by_label("Within how many hours").fill("48")
        shot(page, "contact-form")
        page.get_by_role("button", name="Add contact").click()
        notice(page, "Contact added.")
        expect(page.locator("main")).to_contain_text("never verified")
        shot(page, "contact")
        page.get_by_role("button", name="Mark verified today").click()
        notice(page, "Contact marked as verified today.")
        page.get_by_role("link", name="Contacts", exact=True).first.click()
        shot(page, "contacts", guide="contacts")

        page.get_by_role("link", name="Declare", exact=True).click()
        page.get_by_label("Title").fill("API token found in a public repository")
        page.get_by_label("Playbook (optional)").select_option("leaked-secret")
        page.get_by_role("button", name="Declare").click()
        notice(page, "Incident declared.")
        expect(page.locator("#playbook")).to_contain_text("leaked-secret")
        expect(page.locator("#tasks")).to_contain_text("playbook:leaked-secret")
        shot(page, "incident-with-playbook")

        page.get_by_role("link", name="Readiness", exact=True).click()
        expect(page.locator("#check-insurer_notice .status")).to_have_text("pass")
        shot(page, "readiness", guide="readiness")
        page.get_by_role("link", name="Dashboard", exact=True).click()
        readiness = page.get_by_role("heading", name="Readiness", exact=True)
        expect(page.locator(".panel").filter(has=readiness)).to_be_visible()
        shot(page, "dashboard-readiness")
    finally:
        page.context.close()


def test_exercise_pages_fit_a_phone(
    live_server: LiveServer, chromium: Browser, shot: Shots
) -> None:
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = phone.new_page()
        sign_in(page, live_server, "alice")
        page.goto(f"{live_server.url}/exercises/scenarios")
        page.locator("li.card").first.get_by_role("button", name="Start this exercise").click()
        key = page.locator("h1 .key").inner_text()
        for name, path in (
            ("facilitator", f"/exercises/{key}/facilitate"),
            ("participant", f"/exercises/{key}"),
            ("report", f"/exercises/{key}/report"),
            ("contact-form", "/contacts/new"),
            ("readiness", "/readiness"),
        ):
            page.goto(f"{live_server.url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390 + 1, f"{path} scrolls sideways ({width}px)"
            shot(page, f"phone-{name}")
    finally:
        phone.close()
