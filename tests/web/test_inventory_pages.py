"""The inventory and customers pages, the scope and scans sections, and the API: problem bodies
naming file, line and field, nothing stored on error, need-to-know 404s, downloads."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ROOT
from tests.web.conftest import Browser
from tests.web.test_pages import declare

ACME_KEY = "ASIA" + "5FLZVX4OPVKKVBMX"  # assembled: no key-shaped text in the repository
EXAMPLE = (ROOT / "docs" / "examples" / "inventory.yaml").read_text("utf-8")


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def scan_result() -> dict[str, Any]:
    """A minimal `candor scope run --json` result in which acme's key was used."""
    return {
        "source": "cloudtrail",
        "engine": "duckdb",
        "events_scanned": 120,
        "events_matched": 12,
        "first_seen": "2020-09-14T01:00:00Z",
        "last_seen": "2020-09-14T02:00:00Z",
        "malformed_records": {"count": 0, "samples": []},
        "by_indicator": [
            {
                "type": "aws_access_key_id",
                "value": ACME_KEY,
                "hits": 12,
                "first_seen": "2020-09-14T01:00:00Z",
                "last_seen": "2020-09-14T02:00:00Z",
            }
        ],
        "accounts": [
            {
                "account": "123456789012",
                "events": 12,
                "failed_events": 0,
                "first_seen": "2020-09-14T01:00:00Z",
                "last_seen": "2020-09-14T02:00:00Z",
            }
        ],
        "source_ips": [
            {
                "ip": "1.2.3.4",
                "events": 12,
                "first_seen": "2020-09-14T01:00:00Z",
                "last_seen": "2020-09-14T02:00:00Z",
            }
        ],
        "principals": [],
        "pivots": [],
    }


