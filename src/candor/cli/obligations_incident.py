"""``candor obligations …`` in an incident: its facts, its obligations with their tracking,
filing, not-required determinations and counsel's decision, deadlines due, reminders, and the
counsel packet. These need the workspace database; ``evaluate FACTS.yaml`` does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from candor.cli.common import (
    INCIDENT_KEY,
    JSON_OPTION,
    actor,
    application,
    console,
    limit_option,
    print_json,
    when,
)
from candor.domain.errors import InvalidInput, Problem
from candor.domain.obligations.incident_facts import ENTERED_KEYS, from_text
from candor.domain.obligations.results import DISCLAIMER, iso_utc
from candor.domain.obligations.tracking import TrackedObligation, Tracking
from candor.services import obligation_tracking, obligation_views, obligations
from candor.services.obligation_reminders import send_deadline_reminders

OBLIGATION = typer.Argument(
    ..., metavar="OBLIGATION", help="Its number (3) or rule id (us-ca-individuals[@US-CA])."
)
TRACKING_WORDS = {
    Tracking.PENDING: "pending",
    Tracking.FILED: "filed",
    Tracking.NOT_REQUIRED_PROPOSED: "not required? (proposed, awaiting counsel)",
    Tracking.NOT_REQUIRED: "not required (approved by counsel)",
}


def _merge(key: str, current: object, items: list[str]) -> dict[str, object]:
    """``NAME=VALUE`` items merged into the recorded mapping; ``NAME=none`` removes one."""
    merged = dict(current) if isinstance(current, dict) else {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(Problem(f"{item!r} is not NAME=VALUE", field=f"--{key}"))
        if value.strip().lower() == "none":
            merged.pop(name.strip(), None)
            continue
        parsed = from_text(key, f"{name.strip()} {value.strip()}")
        assert isinstance(parsed, dict)
        merged.update(parsed)
    return merged


def _from_file(path: Path) -> dict[str, object]:
    from candor.adapters import yamlfile

    doc = yamlfile.load(path)
    if doc.problems:
        raise InvalidInput(doc.problems)
    if not isinstance(doc.data, dict):
        raise InvalidInput(Problem("must be a mapping of facts", file=str(path)))
    return {str(k): v for k, v in doc.data.items()}


def facts_command(
    key: str = INCIDENT_KEY,
    data_elements: str | None = typer.Option(
        None, "--data-elements", help="Comma-separated: name,ssn,email_address …"
    ),
    affected: list[str] | None = typer.Option(
        None, "--affected", metavar="PLACE=COUNT", help="People affected (repeatable; =none drops)."
    ),
    risk: str | None = typer.Option(
        None,
        "--risk",
        help="Assessed risk of harm to the people affected: unlikely, likely, high or unknown; "
        "some laws owe no notice when harm is unlikely.",
    ),
    encrypted: str | None = typer.Option(
        None, "--encrypted", help="Was the exposed data encrypted? yes or no."
    ),
    key_compromised: str | None = typer.Option(
        None,
        "--key-compromised",
        help="Was the encryption key exposed too? yes or no (encryption then does not count).",
    ),
    customers: str | None = typer.Option(
        None,
        "--customers",
        help="Comma-separated ids of the customers whose data or systems are affected (for "
        "contract rules).",
    ),
    notified: list[str] | None = typer.Option(
        None,
        "--notified",
        metavar="EVENT=TIME",
        help="A notice already given outside Candor, e.g. US-CA/individuals=2026-03-20T10:00Z "
        "(repeatable); deadlines that run from it start.",
    ),
    determination: list[str] | None = typer.Option(
        None,
        "--determination",
        metavar="NAME=yes|no|TIME",
        help="A yes/no finding a rule asks for, e.g. significant_incident=yes; a time means "
        "'yes, determined then' and can start a clock (repeatable).",
    ),
    ransom_paid_at: str | None = typer.Option(
        None,
        "--ransom-paid-at",
        metavar="TIME",
        help="When a ransom or extortion payment was made (ISO 8601); starts the clock of "
        "rules that require reporting it (NYDFS: 24 hours).",
    ),
    delay_until: str | None = typer.Option(
        None,
        "--law-enforcement-delay-until",
        metavar="TIME",
        help="Law enforcement asked that notice wait until this time (ISO 8601); rules that "
        "allow a delay move their deadlines.",
    ),
    notice_cost: str | None = typer.Option(
        None,
        "--notice-cost",
        metavar="USD",
        help="Estimated cost of notifying each person individually, in US dollars; decides "
        "whether substitute notice is allowed.",
    ),
    insufficient_contact: str | None = typer.Option(
        None,
        "--insufficient-contact",
        help="Are contact details missing for some affected people? yes or no (decides "
        "substitute notice).",
    ),
    clear: list[str] | None = typer.Option(
        None, "--clear", metavar="FACT", help="Remove a fact (back to not recorded)."
    ),
    from_file: Path | None = typer.Option(
        None,
        "--from",
        metavar="FILE.yaml",
        help="Facts from a file (the facts file's incident keys).",
    ),
    reason: str = typer.Option("", "--reason", help="Why the facts changed."),
    expected_version: int | None = typer.Option(
        None, "--expected-version", help="Refuse if the facts are no longer at this version."
    ),
    history: bool = typer.Option(False, "--history", help="Show every version."),
    json: bool = JSON_OPTION,
) -> None:
    """Show or change an incident's obligations facts (each change is a new version and the
    obligations are recomputed)."""
    app_ = application()
    ctx, who = app_.context, actor()
    changes: dict[str, object] = dict(_from_file(from_file)) if from_file else {}
    texts = {
        "data_elements": data_elements,
        "risk_of_harm": risk,
        "encrypted": encrypted,
        "encryption_key_compromised": key_compromised,
        "affected_customers": customers,
        "ransom_paid_at": ransom_paid_at,
        "law_enforcement_delay_until": delay_until,
        "notice_cost_estimate": notice_cost,
        "insufficient_contact_info": insufficient_contact,
    }
    for fact, text in texts.items():
        if text is not None:
            changes[fact] = from_text(fact, text)
    current = obligations.overview(ctx, who, key).facts
    recorded = {k: f.value for k, f in current.facts.items()} if current else {}
    for fact, items in (("affected", affected), ("notified", notified)):
        if items:
            changes[fact] = _merge(fact, recorded.get(fact), items)
    if determination:
        changes["determinations"] = _merge(
            "determinations", recorded.get("determinations"), determination
        )
    for fact in clear or []:
        changes[fact] = None
    if changes:
        done = obligations.record_facts(
            ctx, who, key, changes, reason=reason, expected_version=expected_version
        )
        if json:
            print_json(
                {
                    "changed": done.changed,
                    "facts": obligation_views.facts_version(done.facts) if done.facts else None,
                    "obligation_changes": [c.as_dict() for c in done.obligation_changes],
                }
            )
            return
        if not done.changed:
            console.print("Nothing changed.")
            return
        assert done.facts is not None
        console.print(f"{key.upper()}: facts version {done.facts.version}.", markup=False)
        for change in done.facts.changes:
            console.print(f"  {change.describe()}", markup=False)
        for item in done.obligation_changes:
            console.print(f"  obligation {item.describe()}", markup=False)
        return
    versions = obligations.facts_history(ctx, who, key)
    if json:
        shown = versions if history else versions[-1:]
        print_json({"items": [obligation_views.facts_version(v) for v in shown]})
        return
    if not versions:
        console.print(f"{key.upper()}: no facts recorded yet.", markup=False)
        return
    for version in versions if history else versions[-1:]:
        console.print(
            f"Version {version.version}, {iso_utc(version.recorded_at)} by {version.recorded_by}"
            + (f" — {version.reason}" if version.reason else ""),
            markup=False,
        )
        for name in ENTERED_KEYS:
            if name in version.facts:
                fact = version.facts[name]
                console.print(f"  {name}: {fact.value} ({fact.source.value})", markup=False)


def evaluate_incident(key: str, *, json: bool) -> None:
    """``candor obligations evaluate --incident KEY``: the incident's obligations now."""
    app_ = application()
    ctx = app_.context
    view = obligations.overview(ctx, actor(), key)
    now = ctx.clock.now()
    if view.evaluation is None:
        raise InvalidInput(Problem(view.missing or "nothing to evaluate", field="--incident"))
    by_identity = {o.computed.identity: o for o in view.active}
    if json:
        out: dict[str, Any] = view.evaluation.as_dict()
        for part in ("obligations", "duties"):
            for item in out[part]:
                ob = by_identity.get((item["rule_id"], item["jurisdiction"]))
                item["seq"] = ob.seq if ob else None
                item["tracking"] = ob.state.value if ob else None
                item["overdue"] = ob.overdue(now) if ob else item["overdue"]
        out["incident"] = view.incident.key
        out["facts_version"] = view.facts.version if view.facts else None
        out["stale"] = view.stale
        out["determinations_needed"] = obligation_views.overview(view, now=now)[
            "determinations_needed"
        ]
        print_json(out)
        return
    zone = view.profile.timezone
    console.print(
        f"Obligations of {view.incident.key} ({view.incident.title}) — facts version "
        f"{view.facts.version if view.facts else 0}",
        markup=False,
    )
    console.print(DISCLAIMER, markup=False)
    if view.stale:
        console.print(
            "The rules or settings now give other obligations than those recorded: run "
            f"`candor obligations recompute {view.incident.key}`.",
            markup=False,
        )
    for warning in view.evaluation.warnings:
        console.print(f"Warning: {warning}", markup=False)
    for ob in sorted(view.active, key=lambda o: (o.deadline is None, o.deadline or now, o.seq)):
        _print_obligation(ob, zone, now)
    if view.needed:
        console.print("\nDeterminations needed:")
        for item in view.needed:
            console.print(f"  - {item.question} ({', '.join(item.obligations)})", markup=False)
    if view.inactive:
        console.print("\nNo longer triggered:")
        for ob in view.inactive:
            console.print(f"  #{ob.seq} {ob.computed.label}: {ob.removed_reason}", markup=False)


