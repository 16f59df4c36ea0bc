"""Statements in the pure domain: states, review chain, immutability, exercises, content."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from candor.domain import incidents, milestones
from candor.domain import statements as st
from candor.domain.errors import IllegalTransition, InvalidInput, PermissionDenied
from candor.domain.statements import Element, State
from candor.domain.vocabulary import Role

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def incident(*, exercise: bool = False) -> incidents.Incident:
    found = incidents.declare(
        id=uuid.uuid4(),
        key="INC-2026-1",
        title="Keys read",
        by="alice",
        now=NOW,
        exercise=exercise,
    )
    return replace(
        found,
        roles={Role.COUNSEL: "erin", Role.INCIDENT_LEAD: "bob", Role.COMMS_LEAD: "carol"},
    )


def draft(inc: incidents.Incident, **kwargs: object) -> st.Statement:
    values: dict[str, object] = {
        "kind": "update",
        "audience": "public",
        "channels": ["status_site"],
        "title": "Update",
        "body": "We rotated the keys.",
    }
    values.update(kwargs)
    return st.new_statement(
        id=uuid.uuid4(),
        incident=inc,
        number=1,
        author="alice",
        now=NOW,
        **values,  # type: ignore[arg-type]
    )


def approved(inc: incidents.Incident, s: st.Statement) -> st.Statement:
    s = st.submit(s, by="alice", now=NOW)
    s = st.approve(s, inc, by="erin", now=NOW)
    return st.approve(s, inc, by="bob", now=NOW)


def test_the_review_chain_runs_in_order_to_approved() -> None:
    inc = incident()
    s = st.submit(draft(inc), by="alice", now=NOW)
    assert s.state is State.IN_REVIEW and s.next_step == "counsel"
    with pytest.raises(PermissionDenied, match="counsel"):
        st.approve(s, inc, by="bob", now=NOW)  # the incident lead is second
    s = st.approve(s, inc, by="erin", comment="fine", now=NOW)
    assert s.state is State.IN_REVIEW and s.next_step == "incident_lead"
    s = st.approve(s, inc, by="bob", now=NOW)
    assert s.state is State.APPROVED and s.next_step is None
    assert [r.step for r in s.reviews] == ["counsel", "incident_lead"]


def test_requesting_changes_sends_back_to_draft_and_restarts_the_chain() -> None:
    inc = incident()
    s = st.approve(st.submit(draft(inc), by="alice", now=NOW), inc, by="erin", now=NOW)
    with pytest.raises(InvalidInput, match="comment"):
        st.request_changes(s, inc, by="bob", comment=" ", now=NOW)
    with pytest.raises(PermissionDenied):
        st.request_changes(s, inc, by="alice", comment="no", now=NOW)
    s = st.request_changes(s, inc, by="bob", comment="Say which keys", now=NOW)
    assert s.state is State.DRAFT and s.round == 2 and s.approved_steps == ()
    s = st.edit(s, inc, body="We rotated the integration keys.", now=NOW)
    s = st.submit(s, by="alice", now=NOW)
    assert s.next_step == "counsel"  # counsel approves again


def test_only_the_comms_lead_or_a_delegate_publishes_at_the_given_time() -> None:
    inc = incident()
    s = approved(inc, draft(inc))
    with pytest.raises(PermissionDenied, match="communications lead"):
        st.publish(s, inc, by="bob", delegates=[], now=NOW)
    later = NOW + timedelta(minutes=5)
    p = st.publish(s, inc, by="dan", delegates=["dan"], now=later)
    assert p.state is State.PUBLISHED and p.published_at == later and p.published_by == "dan"
    assert p.content_hash == st.content_hash(p, incident_key=inc.key)
    assert len(p.content_hash or "") == 64


def test_a_published_statement_can_never_change() -> None:
    inc = incident()
    p = st.publish(approved(inc, draft(inc)), inc, by="carol", delegates=[], now=NOW)
    for attempt in (
        lambda: st.edit(p, inc, body="changed", now=NOW),
        lambda: st.submit(p, by="alice", now=NOW),
        lambda: st.withdraw(p, reason="oops", now=NOW),
        lambda: st.request_changes(p, inc, by="bob", comment="x", now=NOW),
        lambda: st.publish(p, inc, by="carol", delegates=[], now=NOW),
    ):
        with pytest.raises(IllegalTransition, match="never change"):
            attempt()


def test_corrections_name_a_published_statement_and_what_was_wrong() -> None:
    inc = incident()
    d = draft(inc)
    with pytest.raises(InvalidInput, match="only a published statement"):
        draft(inc, kind="correction", corrects=d, correction_note="x")
    p = st.publish(approved(inc, d), inc, by="carol", delegates=[], now=NOW)
    with pytest.raises(InvalidInput) as caught:
        draft(inc, kind="correction", corrects=p, correction_note="")
    assert any(x.field == "correction_note" for x in caught.value.problems)
    with pytest.raises(InvalidInput, match="names the published statement"):
        draft(inc, kind="correction")
    c = draft(inc, kind="correction", corrects=p, correction_note="It said 40 customers; 12.")
    assert c.corrects == 1 and c.correction_note.startswith("It said")


def test_an_exercise_never_publishes_outside_the_organisation() -> None:
    inc = incident(exercise=True)
    for audience in ("public", "all_customers", "affected_customers"):
        channels = ["status_site"] if audience == "public" else ["email"]
        with pytest.raises(InvalidInput, match="exercise") as caught:
            draft(inc, audience=audience, channels=channels)
        assert caught.value.problems[0].field == "audience"
    internal = draft(inc, audience="internal", channels=["email"])
    p = st.publish(approved(inc, internal), inc, by="carol", delegates=[], now=NOW)
    assert p.state is State.PUBLISHED
    # stored before the incident became an exercise: publishing still refuses
    public = approved(incident(), draft(incident()))
    with pytest.raises(InvalidInput, match="exercise"):
        st.publish(public, inc, by="carol", delegates=[], now=NOW)


def test_bad_input_names_each_field() -> None:
    inc = incident()
    with pytest.raises(InvalidInput) as caught:
        draft(inc, kind="rumour", audience="press", channels=["fax"], title="", body="")
    fields = {p.field for p in caught.value.problems}
    assert {"kind", "audience", "channels", "title", "body"} <= fields
    with pytest.raises(InvalidInput, match="status site"):
        draft(inc, audience="all_customers", channels=["status_site"])
    with pytest.raises(InvalidInput, match="customer"):
        draft(inc, audience="customer", channels=["email"])


def test_approval_waits_for_every_required_element() -> None:
    inc = incident()
    elements = (Element("nature of breach"), Element("DPO/contact point"))
    s = draft(
        inc,
        kind="regulator_notice",
        audience="regulator",
        audience_ref="#1 eu-gdpr-33",
        channels=["email"],
        elements=elements,
        phasing_allowed=True,
    )
    submitted = st.submit(s, by="alice", now=NOW)
    with pytest.raises(InvalidInput) as caught:
        st.approve(submitted, inc, by="erin", now=NOW)
    assert {p.field for p in caught.value.problems} == {
        "elements.nature of breach",
        "elements.DPO/contact point",
    }
    s = st.edit(
        s,
        inc,
        elements={
            "nature of breach": {"text": "Keys of 12 customers read."},
            "DPO/contact point": {"deferred": True},
        },
        now=NOW,
    )
    assert s.missing_elements == ()
    s = st.approve(st.submit(s, by="alice", now=NOW), inc, by="erin", now=NOW)
    assert s.next_step == "incident_lead"


def test_phasing_is_refused_where_the_rule_does_not_allow_it() -> None:
    inc = incident()
    s = draft(
        inc,
        kind="regulator_notice",
        audience="regulator",
        audience_ref="#2",
        channels=["email"],
        elements=(Element("likely consequences"),),
        phasing_allowed=False,
    )
    with pytest.raises(InvalidInput, match="does not allow") as caught:
        st.edit(s, inc, elements={"likely consequences": {"deferred": True}}, now=NOW)
    assert caught.value.problems[0].field == "elements.likely consequences"
    with pytest.raises(InvalidInput, match="no required element"):
        st.edit(s, inc, elements={"made up": {"text": "x"}}, now=NOW)


def test_an_unassigned_reviewer_role_is_named() -> None:
    inc = replace(incident(), roles={Role.COMMS_LEAD: "carol"})
    s = st.submit(draft(inc), by="alice", now=NOW)
    with pytest.raises(InvalidInput, match="nobody holds the counsel role"):
        st.approve(s, inc, by="erin", now=NOW)


def test_withdrawing_a_draft() -> None:
    inc = incident()
    s = st.withdraw(draft(inc), reason="superseded", now=NOW)
    assert s.state is State.WITHDRAWN
    with pytest.raises(IllegalTransition):
        st.submit(s, by="alice", now=NOW)


def test_review_chain_setting_is_checked() -> None:
    assert st.check_review_chain(["counsel"]) == ("counsel",)
    with pytest.raises(InvalidInput, match="unknown incident role"):
        st.check_review_chain(["lawyer"])


def published(**kwargs: object) -> st.Statement:
    inc = incident()
    return st.publish(approved(inc, draft(inc, **kwargs)), inc, by="carol", delegates=(), now=NOW)


def test_a_statement_communicates_when_someone_in_its_audience_could_first_read_it() -> None:
    later = NOW + timedelta(minutes=7)
    site = published(channels=["status_site", "email"])
    assert not milestones.awaits_email(site)  # on the site at once: no need to ask the outbox
    assert milestones.statement_communication(site, first_email_sent_at=later) == (
        milestones.Communication(milestones.Audience.PUBLIC, NOW, "Update")
    )
    notice = published(kind="customer_notice", audience="affected_customers", channels=["email"])
    assert milestones.awaits_email(notice)
    assert milestones.statement_communication(notice) is None  # still queued
    found = milestones.statement_communication(notice, first_email_sent_at=later)
    assert found is not None and (found.audience, found.sent_at) == (
        milestones.Audience.CUSTOMERS,
        later,
    )
    inc = incident()
    assert milestones.statement_communication(approved(inc, draft(inc))) is None  # unpublished
    hook = published(audience="all_customers", channels=["webhook"])
    assert not milestones.awaits_email(hook)
    assert milestones.statement_communication(hook, first_email_sent_at=later) is None
    regulator = published(audience="regulator", audience_ref="#1", channels=["email"])
    assert milestones.statement_communication(regulator, first_email_sent_at=later) is None