def test_import_on_the_page_and_a_bad_file_listed_with_lines(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    assert "The inventory is empty" in alice.get("/inventory").text
    bad = EXAMPLE.replace("[third_party_credentials]", "[third_party_credentials, shoe_size]")
    refused = alice.post("/inventory/import", data={"text": bad})
    assert refused.status_code == 422
    line = next(i for i, t in enumerate(bad.splitlines(), 1) if "shoe_size" in t)
    assert f"pasted.yaml:{line}:" in refused.text and "unknown data element" in refused.text
    assert "The inventory is empty" in refused.text  # nothing stored
    done = alice.post("/inventory/import", data={"text": EXAMPLE})
    assert done.status_code == 303
    page = alice.get("/inventory").text
    assert "collector-credentials" in page and "ASIA****VBMX" in page
    assert ACME_KEY not in page
    customers = alice.get("/customers").text
    assert "2 of 3" in customers and "unverified" in customers


def test_viewers_see_but_cannot_import(browser: Callable[[str], Browser]) -> None:
    val = browser("val")
    assert 'action="/inventory/import"' not in val.get("/inventory").text
    assert val.post("/inventory/import", data={"text": EXAMPLE}).status_code == 403


def test_dashboard_shows_contact_readiness(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    assert "Customer contact readiness" not in alice.get("/").text
    alice.post("/inventory/import", data={"text": EXAMPLE})
    dash = alice.get("/").text
    assert "Customer contact readiness" in dash and "67%" in dash and "Initech" in dash


def test_mark_a_system_and_attach_a_scan_on_the_incident_page(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    alice.post("/inventory/import", data={"text": EXAMPLE})
    key = declare(alice, "Collector store read", aware_at="2026-03-02T10:00:00Z")
    assert "No system is marked compromised yet." in alice.get(f"/incidents/{key}").text
    wrong = alice.post(
        f"/incidents/{key}/scope", data={"system": "mainframe", "status": "confirmed"}
    )
    assert wrong.status_code == 422 and "no system" in wrong.text
    marked = alice.post(
        f"/incidents/{key}/scope", data={"system": "collector-credentials", "status": "confirmed"}
    )
    assert marked.status_code == 303
    page = alice.get(f"/incidents/{key}").text
    assert "ASIA****VBMX" in page and "AKIA****PLE2" in page
    assert "Cannot be reached" in page and "Initech" in page
    again = alice.post(f"/incidents/{key}/scope/refresh")
    assert again.status_code == 303
    upload = {"file": ("scan.json", json.dumps(scan_result()), "application/json")}
    attached = alice.client.post(
        f"/incidents/{key}/scans",
        data={"csrf_token": alice.csrf, "label": "otrf"},
        files=upload,
    )
    assert attached.status_code == 303, attached.text
    page = alice.get(f"/incidents/{key}").text
    assert "key seen used" in page and "1 with evidence, of 3 exposed" in page
    got = alice.get(f"/incidents/{key}/scans/1/summary.csv")
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[1][0] == "indicator" and rows[1][2] == "12"
    assert alice.get(f"/incidents/{key}/scans/1/summary.json").json()["events_matched"] == 12
    junk = alice.client.post(
        f"/incidents/{key}/scans",
        data={"csrf_token": alice.csrf},
        files={"file": ("x.json", "{not json", "application/json")},
    )
    assert junk.status_code == 422 and "x.json:1:2" in junk.text


def test_api_problem_bodies_and_need_to_know(
    anonymous: TestClient, token_for: Callable[..., str]
) -> None:
    alice, bob = auth(token_for("alice")), auth(token_for("bob"))
    bad = anonymous.post(
        "/api/v1/inventory/import",
        json={"filename": "inv.yaml", "content": "systems:\n  - name: db\n    owner: x\n"},
        headers=alice,
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    problems = bad.json()["problems"]
    assert {"file": "inv.yaml", "line": 2, "field": "systems[0].environment"}.items() <= (
        next(p for p in problems if p.get("field") == "systems[0].environment").items()
    )
    assert anonymous.get("/api/v1/inventory", headers=alice).json()["systems"] == []
    done = anonymous.post(
        "/api/v1/inventory/import", json={"content": EXAMPLE}, headers=alice
    ).json()
    assert done["systems"] == 4 and done["customers_added"] == ["acme", "globex", "initech"]
    listed = anonymous.get("/api/v1/customers?not_ready=true", headers=bob).json()
    assert (listed["ready"], listed["total"]) == (2, 3)
    assert [c["external_id"] for c in listed["items"]] == ["initech"]
    key = anonymous.post(
        "/api/v1/incidents",
        json={"title": "Store read", "confidentiality": "restricted"},
        headers=alice,
    ).json()["key"]
    marked = anonymous.post(
        f"/api/v1/incidents/{key}/scope/marks",
        json={"system": "customer-db", "status": "confirmed"},
        headers=alice,
    )
    assert marked.status_code == 201
    assert marked.json()["people"]["US-CA"] == 1200
    for method, path, body in (
        ("GET", f"/api/v1/incidents/{key}/scope", None),
        (
            "POST",
            f"/api/v1/incidents/{key}/scope/marks",
            {"system": "customer-db", "status": "cleared"},
        ),
        ("POST", f"/api/v1/incidents/{key}/scans", {"result": scan_result()}),
        ("GET", f"/api/v1/incidents/{key}/scans", None),
    ):
        hidden = anonymous.request(method, path, json=body, headers=bob)
        assert hidden.status_code == 404, (method, path)
        assert hidden.headers["content-type"].startswith("application/problem+json")
    attached = anonymous.post(
        f"/api/v1/incidents/{key}/scans", json={"result": scan_result()}, headers=alice
    )
    assert attached.status_code == 201 and attached.json()["number"] == 1
    assert anonymous.get(f"/api/v1/incidents/{key}/scans/1.csv", headers=bob).status_code == 404
    csv_text = anonymous.get(f"/api/v1/incidents/{key}/scans/1.csv", headers=alice).text
    assert csv_text.startswith("section,value,events")
    wrong = anonymous.post(
        f"/api/v1/incidents/{key}/scope/marks",
        json={"system": "nope", "status": "confirmed"},
        headers=alice,
    )
    assert wrong.status_code == 422 and wrong.json()["problems"][0]["field"] == "system"
