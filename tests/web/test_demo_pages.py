"""The demo workspace in the pages: every page a new user opens first has something real on
it, and nothing errors (the first ten minutes decide whether a tool is judged usable)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from candor import bootstrap, config, demo
from candor.adapters.passwords import fast_hasher
from candor.domain.access import SYSTEM
from candor.services import exercises, incidents
from tests.fakes import FakeClock
from tests.web.conftest import Browser, seed_users


@pytest.fixture
def application(engine: Engine, clock: FakeClock, tmp_path: Path) -> bootstrap.Application:
    """The web tests' application, with the demo's organisation profile."""
    settings = config.Settings(
        home=tmp_path,
        database_url=engine.url.render_as_string(hide_password=False),
        **demo.profile(tmp_path),  # type: ignore[arg-type]
    )
    made = bootstrap.build(settings, clock=clock, hasher=fast_hasher())
    made.__dict__["engine"] = engine  # share the test's migrated engine
    return seed_users(made)


@pytest.fixture
def loaded(application: bootstrap.Application, clock: FakeClock) -> demo.Loaded:
    return demo.load(application, now=clock.now())


def test_the_demo_fills_every_first_page(
    loaded: demo.Loaded,
    application: bootstrap.Application,
    browser: Callable[[str], Browser],
    web: FastAPI,
    anonymous: TestClient,
) -> None:
    ctx = application.context
    maria = Browser(TestClient(web, follow_redirects=False)).sign_in("maria", demo.DEMO_PASSWORD)
    breach = next(
        i for i in incidents.list_incidents(ctx, SYSTEM) if i.kind.value == "supply_chain_breach"
    )

    home = maria.get("/")
    assert home.status_code == 200
    assert breach.key in home.text and "overdue" in home.text  # the findings and deadlines panels

    page = maria.get(f"/incidents/{breach.key}")
    assert page.status_code == 200
    assert "Version 3" in page.text
    assert "overdue-badge" in page.text
    assert 'data-rule="eu-gdpr-33-1"' in page.text
    assert "data-countdown" in page.text
    assert "Correction: access began 2 days earlier" in page.text
    diff = maria.get(f"/incidents/{breach.key}/impact/diff?a=1&b=3")
    assert diff.status_code == 200 and "<ins>" in diff.text

    for key in loaded.incidents:
        assert maria.get(f"/incidents/{key}").status_code == 200
    reports = maria.get("/reports?show=promoted")
    assert reports.status_code == 200
    [report] = re.findall(r"/reports/(REP-\d{4}-\d+)", reports.text)[:1]
    assert "Lindgren" in maria.get(f"/reports/{report}").text

    [exercise] = exercises.list_exercises(ctx, SYSTEM)
    assert maria.get(f"/exercises/{exercise.key}/report").status_code == 200
    advisories_page = maria.get("/advisories")
    assert "northwind-agent" in advisories_page.text or "state file" in advisories_page.text
    assert "state file" in anonymous.get("/advisories/public").text
    for path, expected in (
        ("/contacts", "Ashford &amp; Bell LLP"),
        ("/exercises", exercise.key),
        ("/readiness", "Readiness"),
        ("/playbooks", "customer-credentials-exposed"),
        ("/help", "Start here"),
    ):
        shown = maria.get(path)
        assert shown.status_code == 200, path
        assert expected in shown.text, path

    # the viewer on the incident (executive sponsor) sees it; it stays restricted
    kenji = Browser(TestClient(web, follow_redirects=False)).sign_in("kenji", demo.DEMO_PASSWORD)
    assert kenji.get(f"/incidents/{breach.key}").status_code == 200
    assert browser("val").get(f"/incidents/{breach.key}").status_code == 404
