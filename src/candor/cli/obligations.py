"""``candor obligations …``: who must be notified, by when, with what. Needs no database."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from candor.cli import obligations_incident
from candor.cli.common import JSON_OPTION, application, console, print_json
from candor.domain.errors import InvalidInput, Problem
from candor.domain.obligations import jurisdictions
from candor.domain.obligations.engine import evaluate
from candor.domain.obligations.facts import Facts
from candor.domain.obligations.model import Rule, RuleSet
from candor.domain.obligations.reporting import describe_deadline
from candor.domain.obligations.results import DISCLAIMER, Evaluation, Finding, iso_utc
from candor.domain.obligations.vocabulary import Status

app = typer.Typer(no_args_is_help=True)

ORG_RULES_OPTION = typer.Option(
    None,
    "--org-rules",
    metavar="PATH",
    envvar="CANDOR_ORG_OBLIGATIONS",
    help="The organisation's own obligations (contracts, insurance policy): a rule file or a "
    "directory of them. Repeatable.",
)

STATUS_WORDS = {
    Status.REQUIRED: "required",
    Status.REQUIRED_UNLESS_EXCEPTION: "required unless an exception applies — counsel decides",
    Status.PENDING_TRIGGER: "pending: the clock has not started",
}


# The adapters are imported inside the commands: loading the holiday tables and rule parsers
# costs about a quarter of a second, which every other candor command would otherwise pay.


def _rules(org_rules: list[Path] | None) -> RuleSet:
    from candor.adapters import rules as rule_files

    return rule_files.load_with(list(org_rules or []))


def _rules_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            Problem(f"not a date: {value!r}", field="--rules-date", hint="YYYY-MM-DD")
        ) from None


@app.command("evaluate")
def evaluate_command(
    facts_file: Path | None = typer.Argument(
        None, metavar="[FACTS.yaml]", help="The facts file (or --incident)."
    ),
    incident: str | None = typer.Option(
        None,
        "--incident",
        metavar="KEY",
        help="Evaluate an incident's recorded facts (with its tracking) instead of a file.",
    ),
    rules_date: str | None = typer.Option(
        None,
        "--rules-date",
        "--at-rules-date",
        metavar="YYYY-MM-DD",
        help="Apply the rules in force on this date instead of those in force on the awareness "
        "date (to compare before and after a change in the law).",
    ),
    org_rules: list[Path] | None = ORG_RULES_OPTION,
    show_all: bool = typer.Option(
        False, "--all", help="List every rule not triggered, not only those for named places."
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Work out the notification obligations the facts trigger, with deadlines and citations."""
    from candor.adapters import calendars
    from candor.adapters import rules as rule_files

    if incident is not None:
        if facts_file is not None or rules_date is not None or org_rules:
            raise InvalidInput(
                Problem(
                    "--incident evaluates the incident's own facts with the workspace's rules; "
                    "give no FACTS.yaml, --rules-date or --org-rules with it",
                    field="--incident",
                )
            )
        obligations_incident.evaluate_incident(incident, json=json)
        return
    if facts_file is None:
        raise InvalidInput(Problem("give a FACTS.yaml file or --incident KEY", field="FACTS.yaml"))

    ruleset = _rules(org_rules)
    facts = rule_files.load_facts(facts_file, ruleset)
    app_ = application(require_schema=False)
    result = evaluate(
        facts,
        ruleset,
        calendars=calendars.HolidayCalendars(),
        rules_date=_rules_date(rules_date),
        now=app_.clock.now(),
        organization_timezone=app_.settings.organization.timezone,
    )
    if json:
        print_json(result.as_dict())
        return
    _print_evaluation(result, show_all=show_all, named=_named_places(result, facts))


def _named_places(result: Evaluation, facts: Facts) -> set[str]:
    """The places the facts name, and the rule jurisdictions that cover them: the rules not
    triggered there are the ones worth explaining."""
    places = set(facts.incident.affected) | set(facts.organization.establishments)
    places |= {f.jurisdiction for f in result.obligations}
    countries = {code.split("-", 1)[0] for code in places}
    places |= countries
    if countries & set(jurisdictions.EEA):
        places.add("EU")
    return places


