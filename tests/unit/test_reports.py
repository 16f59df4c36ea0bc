"""Reports from outside, pure: what a submission may hold, the handling states, the finding
written at promotion, client networks and the rate limit; stored triage results read back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor.adapters.rules_files import load_triage_policy
from candor.domain import reports as model
from candor.domain.assessments import NONE_MARK, answers_from_fields, result_from_dict
from candor.domain.errors import IllegalTransition, InvalidInput, RateLimited
from candor.domain.reports import Channel, RateLimit, ReportStatus, Submission
from candor.domain.triage import parse_answers
from candor.domain.triage_policy import evaluate

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
ARMOUR = "-----BEGIN PGP MESSAGE-----\n\nhQEMA0xyz\n=abcd\n-----END PGP MESSAGE-----\n"


def problems_of(data: dict[str, object], **kwargs: bool) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        model.parse_submission(data, **kwargs)
    return {p.field or "": p.message for p in caught.value.problems}


def test_a_plain_report_keeps_its_words_and_loses_only_surrounding_space() -> None:
    made = model.parse_submission(
        {
            "what_happened": "  Our key AKIA… was used from 203.0.113.7  \n",
            "reporter_email": "ana@example.com",
            "csrf": "ignored on the web form",
        }
    )
    assert made.what_happened == "Our key AKIA… was used from 203.0.113.7"
    assert made.reporter_email == "ana@example.com"
    assert not made.encrypted


def test_every_problem_is_reported_at_once() -> None:
    found = problems_of(
        {
            "what_happened": "x" * 20_001,
            "how_found": "tab\tand newline\nare fine but a bell \x07 is not",
            "affected": "nul \x00 here",
            "reporter_name": "lone surrogate \ud800",
            "reporter_email": ["not", "text"],
        }
    )
    assert found["what_happened"] == "is 20001 characters long; at most 20000 allowed"
    assert "control characters" in found["how_found"]
    assert "control characters" in found["affected"]
    assert "not valid Unicode" in found["reporter_name"]
    assert found["reporter_email"] == "must be text"


def test_something_must_be_said_and_the_address_must_be_one() -> None:
    found = problems_of({"what_happened": "   ", "reporter_email": "ana at example"})
    assert found == {
        "what_happened": "must not be empty",
        "reporter_email": "is not an e-mail address",
    }


def test_the_armour_is_kept_byte_for_byte_and_may_stand_alone() -> None:
    made = model.parse_submission({"pgp_message": "\n" + ARMOUR + "  \n"})
    assert made.pgp_message == "\n" + ARMOUR + "  \n"
    assert made.encrypted and made.what_happened == ""
    assert model.parse_submission({"what_happened": "x", "pgp_message": " \n "}).pgp_message == ""


def test_a_cut_off_or_fake_pgp_block_is_refused_with_a_hint() -> None:
    cut = problems_of({"pgp_message": ARMOUR[:40]})
    assert "cut off" in cut["pgp_message"]
    plain = problems_of({"what_happened": "x", "pgp_message": "my key is in the post"})
    assert plain["pgp_message"] == "holds no ASCII-armoured PGP message"


def test_the_api_refuses_unknown_fields() -> None:
    assert problems_of({"what_happened": "x", "severity": "SEV1"}, strict=True) == {
        "severity": "unknown field"
    }


def report(**changes: object) -> model.Report:
    base = model.receive(
        Submission(what_happened="Keys leaked\nmore detail"),
        id=uuid.uuid4(),
        key="REP-2026-3",
        channel=Channel.WEB,
        now=NOW,
        client_network="203.0.113.0/24",
    )
    return model.Report(**{**{f: getattr(base, f) for f in base.__dataclass_fields__}, **changes})


def test_handling_moves_forward_only() -> None:
    acked = model.acknowledge(report(), by="alice", now=NOW)
    assert (acked.status, acked.acknowledged_by) == (ReportStatus.ACKNOWLEDGED, "alice")
    with pytest.raises(IllegalTransition, match="acknowledged already"):
        model.acknowledge(acked, by="bob", now=NOW)
    promoted = model.promote(acked, by="bob", now=NOW, incident_key="INC-2026-4")
    assert promoted.incident_key == "INC-2026-4" and not promoted.status.is_open
    for action in (
        lambda r: model.decline(r, by="bob", now=NOW, reason="spam"),
        lambda r: model.promote(r, by="bob", now=NOW, incident_key="INC-2026-5"),
        lambda r: model.acknowledge(r, by="bob", now=NOW),
    ):
        with pytest.raises(IllegalTransition, match="already promoted"):
            action(promoted)
    with pytest.raises(InvalidInput, match="must not be empty"):
        model.decline(report(), by="bob", now=NOW, reason="  ")
    assert model.decline(report(), by="bob", now=NOW, reason=" spam ").decline_reason == "spam"


def test_report_keys() -> None:
    assert model.parse_key(" rep-2026-17 ") == "REP-2026-17"
    with pytest.raises(InvalidInput, match="not a report reference"):
        model.parse_key("INC-2026-1")


def test_the_audit_snapshot_holds_no_words_of_the_reporter() -> None:
    snap = model.snapshot(report())
    assert snap["sizes"] == {"what_happened": len("Keys leaked\nmore detail")}
    assert "Keys leaked" not in repr(snap)


def test_the_finding_shows_the_reporters_words_verbatim_and_not_their_contact() -> None:
    hostile = "```\n<script>alert(1)</script>\n````\n[click](javascript:alert(1))"
    item = report(
        submission=Submission(
            what_happened=hostile,
            affected="https://app.example.com",
            reporter_email="ana@example.com",
            pgp_message=ARMOUR,
        )
    )
    body = model.finding_body(item)
    # a fence longer than any run of backticks in the text: nothing can close it early
    assert "`````text\n" + hostile + "\n`````" in body
    assert "ana@example.com" not in body
    assert "encrypted PGP message" in body
    assert body.startswith("Report [REP-2026-3](/reports/REP-2026-3) received 2026-11-22 09:30")


def test_default_titles() -> None:
    assert model.default_title(report()) == "Report REP-2026-3: Keys leaked"
    long = report(submission=Submission(what_happened="a" * 300))
    assert len(model.default_title(long)) == 120
    encrypted = report(submission=Submission(pgp_message=ARMOUR))
    assert model.default_title(encrypted) == "Encrypted report REP-2026-3"


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("testclient", ""),
        ("", ""),
    ],
)
def test_only_the_network_of_an_address_is_kept(address: str, network: str) -> None:
    assert model.client_network(address) == network


def test_the_client_digest_is_keyed() -> None:
    one = model.client_digest("203.0.113.7", key=b"k1")
    assert one == model.client_digest("203.0.113.7", key=b"k1")
    assert one != model.client_digest("203.0.113.8", key=b"k1")
    assert one != model.client_digest("203.0.113.7", key=b"k2")
    assert "203" not in one and len(one) == 40


def test_the_rate_limit_waits_until_the_oldest_attempt_leaves_the_window() -> None:
    rule = RateLimit(limit=3, window=timedelta(minutes=10))
    attempts = [NOW - timedelta(minutes=m) for m in (9, 4, 1)]
    model.check_rate(attempts[:2], rule=rule, now=NOW)
    with pytest.raises(RateLimited) as caught:
        model.check_rate(attempts, rule=rule, now=NOW)
    assert caught.value.retry_after == 61  # the 9-minute-old attempt leaves in one minute
    model.check_rate(attempts, rule=rule, now=NOW + timedelta(minutes=1, seconds=1))


@given(st.lists(st.integers(min_value=0, max_value=1200), max_size=12))
def test_the_limit_refuses_exactly_when_the_window_is_full(offsets: list[int]) -> None:
    rule = RateLimit(limit=5, window=timedelta(minutes=10))
    attempts = [NOW - timedelta(seconds=s) for s in offsets]
    inside = sum(1 for s in offsets if s < 600)
    if inside < 5:
        model.check_rate(attempts, rule=rule, now=NOW)
        return
    with pytest.raises(RateLimited) as caught:
        model.check_rate(attempts, rule=rule, now=NOW)
    assert 1 <= caught.value.retry_after <= 601


def test_a_decryption_that_is_not_text_is_marked() -> None:
    made = model.Decryption.of(
        b"\xff\x00abc",
        id=uuid.uuid4(),
        report_id=uuid.uuid4(),
        by="alice",
        now=NOW,
        key_fingerprint="f" * 40,
    )
    assert made.binary and "\x00" not in made.plaintext
    with pytest.raises(InvalidInput, match="decrypts to"):
        model.Decryption.of(
            b"x" * (model.PLAINTEXT_MAX + 1),
            id=uuid.uuid4(),
            report_id=uuid.uuid4(),
            by="alice",
            now=NOW,
            key_fingerprint="f" * 40,
        )


def test_a_stored_result_reads_back_as_it_was_evaluated() -> None:
    policy = load_triage_policy()
    answers = parse_answers(
        {"customer_secrets": ["cloud_keys"], "access": "confirmed", "public_attention": "yes"}
    )
    result = evaluate(policy, answers)
    again = result_from_dict(result.as_dict())
    assert again == result
    assert again.deciding_answers() == result.deciding_answers()


def test_form_fields_become_answers() -> None:
    answers = answers_from_fields(
        {
            "access": ["confirmed"],
            "customer_secrets": ["cloud_keys", "tokens"],
            "regulated_data": [NONE_MARK],
            "data_elements": [],
            "customers_affected": ["  "],
            "people_affected": ["1,200"],
        }
    )
    parsed = parse_answers(answers)
    assert parsed.access.value == "confirmed"
    assert {s.value for s in parsed.customer_secrets} == {"cloud_keys", "tokens"}
    assert "regulated_data" in parsed.answered and not parsed.regulated_data
    assert "data_elements" in parsed.unanswered()
    assert parsed.customers_affected is None and parsed.people_affected == 1200
