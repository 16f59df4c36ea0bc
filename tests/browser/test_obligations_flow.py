"""Obligations in a real browser: enter the facts of a breach affecting residents of several US
states and of Germany, see the obligations with their deadlines and countdowns (also without
JavaScript), file one, propose a not-required determination and approve it as counsel."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, Shots, serving, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with serving(
        organization={"name": "Example SaaS Inc.", "timezone": "America/New_York"},
        obligations={"establishments": ["US-DE", "IE"], "eu_main_establishment": "IE"},
    ) as live:
        yield live


def row(page: Page, rule: str):  # type: ignore[no-untyped-def]
    return page.locator(f'tr.obligation[data-rule="{rule}"]')


def test_facts_obligations_filing_and_counsel_approval(
    server: LiveServer, context: BrowserContext, chromium: Browser, shot: Shots
) -> None:
    page = context.new_page()
    sign_in(page, server, "alice")
    aware = (datetime.now(UTC) - timedelta(hours=20)).strftime("%Y-%m-%dT%H:%MZ")
    page.get_by_role("link", name="Declare", exact=True).click()
    page.get_by_label("Title").fill("Support-tool export copied by an attacker")
    page.get_by_label(re.compile(r"^personal data breach")).check()
    page.get_by_label(re.compile(r"^SEV1")).check()
    page.get_by_label("Aware at (optional)").fill(aware)
    page.get_by_role("button", name="Declare").click()
    key = page.locator("h1 .key").inner_text()

    section = page.locator("#obligations")
    expect(section).to_contain_text("No facts recorded yet")
    for element in ("name", "ssn", "date of birth"):
        section.get_by_label(element, exact=True).check()
    section.get_by_label(re.compile(r"^People affected by jurisdiction")).fill(
        "US-CA 600\nUS-TX 1200\nUS-NY 300\nUS-MA 50\nDE 3000"
    )
    section.get_by_label(re.compile(r"^Risk of harm")).select_option("likely")
    section.get_by_label("Why the facts changed").fill("first count from the export")
    shot(page, "obligations-facts-form")
    section.get_by_role("button", name="Save facts and recompute").click()
    expect(page.get_by_role("status")).to_have_text("Facts recorded; obligations recomputed.")

    for rule in ("eu-gdpr-33-1", "us-ca-individuals", "us-tx-regulator", "us-ny-individuals"):
        expect(row(page, rule)).to_be_visible()
    gdpr = row(page, "eu-gdpr-33-1")
    expect(gdpr).to_contain_text("UTC")
    expect(gdpr).to_contain_text("America/New_York")
    expect(gdpr).to_contain_text("Europe/Dublin")
    expect(gdpr.locator("time[data-countdown]")).to_have_text(
        re.compile(r"^(\d+ d )?\d+ h \d+ min left$")
    )
    expect(section).to_contain_text("This prepares counsel's decision; it is not legal advice.")
    expect(section).to_contain_text("Determinations needed")
    shot(page, "obligations-table")

    residents = row(page, "us-ca-individuals")
    residents.locator("summary").click()
    residents.locator("input[name=reference]").fill("Letters mailed, batch 7")
    residents.get_by_role("button", name="Record as filed").click()
    expect(page.get_by_role("status")).to_have_text("Filing recorded.")
    expect(row(page, "us-ca-individuals")).to_contain_text("Letters mailed, batch 7")
    # the attorney general's 15 days now run from that notice
    expect(row(page, "us-ca-regulator").locator("time[data-countdown]")).to_be_visible()
    shot(page, "obligations-filed-chained")

    texas = row(page, "us-tx-regulator")
    texas.locator("summary").click()
    texas.locator("textarea[name=determination]").fill(
        "The 1,200 include business contacts; residents are under the 250 threshold."
    )
    texas.get_by_role("button", name="Propose not required").click()
    expect(page.get_by_role("status")).to_contain_text("counsel decides")
    expect(row(page, "us-tx-regulator")).to_contain_text("awaiting counsel")
    expect(
        row(page, "us-tx-regulator").get_by_role("button", name=re.compile("Approve"))
    ).to_have_count(0)
    shot(page, "obligations-proposed")

    counsel = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        other = counsel.new_page()
        sign_in(other, server, "carol")
        other.goto(f"{server.url}/incidents/{key}#obligations")
        texas = row(other, "us-tx-regulator")
        texas.locator("summary").click()
        shot(other, "obligations-counsel-decides")
        texas.get_by_role("button", name="Approve: not required").click()
        expect(other.get_by_role("status")).to_have_text("Not-required determination approved.")
        expect(row(other, "us-tx-regulator")).to_contain_text("not required (counsel)")
        expect(row(other, "us-tx-regulator")).to_contain_text("approved by counsel carol")
        shot(other, "obligations-approved")
        other.get_by_role("link", name="Dashboard", exact=True).click()
        expect(other.get_by_role("heading", name="Notification deadlines")).to_be_visible()
        expect(other.locator("table.deadlines")).to_contain_text(key)
        shot(other, "dashboard-deadlines")
    finally:
        counsel.close()

    plain = chromium.new_context(java_script_enabled=False)
    try:
        still = plain.new_page()
        sign_in(still, server, "alice")
        still.goto(f"{server.url}/incidents/{key}#obligations")
        expect(row(still, "eu-gdpr-33-1").locator("time[data-countdown]")).to_have_text(
            re.compile(r" left$")
        )
        shot(still, "obligations-without-javascript")
    finally:
        plain.close()
