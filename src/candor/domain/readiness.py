"""The readiness score: how prepared the organisation is for its next incident, check by check.

Each check has an id, a title, a weight, a status (``pass``, ``warn``, ``fail`` or
``not_measured``), a detail saying what was found, and how to fix it. The score is the weighted
share of credit (pass 1, warn ½, fail 0) over the checks that could be measured; checks that
cannot be measured yet (a feature not built, data not kept) are listed and left out, never
guessed. Pure: the service gathers ``Facts`` through ports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from candor.domain.contacts import Category, Contact
from candor.domain.retro_items import ActionItem
from candor.domain.securitytxt import Report
from candor.domain.vocabulary import require_aware

TABLETOP_EVERY = timedelta(days=183)  # six months
RETAINER_WARN_WITHIN = timedelta(days=30)
COVERAGE_PASS = 0.95
COVERAGE_WARN = 0.80
OVERDUE_FAIL_OVER = 3


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a check status, not a password
    WARN = "warn"
    FAIL = "fail"
    NOT_MEASURED = "not_measured"


CREDIT: dict[Status, float] = {Status.PASS: 1.0, Status.WARN: 0.5, Status.FAIL: 0.0}


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    title: str
    weight: int
    status: Status
    detail: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class Coverage:
    """A share measured by another feature: ``covered`` of ``total`` (e.g. customers with a
    verified contact address)."""

    covered: int
    total: int

    @property
    def share(self) -> float:
        return self.covered / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class Facts:
    now: datetime
    response_plan: str | None  # where the written plan lives (settings), if recorded
    playbooks: int  # valid playbooks loaded
    playbook_problems: Sequence[str]  # what is wrong with the playbook files, if anything
    designated_leads: Sequence[str]  # people named in settings as incident leads
    recent_leads: Sequence[str]  # people who led an incident in the last 180 days
    contacts: Sequence[Contact]
    cyber_insurance: bool  # False when the organisation says it holds no cyber policy
    customer_contacts: Coverage | None  # None: not measured
    inventory: Coverage | None  # None: not measured
    last_exercise_at: datetime | None
    action_items: Sequence[ActionItem] | None  # None: not measured
    security_txt: Report | None
    security_txt_problem: str = ""  # why no security.txt could be built from the settings


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: tuple[Check, ...]
    score: int | None  # percent over measured checks; None when none could be measured
    measured_weight: int
    total_weight: int


WEIGHTS: dict[str, int] = {
    "response_plan": 10,
    "leads_named": 10,
    "contacts_verified": 10,
    "retainers": 15,
    "insurer_notice": 10,
    "customer_contacts": 15,
    "inventory_coverage": 10,
    "tabletop_recent": 10,
    "action_items": 5,
    "security_txt": 5,
}


def assess(facts: Facts) -> Readiness:
    now = require_aware(facts.now, field="now")
    checks = (
        _plan(facts),
        _leads(facts),
        _contacts_verified(facts, now),
        _retainers(facts, now),
        _insurer(facts),
        _coverage(
            "customer_contacts",
            "Customers with a verified contact",
            facts.customer_contacts,
            "customers have a verified contact address",
            "Verify customers' security contacts (a confirmation e-mail) before you need them.",
            "the customer directory belongs to the communications feature, not installed here",
        ),
        _coverage(
            "inventory_coverage",
            "Inventory coverage",
            facts.inventory,
            "systems in the inventory record the data they hold",
            "Record for each system the data elements it holds and whose secrets it stores.",
            "the data inventory is not installed here",
        ),
        _tabletop(facts, now),
        _action_items(facts, now),
        _security_txt(facts),
    )
    measured = [c for c in checks if c.status in CREDIT]
    measured_weight = sum(c.weight for c in measured)
    score = (
        round(100 * sum(c.weight * CREDIT[c.status] for c in measured) / measured_weight)
        if measured_weight
        else None
    )
    return Readiness(checks, score, measured_weight, sum(c.weight for c in checks))


def _check(id: str, title: str, status: Status, detail: str, fix: str = "") -> Check:
    return Check(id, title, WEIGHTS[id], status, detail, "" if status is Status.PASS else fix)


def _plan(f: Facts) -> Check:
    title = "Response plan and playbooks"
    fix = (
        "Write down the plan (phases, roles, whom to call) and record where it lives in "
        "candor.toml ([prepare] response_plan); keep a playbook per kind of incident."
    )
    if f.playbook_problems:
        return _check(
            "response_plan",
            title,
            Status.FAIL,
            f"{len(f.playbook_problems)} problem(s) in the playbook files; first: "
            f"{f.playbook_problems[0]}",
            "Run `candor playbook check` and fix every problem it lists.",
        )
    if f.playbooks == 0:
        return _check("response_plan", title, Status.FAIL, "no playbooks", fix)
    if not f.response_plan:
        return _check(
            "response_plan",
            title,
            Status.WARN,
            f"{f.playbooks} playbooks; no written response plan recorded",
            fix,
        )
    return _check(
        "response_plan", title, Status.PASS, f"plan at {f.response_plan}; {f.playbooks} playbooks"
    )


def _leads(f: Facts) -> Check:
    title = "Incident leads named"
    fix = (
        "Name at least two people who can lead a response (candor.toml [prepare] "
        "incident_leads), so one can lead while the other investigates."
    )
    named = sorted(set(f.designated_leads))
    if len(named) >= 2:
        return _check("leads_named", title, Status.PASS, "designated: " + ", ".join(named))
    if len(named) == 1:
        return _check(
            "leads_named",
            title,
            Status.WARN,
            f"only {named[0]} is designated: nobody to lead when they investigate or are away",
            fix,
        )
    recent = sorted(set(f.recent_leads))
    if recent:
        return _check(
            "leads_named",
            title,
            Status.WARN,
            "nobody designated; led recent incidents: " + ", ".join(recent),
            fix,
        )
    return _check("leads_named", title, Status.FAIL, "nobody designated or recently leading", fix)


def _contacts_verified(f: Facts, now: datetime) -> Check:
    title = "Contacts verified in the last 180 days"
    fix = "Call or write each contact, check the people and numbers, then `candor contact verify`."
    if not f.contacts:
        return _check("contacts_verified", title, Status.FAIL, "the directory is empty", fix)
    stale = sorted(c.handle for c in f.contacts if c.is_stale(now))
    fresh = len(f.contacts) - len(stale)
    detail = f"{fresh} of {len(f.contacts)} verified"
    if stale:
        detail += "; stale: " + ", ".join(stale)
    if not stale:
        status = Status.PASS
    elif fresh * 2 >= len(f.contacts):
        status = Status.WARN
    else:
        status = Status.FAIL
    return _check("contacts_verified", title, status, detail, fix)


def _retainers(f: Facts, now: datetime) -> Check:
    title = "Counsel and forensics retainers"
    today = now.date()
    found: list[str] = []
    missing: list[str] = []
    expiring: list[str] = []
    for category in (Category.OUTSIDE_COUNSEL, Category.FORENSICS):
        active = [
            c
            for c in f.contacts
            if c.category is category and c.details.retainer and c.details.retainer.active(today)
        ]
        label = category.value.replace("_", " ")
        if not active:
            missing.append(label)
            continue
        found.append(f"{label}: {', '.join(c.handle for c in active)}")
        soon = [
            c.handle
            for c in active
            if c.details.retainer
            and c.details.retainer.expires_on is not None
            and c.details.retainer.expires_on - today < RETAINER_WARN_WITHIN
        ]
        if len(soon) == len(active):
            expiring.append(f"{label} retainer expires within 30 days ({', '.join(soon)})")
    fix = (
        "Agree retainers with a breach-counsel firm and a forensics firm before you need them "
        "(or at least the terms), and record them on the contacts."
    )
    parts = found + [f"no active retainer: {m}" for m in missing] + expiring
    if len(missing) == 2:
        status = Status.FAIL
    elif missing or expiring:
        status = Status.WARN
    else:
        status = Status.PASS
    return _check("retainers", title, status, "; ".join(parts), fix)


def _insurer(f: Facts) -> Check:
    title = "Insurer notice terms recorded"
    if not f.cyber_insurance:
        return _check(
            "insurer_notice", title, Status.PASS, "no cyber-insurance policy (per settings)"
        )
    insurers = [c for c in f.contacts if c.category is Category.INSURER]
    fix = (
        "Add the insurer to the contacts with its notice clause (the text and the hours), "
        "or set [prepare] cyber_insurance = false if there is no policy."
    )
    if not insurers:
        return _check("insurer_notice", title, Status.FAIL, "no insurer in the directory", fix)
    with_terms = [c for c in insurers if c.details.notice and c.details.notice.hours]
    if not with_terms:
        return _check(
            "insurer_notice",
            title,
            Status.WARN,
            "insurer recorded without its notice clause: " + ", ".join(c.handle for c in insurers),
            fix,
        )
    best = with_terms[0]
    assert best.details.notice is not None
    return _check(
        "insurer_notice",
        title,
        Status.PASS,
        f"{best.handle}: notice within {best.details.notice.hours} hours",
    )


def _coverage(
    id: str, title: str, value: Coverage | None, what: str, fix: str, absent: str
) -> Check:
    if value is None:
        return _check(id, title, Status.NOT_MEASURED, f"not measured yet: {absent}", fix)
    if value.total == 0:
        return _check(id, title, Status.FAIL, f"nothing recorded: 0 {what.split(' ')[0]}", fix)
    share = value.share
    detail = f"{value.covered} of {value.total} {what} ({share:.0%})"
    if share >= COVERAGE_PASS:
        status = Status.PASS
    elif share >= COVERAGE_WARN:
        status = Status.WARN
    else:
        status = Status.FAIL
    return _check(id, title, status, detail, fix)


def _tabletop(f: Facts, now: datetime) -> Check:
    title = "Tabletop exercise in the last six months"
    fix = "Run a one-hour tabletop: `candor exercise list-scenarios`, then `candor exercise start`."
    if f.last_exercise_at is None:
        return _check("tabletop_recent", title, Status.FAIL, "no exercise on record", fix)
    age = now - f.last_exercise_at
    detail = f"last exercise {f.last_exercise_at.date().isoformat()} ({age.days} days ago)"
    if age <= TABLETOP_EVERY:
        return _check("tabletop_recent", title, Status.PASS, detail)
    status = Status.WARN if age <= 2 * TABLETOP_EVERY else Status.FAIL
    return _check("tabletop_recent", title, status, detail, fix)


def _action_items(f: Facts, now: datetime) -> Check:
    title = "No overdue retro action items"
    fix = "Finish, re-plan or close (won't do, with a reason) each overdue action item."
    if f.action_items is None:
        return _check(
            "action_items",
            title,
            Status.NOT_MEASURED,
            "not measured yet: retros are not stored in this installation",
            fix,
        )
    overdue = [i for i in f.action_items if i.is_overdue(now)]
    if not overdue:
        open_count = sum(1 for i in f.action_items if i.status.is_open)
        return _check("action_items", title, Status.PASS, f"none overdue ({open_count} open)")
    status = Status.FAIL if len(overdue) > OVERDUE_FAIL_OVER else Status.WARN
    names = ", ".join(f"{i.title} (due {i.due_on})" for i in overdue[:5])
    return _check("action_items", title, status, f"{len(overdue)} overdue: {names}", fix)


def _security_txt(f: Facts) -> Check:
    title = "security.txt valid"
    fix = (
        "Set [security_txt] contact and expires in candor.toml; "
        "check with `candor securitytxt check`."
    )
    report = f.security_txt
    if report is None:
        return _check(
            "security_txt", title, Status.FAIL, f.security_txt_problem or "not configured", fix
        )
    if not report.valid:
        return _check("security_txt", title, Status.FAIL, str(report.errors[0]), fix)
    if report.warnings:
        return _check("security_txt", title, Status.WARN, str(report.warnings[0]), fix)
    expires = report.expires.date().isoformat() if report.expires else "?"
    return _check("security_txt", title, Status.PASS, f"valid; expires {expires}")
