"""From outside to a classified incident, in a real browser: a stranger submits a report, a
responder finds it in the queue, promotes it, answers the triage questionnaire, and sees the
kind, the severity and the reasons on the incident."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.conftest import LiveServer, Shots, sign_in

pytestmark = pytest.mark.browser


def test_a_public_report_becomes_a_triaged_incident(
    live_server: LiveServer, context: BrowserContext, chromium: Browser, shot: Shots
) -> None:
    page = context.new_page()
    page.goto(f"{live_server.url}/report")
    expect(page.get_by_role("heading", name="Report a security issue")).to_be_visible()
    expect(page.locator("input[name=website]")).to_be_hidden()  # the trap is not for people
    page.get_by_label("What happened").fill(
        "API calls with the AWS key we gave you for log collection, from 198.51.100.7 at "
        "02:14 UTC. <script>alert('x')</script>"
    )
    page.get_by_label("How it was found").fill("CloudTrail in our own account")
    page.get_by_label("Affected product or URL").fill("AWS integration")
    page.get_by_label("Your e-mail address").fill("ana@customer.example")
    shot(page, "report-form")
    page.get_by_role("button", name="Send report").click()
    reference = page.locator(".reference")
    expect(reference).to_have_text(re.compile(r"^REP-\d{4}-\d+$"))
    key = reference.inner_text()
    shot(page, "report-received")

    # the responder in a browser of their own: nothing of the reporter's session carries over
    responder = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = responder.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before applying
    sign_in(page, live_server, "alice")
    expect(page.get_by_role("link", name=re.compile(r"1 report"))).to_be_visible()
    page.get_by_role("link", name="Reports", exact=True).click()
    row = page.locator("tr", has_text=key)
    expect(row).to_contain_text("received")
    expect(row).to_contain_text("API calls with the AWS key")
    shot(page, "reports-queue")
    row.get_by_role("link", name=key).click()
    expect(page.locator("#what-happened")).to_contain_text("<script>alert('x')</script>")
    expect(page.locator("#reporter")).to_contain_text("ana@customer.example")
    shot(page, "report")
    page.get_by_label("Title").fill("Customer reports AWS calls with the key they gave us")
    page.get_by_role("button", name="Promote to incident").click()
    expect(page.get_by_role("status")).to_have_text("Incident declared.")
    incident = page.locator("h1 .key").inner_text()
    assert re.fullmatch(r"INC-\d{4}-\d+", incident)
    finding = page.locator("ol.timeline li.kind-finding").first
    expect(finding).to_contain_text("CloudTrail in our own account")
    expect(finding.get_by_role("link", name=key)).to_be_visible()
    shot(page, "incident-from-report")

    triage = page.locator("section#triage")
    expect(triage).to_contain_text("Not triaged yet")
    triage.get_by_label("cloud keys").check()
    triage.locator("#q-access").get_by_label("confirmed").check()
    triage.locator("#q-personal_data").get_by_label("no", exact=True).check()
    triage.get_by_label("How many customers may be affected?").fill("3")
    shot(page, "triage-questionnaire")
    triage.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_role("status")).to_have_text("Triage assessment saved.")
    result = page.locator("#triage-result")
    expect(result.locator(".kind")).to_have_text("supply chain breach")
    expect(result.locator(".sev")).to_have_text("SEV1")
    expect(result.locator("ul.rationale")).to_contain_text("rule customer-secrets-confirmed")
    expect(result.locator("ul.deciding")).to_contain_text("customer_secrets = cloud_keys")
    expect(result.locator("ul.deciding")).to_contain_text("access = confirmed")
    shot(page, "triage-result")

    result.get_by_role("button", name=re.compile(r"^Apply: set kind")).click()
    expect(page.get_by_role("status")).to_have_text(
        "Kind and severity set from the triage assessment."
    )
    facts = page.locator(".incident-head .facts")
    expect(facts.locator(".kind")).to_have_text("supply chain breach")
    expect(facts.locator(".sev")).to_have_text("SEV1")
    expect(page.locator("ol.timeline li").first).to_contain_text("Reason: Triage assessment 1")
    shot(page, "triage-applied")

    page.get_by_role("button", name="Confirm breach determination").click()
    expect(page.get_by_role("status")).to_have_text("Breach determination recorded.")
    expect(page.locator("#clocks")).not_to_contain_text("breach determined at —")
    shot(page, "breach-confirmed")

    page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_label("Show").select_option("promoted")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tr", has_text=key)).to_contain_text(f"promoted → {incident}")
    shot(page, "reports-promoted")
    responder.close()
