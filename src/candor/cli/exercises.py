"""``candor exercise …``: run a tabletop on the real workflow and read the after-action report.

Everything an exercise creates is marked EXERCISE: its incident has the exercise flag, so nothing
is ever sent outside the organisation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import yaml

from candor.adapters import prepare_files
from candor.cli.common import JSON_OPTION, actor, application, console, err, print_json
from candor.domain.errors import InvalidInput, Problem
from candor.domain.exercises import AfterAction, Exercise
from candor.domain.scenarios import Scenario, parse_scenario
from candor.services import exercises, prepare_views

app = typer.Typer(no_args_is_help=True)

EXERCISE_KEY = typer.Argument(
    ..., help="The exercise's key, e.g. EX-2026-1 (`candor exercise list`)."
)
BANNER = "EXERCISE — nothing is sent outside the organisation."


def library() -> prepare_files.Library[Scenario]:
    settings = application(require_schema=False).settings
    playbooks = prepare_files.load_playbooks(settings.prepare.playbooks_dir)
    return prepare_files.load_scenarios(
        settings.prepare.scenarios_dir, playbooks=playbooks.entries
    ).require()


@app.command("list-scenarios")
def list_scenarios(json: bool = JSON_OPTION) -> None:
    """The scenario library: packaged scenarios and the organisation's own."""
    entries = library().entries
    if json:
        print_json(
            [
                {
                    "scenario": s.name,
                    "title": s.title,
                    "version": s.version,
                    "duration_minutes": s.duration,
                    "injects": len(s.injects),
                    "expectations": [e.id for e in s.expectations],
                    "playbook": s.playbook or None,
                    "based_on": s.based_on or None,
                    "file": e.file,
                }
                for e in entries.values()
                for s in [e.value]
            ]
        )
        return
    for name, entry in sorted(entries.items()):
        s = entry.value
        console.print(
            f"{name}: {s.title} ({s.duration} min, {len(s.injects)} injects, "
            f"{len(s.expectations)} expectations)",
            markup=False,
        )


@app.command("check")
def check(
    files: list[Path] = typer.Argument(
        None, metavar="[FILE.yaml]...", help="Files to check; default: the whole library."
    ),
) -> None:
    """Check scenario files; every problem with its file:line:column. Exits 1 on any problem."""
    if files:
        problems = prepare_files.check_files(files, parse_scenario)
        count = len(files)
    else:
        settings = application(require_schema=False).settings
        playbooks = prepare_files.load_playbooks(settings.prepare.playbooks_dir)
        loaded = prepare_files.load_scenarios(
            settings.prepare.scenarios_dir, playbooks=playbooks.entries
        )
        problems, count = loaded.problems, loaded.files
    if problems:
        for problem in problems:
            err.print(str(problem), markup=False)
        err.print(f"{len(problems)} problem(s) in {count} file(s).")
        raise typer.Exit(1)
    console.print(f"{count} file(s): no problems.")


def _summary(exercise: Exercise) -> dict[str, Any]:
    return prepare_views.exercise(exercise)


def _show_release(exercise: Exercise) -> None:
    number = len(exercise.releases)
    inject = exercise.scenario.injects[number - 1]
    console.print(
        f"{BANNER}\n{exercise.key} ({exercise.incident_key}) inject {number}/"
        f"{len(exercise.scenario.injects)}, minute {inject.at}: {inject.title}\n\n{inject.text}",
        markup=False,
    )


@app.command("start")
def start(
    scenario: str = typer.Argument(..., help="Scenario name (see list-scenarios)."),
    json: bool = JSON_OPTION,
) -> None:
    """Start an exercise: declares the exercise incident and releases the first inject."""
    entry = library().get(scenario)
    app_ = application()
    exercise = exercises.start(app_.context, actor(), entry.value, entry.data)
    if json:
        print_json(_summary(exercise))
        return
    _show_release(exercise)
    s = exercise.scenario
    if s.playbook:
        console.print(
            f"\nSuggested playbook: {s.playbook} "
            f"(`candor playbook apply {exercise.incident_key} {s.playbook}`)"
        )
    console.print(f"\nRelease the next inject with `candor exercise release {exercise.key}`.")


