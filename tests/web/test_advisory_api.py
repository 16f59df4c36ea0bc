"""/api/v1/advisories on SQLite and PostgreSQL: create, read, replace with If-Match, publish,
revisions and their documents, export per format, import, delete, need-to-know."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from candor.domain.advisory_dump import dump_advisory
from tests.contract.test_advisory_services import draft
from tests.golden.samples import csaf_files, read
from tests.golden.test_exports import shared_validator


def record(**changes: Any) -> dict[str, Any]:
    data = dump_advisory(draft())
    data.pop("id")
    return {**data, **changes}


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_the_whole_life_of_an_advisory(
    anonymous: TestClient, token_for: Callable[..., str]
) -> None:
    alice = auth(token_for("alice"))
    made = anonymous.post("/api/v1/advisories", json={"record": record()}, headers=alice)
    assert made.status_code == 201, made.text
    key = made.json()["id"]
    assert made.headers["location"] == f"/api/v1/advisories/{key}"
    assert made.json()["status"] == "draft" and made.json()["revisions"] == []
    got = anonymous.get(f"/api/v1/advisories/{key}", headers=alice)
    assert got.headers["etag"] == '"1"'
    assert got.json()["record"]["vulnerabilities"][0]["cvss"][0]["score"] == 5.5

    stale = anonymous.put(
        f"/api/v1/advisories/{key}",
        json={"record": record(title="Renamed")},
        headers={**alice, "if-match": '"7"'},
    )
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith("application/problem+json")
    renamed = anonymous.put(
        f"/api/v1/advisories/{key}",
        json={"record": record(title="Renamed"), "reason": "clearer"},
        headers={**alice, "if-match": '"1"'},
    )
    assert renamed.status_code == 200 and renamed.json()["version"] == 2

    published = anonymous.post(
        f"/api/v1/advisories/{key}/publish",
        json={"summary": "Initial publication.", "expected_version": 2},
        headers=alice,
    )
    assert published.status_code == 201, published.text
    revision = published.json()
    assert revision["number"] == "1" and revision["tlp"] == "CLEAR"
    assert [d["name"] for d in revision["documents"]] == ["csaf.json", "cve.json", "osv.json"]
    for document in revision["documents"]:
        body = anonymous.get(document["url"], headers=alice)
        assert hashlib.sha512(body.content).hexdigest() == document["sha512"]
    assert anonymous.get(f"/api/v1/advisories/{key}", headers=alice).json()["public_url"] == (
        f"/advisories/public/{key}"
    )
    listed = anonymous.get("/api/v1/advisories?status=published", headers=alice).json()
    assert [i["id"] for i in listed["items"]] == [key] and listed["total"] == 1
    assert anonymous.get(f"/api/v1/advisories/{key}/revisions", headers=alice).json() == [revision]
    refused = anonymous.delete(f"/api/v1/advisories/{key}", headers=alice)
    assert refused.status_code == 409


def test_export_per_format_validates(anonymous: TestClient, token_for: Callable[..., str]) -> None:
    alice = auth(token_for("alice"))
    key = anonymous.post("/api/v1/advisories", json={"record": record()}, headers=alice).json()[
        "id"
    ]
    viewer = auth(token_for("val", "read"))
    for fmt in ("csaf", "cve", "osv"):
        response = anonymous.get(f"/api/v1/advisories/{key}/export/{fmt}", headers=viewer)
        assert response.status_code == 200
        assert list(shared_validator(fmt).iter_errors(response.json())) == []
    missing = anonymous.get(f"/api/v1/advisories/{key}/export/osv?vulnerability=3", headers=viewer)
    assert missing.status_code == 422
    assert anonymous.delete(f"/api/v1/advisories/{key}", headers=viewer).status_code == 403
    assert anonymous.delete(f"/api/v1/advisories/{key}", headers=alice).status_code == 204
    assert anonymous.get(f"/api/v1/advisories/{key}", headers=alice).status_code == 404


def test_problems_name_the_record_field(
    anonymous: TestClient, token_for: Callable[..., str]
) -> None:
    alice = auth(token_for("alice"))
    response = anonymous.post(
        "/api/v1/advisories", json={"record": record(tlp="BLUE", status="published")},
        headers=alice,
    )  # fmt: skip
    assert response.status_code == 422
    fields = {p.get("field") for p in response.json()["problems"]}
    assert "tlp" in fields


def test_import_stores_a_csaf_document(
    anonymous: TestClient, token_for: Callable[..., str]
) -> None:
    alice = auth(token_for("alice"))
    source = next(p for p in csaf_files() if p.name == "bsi-2022-0001.json")
    response = anonymous.post(
        "/api/v1/advisories/import", json={"document": read(source)}, headers=alice
    )
    assert response.status_code == 201, response.text
    stored = response.json()["advisory"]
    assert stored["id"] == "BSI-2022-0001" and stored["status"] == "published"
    assert stored["revisions"][0]["documents"][0]["name"] == "csaf.json"
    again = anonymous.post(
        "/api/v1/advisories/import", json={"document": read(source)}, headers=alice
    )
    assert again.status_code == 409
    broken = anonymous.post(
        "/api/v1/advisories/import",
        json={"document": {"document": {"csaf_version": "2.0"}}},
        headers=alice,
    )
    assert broken.status_code == 422 and "schema" in broken.text


def test_restricted_drafts_are_hidden_from_the_api(
    anonymous: TestClient, token_for: Callable[..., str]
) -> None:
    alice, bob = auth(token_for("alice")), auth(token_for("bob"))
    incident = anonymous.post(
        "/api/v1/incidents",
        json={"title": "Agent leak", "confidentiality": "restricted"},
        headers=alice,
    ).json()["key"]
    key = anonymous.post(
        "/api/v1/advisories", json={"record": record(incidents=[incident])}, headers=alice
    ).json()["id"]
    assert anonymous.get(f"/api/v1/advisories/{key}", headers=bob).status_code == 404
    assert anonymous.get("/api/v1/advisories", headers=bob).json()["total"] == 0
    assert (
        anonymous.get(f"/api/v1/advisories?incident={incident}", headers=alice).json()["items"][0][
            "id"
        ]
        == key
    )


def test_the_yaml_of_a_stored_advisory_round_trips(
    anonymous: TestClient, token_for: Callable[..., str]
) -> None:
    # the record an advisory is read as is what an edit takes back, unchanged
    alice = auth(token_for("alice"))
    made = anonymous.post("/api/v1/advisories", json={"record": record()}, headers=alice).json()
    back = anonymous.put(
        f"/api/v1/advisories/{made['id']}", json={"record": made["record"]}, headers=alice
    )
    assert back.status_code == 200 and back.json()["version"] == 1  # nothing changed