def _print_obligation(ob: TrackedObligation, zone: str, now: Any) -> None:
    row = obligation_views.obligation(ob, now=now, org_zone=zone)
    c = ob.computed
    if row["deadline"]:
        local = row["deadline_local"]
        due = (
            f"due {row['deadline']} · {local['organization']['time']} {zone} · "
            f"{local['jurisdiction']['time']} {c.zone} · {row['time_left']}"
        )
    else:
        due = "no fixed deadline"
    out = console.print
    out(f"\n#{ob.seq} {c.rule_id} [{c.jurisdiction}] {due}", markup=False)
    out(f"     to: {c.recipient} ({c.recipient_category or c.kind})", markup=False)
    out(
        f"     status: {c.status.value.replace('_', ' ')} · tracking: {TRACKING_WORDS[ob.state]}"
        + (" · OVERDUE" if row["overdue"] else ""),
        markup=False,
    )
    out(f"     citation: {c.law} — {c.citation}", markup=False)
    review = f"     last reviewed {c.last_reviewed.isoformat()}"
    if not c.verified:
        review += " · UNVERIFIED: core facts not confirmed in a source — legal review needed"
    out(review, markup=False)
    if ob.filing and ob.state is Tracking.FILED:
        out(
            f"     filed {iso_utc(ob.filing.at)} by {ob.filing.by}: {ob.filing.reference}",
            markup=False,
        )
    if ob.determination and ob.state is not Tracking.FILED:
        d = ob.determination
        text = f"     determination by {d.proposed_by}: {d.text}"
        if d.approved_by:
            text += f" (approved by counsel {d.approved_by} {iso_utc(d.approved_at)})"
        if d.rejected_by and ob.state is Tracking.PENDING:
            text += f" (rejected by counsel {d.rejected_by}: {d.rejection})"
        out(text, markup=False)


