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


def _bounded(field: object) -> bool:
    for item in getattr(getattr(field, "field_info", None), "metadata", []):
        if getattr(item, "le", None) is not None or getattr(item, "lt", None) is not None:
            return True
    return False


def _params(dependant: object) -> list[object]:
    found = [*getattr(dependant, "path_params", []), *getattr(dependant, "query_params", [])]
    for sub in getattr(dependant, "dependencies", []):
        found.extend(_params(sub))
    return found


def test_every_integer_in_a_path_or_query_has_an_upper_bound(web: FastAPI) -> None:
    # an unbounded integer reaches the database as a number SQLite cannot hold (OverflowError, a
    # 500) instead of a 422 that names the parameter
    from fastapi.routing import APIRoute

    unbounded = []
    checked = 0
    for route in web.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        pairs = [(c.original_route, c.path) for c in contexts()] if contexts else [(route, "")]
        for original, path in pairs:
            if not isinstance(original, APIRoute):
                continue
            for field in _params(original.dependant):
                checked += 1
                annotation = field.field_info.annotation  # type: ignore[attr-defined]
                if annotation in (int, int | None) and not _bounded(field):
                    name = field.name  # type: ignore[attr-defined]
                    unbounded.append(f"{sorted(original.methods)} {path} {name}")
    assert checked > 50
    assert unbounded == [], "\n".join(unbounded)


def test_a_number_too_big_for_the_database_is_a_422_naming_the_parameter(browser) -> None:  # type: ignore[no-untyped-def]
    alice = browser("alice")
    huge = "9" * 30
    for path, name in [
        (f"/api/v1/incidents/INC-2026-1/timeline?after={huge}", "after"),
        (f"/api/v1/incidents/INC-2026-1/impact/versions/{huge}", "number"),
        (f"/api/v1/audit?before_seq={huge}", "before_seq"),
    ]:
        response = alice.api("GET", path)
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert name in response.text
