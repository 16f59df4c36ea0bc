"""Retro, action items, metrics, reports and sharing in the browser-facing pages."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable

from docx import Document
from pypdf import PdfReader

from candor import bootstrap
from tests.fakes import FakeClock
from tests.web.conftest import Browser
from tests.web.test_obligation_pages import FACTS_FORM
from tests.web.test_pages import declare
from tests.web.test_status_site import incident, publish


def test_retro_chains_actions_reports_and_the_actions_page(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    title = "Token committed to a public repository"
    key = declare(alice, title)
    assert "Start the retro" in alice.get(f"/incidents/{key}").text
    assert alice.post(f"/incidents/{key}/retro/start").status_code == 303
    page = alice.get(f"/incidents/{key}/retro")
    assert page.status_code == 200 and "Declaration" in page.text
    bad = alice.post(
        f"/incidents/{key}/retro/actions",
        data={"title": "", "kind": "prevent", "due_on": "soon", "tracker_url": "ftp://x"},
    )
    assert bad.status_code == 422
    for field in ("action_items[0].title", "action_items[0].due_on", "action_items[0].tracker_url"):
        assert field in bad.text
    assert 'value="ftp://x"' in bad.text  # the input is kept
    added = alice.post(
        f"/incidents/{key}/retro/chains",
        data={"problem": "A token leaked", "why_1": "Why?", "because_1": "bob forgot, human error"},
    )
    assert added.status_code == 303
    page = alice.get(f"/incidents/{key}/retro").text
    assert "This chain stops after 1 level" in page
    assert "names a person" in page
    assert (
        alice.post(
            f"/incidents/{key}/retro/actions",
            data={
                "title": "Secret scanning",
                "kind": "detect",
                "owner": "bob",
                "due_on": "2020-01-01",
            },
        ).status_code
        == 303
    )
    actions = alice.get("/actions").text
    assert "Secret scanning" in actions and "overdue by" in actions
    dashboard = alice.get("/").text
    assert "Overdue action items" in dashboard and "Secret scanning" in dashboard
    for kind in ("incident", "retro", "counsel", "writeup"):
        for fmt in ("md", "docx", "pdf"):
            got = alice.get(f"/incidents/{key}/reports/{kind}.{fmt}?privileged=true")
            assert got.status_code == 200, (kind, fmt, got.text[:300])
            if fmt == "docx":  # each reads back with its title (the counsel packet: below)
                titles = [p.text for p in Document(io.BytesIO(got.content)).paragraphs
                          if p.style.name == "Title"]  # fmt: skip
                assert len(titles) == 1 and title in titles[0], (kind, titles)
            if fmt == "pdf":
                first = PdfReader(io.BytesIO(got.content)).pages[0].extract_text()
                assert title in " ".join(first.split()), (kind, first[:300])
                # the public write-up is for publication: never marked privileged
                assert ("PRIVILEGED" in first) is (kind != "writeup"), (kind, first[:300])
    pdf = PdfReader(
        io.BytesIO(alice.get(f"/incidents/{key}/reports/retro.pdf?privileged=true").content)
    )
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for heading in ("Five whys", "Action items", "A token leaked", "PRIVILEGED"):
        assert heading in text, heading
    docx = Document(io.BytesIO(alice.get(f"/incidents/{key}/reports/retro.docx").content))
    headings = [p.text for p in docx.paragraphs if p.style.name.startswith("Heading")]
    assert "Five whys" in headings and "Action items" in headings
    md = alice.get(f"/incidents/{key}/reports/retro.md?privileged=true").text
    assert "PRIVILEGED" in md and "A token leaked" in md
    writeup = alice.get(f"/incidents/{key}/reports/writeup.md").text
    assert "bob" not in writeup.lower()
    assert alice.get(f"/incidents/{key}/reports/retro.xls").status_code == 422


def test_restricted_retro_and_sharing_are_hidden(browser: Callable[[str], Browser]) -> None:
    alice, bob = browser("alice"), browser("bob")
    key = declare(alice, "Quiet one", restricted="1")
    alice.post(f"/incidents/{key}/retro/start")
    for path in ("retro", "sharing", "stix.json", "veris.json", "reports/retro.md"):
        assert bob.get(f"/incidents/{key}/{path}").status_code == 404, path
    assert bob.post(f"/incidents/{key}/retro/actions", data={"title": "x"}).status_code == 404
    assert key not in bob.get("/metrics").text


def test_metrics_page_has_charts_without_scripts(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    key = declare(alice, "Measured", detected_at="2026-03-02T09:40:00Z")
    page = alice.get(f"/metrics?incident={key}")
    assert page.status_code == 200
    assert "<svg" in page.text and "Time to declare" in page.text
    assert "<script>" not in page.text and "style=" not in page.text


def test_metrics_page_counts_a_status_update_published_through_candor(
    application: bootstrap.Application, clock: FakeClock, browser: Callable[[str], Browser]
) -> None:
    key = incident(application, "Keys read")
    clock.advance(minutes=25)
    publish(application, key, title="We are investigating", body="Some keys were read.")
    page = browser("alice").get(f"/metrics?incident={key}").text
    row = re.search(r'<th scope="row">Time to first customer communication</th>(.*?)</tr>', page)
    assert row is not None and row.group(1).endswith("<td>25 min</td>")
    assert "First customer communication" in page  # the milestone, on the chart


def test_indicators_stix_refuses_red_and_veris(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    key = declare(alice, "Shared")
    ok = alice.post(
        f"/incidents/{key}/indicators",
        data={"type": "ipv4", "value": "203.0.113.7", "tlp": "green"},
    )
    assert ok.status_code == 303
    bundle = alice.get(f"/incidents/{key}/stix.json")
    assert bundle.status_code == 200 and bundle.json()["type"] == "bundle"
    alice.post(
        f"/incidents/{key}/indicators", data={"type": "domain", "value": "c2.example", "tlp": "red"}
    )
    refused = alice.get(f"/incidents/{key}/stix.json")
    assert refused.status_code == 422 and "is TLP:RED" in refused.text
    scan = json.dumps(
        {
            "by_indicator": [],
            "source_ips": [
                {
                    "ip": "192.0.2.4",
                    "events": 2,
                    "first_seen": "2026-03-01T22:15:00Z",
                    "last_seen": "2026-03-01T23:00:00Z",
                }
            ],
        }
    )
    imported = alice.client.post(
        f"/incidents/{key}/indicators/import",
        data={"csrf_token": alice.csrf, "tlp": "amber"},
        files={"file": ("scan.json", scan.encode(), "application/json")},
    )
    assert imported.status_code == 303
    assert "192.0.2.4" in alice.get(f"/incidents/{key}/sharing").text
    broken = alice.post(f"/incidents/{key}/veris", data={"classification": "{"})
    assert broken.status_code == 422 and "classification" in broken.text
    record = alice.get(f"/incidents/{key}/veris.json")
    assert record.status_code == 200 and record.json()["schema_version"] == "1.4.0"


def test_counsel_packet_reads_back_from_docx_and_pdf(browser: Callable[[str], Browser]) -> None:
    """The counsel packet of the reports menu, read back: its title, sections in order, the
    obligations with their citations and deadlines, the disclaimer and the marking."""
    alice = browser("alice")
    key = declare(
        alice,
        "Support tool export copied by an attacker",
        kind="personal_data_breach",
        severity="SEV1",
        detected_at="2026-03-01T09:00Z",
        aware_at="2026-03-01T14:00Z",
    )
    assert alice.post(f"/incidents/{key}/obligations/facts", data=FACTS_FORM).status_code == 303
    title = f"Notification obligations: {key} — Support tool export copied by an attacker"
    sections = [
        "Summary",
        "Facts",
        "Obligations",
        "Determinations needed",
        "The rules' review dates",
    ]
    texas = "Tex. Bus. & Com. Code 521.053"

    got = alice.get(f"/incidents/{key}/reports/counsel.docx?privileged=true")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats")
    docx = Document(io.BytesIO(got.content))
    styled = [(p.style.name, p.text) for p in docx.paragraphs]
    assert ("Title", title) in styled
    assert [text for name, text in styled if name == "Heading 1"] == sections
    obligations = [text for name, text in styled if name == "Heading 2"]
    assert len(obligations) == 7
    assert (
        "#3 Texas Attorney General (AG website electronic form; AG posts public listing) — US-TX"
        in obligations
    )
    body = "\n".join(text for _, text in styled)
    assert "it is not legal advice" in body
    assert (
        "Law and citation: Identity Theft Enforcement and Protection Act" in body and texas in body
    )
    assert (
        "Deadline: 2026-04-01 04:59 UTC · 2026-04-01 04:59 UTC · 2026-03-31 23:59 America/Chicago"
        in body
    )
    assert "7 obligations: 7 pending, 0 filed" in body
    table = docx.tables[1]  # the facts come first
    assert [c.text for c in table.rows[0].cells] == [
        "#",
        "Recipient",
        "Jurisdiction",
        "Status",
        "Deadline (UTC)",
        "Tracking",
    ]
    assert len(table.rows) == 8
    assert [c.text for c in table.rows[3].cells][2:5] == [
        "US-TX",
        "required",
        "2026-04-01 04:59 UTC",
    ]
    reviews = {row.cells[0].text for row in docx.tables[-1].rows[1:]}
    assert {"eu-gdpr-33-1", "us-tx-regulator", "us-ca-individuals"} <= reviews
    section = docx.sections[0]
    assert "PRIVILEGED & CONFIDENTIAL" in section.header.paragraphs[0].text
    assert "PRIVILEGED & CONFIDENTIAL" in section.footer.paragraphs[0].text
    plain = Document(io.BytesIO(alice.get(f"/incidents/{key}/reports/counsel.docx").content))
    assert "PRIVILEGED" not in plain.sections[0].header.paragraphs[0].text

    got = alice.get(f"/incidents/{key}/reports/counsel.pdf?privileged=true")
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(got.content))
    outline = [item["/Title"] for item in pdf.outline if isinstance(item, dict)]
    assert outline == [title]
    nested = [item["/Title"] for item in pdf.outline[1] if isinstance(item, dict)]
    assert nested == sections
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    for expected in (
        *sections,
        key,
        "it is not legal advice",
        "7 obligations: 7 pending, 0 filed",
        texas,
        "2026-04-01 04:59 UTC",
        "Texas Attorney General",
        "us-tx-regulator",
    ):
        assert expected in text, expected
    assert text.count("PRIVILEGED & CONFIDENTIAL") >= 2 * len(pdf.pages)  # header and footer