def recompute_command(key: str = INCIDENT_KEY) -> None:
    """Recompute after the rules or the organisation's settings changed."""
    app_ = application()
    made = obligations.recompute(app_.context, actor(), key)
    if not made:
        console.print("No change.")
    for item in made:
        console.print(item.describe(), markup=False)


def file_command(
    key: str = INCIDENT_KEY,
    obligation: str = OBLIGATION,
    reference: str = typer.Option(..., "--reference", help="Confirmation, letter, receipt …"),
    at: str | None = typer.Option(
        None,
        "--at",
        metavar="TIME",
        help="When the notice was given (ISO 8601 with a zone). Unset: now.",
    ),
    attachment: str = typer.Option("", "--attachment", help="Where the evidence is."),
) -> None:
    """Record that a notice was given."""
    app_ = application()
    done = obligation_tracking.file(
        app_.context,
        actor(),
        key,
        obligation,
        filed_at=when(at, field="--at"),
        reference=reference,
        attachment=attachment,
    )
    console.print(f"#{done.seq} {done.computed.label}: filed.", markup=False)


def not_required_command(
    key: str = INCIDENT_KEY,
    obligation: str = OBLIGATION,
    text: str = typer.Option(..., "--text", help="The written determination."),
) -> None:
    """Propose that an obligation is not required; a user with the counsel role decides."""
    app_ = application()
    done = obligation_tracking.propose_not_required(
        app_.context, actor(), key, obligation, text=text
    )
    console.print(f"#{done.seq}: not required — proposed; awaiting counsel.", markup=False)


