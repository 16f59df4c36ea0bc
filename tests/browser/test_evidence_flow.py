"""Evidence in a real browser: attach a file on the incident page, see it listed with its
SHA-256, download it back byte for byte, and find both in the chain of custody."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from candor.domain.access import SYSTEM
from candor.domain.audit import AuditFilter
from candor.services import audit
from tests.browser.conftest import LiveServer, Shots, sign_in

pytestmark = pytest.mark.browser

EXTRACT = b'{"eventName":"GetObject","sourceIPAddress":"198.51.100.7"}\n' * 40


def test_attach_a_file_on_the_incident_page_and_download_it(
    live_server: LiveServer, context: BrowserContext, shot: Shots, tmp_path: Path
) -> None:
    page = context.new_page()
    sign_in(page, live_server, "alice")
    page.get_by_role("link", name="Declare", exact=True).click()
    page.get_by_label("Title").fill("Objects read from the exports bucket")
    page.get_by_role("button", name="Declare").click()
    key = page.url.rsplit("/", 1)[1].split("?")[0]

    evidence = page.locator("#evidence")
    expect(evidence).to_contain_text("No files attached yet.")
    evidence.locator("summary", has_text="Attach a file").click()
    source = tmp_path / "cloudtrail-extract.json"
    source.write_bytes(EXTRACT)
    evidence.get_by_label("File (up to 100.0 MiB)").set_input_files(str(source))
    evidence.get_by_label("What it is and where it came from").fill(
        "CloudTrail, exports bucket, 14:00–15:00 UTC"
    )
    evidence.get_by_role("button", name="Attach").click()
    expect(page.get_by_role("status")).to_contain_text("File attached")

    row = page.locator("#attachment-1")
    expect(row).to_contain_text("cloudtrail-extract.json")
    expect(row).to_contain_text("CloudTrail, exports bucket")
    expect(row).to_contain_text(hashlib.sha256(EXTRACT).hexdigest()[:16])
    expect(row).to_contain_text("the incident")
    shot(page, "incident-evidence", guide="evidence")

    with page.expect_download() as fetched:
        row.get_by_role("link", name="cloudtrail-extract.json").click()
    download = fetched.value
    assert download.suggested_filename == "cloudtrail-extract.json"
    assert Path(download.path()).read_bytes() == EXTRACT

    records = audit.list_records(
        live_server.application.context, SYSTEM, AuditFilter(incident_key=key, limit=50)
    )
    actions = [r.action for r in reversed(records) if r.action.startswith("attachment.")]
    assert actions == ["attachment.upload", "attachment.download"]
