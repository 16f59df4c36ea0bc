"""Readiness: each check on its own (pass, warn, fail, not measured) and the weighted total."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from candor.domain import contacts as contact_model
from candor.domain.contacts import Contact, details_from
from candor.domain.readiness import WEIGHTS, Coverage, Facts, Readiness, Status, assess
from candor.domain.retro_items import ActionItem, ActionKind, ActionStatus
from candor.domain.securitytxt import SecurityTxt, check, generate
from tests.fakes import FakeClock

CLOCK = FakeClock()
NOW = CLOCK.now()
TODAY = NOW.date()


def contact(
    handle: str,
    category: str,
    *,
    verified: date | None = TODAY,
    now: datetime = NOW,
    **extra: Any,
) -> Contact:
    data = {"category": category, "organisation": handle.title(), **extra}
    data["last_verified_on"] = verified.isoformat() if verified else None
    return contact_model.new_contact(
        id=uuid.uuid4(), handle=handle, details=details_from(data), by="a", now=now
    )


RETAINER = {"retainer": {"in_place": True, "expires_on": "2027-12-31"}}
GOOD_CONTACTS = (
    contact("acme-law", "outside_counsel", **RETAINER),
    contact("dfir-co", "forensics", **RETAINER),
    contact("insurer", "insurer", notice={"text": "Notify within 48 hours", "hours": 48}),
)


def security_txt(expires: datetime, *, written: datetime = NOW) -> Any:
    values = SecurityTxt(
        contact=("mailto:security@example.com",),
        expires=expires,
        encryption=("https://example.com/pgp.asc",),
        preferred_languages=("en",),
        canonical=("https://example.com/.well-known/security.txt",),
        policy=("https://example.com/disclosure",),
    )
    return check(generate(values, now=written), now=NOW)


def facts(**changes: Any) -> Facts:
    base = Facts(
        now=NOW,
        response_plan="https://wiki.example.com/ir-plan",
        playbooks=9,
        playbook_problems=(),
        designated_leads=("alice", "bob"),
        recent_leads=(),
        contacts=GOOD_CONTACTS,
        cyber_insurance=True,
        customer_contacts=Coverage(98, 100),
        inventory=Coverage(40, 40),
        last_exercise_at=NOW - timedelta(days=30),
        action_items=(),
        security_txt=security_txt(NOW + timedelta(days=200)),
    )
    return replace(base, **changes)


def status(result: Readiness, id: str) -> Status:
    return next(c for c in result.checks if c.id == id).status


def test_everything_in_place_scores_100_and_lists_every_check() -> None:
    result = assess(facts())
    assert [c.id for c in result.checks] == list(WEIGHTS)
    assert {c.status for c in result.checks} == {Status.PASS}
    assert result.score == 100 and result.measured_weight == result.total_weight == 100
    assert all(c.fix == "" for c in result.checks)


@pytest.mark.parametrize(
    ("changes", "check_id", "expected"),
    [
        ({"response_plan": None}, "response_plan", Status.WARN),
        ({"playbooks": 0}, "response_plan", Status.FAIL),
        ({"playbook_problems": ("x.yaml:3:1: bad",)}, "response_plan", Status.FAIL),
        ({"designated_leads": ("alice",)}, "leads_named", Status.WARN),
        ({"designated_leads": (), "recent_leads": ("carol",)}, "leads_named", Status.WARN),
        ({"designated_leads": ()}, "leads_named", Status.FAIL),
        ({"contacts": GOOD_CONTACTS[:2]}, "insurer_notice", Status.FAIL),
        (
            {"contacts": GOOD_CONTACTS[:2], "cyber_insurance": False},
            "insurer_notice",
            Status.PASS,
        ),
        (
            {"contacts": (*GOOD_CONTACTS[:2], contact("ins", "insurer"))},
            "insurer_notice",
            Status.WARN,
        ),
        ({"contacts": GOOD_CONTACTS[1:]}, "retainers", Status.WARN),
        ({"contacts": GOOD_CONTACTS[2:]}, "retainers", Status.FAIL),
        ({"customer_contacts": None}, "customer_contacts", Status.NOT_MEASURED),
        ({"customer_contacts": Coverage(90, 100)}, "customer_contacts", Status.WARN),
        ({"customer_contacts": Coverage(50, 100)}, "customer_contacts", Status.FAIL),
        ({"customer_contacts": Coverage(0, 0)}, "customer_contacts", Status.FAIL),
        ({"inventory": None}, "inventory_coverage", Status.NOT_MEASURED),
        ({"last_exercise_at": None}, "tabletop_recent", Status.FAIL),
        ({"last_exercise_at": NOW - timedelta(days=200)}, "tabletop_recent", Status.WARN),
        ({"last_exercise_at": NOW - timedelta(days=400)}, "tabletop_recent", Status.FAIL),
        ({"action_items": None}, "action_items", Status.NOT_MEASURED),
        ({"security_txt": None, "security_txt_problem": "unset"}, "security_txt", Status.FAIL),
        ({"security_txt": security_txt(NOW + timedelta(days=10))}, "security_txt", Status.WARN),
        (
            {
                "security_txt": security_txt(
                    NOW - timedelta(days=1), written=NOW - timedelta(days=90)
                )
            },
            "security_txt",
            Status.FAIL,
        ),
    ],
)
def test_each_check(changes: dict[str, Any], check_id: str, expected: Status) -> None:
    result = assess(facts(**changes))
    found = next(c for c in result.checks if c.id == check_id)
    assert found.status is expected, found
    assert (found.fix != "") is (expected is not Status.PASS)
    others = {c.status for c in result.checks if c.id != check_id}
    assert others == {Status.PASS}


def test_contacts_go_stale_after_180_days_with_the_clock() -> None:
    clock = FakeClock()
    people = (
        *GOOD_CONTACTS,
        contact("cert-ie", "cert", verified=clock.now().date()),
    )
    assert status(assess(facts(contacts=people, now=clock.now())), "contacts_verified") is (
        Status.PASS
    )
    later = clock.advance(days=181)
    # every entry is now stale: more than half, so it fails, and names them
    result = assess(facts(contacts=people, now=later, last_exercise_at=later))
    found = next(c for c in result.checks if c.id == "contacts_verified")
    assert found.status is Status.FAIL and "stale: acme-law, cert-ie" in found.detail
    mixed = (*people[:2], contact("new-one", "pr", verified=later.date(), now=later))
    mixed += (contact("new-two", "isac", verified=later.date(), now=later),)
    assert status(assess(facts(contacts=mixed, now=later)), "contacts_verified") is Status.WARN


def test_a_retainer_expiring_soon_warns_and_an_expired_one_does_not_count() -> None:
    soon = contact(
        "acme-law",
        "outside_counsel",
        retainer={"in_place": True, "expires_on": (TODAY + timedelta(days=10)).isoformat()},
    )
    result = assess(facts(contacts=(soon, *GOOD_CONTACTS[1:])))
    assert status(result, "retainers") is Status.WARN
    gone = contact(
        "acme-law",
        "outside_counsel",
        retainer={"in_place": True, "expires_on": (TODAY - timedelta(days=1)).isoformat()},
    )
    found = next(
        c for c in assess(facts(contacts=(gone, *GOOD_CONTACTS[1:]))).checks if c.id == "retainers"
    )
    assert found.status is Status.WARN and "no active retainer: outside counsel" in found.detail


def test_an_empty_directory_fails_every_contact_check() -> None:
    result = assess(facts(contacts=()))
    for id in ("contacts_verified", "retainers", "insurer_notice"):
        assert status(result, id) is Status.FAIL


def test_overdue_action_items() -> None:
    def item(seq: int, days: int, state: ActionStatus = ActionStatus.OPEN) -> ActionItem:
        return ActionItem(
            seq, f"item {seq}", ActionKind.PREVENT, "bob", TODAY + timedelta(days), state
        )

    assert status(assess(facts(action_items=(item(1, 5),))), "action_items") is Status.PASS
    assert (
        status(assess(facts(action_items=(item(1, -5, ActionStatus.DONE),))), "action_items")
        is Status.PASS
    )
    assert status(assess(facts(action_items=(item(1, -1),))), "action_items") is Status.WARN
    many = tuple(item(i, -i) for i in range(1, 5))
    assert status(assess(facts(action_items=many)), "action_items") is Status.FAIL


def test_the_total_is_weighted_over_what_was_measured() -> None:
    # not measured: customers (15), inventory (10), action items (5) are left out: 70 remain.
    # warn: response plan (10 × ½); fail: tabletop (10 × 0). 70 − 5 − 10 = 55 of 70 → 79 %.
    result = assess(
        facts(
            customer_contacts=None,
            inventory=None,
            action_items=None,
            response_plan=None,
            last_exercise_at=None,
        )
    )
    assert result.measured_weight == 70 and result.total_weight == 100
    assert result.score == round(100 * 55 / 70)
