"""Issue 13: the whole arc as a team walks it, in a real browser, on one workspace.

A stranger's report arrives through the public form → a responder promotes and triages it →
roles are assigned → findings and the impact statement → scoping over the fixture CloudTrail
logs (`candor scope run`, the way a responder runs it today) → its result becomes a finding and
a new statement version → obligations computed from the facts, with live countdowns → the
incident is closed.

Then the customer inventory imported and the credential store marked compromised → a customer
notice to the affected customers drafted from its template, reviewed, approved, published and
delivered by the worker's job to an SMTP server on loopback (aiosmtpd) → a public update and its
correction on the public status page → the incident closed → the retro with a five-whys chain
and an action item → the incident report exported as PDF.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from candor.services import delivery_jobs
from candor.services.jobs import JobEnv
from tests.browser.conftest import LiveServer, Shots, serving, sign_in
from tests.browser.steps import add_finding, approve_as, assign, move_to, review
from tests.browser.test_retro_flow import add_chain
from tests.delivery.sink import Sink

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
OTRF = ROOT / ".." / "shared" / "fixtures" / "logs" / "cloudtrail" / "otrf-ec2-s3-exfiltration"
STOLEN_KEY = "ASIA" + "5FLZVX4OPVKKVBMX"  # the EC2 role's key in the OTRF dataset
CANDOR = Path(sys.executable).parent / "candor"
INVENTORY = ROOT / "docs" / "examples" / "inventory.yaml"


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    """The customers' mail server: a real SMTP server on loopback that keeps what it accepts."""
    server = Sink()
    server.recorder.keep = True
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def server(sink: Sink) -> Iterator[LiveServer]:
    with serving(
        smtp={"host": "127.0.0.1", "port": sink.port, "from_address": "security@northwind.example"},
        organization={"name": "Northwind Metrics (test)", "timezone": "America/New_York"},
        obligations={
            "roles": ["controller", "processor"],
            "sectors": ["sec_registrant"],
            "establishments": ["US-DE", "IE"],
            "eu_main_establishment": "IE",
        },
    ) as live:
        yield live


def a_public_report_arrives(page: Page, server: LiveServer, shot: Shots) -> str:
    page.goto(f"{server.url}/report")
    page.get_by_label("What happened").fill(
        f"CloudTrail in our account shows ListBuckets and GetObject calls made with the key "
        f"{STOLEN_KEY}, which only your integration holds."
    )
    page.get_by_label("How it was found").fill("A GuardDuty alert")
    page.get_by_label("Affected product or URL").fill("The AWS integration")
    page.get_by_label("Your e-mail address").fill("security@customer.example")
    shot(page, "report-form", guide="report-form")
    page.get_by_role("button", name="Send report").click()
    reference = page.locator(".reference")
    expect(reference).to_have_text(re.compile(r"^REP-\d{4}-\d+$"))
    return reference.inner_text()


def promoted_and_triaged(page: Page, server: LiveServer, report: str, shot: Shots) -> str:
    sign_in(page, server, "alice")
    page.get_by_role("link", name="Reports", exact=True).click()
    shot(page, "reports-queue", guide="reports-queue")
    page.locator("tr", has_text=report).get_by_role("link", name=report).click()
    page.get_by_label("Title").fill("Customer reports AWS calls with the key they gave us")
    page.get_by_role("button", name="Promote to incident").click()
    expect(page.get_by_role("status")).to_have_text("Incident declared.")
    key = page.locator("h1 .key").inner_text()

    triage = page.locator("section#triage")
    triage.get_by_label("cloud keys").check()
    triage.locator("#q-access").get_by_label("confirmed").check()
    triage.get_by_label("How many customers may be affected?").fill("1")
    triage.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_role("status")).to_have_text("Triage assessment saved.")
    shot(page, "triage-result", guide="triage-result")
    page.locator("#triage-result").get_by_role(
        "button", name=re.compile(r"^Apply: set kind")
    ).click()
    expect(page.locator(".incident-head .facts .kind")).to_have_text("supply chain breach")
    expect(page.locator(".incident-head .facts .sev")).to_have_text("SEV1")
    page.get_by_role("button", name="Confirm breach determination").click()
    expect(page.get_by_role("status")).to_have_text("Breach determination recorded.")
    return key


