"""An advisory in a real browser: create it with a CVSS 3.1 vector through the form, publish
it, download the CSAF document, and read it at its public address without signing in."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.conftest import LiveServer, Shots, sign_in
from tests.golden.test_exports import shared_validator

pytestmark = pytest.mark.browser

VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"


@pytest.fixture
def stranger(chromium: Browser) -> Iterator[BrowserContext]:
    """A second browser that never signs in: what a customer sees."""
    made = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield made
    made.close()


def test_create_publish_download_and_read_in_public(
    live_server: LiveServer, context: BrowserContext, stranger: BrowserContext, shot: Shots,
    tmp_path: Path,
) -> None:  # fmt: skip
    page = context.new_page()
    sign_in(page, live_server, "alice")
    page.get_by_role("link", name="Advisories", exact=True).click()
    shot(page, "advisories-empty")
    page.get_by_role("link", name="New advisory").click()
    page.get_by_label("Title", exact=True).fill("Access tokens written to the agent's debug log")
    page.get_by_label("Description", exact=True).fill(
        "The agent 1.0.0 up to 1.4.1 writes the customer's API token to its debug log."
    )
    page.get_by_label("CVE id (when assigned), vulnerability 1").fill("CVE-2026-12345")
    page.get_by_label("CVSS vectors, one per line, vulnerability 1").fill(VECTOR)
    page.get_by_label("Vendor, row 1, vulnerability 1").fill("Example")
    page.get_by_label("Product, row 1, vulnerability 1").fill("example-agent")
    page.get_by_label("Version scheme, row 1, vulnerability 1").fill("semver")
    page.get_by_label("Introduced in, row 1, vulnerability 1").fill("1.0.0")
    page.get_by_label("Fixed in, row 1, vulnerability 1").fill("1.4.2")
    page.get_by_label("Kind of remediation, row 1, vulnerability 1").select_option("vendor_fix")
    page.get_by_label("Remediation details, row 1, vulnerability 1").fill("Upgrade to 1.4.2.")
    shot(page, "advisory-form", guide="advisory-form")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("status")).to_have_text("Advisory created as a draft.")
    key = page.locator("h1 .key").inner_text()
    assert re.fullmatch(r"EXAMPLE-SA-\d{4}-001", key)
    scores = page.locator("table.scores")
    expect(scores).to_contain_text("9.1")
    expect(scores).to_contain_text("CRITICAL")
    expect(scores).to_contain_text(VECTOR)
    expect(page.locator("table.affected")).to_contain_text(">= 1.0.0, < 1.4.2 (semver)")
    shot(page, "advisory-draft")

    page.get_by_label("What changed (shown in the revision history)").fill("Initial publication.")
    page.get_by_role("button", name="Publish revision").click()
    expect(page.get_by_role("status")).to_have_text("Revision published.")
    expect(page.locator("#revisions")).to_contain_text("Initial publication.")
    shot(page, "advisory-published", guide="advisory-published")

    with page.expect_download() as caught:
        page.get_by_role("link", name="Download CSAF").click()
    downloaded = tmp_path / "advisory.csaf.json"
    caught.value.save_as(downloaded)
    document = json.loads(downloaded.read_text(encoding="utf-8"))
    assert list(shared_validator("csaf").iter_errors(document)) == []
    assert document["document"]["tracking"]["id"] == key
    assert document["vulnerabilities"][0]["scores"][0]["cvss_v3"]["vectorString"] == VECTOR

    public = stranger.new_page()
    public.goto(f"{live_server.url}/advisories/public/{key}")
    expect(public.get_by_role("heading", level=1)).to_have_text(
        "Access tokens written to the agent's debug log"
    )
    expect(public.locator("table.scores")).to_contain_text("9.1")
    expect(public.locator(".revisions")).to_contain_text("Initial publication.")
    shot(public, "advisory-public", guide="advisory-public")
    csaf_link = public.get_by_role("link", name=re.compile(r"^CSAF 2\.0"))
    href = csaf_link.get_attribute("href")
    assert href == f"/advisories/public/{key}/csaf.json"
    served = public.request.get(f"{live_server.url}{href}")
    assert served.ok and json.loads(served.body())["document"]["tracking"]["status"] == "final"
    year = key.split("-")[2]
    in_directory = public.request.get(
        f"{live_server.url}/.well-known/csaf/white/{year}/{key.lower()}.json"
    )
    digest = public.request.get(
        f"{live_server.url}/.well-known/csaf/white/{year}/{key.lower()}.json.sha256"
    )
    assert in_directory.body() == served.body()
    assert digest.text().split()[0] == hashlib.sha256(served.body()).hexdigest()
    public.goto(f"{live_server.url}/.well-known/csaf/white/")
    shot(public, "csaf-directory")
