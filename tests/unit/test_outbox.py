"""The outbox's rules: backoff, transitions, the exercise guard, keys and Message-IDs."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor.domain import outbox as model
from candor.domain.errors import IllegalTransition, InvalidInput
from candor.domain.outbox import Backoff, Outcome, Result, State

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def message(**extra: object) -> model.Message:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "key": "k:1",
        "channel": "email",
        "recipient": "a@customer.example",
        "subject": "s",
        "body": "b",
        "now": NOW,
    }
    values.update(extra)
    return model.new_message(**values)  # type: ignore[arg-type]


@given(st.integers(min_value=1, max_value=200), st.floats(min_value=0, max_value=1))
def test_backoff_grows_is_capped_and_jittered(attempt: int, jitter: float) -> None:
    rule = Backoff(base=timedelta(seconds=30), cap=timedelta(hours=1))
    delay = rule.delay(attempt, jitter=jitter)
    full = min(30 * 2.0 ** (attempt - 1), 3600.0)
    assert full / 2 - 1e-6 <= delay.total_seconds() <= full + 1e-6


def test_backoff_doubles() -> None:
    rule = Backoff(base=timedelta(seconds=10), cap=timedelta(hours=1))
    assert [rule.delay(n, jitter=1.0).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]


def test_attempts_move_the_state() -> None:
    m = message()
    sending = replace(m, state=State.SENDING)
    rule = Backoff(max_attempts=2)
    retry = model.after_attempt(
        sending, Result("k:1", Outcome.TEMPORARY, "421"), now=NOW, backoff=rule, jitter=0.0
    )
    assert retry.state is State.QUEUED and retry.next_attempt_at > NOW
    given_up = model.after_attempt(
        replace(retry, state=State.SENDING),
        Result("k:1", Outcome.TEMPORARY, "421"),
        now=NOW,
        backoff=rule,
        jitter=0.0,
    )
    assert given_up.state is State.DEAD and "gave up after 2" in given_up.last_error
    unknown = model.after_attempt(
        sending, Result("k:1", Outcome.UNKNOWN, "reset"), now=NOW, backoff=rule, jitter=0.0
    )
    assert unknown.state is State.UNCONFIRMED
    with pytest.raises(IllegalTransition):
        model.after_attempt(m, Result("k:1", Outcome.SENT), now=NOW, backoff=rule, jitter=0.0)
    assert model.resolve(unknown, received=True, now=NOW).state is State.SENT
    assert model.resolve(unknown, received=False, now=NOW).state is State.QUEUED
    with pytest.raises(IllegalTransition):
        model.retry(unknown, now=NOW)


@pytest.mark.parametrize(
    ("address", "domains", "inside"),
    [
        ("a@example.org", ["example.org"], True),
        ("a@EU.Example.org", ["example.org"], True),
        ("a@badexample.org", ["example.org"], False),
        ("a@example.org.evil.example", ["example.org"], False),
        ("a@example.org", [], False),
    ],
)
def test_inside_the_organisation(address: str, domains: list[str], inside: bool) -> None:
    assert model.inside(address, domains) is inside
    held = message(recipient=address, exercise=True, own_domains=domains)
    assert (held.state is State.HELD) is not inside


def test_message_ids_are_deterministic() -> None:
    first = model.message_id("statement:1:recipient:a@b.example", domain="example.org")
    assert first == model.message_id("statement:1:recipient:a@b.example", domain="example.org")
    assert first != model.message_id("statement:2:recipient:a@b.example", domain="example.org")
    assert first.startswith("<") and first.endswith("@example.org>")


def test_headers_cannot_smuggle_lines() -> None:
    with pytest.raises(InvalidInput) as caught:
        message(subject="hi\r\nBcc: everyone@example.com")
    assert caught.value.problems[0].field == "subject"
    with pytest.raises(InvalidInput):
        message(headers={"X-A": "b\nBcc: x@example.com"})


def test_a_message_scrubbed_by_retention_is_never_sent_again() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    ident = uuid.uuid4()
    key = model.scrubbed_key("statement:7:", ident)
    assert key == f"statement:7:removed:{ident}"
    dead = replace(message(key=key), state=State.DEAD)
    unconfirmed = replace(message(key=key), state=State.UNCONFIRMED)
    assert model.is_scrubbed(dead)
    assert not model.is_scrubbed(message(key="statement:7:alice@example.org"))
    with pytest.raises(IllegalTransition, match="retention policy"):
        model.retry(dead, now=now)
    with pytest.raises(IllegalTransition, match="retention policy"):
        model.resolve(unconfirmed, received=False, now=now)
    # settling it as received sends nothing, and stays allowed
    assert model.resolve(unconfirmed, received=True, now=now).state is State.SENT
