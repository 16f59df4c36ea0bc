"""``candor triage …``: evaluate questionnaire answers against the triage policy."""

from __future__ import annotations

from pathlib import Path

import typer

from candor.adapters.rules_files import load_answers, load_triage_policy
from candor.cli.common import JSON_OPTION, console, print_json
from candor.domain.triage import QUESTIONS, Scale
from candor.domain.triage_policy import evaluate
from candor.domain.vocabulary import KIND_DEFINITIONS, SEVERITY_DEFINITIONS

app = typer.Typer(no_args_is_help=True)

POLICY_OPTION = typer.Option(
    None,
    "--policy",
    metavar="FILE",
    help="The organisation's policy file (same format as the packaged one, which it replaces).",
)


@app.command("evaluate")
def evaluate_(
    answers: Path = typer.Argument(..., metavar="ANSWERS.yaml", help="question: answer pairs."),
    policy: Path | None = POLICY_OPTION,
    json: bool = JSON_OPTION,
) -> None:
    """Classify an incident from questionnaire answers: kind, severity and why."""
    loaded = load_triage_policy(policy)
    parsed = load_answers(answers)
    result = evaluate(loaded, parsed)
    if json:
        print_json({**result.as_dict(), "answers": parsed.as_dict()})
        return
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
    console.print("\n".join(out), markup=False)


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