def roles_assigned(page: Page, shot: Shots) -> None:
    assign(page, "incident lead", "alice")
    assign(page, "technical lead", "bob")
    assign(page, "counsel", "carol")
    assign(page, "comms lead", "alice")
    roles = page.locator("#roles")
    expect(roles).to_contain_text("bob")
    expect(page.locator(".warning[data-code='no-lead']")).to_have_count(0)
    shot(page, "roles", guide="roles")
    move_to(page, "mitigation", "integration workers stopped")


def findings_and_statement(page: Page, shot: Shots) -> None:
    add_finding(
        page,
        "The integrations store's audit log shows a full table read at 02:03 UTC.",
        "integrations-store audit log",
    )
    review(page, 1, changes_customer_impact="yes", new_access_path="no", new_data="yes")
    page.get_by_role("link", name="Write the impact statement").click()
    page.locator("#text_what_happened").fill(
        "An attacker read the integrations store, which holds the cloud keys customers gave us."
    )
    page.locator("#confidence_what_happened").select_option("confirmed")
    page.locator("#text_not_affected").fill("Customers' dashboards and metrics data.")
    page.locator("#confidence_not_affected").select_option("suspected")
    page.get_by_label(re.compile(r"^#1 The integrations store")).check()
    page.get_by_label("Why this version").fill("first take")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#impact .meta")).to_contain_text("Version 1")
    expect(page.locator("#finding-1")).to_contain_text("into version 1")
    page.locator("#impact").scroll_into_view_if_needed()
    shot(page, "impact-statement", guide="impact-statement")