@app.command("practice")
def practice(
    key: str = typer.Argument(..., help="Key of a past incident to re-run."),
    write: Path | None = typer.Option(
        None, "--write", help="Write the generated scenario to this file (to edit, then check)."
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Re-run a past incident as practice: a scenario from its timeline, started now."""
    app_ = application()
    if write is not None:
        _, data = exercises.practice_scenario(app_.context, actor(), key)
        try:
            write.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
        except OSError as exc:
            raise InvalidInput(Problem(f"cannot write: {exc.strerror}", file=str(write))) from None
        console.print(f"Wrote {write}. Edit it, then put it in [prepare] scenarios_dir.")
        return
    exercise = exercises.start_practice(app_.context, actor(), key)
    if json:
        print_json(_summary(exercise))
        return
    _show_release(exercise)


@app.command("release")
def release(
    key: str = EXERCISE_KEY,
    inject: int | None = typer.Option(
        None,
        "--inject",
        min=1,
        help="The inject's number, as a check that you release the one you mean; refused "
        "unless it is the next one. Unset: the next one.",
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Release the next inject (facilitator)."""
    app_ = application()
    exercise = exercises.release(app_.context, actor(), key, inject=inject)
    if json:
        print_json(_summary(exercise))
        return
    _show_release(exercise)


@app.command("decide")
def decide(
    key: str = EXERCISE_KEY,
    text: str = typer.Argument(..., help="The decision, as you would write it for real."),
    meets: list[str] = typer.Option(
        [], "--meets", help="Expectation id this decision fulfils (see `report`)."
    ),
) -> None:
    """Record a participant's decision on the exercise incident's timeline."""
    app_ = application()
    entry = exercises.decide(app_.context, actor(), key, text, meets=meets)
    console.print(f"Decision recorded as timeline entry #{entry.seq}.")


@app.command("end")
def end(key: str = EXERCISE_KEY) -> None:
    """End the exercise (facilitator); unmet expectations then count as missed."""
    app_ = application()
    exercise = exercises.end(app_.context, actor(), key)
    console.print(
        f"{exercise.key} ended. Read the report: `candor exercise report {exercise.key}`."
    )


@app.command("list")
def list_(json: bool = JSON_OPTION) -> None:
    """Exercises, newest first."""
    app_ = application()
    items = exercises.list_exercises(app_.context, actor())
    if json:
        print_json([_summary(e) for e in items])
        return
    if not items:
        console.print("No exercises yet.")
        return
    for e in items:
        state = "running" if e.running else "ended"
        console.print(
            f"{e.key} [EXERCISE] {e.scenario.name} — {e.incident_key}, {state}, "
            f"{len(e.releases)}/{len(e.scenario.injects)} injects",
            markup=False,
        )


@app.command("report")
def report(key: str = EXERCISE_KEY, json: bool = JSON_OPTION) -> None:
    """The after-action report: each expectation met, late, missed, pending or not measured."""
    app_ = application()
    result = exercises.report(app_.context, actor(), key, app_.signals)
    if json:
        print_json(report_data(result))
        return
    console.print("\n".join(report_lines(result)), markup=False)


def report_data(r: AfterAction) -> dict[str, Any]:
    return prepare_views.after_action(r)


def report_lines(r: AfterAction) -> list[str]:
    score = f"{r.score}%" if r.score is not None else "no scored expectation was due yet"
    out = [
        f"{BANNER}",
        f"After-action report {r.exercise_key} ({r.scenario}): score {score}",
        f"Injects released: {r.injects_released}; decisions recorded: {r.decisions}.",
        "",
    ]
    for x in r.results:
        when = f" at minute {x.minute:g}" if x.minute is not None else ""
        out.append(
            f"  {x.outcome.value:>12}  {x.expectation.id}: {x.expectation.describe()} "
            f"(by minute {x.expectation.by}){when}"
        )
        if x.evidence:
            out.append(f"                {x.evidence}")
    if r.not_measured:
        out += [
            "",
            "Not measured (left out of the score): " + ", ".join(r.not_measured),
            "  Record a decision with --meets ID when the team did it on paper.",
        ]
    if r.lessons:
        out += ["", "Lessons:", *[f"  - {lesson}" for lesson in r.lessons]]
    out += ["", "Discussion:", *[f"  - {q}" for q in r.questions]]
    return out
