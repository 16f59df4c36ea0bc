"""/api/v1/incidents/{key}/statements: the flow, problem bodies, need-to-know, no time field."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from candor import bootstrap
from tests.web.test_status_site import ALICE, incident


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_draft_review_publish_and_correct_over_the_api(
    application: bootstrap.Application, anonymous: TestClient, token_for: Callable[..., str]
) -> None:
    key = incident(application, "Keys read")
    alice, bob, carol = (auth(token_for(n)) for n in ("alice", "bob", "carol"))
    base = f"/api/v1/incidents/{key}/statements"
    made = anonymous.post(
        base,
        json={"audience": "public", "channels": ["status_site"], "title": "T", "body": "B"},
        headers=alice,
    )
    assert made.status_code == 201, made.text
    assert made.json()["state"] == "draft" and made.json()["number"] == 1
    edited = anonymous.patch(f"{base}/1", json={"body": "B2", "version": 1}, headers=alice)
    assert edited.status_code == 200 and edited.json()["body"] == "B2"
    stale = anonymous.patch(f"{base}/1", json={"body": "B3", "version": 1}, headers=alice)
    assert stale.status_code == 409
    assert anonymous.post(f"{base}/1/submit", headers=alice).status_code == 200
    turn = anonymous.post(f"{base}/1/approve", json={}, headers=bob)
    assert turn.status_code == 403 and "counsel" in turn.json()["detail"]
    assert anonymous.post(f"{base}/1/approve", json={}, headers=carol).status_code == 200
    assert anonymous.post(f"{base}/1/approve", json={}, headers=bob).json()["state"] == "approved"
    refused = anonymous.post(f"{base}/1/publish", headers=bob)
    assert refused.status_code == 403
    published = anonymous.post(f"{base}/1/publish", headers=alice)
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert len(published.json()["content_hash"]) == 64
    again = anonymous.patch(f"{base}/1", json={"body": "history"}, headers=alice)
    assert again.status_code == 409 and "never change" in again.json()["detail"]
    fix = anonymous.post(
        f"{base}/1/corrections",
        json={"body": "Right text.", "what_was_wrong": "Wrong number."},
        headers=alice,
    )
    assert fix.status_code == 201 and fix.json()["corrects"] == 1
    listed = anonymous.get(base, headers=alice).json()
    assert [s["state"] for s in listed["statements"]] == ["published", "draft"]
    assert listed["can_publish"] is True


def test_bad_input_is_a_problem_naming_the_fields(
    application: bootstrap.Application, anonymous: TestClient, token_for: Callable[..., str]
) -> None:
    key = incident(application, "Keys read")
    alice = auth(token_for("alice"))
    base = f"/api/v1/incidents/{key}/statements"
    bad = anonymous.post(
        base,
        json={"audience": "press", "channels": ["fax"], "kind": "rumour", "title": "", "body": ""},
        headers=alice,
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    fields = {p.get("field") for p in bad.json()["problems"]}
    assert {"audience", "channels", "kind", "title", "body"} <= fields
    # a publication time cannot be given
    sneaky = anonymous.post(
        base,
        json={
            "audience": "public",
            "channels": ["status_site"],
            "title": "T",
            "body": "B",
            "published_at": "2020-01-01T00:00:00Z",
        },
        headers=alice,
    )
    assert sneaky.status_code == 422
    assert anonymous.get(base, headers=alice).json()["statements"] == []


def test_restricted_incidents_are_404_for_non_members(
    application: bootstrap.Application, anonymous: TestClient, token_for: Callable[..., str]
) -> None:
    from candor.services import incidents

    key = incidents.declare(
        application.context, ALICE, title="Quiet", confidentiality="restricted"
    ).key
    alice, bob = auth(token_for("alice")), auth(token_for("bob"))
    base = f"/api/v1/incidents/{key}/statements"
    assert anonymous.get(base, headers=alice).status_code == 200
    for method, path in (("GET", base), ("POST", f"{base}/1/submit"), ("GET", f"{base}/1")):
        response = anonymous.request(method, path, headers=bob)
        assert response.status_code == 404, (method, path)
        assert key not in response.text or "no incident" in response.text
