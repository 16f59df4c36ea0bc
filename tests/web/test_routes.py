"""Every route asks who is calling; errors have one shape; headers protect every response."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from candor.web.app import PUBLIC_ROUTES, route_table

SAMPLES = {
    "key": "INC-2026-1",
    "role": "incident_lead",
    "clock": "aware_at",
    "seq": "1",
    "username": "alice",
    "token_id": str(uuid.uuid4()),
    "name": "architecture",
}


def concrete(path: str) -> str:
    return re.sub(r"\{([a-z_]+)(?::[a-z]+)?\}", lambda m: SAMPLES.get(m.group(1), "x"), path)


def routes(app: FastAPI) -> list[tuple[str, str]]:
    return route_table(app)


def test_every_route_requires_authentication_unless_listed_public(
    web: FastAPI, anonymous: TestClient
) -> None:
    checked = 0
    for method, path in routes(web):
        if (method, path) in PUBLIC_ROUTES or method == "HEAD":
            continue
        response = anonymous.request(method, concrete(path))
        checked += 1
        if path.startswith("/api/"):
            assert response.status_code == 401, f"{method} {path} answered {response.status_code}"
            assert response.headers["content-type"].startswith("application/problem+json")
        else:
            assert response.status_code == 303, f"{method} {path} answered {response.status_code}"
            assert response.headers["location"].startswith("/signin?next=")
    assert checked > 30


def test_the_public_list_only_names_routes_that_exist(web: FastAPI) -> None:
    existing = set(routes(web))
    assert existing >= PUBLIC_ROUTES, PUBLIC_ROUTES - existing


@pytest.mark.parametrize(
    "path",
    ["/", "/signin", "/api/v1/incidents", "/static/candor.css", "/nowhere", "/api/v1/nowhere"],
)
def test_security_headers_on_every_response(anonymous: TestClient, path: str) -> None:
    headers = anonymous.get(path).headers
    csp = headers["content-security-policy"]
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_api_errors_are_problem_documents(anonymous: TestClient, token_for) -> None:  # type: ignore[no-untyped-def]
    auth = {"authorization": f"Bearer {token_for('alice')}"}
    cases = [
        anonymous.get("/api/v1/incidents"),  # 401
        anonymous.get("/api/v1/incidents/INC-2026-99", headers=auth),  # 404
        anonymous.post("/api/v1/incidents", json={"title": ""}, headers=auth),  # 422
        anonymous.post(
            "/api/v1/incidents",
            content=b"{not json",
            headers={**auth, "content-type": "application/json"},
        ),  # 422
        anonymous.get("/api/v1/nowhere", headers=auth),  # 404
        anonymous.post(
            "/api/v1/incidents/INC-2026-99/transitions", json={"phase": "closed"}, headers=auth
        ),
    ]
    for response in cases:
        assert 400 <= response.status_code < 500
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert {"type", "title", "status", "detail"} <= set(body)
        assert body["status"] == response.status_code
        assert "Traceback" not in response.text


def test_validation_problems_name_the_field(anonymous: TestClient, token_for) -> None:  # type: ignore[no-untyped-def]
    auth = {"authorization": f"Bearer {token_for('alice')}"}
    response = anonymous.post(
        "/api/v1/incidents", json={"title": "x", "severity": "SEV9"}, headers=auth
    )
    assert response.status_code == 422
    fields = [p.get("field") for p in response.json()["problems"]]
    assert "severity" in fields


def test_oversized_bodies_are_refused_before_reading(anonymous: TestClient) -> None:
    response = anonymous.post(
        "/signin",
        content=b"x" * (3 * 1024 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_unknown_pages_get_a_friendly_page_not_a_trace(anonymous: TestClient) -> None:
    response = anonymous.get("/no/such/page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text