def _when(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %Y-%m-%d %H:%M} {zone}"


def _print_evaluation(result: Evaluation, *, show_all: bool, named: set[str]) -> None:
    out = console.print
    aware = iso_utc(result.aware_at)
    rules_on = result.rules_date.isoformat() if result.rules_date else "the awareness date (local)"
    out(f"Obligations for {result.organization} — aware {aware}; rules in force on {rules_on}")
    out(DISCLAIMER, markup=False)
    for warning in result.warnings:
        out(f"Warning: {warning}", markup=False)
    counts = {status: sum(f.status is status for f in result.obligations) for status in Status}
    out(
        f"\n{len(result.obligations)} obligations: {counts[Status.REQUIRED]} required, "
        f"{counts[Status.REQUIRED_UNLESS_EXCEPTION]} required unless an exception applies, "
        f"{counts[Status.PENDING_TRIGGER]} pending a trigger."
    )
    for number, finding in enumerate(result.obligations, 1):
        _print_finding(number, finding, result.organization_zone)
    if result.duties:
        out("\nInternal duties (assessments and records):")
        for number, finding in enumerate(result.duties, 1):
            _print_finding(number, finding, result.organization_zone)
    shown = [
        s
        for s in result.not_triggered
        if show_all or s.jurisdiction in named or _nearby(s.jurisdiction, named)
    ]
    out(
        f"\nNot triggered: {len(result.not_triggered)} rules"
        + ("" if show_all else f" ({len(shown)} shown for the places above; --all lists every one)")
    )
    for skipped in shown:
        out(
            f"  - {skipped.rule.id} ({skipped.jurisdiction}, reviewed "
            f"{skipped.rule.last_reviewed.isoformat()}"
            f"{', UNVERIFIED' if not skipped.rule.verified else ''}): {skipped.reason}",
            markup=False,
        )


def _nearby(code: str, named: set[str]) -> bool:
    return code in ("INTL", "ORG") or any(jurisdictions.within(place, code) for place in named)


def _print_finding(number: int, finding: Finding, org_zone: str) -> None:
    out = console.print
    rule = finding.rule
    if finding.deadline is not None:
        due = (
            f"due {iso_utc(finding.deadline)} · {_when(finding.deadline, org_zone)} · "
            f"{_when(finding.deadline, finding.zone)}"
        )
        if finding.overdue:
            due += " · OVERDUE"
    else:
        due = "no fixed deadline"
    category = rule.recipient_category.value if rule.recipient_category else "internal"
    out(f"\n{number:>3}. {rule.id} [{finding.jurisdiction}] {due}", markup=False)
    out(f"     to: {rule.recipient} ({category})", markup=False)
    out(f"     status: {STATUS_WORDS[finding.status]}", markup=False)
    out(f"     deadline: {finding.deadline_rule}", markup=False)
    if rule.deadline.standard:
        out(f"     standard: {rule.deadline.standard}", markup=False)
    out(f"     citation: {rule.law} — {rule.citation}", markup=False)
    review = f"     last reviewed {rule.last_reviewed.isoformat()}"
    if not rule.verified:
        review += " · UNVERIFIED: core facts not confirmed in a source — legal review needed"
    if rule.unverified:
        review += " · unverified details: " + ", ".join(rule.unverified)
    out(review, markup=False)
    out(f"     why: {'. '.join(finding.rationale)}", markup=False)
    if finding.notified_at is not None:
        out(f"     notice recorded: {iso_utc(finding.notified_at)}", markup=False)
    if finding.substitute is not None:
        available = {True: "available", False: "not available", None: "undetermined"}
        out(
            f"     substitute notice: {available[finding.substitute.available]} "
            f"({finding.substitute.reason})",
            markup=False,
        )
    if rule.content_required:
        out("     content: " + "; ".join(rule.content_required), markup=False)


