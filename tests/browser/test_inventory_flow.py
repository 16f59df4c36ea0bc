"""The inventory in a real browser: import the documented example, mark the credential store and
the customer database compromised in an incident, read the affected customers with the
credentials each must rotate and who cannot be reached, and see the obligations facts follow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.conftest import LiveServer, Shots, serving, sign_in
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

EXAMPLE = ROOT / "docs" / "examples" / "inventory.yaml"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with serving(
        organization={"name": "Example SaaS Inc.", "timezone": "America/New_York"},
        obligations={"establishments": ["US-DE"]},
    ) as live:
        yield live


def test_import_scope_affected_customers_and_obligations_facts(
    server: LiveServer, context: BrowserContext, chromium: Browser, shot: Shots
) -> None:
    page = context.new_page()
    sign_in(page, server, "alice")
    page.get_by_role("link", name="Inventory", exact=True).click()
    expect(page.get_by_role("heading", name="Data inventory")).to_be_visible()
    page.get_by_label("Inventory file (YAML, or CSV of systems)").set_input_files(str(EXAMPLE))
    page.get_by_role("button", name="Import inventory").click()
    expect(page.get_by_role("status")).to_have_text("Inventory imported.")
    expect(page.locator("#system-collector-credentials")).to_contain_text("third_party_credentials")
    expect(page.get_by_text("ASIA****VBMX")).to_be_visible()
    shot(page, "inventory")

    page.get_by_role("link", name="Customers", exact=True).click()
    expect(page.locator("#contact-readiness")).to_contain_text("2 of 3")

    aware = (datetime.now(UTC) - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%MZ")
    page.get_by_role("link", name="Declare", exact=True).click()
    page.get_by_label("Title").fill("Collector credential store read by an attacker")
    page.get_by_label("Aware at (optional)").fill(aware)
    page.get_by_role("button", name="Declare").click()

    scope = page.locator("#scope")
    expect(scope).to_contain_text("No system is marked compromised yet.")
    scope.get_by_label("System to mark").select_option("collector-credentials")
    scope.get_by_label("Compromise status").select_option("confirmed")
    scope.get_by_label("Why (optional)").fill("vault audit log shows reads by an unknown role")
    scope.get_by_role("button", name="Mark system").click()
    expect(page.get_by_role("status")).to_have_text(re.compile("^Scope updated"))

    scope = page.locator("#scope")
    table = scope.locator("#affected-customers")
    expect(table.locator("tr", has_text="Acme Corporation")).to_contain_text("ASIA****VBMX")
    expect(table.locator("tr", has_text="Globex Ltd")).to_contain_text("AKIA****PLE2")
    table.locator("summary", has_text="ASIA****VBMX").click()
    expect(table).to_contain_text("aws iam create-access-key")
    expect(scope.locator("#unreachable-customers")).to_contain_text("Initech")

    scope.get_by_label("System to mark").select_option("customer-db")
    scope.get_by_label("Compromise status").select_option("suspected")
    scope.get_by_role("button", name="Mark system").click()
    expect(page.locator("#scope-people")).to_contain_text("US-CA")
    expect(page.locator("#scope-people tr", has_text="US-CA")).to_contain_text("1,200")
    shot(page, "incident-scope")

    facts = page.locator("#obligations")
    expect(facts).to_contain_text("Version 2")
    expect(facts.get_by_label(re.compile(r"^Affected customers"))).to_have_value(
        re.compile(r"acme.*globex.*initech")
    )
    expect(facts).to_contain_text("(inventory)")
