"""The demo workspace loads once, through the real use cases, with intact chains, and every part
of the story is there: the organisation profile, contacts with retainers, the breach from its
public report to computed obligations with live deadlines, a closed incident, a finished
tabletop and a published advisory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from candor import bootstrap, config, demo
from candor.adapters.db import migrate
from candor.domain.access import SYSTEM
from candor.domain.errors import InvalidInput
from candor.domain.exercises import Outcome
from candor.domain.findings import FindingState
from candor.domain.lifecycle import Phase
from candor.domain.reports import ReportStatus
from candor.services import (
    advisories,
    audit,
    contacts,
    exercises,
    impact,
    incidents,
    obligations,
    reports,
    timeline,
    triage,
)
from candor.services.ports_intake import ReportFilter


def test_demo_loads_once_and_verifies(tmp_path: Path) -> None:
    app = bootstrap.build(config.Settings(home=tmp_path, **demo.profile(tmp_path)))  # type: ignore[arg-type]
    migrate.upgrade(app.engine)
    began = time.monotonic()
    first = demo.load(app)
    assert time.monotonic() - began < 20, "the demo must load in under 20 seconds"
    assert first.created
    assert len(first.incidents) == 3
    again = demo.load(app)
    assert not again.created
    assert sorted(again.incidents) == sorted(first.incidents)
    for key in first.incidents:
        assert timeline.verify(app.context, SYSTEM, key).ok
    assert audit.verify(app.context, SYSTEM).ok
    ctx = app.context
    now = app.clock.now()
    breach = next(
        i for i in incidents.list_incidents(ctx, SYSTEM) if i.kind.value == "supply_chain_breach"
    )
    entries = timeline.show(ctx, SYSTEM, breach.key)
    assert any(e.corrects for e in entries), "the demo shows a visible correction"

    # the breach came in as a public report, promoted, triaged twice, roles assigned
    page = reports.page(ctx, SYSTEM, ReportFilter())
    assert [r.status for r in page.items] == [ReportStatus.PROMOTED]
    assert breach.severity.value == "SEV1" and breach.phase is Phase.CONTAINMENT
    assert len(triage.history(ctx, SYSTEM, breach.key)) == 2
    assert {r.value for r in breach.roles} >= {"incident_lead", "technical_lead", "counsel"}

    # three impact-statement versions; findings integrated, dismissed and one overdue
    statement = impact.statement(ctx, SYSTEM, breach.key)
    assert [v.number for v in statement.versions] == [1, 2, 3]
    view = impact.findings(ctx, SYSTEM, breach.key)
    states = sorted(f.state.value for _, _, f in view.findings)
    assert states == sorted(
        [
            FindingState.INTEGRATED,
            FindingState.INTEGRATED,
            FindingState.INTEGRATED,
            FindingState.DISMISSED,
            FindingState.NEW,
        ]
    )
    # the scoping run over the generated CloudTrail found the planted attack: 3 keys, 6 calls
    scoped = next(f for _, _, f in view.findings if f.source == "candor scope run (CloudTrail)")
    assert "6 calls from 203.0.113.7" in scoped.summary
    assert "(Harborview Health, Kestrel Freight, Lindgren Logistik)" in scoped.summary
    assert (tmp_path / demo.LOGS_DIR / "iocs.yaml").exists()
    assert view.status.overdue, "one finding waits past the review cadence"

    # obligations computed from the profile, with deadlines still ahead (live countdowns)
    overview = obligations.overview(ctx, SYSTEM, breach.key)
    rules = {o.computed.rule_id for o in overview.obligations if o.active}
    assert "org-contract-harborview-baa" in rules and "org-insurance-cyber-policy" in rules
    assert any(r.startswith("eu-gdpr") for r in rules)
    assert any(r.startswith("us-sec") for r in rules)
    facts = obligations.facts_history(ctx, SYSTEM, breach.key)[-1].facts
    assert facts["affected_customers"].source.value == "scoping"
    filed = [o.computed.rule_id for o in overview.obligations if o.filing is not None]
    assert filed == ["org-contract-lindgren-dpa"]
    ahead = [o for o in overview.obligations if o.computed.deadline and o.computed.deadline > now]
    assert ahead, "some deadlines are still ahead when the demo is opened"

    # preparation: contacts with retainers, a finished tabletop; an advisory published
    listed = contacts.list_contacts(ctx, SYSTEM)
    assert sum(1 for c in listed if c.details.retainer and c.details.retainer.in_place) == 2
    [exercise] = exercises.list_exercises(ctx, SYSTEM)
    assert exercise.ended_at is not None
    after_action = exercises.report(ctx, SYSTEM, exercise.key, app.signals)
    outcomes = {r.outcome for r in after_action.results}
    assert {Outcome.MET, Outcome.LATE, Outcome.MISSED} <= outcomes, "something to learn"
    published = advisories.page(ctx, SYSTEM)
    assert [a.ever_published for a in published.items] == [True]

    closed = [i for i in incidents.list_incidents(ctx, SYSTEM) if i.phase is Phase.CLOSED]
    assert sorted(i.exercise for i in closed) == [False, True]  # and the tabletop's incident
    app.close()


def test_candor_demo_writes_the_profile_once_and_is_idempotent(tmp_path: Path) -> None:
    """`make demo` runs `candor demo`: a fresh workspace with the organisation profile, loaded
    once; running it again changes nothing."""
    env = {**os.environ, "CANDOR_HOME": str(tmp_path / "demo")}
    env.pop("CANDOR_CONFIG", None)
    command = [str(Path(sys.executable).parent / "candor"), "demo", "--no-serve"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "Demo workspace loaded" in first.stdout
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "already loaded" in again.stdout
    toml = (tmp_path / "demo" / config.CONFIG_NAME).read_text(encoding="utf-8")
    assert toml.count("[obligations]") == 1
    assert 'sectors = ["sec_registrant", "hipaa_business_associate"]' in toml
    assert (tmp_path / "demo" / demo.ORG_RULES_FILE).exists()


def test_the_demo_refuses_a_workspace_without_its_profile(tmp_path: Path) -> None:
    app = bootstrap.build(config.Settings(home=tmp_path))
    migrate.upgrade(app.engine)
    with pytest.raises(InvalidInput, match="organisation profile"):
        demo.load(app)
    assert incidents.list_incidents(app.context, SYSTEM) == []  # nothing half-loaded
    app.close()
