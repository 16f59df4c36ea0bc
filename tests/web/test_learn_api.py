"""The retro, action items, metrics, reports and sharing through the JSON API."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import FIXTURES


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def declare(client: TestClient, headers: dict[str, str], **extra: object) -> str:
    made = client.post(
        "/api/v1/incidents",
        json={"title": "Token leaked", "kind": "security_incident", "severity": "SEV2", **extra},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return str(made.json()["key"])


def is_problem(response, status: int, field: str | None = None) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        fields = [p.get("field") for p in response.json().get("problems", [])]
        assert field in fields, response.json()


def test_retro_through_the_api(anonymous: TestClient, token_for: Callable[..., str]) -> None:
    alice = auth(token_for("alice"))
    key = declare(anonymous, alice)
    assert anonymous.get(f"/api/v1/incidents/{key}/retro", headers=alice).json()["retro"] is None
    started = anonymous.post(f"/api/v1/incidents/{key}/retro", headers=alice)
    assert started.status_code == 201 and started.json()["version"] == 1
    bad = anonymous.patch(
        f"/api/v1/incidents/{key}/retro",
        json={"changes": {"chains": [{"problem": "", "steps": []}], "colour": "red"}},
        headers=alice,
    )
    is_problem(bad, 422, "colour")
    chains = [
        {"problem": "Token leaked", "steps": [{"why": "Why?", "because": "No secret scanning"}]},
        {
            "problem": "Noticed late",
            "steps": [
                {"why": "Why?", "because": "No alert on new networks"},
                {"why": "Why?", "because": "Nobody owned the alert rules"},
            ],
        },
    ]
    edited = anonymous.patch(
        f"/api/v1/incidents/{key}/retro",
        json={"changes": {"summary": "A token leaked.", "chains": chains}, "version": 1},
        headers=alice,
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["version"] == 2 and len(body["retro"]["chains"]) == 2
    assert [n["code"] for n in body["review"]["nudges"]] == ["stops-early"]
    stale = anonymous.patch(
        f"/api/v1/incidents/{key}/retro",
        json={"changes": {"summary": "x"}, "version": 1},
        headers=alice,
    )
    is_problem(stale, 409)
    item = anonymous.post(
        f"/api/v1/incidents/{key}/retro/action-items",
        json={"title": "Secret scanning", "kind": "detect", "owner": "bob", "due_on": "2020-01-02"},
        headers=alice,
    )
    assert item.status_code == 201 and item.json()["seq"] == 1
    is_problem(
        anonymous.post(
            f"/api/v1/incidents/{key}/retro/action-items",
            json={"title": "x", "kind": "blame"},
            headers=alice,
        ),
        422,
        "action_items[1].kind",
    )
    listed = anonymous.get("/api/v1/action-items?open=true", headers=alice).json()
    assert listed[0]["incident"] == key and listed[0]["overdue"] is True
    moved = anonymous.post(
        f"/api/v1/incidents/{key}/retro/status", json={"status": "published"}, headers=alice
    )
    is_problem(moved, 409)
    assert (
        anonymous.post(
            f"/api/v1/incidents/{key}/retro/status", json={"status": "in_review"}, headers=alice
        ).json()["retro"]["status"]
        == "in_review"
    )
    report = anonymous.get(
        f"/api/v1/incidents/{key}/reports/retro?format=pdf&privileged=true", headers=alice
    )
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    is_problem(
        anonymous.get(f"/api/v1/incidents/{key}/reports/retro?format=odt", headers=alice),
        422,
        "format",
    )
    metrics = anonymous.get(f"/api/v1/incidents/{key}/metrics", headers=alice).json()
    assert metrics["incident"] == key
    overview = anonymous.get("/api/v1/metrics", headers=alice).json()
    assert overview["overdue_action_items"][0]["title"] == "Secret scanning"


def test_need_to_know_is_404_everywhere(
    anonymous: TestClient, token_for: Callable[..., str]
) -> None:
    alice, bob = auth(token_for("alice")), auth(token_for("bob"))
    key = declare(anonymous, alice, confidentiality="restricted")
    anonymous.post(f"/api/v1/incidents/{key}/retro", headers=alice)
    for method, path in (
        ("GET", "retro"),
        ("PATCH", "retro"),
        ("GET", "metrics"),
        ("GET", "indicators"),
        ("GET", "stix"),
        ("GET", "veris"),
        ("GET", "reports/retro"),
    ):
        response = anonymous.request(
            method,
            f"/api/v1/incidents/{key}/{path}",
            headers=bob,
            json={"changes": {}} if method == "PATCH" else None,
        )
        is_problem(response, 404)
    assert anonymous.get("/api/v1/action-items", headers=bob).json() == []


def test_indicators_stix_and_veris(anonymous: TestClient, token_for: Callable[..., str]) -> None:
    alice = auth(token_for("alice"))
    key = declare(anonymous, alice)
    made = anonymous.post(
        f"/api/v1/incidents/{key}/indicators",
        json={"type": "ipv4", "value": "203.0.113.7", "tlp": "amber"},
        headers=alice,
    )
    assert made.status_code == 201 and made.json()["seq"] == 1
    is_problem(
        anonymous.post(
            f"/api/v1/incidents/{key}/indicators",
            json={"type": "ipv4", "value": "1.2.3", "tlp": "amber"},
            headers=alice,
        ),
        422,
        "value",
    )
    imported = anonymous.post(
        f"/api/v1/incidents/{key}/indicators/scoping?tlp=green",
        json={
            "by_indicator": [
                {
                    "type": "user_agent",
                    "value": "python-requests/2.31.0",
                    "hits": 4,
                    "first_seen": "2026-03-01T22:15:00Z",
                    "last_seen": "2026-03-01T23:00:00Z",
                }
            ],
            "source_ips": [],
        },
        headers=alice,
    )
    assert imported.status_code == 201 and imported.json() == {"added": [2]}
    bundle = anonymous.get(f"/api/v1/incidents/{key}/stix", headers=alice).json()
    assert sum(o["type"] == "indicator" for o in bundle["objects"]) == 2
    anonymous.post(
        f"/api/v1/incidents/{key}/indicators",
        json={"type": "domain", "value": "c2.example", "tlp": "red"},
        headers=alice,
    )
    is_problem(anonymous.get(f"/api/v1/incidents/{key}/stix", headers=alice), 422)
    assert (
        anonymous.delete(f"/api/v1/incidents/{key}/indicators/3", headers=alice).status_code == 204
    )
    assert anonymous.get(f"/api/v1/incidents/{key}/stix", headers=alice).status_code == 200
    record = anonymous.get(f"/api/v1/incidents/{key}/veris", headers=alice).json()
    assert record["schema_version"] == "1.4.0"
    wrong = anonymous.put(
        f"/api/v1/incidents/{key}/veris/classification",
        json={"action": {"hacking": {"variety": ["Teleportation"]}}},
        headers=alice,
    )
    is_problem(wrong, 422)
    sample = sorted((FIXTURES / "samples" / "veris" / "vcdb-records").glob("*.json"))[1]
    imported_record = json.loads(sample.read_text("utf-8"))
    new = anonymous.post("/api/v1/veris/import", json=imported_record, headers=alice)
    assert new.status_code == 201, new.text
    again = anonymous.get(f"/api/v1/incidents/{new.json()['incident']}/veris", headers=alice)
    assert again.json()["actor"] == imported_record["actor"]
    invalid = sorted((FIXTURES / "samples" / "veris" / "invalid-by-design").glob("*.json"))[0]
    refused = anonymous.post(
        "/api/v1/veris/import", json=json.loads(invalid.read_text("utf-8")), headers=alice
    )
    is_problem(refused, 422)
