"""Issue 13: the whole arc as a team walks it, in a real browser, on one workspace.

A stranger's report arrives through the public form → a responder promotes and triages it →
roles are assigned → findings and the impact statement → scoping over the fixture CloudTrail
logs (`candor scope run`, the way a responder runs it today) → its result becomes a finding and
a new statement version → obligations computed from the facts, with live countdowns → the
incident is closed.

Later steps go in the places marked ``LATER``: the customer notice drafted, reviewed, approved,
published and delivered to a loopback SMTP server; a correction published and visible on the
public status page; the retro with action items; reports exported.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, Shots, serving, sign_in
from tests.browser.steps import add_finding, assign, move_to, review

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
OTRF = ROOT / ".." / "shared" / "fixtures" / "logs" / "cloudtrail" / "otrf-ec2-s3-exfiltration"
STOLEN_KEY = "ASIA" + "5FLZVX4OPVKKVBMX"  # the EC2 role's key in the OTRF dataset
CANDOR = Path(sys.executable).parent / "candor"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with serving(
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


def test_the_whole_arc_from_a_public_report_to_closing(
    server: LiveServer, context: BrowserContext, chromium: Browser, shot: Shots, tmp_path: Path
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

    # LATER (communications): the customer notice drafted from the impact statement, reviewed,
    # approved by counsel, published, and delivered to a loopback SMTP server (aiosmtpd).
    # LATER (status site): an update published, then a correction, visible on the public page.

    closed(page, shot)
    expect(page.locator("h1 .key")).to_have_text(key)
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("closed")

    # LATER (learning): the retro with action items, from the closed incident.
    # LATER (reports): the incident report and the counsel packet exported.

    page.get_by_role("link", name="verify chain").click()
    expect(page.get_by_role("status")).to_contain_text("Verified")
