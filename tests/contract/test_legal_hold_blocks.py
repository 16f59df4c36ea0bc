"""A legal hold blocks every operation that destroys a record under the incident, on SQLite and
PostgreSQL, with an error naming the hold; released, the operation goes through."""

from __future__ import annotations

import pytest

from candor.domain.errors import Conflict
from candor.services import advisories, incidents, retention, sharing
from candor.services.context import Context
from tests.conftest import ADMIN, ALICE
from tests.contract.test_advisory_services import SETUP
from tests.contract.test_advisory_services import draft as advisory_draft


def held(ctx: Context) -> str:
    key = incidents.declare(ctx, ALICE, title="Keys read from the integrations store").key
    retention.place_hold(ctx, ADMIN, key, reason="Doe v. Example")
    return key


def test_an_indicator_is_not_removed_under_hold(sql_ctx: Context) -> None:
    key = held(sql_ctx)
    seq = sharing.add_indicator(sql_ctx, ALICE, key, type="ipv4", value="203.0.113.7", tlp="green")
    with pytest.raises(Conflict, match=r"legal hold .*Doe v\. Example.*removing indicator #1"):
        sharing.remove_indicator(sql_ctx, ALICE, key, seq)
    assert [i.seq for i in sharing.get(sql_ctx, ALICE, key).indicators] == [seq]
    retention.release_hold(sql_ctx, ADMIN, key, reason="Settled")
    sharing.remove_indicator(sql_ctx, ALICE, key, seq)
    assert sharing.get(sql_ctx, ALICE, key).indicators == []


def test_an_advisory_draft_of_a_held_incident_is_not_discarded(sql_ctx: Context) -> None:
    key = held(sql_ctx)
    made = advisories.create(sql_ctx, ALICE, SETUP, advisory_draft(incidents=(key,)))
    with pytest.raises(Conflict, match=f"{key} is under legal hold.*discarding {made.key}"):
        advisories.discard(sql_ctx, ALICE, made.key)
    assert advisories.get(sql_ctx, ALICE, made.key).stored.key == made.key
    retention.release_hold(sql_ctx, ADMIN, key, reason="Settled")
    advisories.discard(sql_ctx, ALICE, made.key)
