"""A legal hold refuses destroying a record in the API (a 409 problem naming the hold) and on
the page (the form shown again with the message), and the CLI exits 1 with it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from candor import bootstrap
from candor.cli.app import main
from candor.cli.common import state
from candor.services import incidents, retention, sharing
from tests.conftest import ADMIN, ALICE
from tests.web.conftest import Browser
from tests.web.test_learn_api import auth, declare, is_problem

HOLD = "Doe v. Example"


def held_indicator(application: bootstrap.Application, key: str) -> int:
    ctx = application.context
    seq = sharing.add_indicator(ctx, ALICE, key, type="ipv4", value="203.0.113.7", tlp="green")
    retention.place_hold(ctx, ADMIN, key, reason=HOLD)
    return seq


def test_the_api_answers_409_naming_the_hold(
    anonymous: TestClient, token_for: Callable[..., str], application: bootstrap.Application
) -> None:
    headers = auth(token_for("alice"))
    key = declare(anonymous, headers)
    seq = held_indicator(application, key)
    refused = anonymous.delete(f"/api/v1/incidents/{key}/indicators/{seq}", headers=headers)
    is_problem(refused, 409)
    assert HOLD in refused.json()["detail"] and "legal hold" in refused.json()["detail"]


def test_the_page_shows_the_form_again_with_the_hold(
    browser: Callable[[str], Browser], application: bootstrap.Application
) -> None:
    alice = browser("alice")
    key = incidents.declare(application.context, ALICE, title="Shared").key
    seq = held_indicator(application, key)
    refused = alice.post(f"/incidents/{key}/indicators/{seq}/remove", data={})
    assert refused.status_code == 409 and HOLD in refused.text
    assert "203.0.113.7" in refused.text


def test_the_cli_exits_1_naming_the_hold(
    application: bootstrap.Application,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = incidents.declare(application.context, ALICE, title="Shared").key
    seq = held_indicator(application, key)
    monkeypatch.setattr(state, "app", application)
    assert main(["--as", "alice", "indicator", "remove", key, str(seq)]) == 1
    assert HOLD in capsys.readouterr().err