def scoped_from_logs(page: Page, workdir: Path, shot: Shots) -> dict[str, object]:
    """`candor scope run` over the fixture CloudTrail, its answer written down as a finding."""
    iocs = workdir / "iocs.yaml"
    iocs.write_text(
        "indicators:\n"
        f'  - {{type: aws_access_key_id, value: {STOLEN_KEY}, label: "the key in the report"}}\n',
        encoding="utf-8",
    )
    out = workdir / "scope.json"
    done = subprocess.run(
        [str(CANDOR), "scope", "run", "--source", "cloudtrail", str(OTRF), "--iocs", str(iocs),
         "--out-json", str(out), "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert (result["events_scanned"], result["events_matched"]) == (103, 11)
    [account] = result["accounts"]
    summary = (
        f"Scoping over CloudTrail: {result['events_matched']} of {result['events_scanned']} "
        f"events used the key, {result['first_seen']} to {result['last_seen']}, in account "
        f"{account['account']}: "
        + ", ".join(f"{name} ×{count}" for name, count in sorted(account["event_names"].items()))
    )
    add_finding(page, summary, "candor scope run (CloudTrail)", evidence=out.name)
    review(page, 2, changes_customer_impact="yes", new_access_path="no", new_data="no")
    page.get_by_role("link", name="Update the impact statement").click()
    page.locator("#text_who_is_affected").fill(
        f"One customer account ({account['account']}); "
        f"{result['events_matched']} calls with its key."
    )
    page.locator("#confidence_who_is_affected").select_option("confirmed")
    page.get_by_label("Customers affected (empty: not known yet)").fill("1")
    page.get_by_label(re.compile(r"^#2 Scoping over CloudTrail")).check()
    page.get_by_label("Why this version").fill("scoping over CloudTrail")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#impact .meta")).to_contain_text("Version 2")
    expect(page.locator("#finding-2")).to_contain_text("into version 2")
    return result


def obligations_computed(page: Page, shot: Shots) -> None:
    section = page.locator("#obligations")
    for element in ("name", "email address", "third party credentials"):
        section.get_by_label(element, exact=True).check()
    section.get_by_label(re.compile(r"^People affected by jurisdiction")).fill("DE 300\nUS-CA 120")
    section.get_by_label("Why the facts changed").fill("contacts of the affected customer")
    section.get_by_role("button", name="Save facts and recompute").click()
    expect(page.get_by_role("status")).to_have_text("Facts recorded; obligations recomputed.")
    gdpr = page.locator('tr.obligation[data-rule="eu-gdpr-33-1"]')
    expect(gdpr.locator("time[data-countdown]")).to_have_text(
        re.compile(r"^(\d+ d )?\d+ h \d+ min left$")
    )
    expect(section).to_contain_text("it is not legal advice")
    page.locator("#obligations").scroll_into_view_if_needed()
    shot(page, "obligations", guide="obligations")


def closed(page: Page, shot: Shots) -> None:
    move_to(page, "post_incident", "contained; the retro is next")
    move_to(page, "closed", "notices filed; retro done")
    shot(page, "closed")


def inventory_imported(page: Page) -> None:
    """The example inventory with its customer directory (Acme, Globex …), from any page."""
    page.get_by_role("link", name="Inventory", exact=True).click()
    page.get_by_label("Inventory file (YAML, or CSV of systems)").set_input_files(str(INVENTORY))
    page.get_by_role("button", name="Import inventory").click()
    expect(page.get_by_role("status")).to_have_text("Inventory imported.")


def credential_store_marked(page: Page, server: LiveServer, key: str) -> None:
    """The customers' credential store marked compromised: Acme's key is in scope."""
    page.goto(f"{server.url}/incidents/{key}")
    scope = page.locator("#scope")
    scope.get_by_label("System to mark").select_option("collector-credentials")
    scope.get_by_label("Compromise status").select_option("confirmed")
    scope.get_by_label("Why (optional)").fill("the integration key store was read")
    scope.get_by_role("button", name="Mark system").click()
    expect(page.get_by_role("status")).to_have_text(re.compile("^Scope updated"))
    table = page.locator("#scope #affected-customers")
    expect(table.locator("tr", has_text="Acme Corporation")).to_contain_text("ASIA****VBMX")


def statement_drafted(
    page: Page,
    server: LiveServer,
    key: str,
    *,
    audience: str,
    channel: str,
    refused: str = "",
    **text: str,
) -> str:
    """Draft a statement from the incident page; returns its address (with ``refused``, the
    error the form must show instead, and "")."""
    page.goto(f"{server.url}/incidents/{key}/statements/new")
    if "template" in text:
        page.get_by_label("Template", exact=True).select_option(text["template"])
    if "kind" in text:
        page.get_by_label("Kind (without a template)").select_option(text["kind"])
    page.get_by_label("Audience", exact=True).select_option(audience)
    for box in page.locator("input[name=channels]").all():
        box.set_checked(box.get_attribute("value") == channel)
    if "title" in text:
        page.get_by_label("Statement title (without a template)").fill(text["title"])
        page.get_by_label("Statement text, Markdown (without a template)").fill(text["body"])
    page.get_by_role("button", name="Save draft").click()
    if refused:
        expect(page.locator("main")).to_contain_text(refused)
        return ""
    expect(page.get_by_role("status")).to_have_text("Statement drafted.")
    return page.url.split("?")[0]


def reviewed_and_published(page: Page, chromium: Browser, server: LiveServer, url: str) -> None:
    """Counsel (carol) then the incident lead (alice) approve; the communications lead (alice)
    publishes."""
    page.goto(url)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("status")).to_have_text("Sent for review.")
    approve_as(chromium, server, url, "carol", "counsel")
    page.goto(url)
    page.get_by_role("button", name="Approve as incident lead").click()
    expect(page.get_by_role("status")).to_have_text("Approved.")
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_role("status")).to_have_text("Published. It can no longer change.")


def customer_notice_delivered(
    page: Page, chromium: Browser, server: LiveServer, sink: Sink, key: str, shot: Shots
) -> None:
    url = statement_drafted(
        page, server, key, audience="affected_customers", channel="email",
        template="customer_notice",
    )  # fmt: skip
    reviewed_and_published(page, chromium, server, url)
    delivery = page.locator("table.delivery-status")
    expect(delivery.locator("tr[data-state=queued] td").last).to_have_text("2")
    # the worker's delivery job, once, as `candor worker` runs it
    app = server.application
    summary = delivery_jobs.deliver_outbox(
        JobEnv(ctx=app.context, transports=app.transports(), worker="whole-arc")
    )
    assert summary.startswith("2 sent"), summary
    received = [
        email.message_from_bytes(raw, policy=email.policy.default) for raw in sink.recorder.messages
    ]
    to = sorted(str(m["To"]) for m in received)
    assert to == ["it@globex.example", "security@acme.example"]
    acme = next(m for m in received if str(m["To"]) == "security@acme.example")
    text = acme.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Dana Reyes" in text and "ASIA****VBMX" in text and "AKIA****PLE2" not in text
    page.reload()
    expect(page.locator("table.delivery-status tr[data-state=sent] td").last).to_have_text("2")
    shot(page, "customer-notice-delivered")


