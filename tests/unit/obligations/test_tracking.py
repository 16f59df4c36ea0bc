"""Tracked obligations: recomputing keeps numbers and tracking and reports the difference; filing,
not-required proposals and counsel's decision follow their states; only counsel decides."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from candor.domain.access import Actor, OrgRole
from candor.domain.errors import Conflict, InvalidInput, PermissionDenied
from candor.domain.obligations import tracking
from candor.domain.obligations.reconcile import ChangeKind, reconcile
from candor.domain.obligations.tracking import Tracking
from tests.unit.obligations.support import make_facts, run

INCIDENT = uuid.uuid4()
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
COUNSEL = Actor("erin", OrgRole.COUNSEL)
RESPONDER = Actor("alice", OrgRole.RESPONDER)
ADMIN = Actor("root", OrgRole.ADMIN)


NUMBERS = count(1)


def ids():  # type: ignore[no-untyped-def]
    return lambda: uuid.UUID(int=next(NUMBERS))


def evaluation(**incident: object):  # type: ignore[no-untyped-def]
    base: dict[str, object] = {
        "discovered_at": "2026-11-20T14:00:00Z",
        "aware_at": "2026-11-20T14:00:00Z",
        "data_elements": ["name", "ssn"],
        "risk_of_harm": "likely",
        "affected": {"US-CA": 600, "US-TX": 1200},
    }
    base.update(incident)
    return run(make_facts(**base))


def start():  # type: ignore[no-untyped-def]
    return reconcile([], evaluation(), incident_id=INCIDENT, now=NOW, new_id=ids())


def by_rule(obligations, rule_id: str, place: str | None = None):  # type: ignore[no-untyped-def]
    return next(
        o
        for o in obligations
        if o.computed.rule_id == rule_id and (place is None or o.computed.jurisdiction == place)
    )


def test_first_computation_numbers_every_obligation_and_reports_it_new() -> None:
    first = start()
    assert [o.seq for o in first.obligations] == list(range(1, len(first.obligations) + 1))
    assert first.new == first.obligations and not first.updated
    assert {c.kind for c in first.changes} == {ChangeKind.ADDED}
    residents = by_rule(first.obligations, "us-ca-individuals")
    assert residents.state is Tracking.PENDING and residents.active
    assert residents.computed.citation and residents.computed.last_reviewed.year == 2026
    assert residents.computed.detail["rule_id"] == "us-ca-individuals"


def test_recomputing_reports_removed_moved_and_changed_and_keeps_numbers() -> None:
    first = start()
    texas_regulator = by_rule(first.obligations, "us-tx-regulator")
    later = evaluation(
        affected={"US-CA": 600, "US-TX": 100},  # below Texas's regulator threshold (250)
        discovered_at="2026-11-19T14:00:00Z",  # discovered a day earlier: state clocks move
    )
    second = reconcile(first.obligations, later, incident_id=INCIDENT, now=NOW, new_id=ids())
    kinds = {(c.kind, c.seq) for c in second.changes}
    assert (ChangeKind.REMOVED, texas_regulator.seq) in kinds
    removed = by_rule(second.obligations, "us-tx-regulator")
    assert not removed.active and "250" in removed.removed_reason
    residents = by_rule(second.obligations, "us-ca-individuals")
    assert (ChangeKind.DEADLINE_MOVED, residents.seq) in kinds
    assert residents.seq == by_rule(first.obligations, "us-ca-individuals").seq
    assert not second.new
    # and back again: the same number, reported as triggered again
    third = reconcile(second.obligations, evaluation(), incident_id=INCIDENT, now=NOW, new_id=ids())
    back = by_rule(third.obligations, "us-tx-regulator")
    assert back.active and back.seq == texas_regulator.seq
    assert (ChangeKind.RETURNED, back.seq) in {(c.kind, c.seq) for c in third.changes}


def test_an_unchanged_evaluation_changes_nothing() -> None:
    first = start()
    again = reconcile(first.obligations, evaluation(), incident_id=INCIDENT, now=NOW, new_id=ids())
    assert again.changes == () and again.new == () and again.updated == ()


def test_status_change_of_a_determined_obligation_asks_to_review_the_determination() -> None:
    unknown = reconcile(
        [], evaluation(risk_of_harm="unknown"), incident_id=INCIDENT, now=NOW, new_id=ids()
    )
    gdpr = evaluation(risk_of_harm="unknown", affected={"DE": 3000})
    first = reconcile(unknown.obligations, gdpr, incident_id=INCIDENT, now=NOW, new_id=ids())
    ob = by_rule(first.obligations, "eu-gdpr-33-1")
    assert ob.computed.status.value == "required_unless_exception"
    ob = tracking.propose_not_required(ob, text="Only hashed e-mails.", by="alice", now=NOW)
    ob = tracking.approve_not_required(ob, COUNSEL, now=NOW)
    stored = [o if o.id != ob.id else ob for o in first.obligations]
    high = evaluation(risk_of_harm="high", affected={"DE": 3000})
    second = reconcile(stored, high, incident_id=INCIDENT, now=NOW, new_id=ids())
    change = next(c for c in second.changes if c.seq == ob.seq)
    assert change.kind is ChangeKind.STATUS_CHANGED
    assert "review" in change.note
    assert by_rule(second.obligations, "eu-gdpr-33-1").state is Tracking.NOT_REQUIRED


def test_filing_records_who_when_and_the_reference() -> None:
    ob = by_rule(start().obligations, "us-ca-individuals")
    done = tracking.file(
        ob, at=NOW - timedelta(hours=1), by="alice", reference="letters mailed, batch 7", now=NOW
    )
    assert done.state is Tracking.FILED and not done.is_open
    assert done.filing is not None and done.filing.reference == "letters mailed, batch 7"
    assert done.filing.recorded_at == NOW
    with pytest.raises(Conflict, match="already recorded as filed"):
        tracking.file(done, at=NOW, by="bob", reference="again", now=NOW)
    with pytest.raises(InvalidInput, match="future"):
        tracking.file(ob, at=NOW + timedelta(minutes=5), by="a", reference="x", now=NOW)
    with pytest.raises(InvalidInput, match="must not be empty"):
        tracking.file(ob, at=NOW, by="a", reference="  ", now=NOW)


def test_not_required_needs_a_written_proposal_and_counsel() -> None:
    ob = by_rule(start().obligations, "us-tx-individuals")
    with pytest.raises(InvalidInput, match="must not be empty"):
        tracking.propose_not_required(ob, text=" ", by="alice", now=NOW)
    proposed = tracking.propose_not_required(
        ob, text="The data was encrypted and the key was not taken.", by="alice", now=NOW
    )
    assert proposed.state is Tracking.NOT_REQUIRED_PROPOSED and proposed.is_open
    for who in (RESPONDER, ADMIN):
        with pytest.raises(PermissionDenied, match="counsel role"):
            tracking.approve_not_required(proposed, who, now=NOW)
    approved = tracking.approve_not_required(proposed, COUNSEL, now=NOW)
    assert approved.state is Tracking.NOT_REQUIRED and not approved.is_open
    assert approved.determination is not None
    assert (approved.determination.approved_by, approved.determination.approved_at) == ("erin", NOW)
    with pytest.raises(Conflict, match=r"determined .* not required"):
        tracking.file(approved, at=NOW, by="a", reference="x", now=NOW)


def test_counsel_may_reject_a_proposal_which_makes_it_pending_again() -> None:
    ob = by_rule(start().obligations, "us-tx-individuals")
    proposed = tracking.propose_not_required(ob, text="Not Texas residents.", by="bob", now=NOW)
    with pytest.raises(PermissionDenied):
        tracking.reject_not_required(proposed, RESPONDER, reason="no", now=NOW)
    rejected = tracking.reject_not_required(
        proposed, COUNSEL, reason="The addresses are in Texas.", now=NOW
    )
    assert rejected.state is Tracking.PENDING
    assert rejected.determination is not None and rejected.determination.rejected_by == "erin"
    with pytest.raises(Conflict, match="no not-required determination"):
        tracking.approve_not_required(rejected, COUNSEL, now=NOW)


def test_overdue_means_open_with_the_deadline_past() -> None:
    ob = by_rule(start().obligations, "us-ca-individuals")
    assert ob.deadline is not None
    assert not ob.overdue(ob.deadline) and ob.overdue(ob.deadline + timedelta(minutes=1))
    done = tracking.file(ob, at=NOW, by="a", reference="r", now=NOW)
    assert not done.overdue(ob.deadline + timedelta(days=1))
    gone = replace(ob, active=False)
    assert not gone.overdue(ob.deadline + timedelta(days=1))
    with pytest.raises(Conflict, match="no longer triggered"):
        tracking.file(gone, at=NOW, by="a", reference="r", now=NOW)


def test_obligations_are_found_by_number_or_rule_id() -> None:
    obligations = start().obligations
    ca = by_rule(obligations, "us-ca-individuals")
    assert tracking.find(obligations, str(ca.seq)) == ca
    assert tracking.find(obligations, f"#{ca.seq}") == ca
    assert tracking.find(obligations, "us-ca-individuals") == ca
    assert tracking.find(obligations, "us-ca-individuals@us-ca") == ca
    assert tracking.find(obligations, "nope") is None
