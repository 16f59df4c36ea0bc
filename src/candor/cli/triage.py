"""``candor triage …``: evaluate questionnaire answers against the triage policy, and triage
incidents: assess, history, apply, confirm-breach.

The policy is the organisation's (``[triage] policy``) when configured, else the packaged one;
``evaluate --policy FILE`` tries another without recording anything.
"""

from __future__ import annotations

from pathlib import Path

import typer

from candor.adapters.rules_files import load_answers, load_triage_policy
from candor.cli.common import (
    INCIDENT_KEY,
    JSON_OPTION,
    actor,
    application,
    console,
    print_json,
    short_time,
    when,
)
from candor.domain.assessments import StoredAssessment
from candor.domain.incidents import Clock
from candor.domain.triage import QUESTIONS, Scale
from candor.domain.triage_policy import TriageResult, evaluate
from candor.domain.vocabulary import KIND_DEFINITIONS, SEVERITY_DEFINITIONS
from candor.services import triage, views, views_intake

app = typer.Typer(no_args_is_help=True)

ANSWERS_HELP = (
    "YAML of `question: answer` pairs; `candor triage questions` lists the questions and the "
    "answers each accepts. Unanswered questions count as unknown."
)

POLICY_OPTION = typer.Option(
    None,
    "--policy",
    metavar="FILE",
    help="The organisation's policy file (same format as the packaged one, which it replaces).",
)


@app.command("evaluate")
def evaluate_(
    answers: Path = typer.Argument(..., metavar="ANSWERS.yaml", help=ANSWERS_HELP),
    policy: Path | None = POLICY_OPTION,
    json: bool = JSON_OPTION,
) -> None:
    """Classify from questionnaire answers: kind, severity and why (nothing is recorded)."""
    if policy is None:
        loaded = application(require_schema=False).triage_policy
    else:
        loaded = load_triage_policy(policy)
    parsed = load_answers(answers)
    result = evaluate(loaded, parsed)
    if json:
        print_json({**result.as_dict(), "answers": parsed.as_dict()})
        return
    console.print("\n".join(_explained(result)), markup=False)


def _explained(result: TriageResult) -> list[str]:
    out = [
        f"Kind:     {result.kind.value} — {KIND_DEFINITIONS[result.kind]}",
        f"Severity: {result.severity.value} — {SEVERITY_DEFINITIONS[result.severity]}",
        "",
        "Why:",
        *[f"  - {line}" for line in result.rationale],
    ]
    deciding = result.deciding_answers()
    if deciding:
        out += ["", "Deciding answers:", *[f"  - {r}" for r in deciding]]
    if result.unanswered:
        out += ["", "Still open (answer when known, then re-triage):"]
        out += [f"  - {q}" for q in result.unanswered]
    out += ["", f"Policy: {result.policy} {result.policy_version}"]
    return out


@app.command("questions")
def questions(json: bool = JSON_OPTION) -> None:
    """The questionnaire: question ids, what they ask, and the allowed answers."""
    if json:
        print_json(
            [
                {
                    "id": q.id,
                    "prompt": q.prompt,
                    "help": q.help,
                    "scale": q.scale.value,
                    "choices": list(q.choices),
                }
                for q in QUESTIONS
            ]
        )
        return
    for q in QUESTIONS:
        if q.scale is Scale.COUNT:
            allowed = "a whole number, or empty when unknown"
        elif q.scale is Scale.SET:
            allowed = "a list of: " + ", ".join(q.choices)
        else:
            allowed = " | ".join(q.choices)
        console.print(f"{q.id}: {q.prompt}\n    {allowed}\n    {q.help}", markup=False)


@app.command("assess")
def assess(
    key: str = INCIDENT_KEY,
    answers: Path = typer.Argument(..., metavar="ANSWERS.yaml", help=ANSWERS_HELP),
    note: str = typer.Option("", "--note", help="Why the re-triage (kept with it)."),
    json: bool = JSON_OPTION,
) -> None:
    """Record a triage assessment of an incident; the timeline says what changed. The
    incident's kind and severity change only with `candor triage apply`."""
    parsed = load_answers(answers)
    app_ = application()
    stored, change = triage.assess(
        app_.context, actor(), key, parsed, policy=app_.triage_policy, note=note
    )
    if json:
        print_json(
            {"assessment": views_intake.assessment(stored), "change": views_intake.change(change)}
        )
        return
    console.print(f"Assessment {stored.version}: {change.summary()}", markup=False)
    console.print("\n".join(_explained(stored.result)), markup=False)
    if change.breach_escalation:
        console.print(
            f"Confirm the breach determination with `candor triage confirm-breach {key.upper()}`"
            " once a responder has made it.",
            markup=False,
        )


@app.command("history")
def history(
    key: str = INCIDENT_KEY,
    json: bool = JSON_OPTION,
) -> None:
    """Every triage assessment of an incident, oldest first."""
    items = triage.history(application().context, actor(), key)
    if json:
        print_json([views_intake.assessment(a) for a in items])
        return
    if not items:
        console.print(f"{key.upper()} has not been triaged yet.")
        return
    for item in items:
        _line(item)


def _line(item: StoredAssessment) -> None:
    a = item.assessment
    note = f" — {a.note}" if a.note else ""
    console.print(
        f"{item.version}. {short_time(a.assessed_at)} {a.assessed_by}: "
        f"{item.result.kind.value}, {item.result.severity.value}{note}",
        markup=False,
    )


@app.command("apply")
def apply(
    key: str = INCIDENT_KEY,
    assessment: int | None = typer.Option(
        None, "--assessment", help="The assessment you reviewed (refused if not the latest)."
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Set the incident's kind and severity from its latest assessment (the rationale is the
    reason on the timeline)."""
    made = triage.apply(application().context, actor(), key, version=assessment)
    if json:
        print_json(views.incident(made))
    else:
        console.print(f"{made.key}: {made.kind.value}, {made.severity.value}.")


@app.command("confirm-breach")
def confirm_breach(
    key: str = INCIDENT_KEY,
    assessment: int | None = typer.Option(
        None,
        "--assessment",
        help="The assessment you reviewed (`candor triage history KEY`); refused if it is not "
        "the latest. Unset: the latest.",
    ),
    at: str | None = typer.Option(None, "--at", help="When it was determined (default now)."),
) -> None:
    """Confirm that a breach was determined, as the latest assessment says: records
    breach_determined_at, from which several legal deadlines run."""
    made = triage.confirm_breach(
        application().context, actor(), key, version=assessment, at=when(at, field="--at")
    )
    value = made.clocks.get(Clock.BREACH_DETERMINED_AT)
    console.print(f"{made.key}: breach_determined_at = {short_time(value)}.")
