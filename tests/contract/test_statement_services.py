"""Statements on SQLite and PostgreSQL: the whole flow, immutability, hooks, templates."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from candor.adapters.statement_templates import JinjaStatementTemplates
from candor.domain.access import Actor
from candor.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from candor.domain.incidents import Incident
from candor.domain.statements import State, Statement
from candor.services import impact, incidents, statements
from candor.services.context import Context
from candor.services.ports import UnitOfWork
from candor.services.ports_statements import CommsSetup
from tests.conftest import ALICE, BOB, PEOPLE

ERIN = Actor("erin", PEOPLE["erin"])
CAROL = Actor("carol", PEOPLE["carol"])
DAN = Actor("dan", PEOPLE["dan"])


def declare(ctx: Context, **kwargs: object) -> str:
    key = incidents.declare(
        ctx,
        ALICE,
        title="Keys read from the integrations store",
        kind="personal_data_breach",
        severity="SEV1",
        **kwargs,  # type: ignore[arg-type]
    ).key
    incidents.assign_role(ctx, ALICE, key, "counsel", "erin")
    incidents.assign_role(ctx, ALICE, key, "incident_lead", "bob")
    incidents.assign_role(ctx, ALICE, key, "comms_lead", "carol")
    return key


def through_review(ctx: Context, key: str, number: int) -> None:
    statements.submit(ctx, ALICE, key, number)
    statements.approve(ctx, ERIN, key, number, comment="legal ok")
    statements.approve(ctx, BOB, key, number)


def test_draft_review_publish_and_correct(sql_ctx: Context, clock: object) -> None:
    key = declare(sql_ctx)
    seen: list[tuple[str, int, datetime]] = []

    def hook(
        ctx: Context, uow: UnitOfWork, incident: Incident, statement: Statement, now: datetime
    ) -> None:
        seen.append((incident.key, statement.number, now))

    statements.STATEMENT_PUBLISHED.append(hook)
    try:
        s = statements.draft(
            sql_ctx,
            ALICE,
            key,
            kind="update",
            audience="public",
            channels="status_site",
            title="We are investigating",
            body="Some **keys** were read.",
        )
        assert s.number == 1 and s.state is State.DRAFT
        through_review(sql_ctx, key, 1)
        with pytest.raises(PermissionDenied):
            statements.publish(sql_ctx, BOB, key, 1)
        published = statements.publish(sql_ctx, CAROL, key, 1)
    finally:
        statements.STATEMENT_PUBLISHED.remove(hook)
    assert published.state is State.PUBLISHED
    assert published.published_at == sql_ctx.clock.now()
    assert seen == [(key, 1, published.published_at)]
    with pytest.raises(Exception, match="never change"):
        statements.edit(sql_ctx, CAROL, key, 1, body="edited")
    c = statements.correct(
        sql_ctx,
        ALICE,
        key,
        1,
        title="Correction",
        body="Only 12 keys were read.",
        what_was_wrong="The first update did not give the number.",
    )
    assert c.corrects == 1 and c.audience.value == "public"
    through_review(sql_ctx, key, c.number)
    statements.publish(sql_ctx, CAROL, key, c.number)
    view = statements.statements(sql_ctx, ALICE, key)
    assert [s.state for s in view.statements] == [State.PUBLISHED, State.PUBLISHED]
    [public] = statements.public_incidents(sql_ctx)
    assert public.entries[0].statement.number == 1
    assert [x.number for x in public.entries[0].corrections] == [2]
    assert key not in public.slug and public.title == "We are investigating"


def test_publishing_is_audited_with_the_content_hash(sql_ctx: Context) -> None:
    key = declare(sql_ctx)
    statements.draft(
        sql_ctx,
        ALICE,
        key,
        kind="update",
        audience="internal",
        channels="email",
        title="Internal",
        body="Staff: do not discuss.",
    )
    through_review(sql_ctx, key, 1)
    p = statements.publish(sql_ctx, CAROL, key, 1)
    with sql_ctx.uow() as uow:
        records = [r for r in uow.audit.list(_filter(key)) if r.action == "statement.publish"]
        entries = uow.timeline.list(uow.incidents.get(key).id)  # type: ignore[union-attr]
    assert records and p.content_hash in (records[0].after_json or "")
    assert any(f"SHA-256 {p.content_hash}" in e.body for e in entries)


def _filter(key: str) -> object:
    from candor.domain.audit import AuditFilter

    return AuditFilter(incident_key=key, action_prefix="statement.", limit=100)


def test_the_repository_refuses_to_update_a_published_row(sql_ctx: Context) -> None:
    key = declare(sql_ctx)
    statements.draft(
        sql_ctx,
        ALICE,
        key,
        kind="update",
        audience="internal",
        channels="email",
        title="Internal",
        body="Text.",
    )
    through_review(sql_ctx, key, 1)
    p = statements.publish(sql_ctx, CAROL, key, 1)
    with sql_ctx.uow(write=True) as uow, pytest.raises(Conflict, match="never changed"):
        uow.statements.save(replace(p, body="rewritten history"))  # type: ignore[attr-defined]


def test_stale_edits_conflict_and_bad_input_stores_nothing(sql_ctx: Context) -> None:
    key = declare(sql_ctx)
    s = statements.draft(
        sql_ctx,
        ALICE,
        key,
        kind="update",
        audience="public",
        channels="status_site",
        title="T",
        body="B",
    )
    statements.edit(sql_ctx, ALICE, key, 1, body="B2", version=s.version)
    with pytest.raises(Conflict):
        statements.edit(sql_ctx, ALICE, key, 1, body="B3", version=s.version)
    with pytest.raises(InvalidInput):
        statements.draft(
            sql_ctx,
            ALICE,
            key,
            kind="update",
            audience="public",
            channels="email,fax",
            title="",
            body="B",
        )
    assert [x.body for x in statements.statements(sql_ctx, ALICE, key).statements] == ["B2"]


def test_restricted_incidents_are_invisible_to_non_members(sql_ctx: Context) -> None:
    key = declare(sql_ctx, confidentiality="restricted")
    statements.draft(
        sql_ctx,
        ALICE,
        key,
        kind="update",
        audience="internal",
        channels="email",
        title="T",
        body="B",
    )
    with pytest.raises(NotFound):
        statements.statements(sql_ctx, DAN, key)
    with pytest.raises(NotFound):
        statements.submit(sql_ctx, DAN, key, 1)


def test_exercises_publish_nothing_outside(sql_ctx: Context) -> None:
    key = declare(sql_ctx, exercise=True)
    with pytest.raises(InvalidInput, match="exercise"):
        statements.draft(
            sql_ctx,
            ALICE,
            key,
            kind="update",
            audience="public",
            channels="status_site",
            title="T",
            body="B",
        )
    assert statements.public_incidents(sql_ctx) == []


def test_delegates_publish_for_the_comms_lead(sql_ctx: Context) -> None:
    key = declare(sql_ctx)
    with pytest.raises(PermissionDenied):
        statements.set_delegate(sql_ctx, ALICE, key, "dan")
    statements.set_delegate(sql_ctx, CAROL, key, "dan")
    statements.draft(
        sql_ctx,
        ALICE,
        key,
        kind="update",
        audience="internal",
        channels="email",
        title="T",
        body="B",
    )
    through_review(sql_ctx, key, 1)
    assert statements.publish(sql_ctx, DAN, key, 1).published_by == "dan"


def test_acknowledgement_template_lists_the_unknowns(sql_ctx: Context) -> None:
    ctx = replace(sql_ctx, comms=CommsSetup(templates=JinjaStatementTemplates()))
    key = declare(ctx)
    impact.save_version(
        ctx,
        ALICE,
        key,
        reason="first",
        based_on=None,
        sections={
            "what_happened": {"text": "Someone read integration keys.", "confidence": "confirmed"},
            "open_questions": "- how the attacker got in",
        },
    )
    s = statements.draft_from_template(
        ctx,
        ALICE,
        key,
        template="acknowledgement",
        audience="public",
        channels="status_site",
    )
    assert s.title == "We are investigating a security incident"
    assert "Someone read integration keys." in s.body
    assert "We do not know yet" in s.body and "- how the attacker got in" in s.body
    assert "- who is affected" in s.body


def test_credential_rotation_template(sql_ctx: Context) -> None:
    ctx = replace(
        sql_ctx,
        comms=CommsSetup(
            templates=JinjaStatementTemplates(),
            secret_rotation={"aws_access_key": ("Create a new key", "Delete the old key")},
            secret_names={"aws_access_key": "AWS access key"},
        ),
    )
    key = declare(ctx)
    with pytest.raises(InvalidInput, match=r"credentials\[0\].type"):
        statements.draft_from_template(
            ctx,
            ALICE,
            key,
            template="credential_rotation",
            audience="customer",
            audience_ref="Acme",
            channels="email",
            credentials=[{"type": "x", "masked": "y"}],
        )
    with pytest.raises(InvalidInput, match=r"credentials\[0\]: expected"):  # a YAML list of text
        statements.draft_from_template(
            ctx,
            ALICE,
            key,
            template="credential_rotation",
            audience="customer",
            audience_ref="Acme",
            channels="email",
            credentials=["aws"],
        )
    s = statements.draft_from_template(
        ctx,
        ALICE,
        key,
        template="credential_rotation",
        audience="customer",
        audience_ref="Acme",
        channels="email",
        credentials=[{"type": "aws_access_key", "masked": "AKIA…WXYZ"}],
    )
    assert "AKIA…WXYZ" in s.body and "1. Create a new key" in s.body and "Acme" in s.body


def test_regulator_notice_blocks_approval_until_required_content_is_given(
    sql_ctx: Context,
) -> None:
    import uuid
    from datetime import date, timedelta

    from candor.domain.obligations.results import Status
    from candor.domain.obligations.tracking import Computed, TrackedObligation, Tracking
    from candor.services.ports_obligations import tracked

    ctx = replace(sql_ctx, comms=CommsSetup(templates=JinjaStatementTemplates()))
    key = declare(ctx)
    now = ctx.clock.now()
    content = ["nature of breach", "DPO/contact point", "likely consequences"]
    with ctx.uow(write=True) as uow:
        incident_id = uow.incidents.get(key).id  # type: ignore[union-attr]
        tracked(uow).obligations.add(
            TrackedObligation(
                id=uuid.uuid4(),
                incident_id=incident_id,
                seq=1,
                computed=Computed(
                    rule_id="eu-gdpr-33",
                    jurisdiction="IE",
                    kind="notice",
                    regime="eu-gdpr",
                    recipient_category="regulator",
                    recipient="Lead supervisory authority",
                    status=Status.REQUIRED,
                    deadline=now + timedelta(hours=72),
                    deadline_rule="72 hours from aware_at",
                    trigger="aware_at",
                    trigger_at=now,
                    citation="Art. 33(1)",
                    law="GDPR",
                    verified=True,
                    unverified=(),
                    last_reviewed=date(2026, 11, 22),
                    rule_effective_from=None,
                    zone="Europe/Dublin",
                    per_place=False,
                    detail={
                        "content_required": content,
                        "other_exceptions": ["information may be provided in phases (Art. 33(4))"],
                    },
                ),
                state=Tracking.PENDING,
                active=True,
                first_computed_at=now,
                updated_at=now,
            )
        )
        uow.commit()
    with pytest.raises(InvalidInput, match="audience_ref"):
        statements.draft_from_template(
            ctx,
            ALICE,
            key,
            template="regulator_notice",
            audience="regulator",
            audience_ref="#9",
            channels="email",
        )
    s = statements.draft_from_template(
        ctx,
        ALICE,
        key,
        template="regulator_notice",
        audience="regulator",
        audience_ref="#1",
        channels="email",
    )
    assert s.title == "Notification under GDPR Art. 33(1)"
    assert [e.name for e in s.elements] == content and s.phasing_allowed
    assert "- likely consequences" in s.body and "provided in phases" in s.body
    statements.submit(ctx, ALICE, key, s.number)
    with pytest.raises(InvalidInput) as caught:
        statements.approve(ctx, ERIN, key, s.number)
    assert {p.field for p in caught.value.problems} == {f"elements.{c}" for c in content}
    statements.request_changes(ctx, ERIN, key, s.number, comment="fill in the checklist")
    statements.edit(
        ctx,
        ALICE,
        key,
        s.number,
        elements={
            "nature of breach": {"text": "Integration keys of 12 customers read."},
            "DPO/contact point": {"text": "dpo@example.com"},
            "likely consequences": {"deferred": True},
        },
    )
    statements.submit(ctx, ALICE, key, s.number)
    statements.approve(ctx, ERIN, key, s.number)
    assert statements.approve(ctx, BOB, key, s.number).state is State.APPROVED