def update_and_correction_public(
    page: Page, chromium: Browser, server: LiveServer, key: str
) -> None:
    url = statement_drafted(
        page, server, key, audience="public", channel="status_site",
        title="Integration keys: update", body="We rotated **40** integration keys.",
    )  # fmt: skip
    reviewed_and_published(page, chromium, server, url)
    page.get_by_label("What was wrong").fill("It said 40 keys; one key was exposed.")
    page.get_by_label("Corrected text, Markdown").fill("We rotated the **one** exposed key.")
    page.get_by_role("button", name="Draft the correction").click()
    expect(page.get_by_role("status")).to_contain_text("Correction drafted")
    reviewed_and_published(page, chromium, server, page.url.split("?")[0])
    public = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    try:
        public.goto(f"{server.url}/status")
        public.get_by_role("link", name="Integration keys: update").click()
        update = public.locator("li.status-update").first
        correction = update.locator("aside.correction")
        expect(correction).to_contain_text("Correction")
        expect(correction).to_contain_text("It said 40 keys; one key was exposed.")
        expect(update.locator(".correction-flag")).to_be_visible()
        assert key not in public.content()
    finally:
        public.context.close()


def retro_written_and_report_exported(page: Page, server: LiveServer, key: str) -> None:
    page.goto(f"{server.url}/incidents/{key}")
    page.locator("#retro").get_by_role("button", name="Start the retro").click()
    expect(page.get_by_role("status")).to_have_text("Retro started as a draft.")
    add_chain(
        page,
        "A customer's cloud key was read from our integrations store",
        [
            ("Why could the store be read?", "A support role had read access to every key"),
            ("Why did it have that access?", "Access was granted per store, not per key"),
            ("Why per store?", "The store predates per-customer encryption keys"),
        ],
    )
    page.locator("#actions summary").click()
    form = page.locator("#actions form").last
    form.get_by_label("Action item", exact=True).fill("Encrypt each customer's keys separately")
    form.get_by_label("Kind").select_option("prevent")
    form.get_by_label("Owner").select_option("bob")
    form.get_by_label("Due on (UTC date)").fill("2030-01-31")
    form.get_by_role("button", name="Add action item").click()
    expect(page.get_by_role("status")).to_have_text("Action item added.")
    expect(page.locator("#actions table.action-items tbody tr")).to_have_count(1)
    report = page.request.get(f"{server.url}/incidents/{key}/reports/incident.pdf")
    assert report.ok and report.headers["content-type"].startswith("application/pdf")
    body = report.body()
    assert body.startswith(b"%PDF-") and len(body) > 1000


def test_the_whole_arc_from_a_public_report_to_closing(
    server: LiveServer,
    sink: Sink,
    context: BrowserContext,
    chromium: Browser,
    shot: Shots,
    tmp_path: Path,
) -> None:
    reporter = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        report = a_public_report_arrives(reporter.new_page(), server, shot)
    finally:
        reporter.close()

    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before applying triage
    key = promoted_and_triaged(page, server, report, shot)
    roles_assigned(page, shot)
    findings_and_statement(page, shot)
    scoped_from_logs(page, tmp_path, shot)
    obligations_computed(page, shot)

    inventory_imported(page)
    credential_store_marked(page, server, key)
    customer_notice_delivered(page, chromium, server, sink, key, shot)
    update_and_correction_public(page, chromium, server, key)
    page.goto(f"{server.url}/incidents/{key}")

    closed(page, shot)
    expect(page.locator("h1 .key")).to_have_text(key)
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("closed")

    retro_written_and_report_exported(page, server, key)
    page.goto(f"{server.url}/incidents/{key}")

    page.get_by_role("link", name="verify chain").click()
    expect(page.get_by_role("status")).to_contain_text("Verified")
