"""The contacts directory's rules: parsing, staleness at 180 days, suggestions by kind/severity."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from candor.domain import contacts as model
from candor.domain.contacts import Category, details_data, details_from, suggest
from candor.domain.errors import InvalidInput
from candor.domain.vocabulary import Kind, Severity
from tests.fakes import FakeClock

COUNSEL = {
    "category": "outside_counsel",
    "organisation": "Acme LLP",
    "purpose": "Breach counsel",
    "people": [{"name": "Dana Reyes", "role": "Partner", "email": "dana@acme.example"}],
    "out_of_band": {"phone": "+1 555 0100", "pgp_fingerprint": "ab12 " * 10},
    "retainer": {"in_place": True, "number": "R-17", "hours": 40, "expires_on": "2027-06-30"},
    "last_verified_on": "2026-01-15",
}


def test_a_contact_round_trips_through_its_file_form() -> None:
    details = details_from(COUNSEL)
    assert details.out_of_band.pgp_fingerprint == "AB12" * 10
    assert details.retainer is not None and details.retainer.expires_on == date(2027, 6, 30)
    assert details_from(details_data(details)) == details


def test_every_problem_is_reported_with_its_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        details_from(
            {
                "category": "astrologer",
                "organisation": "",
                "people": [{"role": "x", "email": "not-an-address"}],
                "out_of_band": {"pgp_fingerprint": "1234", "phone": "call me"},
                "retainer": {"hours": -1},
                "notice": {"text": "48h"},
                "portal_url": "ftp://x",
                "last_verified_on": "yesterday",
            }
        )
    fields = {p.location() for p in caught.value.problems}
    assert fields == {
        "category",
        "organisation",
        "people[0].name",
        "people[0].email",
        "out_of_band.pgp_fingerprint",
        "out_of_band.phone",
        "retainer.in_place",
        "retainer.hours",
        "notice.hours",
        "portal_url",
        "last_verified_on",
    }


def test_only_an_insurer_has_a_notice_clause() -> None:
    with pytest.raises(InvalidInput, match="only an insurer"):
        details_from({**COUNSEL, "notice": {"text": "within 48 hours", "hours": 48}})
    insurer = details_from(
        {"category": "insurer", "organisation": "X", "notice": {"text": "t", "hours": 48}}
    )
    assert insurer.notice == model.NoticeClause("t", 48)


def test_stale_after_180_days_with_a_fake_clock() -> None:
    clock = FakeClock()
    contact = model.new_contact(
        id=uuid.uuid4(), handle="acme-law", details=details_from(COUNSEL), by="a", now=clock.now()
    )
    contact = model.verify(contact, now=clock.now())
    assert not contact.is_stale(clock.now())
    clock.advance(days=180)
    assert not contact.is_stale(clock.now())
    clock.advance(days=1)
    assert contact.is_stale(clock.now())
    never = model.new_contact(
        id=uuid.uuid4(),
        handle="x",
        details=details_from({**COUNSEL, "last_verified_on": None}),
        by="a",
        now=clock.now(),
    )
    assert never.is_stale(clock.now())


def test_verification_cannot_be_in_the_future() -> None:
    clock = FakeClock()
    contact = model.new_contact(
        id=uuid.uuid4(), handle="acme-law", details=details_from(COUNSEL), by="a", now=clock.now()
    )
    with pytest.raises(InvalidInput, match="future"):
        model.verify(contact, now=clock.now(), on=clock.now().date() + timedelta(days=1))


def test_handles_are_slugs() -> None:
    with pytest.raises(InvalidInput, match="not a valid name"):
        model.parse_handle("Acme Law")


def categories(kind: Kind, severity: Severity) -> list[Category]:
    return [s.category for s in suggest(kind, severity)]


def test_a_personal_data_breach_sev1_suggests_counsel_insurer_forensics_regulator() -> None:
    got = categories(Kind.PERSONAL_DATA_BREACH, Severity.SEV1)
    assert got[:4] == [
        Category.OUTSIDE_COUNSEL,
        Category.INSURER,
        Category.FORENSICS,
        Category.REGULATOR,
    ]
    assert all(s.why for s in suggest(Kind.PERSONAL_DATA_BREACH, Severity.SEV1))


def test_suggestions_follow_kind_and_severity() -> None:
    assert categories(Kind.EVENT, Severity.SEV1) == []
    assert categories(Kind.SECURITY_INCIDENT, Severity.SEV4) == []
    low_breach = categories(Kind.PERSONAL_DATA_BREACH, Severity.SEV3)
    assert low_breach == [Category.OUTSIDE_COUNSEL, Category.INSURER]
    supply = categories(Kind.SUPPLY_CHAIN_BREACH, Severity.SEV2)
    assert {Category.CLOUD_PROVIDER, Category.PEER_SECURITY_TEAM, Category.FORENSICS} <= set(supply)
    assert Category.REGULATOR not in supply
    assert Category.LAW_ENFORCEMENT in categories(Kind.SECURITY_INCIDENT, Severity.SEV1)


def test_a_playbook_adds_its_categories_with_its_reason() -> None:
    got = suggest(
        Kind.SECURITY_INCIDENT, Severity.SEV4, extra=[(Category.CLOUD_PROVIDER, "revoke keys")]
    )
    assert [(s.category, s.why) for s in got] == [(Category.CLOUD_PROVIDER, "revoke keys")]