def approve_command(key: str = INCIDENT_KEY, obligation: str = OBLIGATION) -> None:
    """Approve a not-required determination (counsel only)."""
    app_ = application()
    done = obligation_tracking.approve_not_required(app_.context, actor(), key, obligation)
    console.print(f"#{done.seq}: not required — approved by {actor().username}.", markup=False)


def reject_command(
    key: str = INCIDENT_KEY,
    obligation: str = OBLIGATION,
    reason: str = typer.Option(
        ...,
        "--reason",
        help="Why notice may still be required; the proposer reads it on the obligation.",
    ),
) -> None:
    """Reject a not-required determination (counsel only): the obligation is pending again."""
    app_ = application()
    done = obligation_tracking.reject_not_required(
        app_.context, actor(), key, obligation, reason=reason
    )
    console.print(f"#{done.seq}: determination rejected; pending again.", markup=False)


def due_command(
    limit: int = limit_option(50, maximum=1000),
    json: bool = JSON_OPTION,
) -> None:
    """Open obligations of open incidents, earliest deadline first; overdue ones flagged."""
    app_ = application()
    ctx = app_.context
    now = ctx.clock.now()
    zone = app_.settings.organization.timezone
    items = obligations.upcoming(ctx, actor(), limit=limit)
    rows = [obligation_views.upcoming(item, now=now, org_zone=zone) for item in items]
    if json:
        print_json({"items": rows})
        return
    if not rows:
        console.print("No open obligations with a deadline.")
        return
    for row in rows:
        flag = " OVERDUE" if row["overdue"] else ""
        console.print(
            f"{row['incident']} #{row['seq']} {row['rule_id']} [{row['jurisdiction']}] due "
            f"{row['deadline']} ({row['time_left']}){flag} — {row['recipient']}",
            markup=False,
        )


def remind_command() -> None:
    """Send the deadline reminders due now (72, 24, 4 hours before, and overdue), once each."""
    app_ = application()
    console.print(send_deadline_reminders(app_.context, app_.clock.now()), markup=False)


def packet_command(
    key: str = INCIDENT_KEY,
    out: Path = typer.Argument(..., metavar="OUT", help="Where to write it."),
    fmt: str = typer.Option("md", "--format", help="md | docx | pdf"),
    privileged: bool = typer.Option(
        False, "--privileged", help="Mark every page privileged & confidential."
    ),
) -> None:
    """Write the counsel packet: facts, obligations, determinations needed, review dates."""
    from candor.adapters.export import reports
    from candor.adapters.export.counsel_packet import counsel_packet

    try:
        chosen = reports.Format(fmt)
    except ValueError:
        raise InvalidInput(Problem("must be md, docx or pdf", field="--format")) from None
    app_ = application()
    view = obligations.packet(app_.context, actor(), key, fmt=chosen.value, privileged=privileged)
    doc = counsel_packet(view, generated_at=app_.clock.now(), privileged=privileged)
    out.write_bytes(reports.render(doc, chosen))
    console.print(f"Wrote {out} ({chosen.value}).", markup=False)


def register(app: typer.Typer) -> None:
    app.command("facts")(facts_command)
    app.command("recompute")(recompute_command)
    app.command("file")(file_command)
    app.command("not-required")(not_required_command)
    app.command("approve")(approve_command)
    app.command("reject")(reject_command)
    app.command("due")(due_command)
    app.command("remind")(remind_command)
    app.command("packet")(packet_command)