def _rule_row(rule: Rule) -> dict[str, object]:
    return {
        "rule_id": rule.id,
        "reference_id": rule.reference,
        "regime": rule.regime,
        "jurisdiction": rule.jurisdiction,
        "kind": rule.kind.value,
        "recipient_category": rule.recipient_category.value if rule.recipient_category else None,
        "recipient": rule.recipient,
        "deadline_rule": describe_deadline(rule.deadline),
        "citation": rule.citation,
        "law": rule.law,
        "conditions": [c.describe() for c in rule.conditions],
        "exceptions": [e.describe() for e in rule.exceptions],
        "effective_from": rule.effective_from.isoformat() if rule.effective_from else None,
        "effective_until": rule.effective_until.isoformat() if rule.effective_until else None,
        "in_force": rule.in_force,
        "verified": rule.verified,
        "unverified": list(rule.unverified),
        "last_reviewed": rule.last_reviewed.isoformat(),
        "file": rule.file,
    }


@app.command("rules")
def rules_command(
    jurisdiction: str | None = typer.Option(
        None,
        "--jurisdiction",
        metavar="CODE",
        help="Only rules of this jurisdiction (US-CA, EU …).",
    ),
    regime: str | None = typer.Option(None, "--regime", help="Only rules of this regime."),
    org_rules: list[Path] | None = ORG_RULES_OPTION,
    json: bool = JSON_OPTION,
) -> None:
    """List the rules with their deadlines, review dates and verification state."""
    ruleset = _rules(org_rules)
    selected = [
        rule
        for rule in ruleset.all()
        if (jurisdiction is None or rule.jurisdiction.upper() == jurisdiction.upper())
        and (regime is None or rule.regime == regime)
    ]
    if jurisdiction is not None and not selected:
        known = sorted({rule.jurisdiction for rule in ruleset.all()})
        raise InvalidInput(
            Problem(
                f"no rules for {jurisdiction!r}; jurisdictions with rules: {', '.join(known)}",
                field="--jurisdiction",
            )
        )
    if json:
        print_json({"disclaimer": DISCLAIMER, "rules": [_rule_row(rule) for rule in selected]})
        return
    console.print(DISCLAIMER, markup=False)
    console.print(f"{len(selected)} rules", markup=False)
    for rule in selected:
        flags = "" if rule.verified else " UNVERIFIED"
        if rule.unverified:
            flags += f" (unverified details: {', '.join(rule.unverified)})"
        window = ""
        if rule.effective_from or rule.effective_until:
            start = rule.effective_from.isoformat() if rule.effective_from else "…"
            end = rule.effective_until.isoformat() if rule.effective_until else "…"
            window = f" in force {start} to {end}"
        if not rule.in_force:
            window = " NOT IN FORCE"
        category = rule.recipient_category.value if rule.recipient_category else rule.kind.value
        console.print(
            f"{rule.id} [{rule.jurisdiction}] {category}: {rule.recipient}\n"
            f"    {describe_deadline(rule.deadline)} · {rule.citation} · reviewed "
            f"{rule.last_reviewed.isoformat()}{window}{flags}",
            markup=False,
        )


@app.command("check-rules")
def check_rules_command(
    paths: list[Path] | None = typer.Argument(
        None,
        metavar="[PATH]...",
        help="Rule files or directories (default: the built-in rules). Files are checked "
        "together with the built-in rules, so references between them resolve.",
    ),
) -> None:
    """Validate rule files and report every problem with file:line:column."""
    from candor.adapters import rules as rule_files

    builtin = rule_files.rule_files(rule_files.builtin_dir())
    chosen = [f for path in paths or [] for f in rule_files.rule_files(path)]
    extra = [f for f in chosen if f.resolve() not in {b.resolve() for b in builtin}]
    ruleset = rule_files.load(builtin + extra)
    checked = chosen or builtin
    versions = sum(1 for rule in ruleset.all() if rule.file in {_shown(p) for p in checked})
    console.print(
        f"OK: {len(checked)} rule file(s), {versions} rule versions, no problems.", markup=False
    )


def _shown(path: Path) -> str:
    from candor.adapters import rules as rule_files

    return rule_files.display(path)


obligations_incident.register(app)
