"""Behind a reverse proxy: the client comes from X-Forwarded-For, and only from trusted proxies."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from candor import bootstrap
from candor.domain.accounts import CLIENT_FAILURES
from candor.web.app import create_app

PRESESSION = re.compile(r'name="presession" value="([^"]+)"')


def failures_until_throttled(client: TestClient, forwarded: list[str]) -> int | None:
    """Wrong passwords for made-up user names; the attempt the address throttle stops, if any."""
    for attempt in range(CLIENT_FAILURES + 3):
        page = client.get("/signin")
        token = PRESESSION.search(page.text)
        assert token
        answer = client.post(
            "/signin",
            data={"username": f"nobody{attempt}", "password": "wrong", "presession": token[1]},
            headers={"x-forwarded-for": forwarded[attempt % len(forwarded)]},
        )
        if answer.status_code == 429:
            return attempt
        assert answer.status_code == 401, answer.text
    return None


def test_clients_behind_a_trusted_proxy_are_told_apart(
    application: bootstrap.Application,
) -> None:
    application.settings.web.trusted_proxies = ["10.0.0.0/8"]
    with TestClient(create_app(application), client=("10.0.0.5", 40000)) as proxy:
        spread = [f"198.51.100.{n}" for n in range(1, 30)]
        assert failures_until_throttled(proxy, spread) is None
        # one client hammering through the proxy is still stopped at its own address
        assert failures_until_throttled(proxy, ["203.0.113.9"]) == CLIENT_FAILURES


def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(
    application: bootstrap.Application,
) -> None:
    application.settings.web.trusted_proxies = ["10.0.0.0/8"]
    with TestClient(create_app(application), client=("192.0.2.77", 40000)) as direct:
        # a client that writes X-Forwarded-For itself cannot dodge the throttle
        spread = [f"198.51.100.{n}" for n in range(1, 30)]
        assert failures_until_throttled(direct, spread) == CLIENT_FAILURES


def test_without_trusted_proxies_the_header_means_nothing(
    application: bootstrap.Application,
) -> None:
    with TestClient(create_app(application), client=("10.0.0.5", 40000)) as proxy:
        spread = [f"198.51.100.{n}" for n in range(1, 30)]
        assert failures_until_throttled(proxy, spread) == CLIENT_FAILURES
