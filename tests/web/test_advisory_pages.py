"""Advisory pages on SQLite and PostgreSQL: the forms without JavaScript, the advisory page,
publication, downloads, need-to-know, and the incident page's section."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

from tests.golden.test_exports import shared_validator
from tests.web.conftest import Browser
from tests.web.test_pages import declare

VERSION = re.compile(r'name="version" value="(\d+)"')
FIELDS = {
    "mode": "form",
    "title": "Access tokens written to the acme-agent debug log",
    "description": "acme-agent 1.0.0 up to 1.4.1 writes the customer's API token to its log.",
    "tlp": "CLEAR",
    "language": "en",
    "publisher_name": "ACME Corp",
    "publisher_namespace": "https://acme.example",
    "v0-cve": "CVE-2026-12345",
    "v0-cwe_id": "CWE-532",
    "v0-cwe_name": "Insertion of Sensitive Information into Log File",
    "v0-cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n",
    "v0-workarounds": "Turn debug logging off.",
    "v0-a0-vendor": "ACME",
    "v0-a0-product": "acme-agent",
    "v0-a0-package": "acme-agent",
    "v0-a0-ecosystem": "PyPI",
    "v0-a0-purl": "pkg:pypi/acme-agent",
    "v0-a0-scheme": "python",
    "v0-a0-introduced": "1.0.0",
    "v0-a0-fixed": "1.4.2",
    "v0-a1-vendor": "",  # a blank spare row, as the form sends it
    "v0-r0-category": "vendor_fix",
    "v0-r0-details": "Upgrade to 1.4.2 and rotate the API token.",
    "v0-ref0-url": "https://acme.example/security/token-log",
    "v1-cve": "",  # the spare vulnerability, left blank
    "v1-r0-category": "",
}


def create(browser: Browser, **changes: str) -> str:
    response = browser.post("/advisories/new", data={**FIELDS, **changes})
    assert response.status_code == 303, response.text
    return response.headers["location"].split("?")[0].rsplit("/", 1)[1]


def test_create_publish_and_download_through_the_pages(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    form = alice.get("/advisories/new")
    assert form.status_code == 200 and 'name="v0-a0-product"' in form.text
    assert "Candor None" not in form.text  # the form's lock version once hid Candor's own
    key = create(alice)
    assert re.fullmatch(r"EXAMPLE-SA-\d{4}-001", key)
    page = alice.get(f"/advisories/{key}").text
    assert "Advisory created as a draft." not in page  # the notice rides on the redirect
    assert '<td class="score">9.8</td>' in page and "CRITICAL" in page
    assert "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" in page
    assert "&gt;= 1.0.0, &lt; 1.4.2 (python)" in page
    assert "Not published yet" in page
    version = VERSION.search(page)
    assert version is not None
    published = alice.post(
        f"/advisories/{key}/publish",
        data={"summary": "Initial publication.", "version": version.group(1)},
    )
    assert published.status_code == 303
    page = alice.get(f"/advisories/{key}").text
    assert "Initial publication." in page and f"/advisories/public/{key}" in page
    csaf = alice.get(f"/advisories/{key}/export/csaf")
    assert csaf.headers["content-disposition"].endswith('.csaf.json"')
    assert list(shared_validator("csaf").iter_errors(csaf.json())) == []
    stored = alice.get(f"/advisories/{key}/revisions/1/csaf.json")
    assert stored.status_code == 200
    document = json.loads(stored.content)
    assert document["document"]["tracking"]["status"] == "final"
    assert hashlib.sha256(stored.content).hexdigest()[:16] in page
    # the CVE record needs a CNA; without one the page says what is missing
    refused = alice.get(f"/advisories/{key}/export/cve?vulnerability=0")
    assert refused.status_code == 422 and "cna_org_id" in refused.text


def test_the_form_keeps_input_and_names_problems(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    response = alice.post(
        "/advisories/new", data={**FIELDS, "v0-cvss": "CVSS:3.1/AV:Q", "v0-a0-fixed": "1.4.2"}
    )
    assert response.status_code == 422
    assert "invalid CVSS 3.1 vector" in response.text
    assert 'value="acme-agent"' in response.text


def test_yaml_records_and_what_the_form_cannot_show(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    yaml = (
        "title: Two runs in one range\n"
        "publisher: {name: ACME Corp, namespace: 'https://acme.example'}\n"
        "description: The SDK reflects a parameter.\n"
        "vulnerabilities:\n"
        "  - cvss: [CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N]\n"
        "    affected:\n"
        "      - product: acme-sdk\n"
        "        vendor: ACME\n"
        "        ranges:\n"
        "          - scheme: semver\n"
        "            events: [{introduced: '0'}, {fixed: '3.2.1'}, {introduced: '4.0.0'}, "
        "{fixed: '4.0.3'}]\n"
    )
    response = alice.post("/advisories/new", data={"mode": "yaml", "yaml": yaml})
    assert response.status_code == 303, response.text
    key = response.headers["location"].split("?")[0].rsplit("/", 1)[1]
    edit = alice.get(f"/advisories/{key}/edit").text
    assert "says more than the form can show" in edit and 'name="v0-a0-product"' not in edit
    assert "&lt; 3.2.1; &gt;= 4.0.0, &lt; 4.0.3 (semver)" in alice.get(f"/advisories/{key}").text
    bad = alice.post(f"/advisories/{key}/edit", data={"mode": "yaml", "yaml": "title: [unclosed\n"})
    assert bad.status_code == 422 and "record:" in bad.text and "not valid YAML" in bad.text
    version = VERSION.search(edit)
    assert version is not None
    saved = alice.post(
        f"/advisories/{key}/edit",
        data={"mode": "yaml", "yaml": yaml.replace("Two runs", "2 runs"), "version": "1"},
    )
    assert saved.status_code == 303
    stale = alice.post(
        f"/advisories/{key}/edit",
        data={"mode": "yaml", "yaml": yaml.replace("Two runs", "Stale"), "version": "1"},
    )
    assert stale.status_code == 409 and "changed by someone else" in stale.text


def test_drafts_of_restricted_incidents_are_need_to_know(
    browser: Callable[[str], Browser],
) -> None:
    alice, bob = browser("alice"), browser("bob")
    key = declare(alice, "Tokens in the agent's log", restricted="1")
    advisory = create(alice, incidents=key)
    incident_page = alice.get(f"/incidents/{key}").text
    assert 'id="advisories"' in incident_page and f"/advisories/{advisory}" in incident_page
    assert bob.get(f"/advisories/{advisory}").status_code == 404
    assert bob.get(f"/advisories/{advisory}/export/csaf").status_code == 404
    assert advisory not in bob.get("/advisories").text
    assert browser("admin").get(f"/advisories/{advisory}").status_code == 200
    # an incident hidden from bob cannot be linked by him either
    refused = bob.post("/advisories/new", data={**FIELDS, "incidents": key})
    assert refused.status_code == 422 and f"no incident {key}" in refused.text


def test_viewers_read_but_do_not_change(browser: Callable[[str], Browser]) -> None:
    key = create(browser("alice"))
    val = browser("val")
    page = val.get(f"/advisories/{key}").text
    assert "Publish revision" not in page and "Edit the advisory" not in page
    assert val.post(f"/advisories/{key}/publish", data={"summary": "x"}).status_code == 403


def test_publishing_without_changes_is_refused_and_edits_wait(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    key = create(alice)
    assert alice.post(f"/advisories/{key}/publish", data={"summary": "First"}).status_code == 303
    page = alice.get(f"/advisories/{key}").text
    assert "says everything the advisory says now" in page
    version = VERSION.search(alice.get(f"/advisories/{key}/edit").text)
    assert version is not None
    edited = alice.post(
        f"/advisories/{key}/edit",
        data={**FIELDS, "title": "Tokens in the agent log", "version": version.group(1)},
    )
    assert edited.status_code == 303
    assert "changes not published yet" in alice.get(f"/advisories/{key}").text
    # the public page still shows what was published
    public = alice.get(f"/advisories/public/{key}").text
    assert FIELDS["title"] in public and "Tokens in the agent log" not in public
