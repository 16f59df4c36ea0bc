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

from candor import bootstrap, config, demo, demo_parts
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

    # the inventory's 500 customers, three addresses unreachable
    customers = maria.get("/customers")
    assert customers.status_code == 200
    assert re.search(r"<strong>\d+ of 500</strong> customers", customers.text)
    assert customers.text.count('id="customer-') == 500
    assert customers.text.count("unreachable: 550 5.1.1 user unknown") == 3
    scoped = page.text
    assert demo_parts.STORE in scoped and "Lindgren Logistik" in scoped

    # the status site: the acknowledgement and its correction, nothing of the draft notice
    status = anonymous.get("/status")
    assert status.status_code == 200
    assert "Investigating access to customers" in status.text
    [slug] = re.findall(r"/status/incidents/([0-9a-f]{12})", status.text)[:1]
    public = anonymous.get(f"/status/incidents/{slug}")
    assert "Correction: customer data was read in two customers" in public.text
    assert "That was wrong." in public.text
    # the customer notice is in review and goes by e-mail: never on the public site
    assert "Notice of a security incident" not in public.text
    notice = maria.get(f"/incidents/{breach.key}/statements/3")
    assert notice.status_code == 200 and "Notice of a security incident" in notice.text

    # the closed incident's retro, its overdue action item, the metrics
    [leak] = [i for i in incidents.list_incidents(ctx, SYSTEM) if i.title.startswith("API token")]
    retro = maria.get(f"/incidents/{leak.key}/retro")
    assert retro.status_code == 200
    assert "Why did nobody own staging" in retro.text and "published" in retro.text
    actions = maria.get("/actions")
    assert actions.status_code == 200
    row = actions.text.split("Move staging deploy secrets into the vault")[1].split("</tr>")[0]
    assert "overdue by" in row
    assert "overdue by" not in actions.text.split("Give our tokens a prefix")[1].split("</tr>")[0]
    metrics = maria.get("/metrics")
    assert metrics.status_code == 200
    assert "<svg" in metrics.text and leak.key in metrics.text
    assert maria.get(f"/metrics?incident={breach.key}").status_code == 200

    # the viewer on the incident (executive sponsor) sees it; it stays restricted
    kenji = Browser(TestClient(web, follow_redirects=False)).sign_in("kenji", demo.DEMO_PASSWORD)
    assert kenji.get(f"/incidents/{breach.key}").status_code == 200
    assert browser("val").get(f"/incidents/{breach.key}").status_code == 404
