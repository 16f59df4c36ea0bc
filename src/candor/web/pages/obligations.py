"""Obligations on the incident page (a section) and the dashboard (a panel): the facts form, the
obligations with deadlines and countdowns, filing, not-required determinations and counsel's
decision, and the counsel packet download. Everything is readable without JavaScript; the
script only turns the deadlines' "time left" into a live countdown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from candor.adapters.export import reports
from candor.adapters.export.counsel_packet import counsel_packet
from candor.domain.access import OrgRole
from candor.domain.errors import CandorError, InvalidInput, NotFound, Problem
from candor.domain.incidents import Incident
from candor.domain.obligations.incident_facts import ENTERED_KEYS, from_text, to_text
from candor.domain.obligations.reminders import left
from candor.domain.obligations.results import DISCLAIMER
from candor.domain.obligations.tracking import TrackedObligation, Tracking
from candor.domain.obligations.vocabulary import DataElement, Determination, RiskLevel
from candor.services import obligation_tracking, obligations
from candor.web.deps import Caller, Seq, checked_form, context, page_auth
from candor.web.pages.common import NOTICES, optional_int, optional_time, redirect
from candor.web.pages.incidents import DASHBOARD_PANELS, INCIDENT_SECTIONS, incident_page

router = APIRouter()

NOTICES.update(
    {
        "obligation-facts": "Facts recorded; obligations recomputed.",
        "obligation-facts-same": "Nothing changed in the facts.",
        "obligation-recomputed": "Obligations recomputed.",
        "obligation-filed": "Filing recorded.",
        "obligation-proposed": "Not-required determination proposed; counsel decides.",
        "obligation-approved": "Not-required determination approved.",
        "obligation-rejected": "Not-required determination rejected; the obligation is pending.",
    }
)
STATUS_WORDS = {
    "required": "required",
    "required_unless_exception": "required unless an exception applies",
    "pending_trigger": "pending: clock not started",
}
TRACKING_WORDS = {
    Tracking.PENDING: "pending",
    Tracking.FILED: "filed",
    Tracking.NOT_REQUIRED_PROPOSED: "not required? awaiting counsel",
    Tracking.NOT_REQUIRED: "not required (counsel)",
}
# the form's text fields; data elements and the yes/no/unknown answers have their own inputs
TEXT_FIELDS = (
    "affected",
    "affected_customers",
    "notified",
    "ransom_paid_at",
    "law_enforcement_delay_until",
    "notice_cost_estimate",
)
CHOICE_FIELDS = ("encrypted", "encryption_key_compromised", "insufficient_contact_info")


def local(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"


def _row(ob: TrackedObligation, *, now: datetime, org_zone: str, counsel: bool) -> dict[str, Any]:
    c = ob.computed
    deadline = c.deadline
    return {
        "ob": ob,
        "c": c,
        "status": STATUS_WORDS.get(c.status.value, c.status.value),
        "tracking": TRACKING_WORDS[ob.state],
        "utc": f"{deadline:%Y-%m-%d %H:%M} UTC" if deadline else None,
        "org": local(deadline, org_zone) if deadline else None,
        "place": local(deadline, c.zone) if deadline else None,
        "iso": deadline.isoformat().replace("+00:00", "Z") if deadline else None,
        "left": left(deadline, now) if deadline else None,
        "retention": c.retention,
        "overdue": ob.overdue(now),
        "rationale": c.detail.get("rationale"),
        "content": c.detail.get("content_required") or [],
        "can_file": ob.is_open,
        "can_propose": ob.active and ob.state is Tracking.PENDING,
        "can_decide": ob.active and ob.state is Tracking.NOT_REQUIRED_PROPOSED and counsel,
    }


def _form(view: obligations.Overview) -> dict[str, str]:
    facts = view.facts.facts if view.facts else {}
    return {key: to_text(key, facts[key].value) if key in facts else "" for key in ENTERED_KEYS}


def section(request: Request, caller: Caller, incident: Incident) -> dict[str, Any]:
    ctx = context(request)
    view = obligations.overview(ctx, caller.actor, incident.key)
    now = ctx.clock.now()
    zone = view.profile.timezone
    counsel = caller.actor.role is OrgRole.COUNSEL
    facts = view.facts.facts if view.facts else {}
    return {
        "id": "obligations",
        "title": "Notification obligations",
        "template": "obligations_section.html",
        "view": view,
        "disclaimer": DISCLAIMER,
        "rows": [_row(o, now=now, org_zone=zone, counsel=counsel) for o in _by_deadline(view)],
        "inactive": view.inactive,
        "overdue": sum(1 for o in view.active if o.overdue(now)),
        "reviews": sorted({o.computed.last_reviewed.isoformat() for o in view.obligations}),
        "unverified": sum(1 for o in view.active if not o.computed.verified),
        "history": list(reversed(obligations.facts_history(ctx, caller.actor, incident.key))),
        "form": _form(view),
        "sources": {k: f.source.value for k, f in facts.items()},
        "elements": [e.value for e in DataElement],
        "risks": [r.value for r in RiskLevel],
        "determinations": [d.value for d in Determination],
        "dets": _determinations(view),
        "counsel": counsel,
        "zone": zone,
    }


def _by_deadline(view: obligations.Overview) -> list[TrackedObligation]:
    """Earliest deadline first; those without a fixed deadline after, by number."""
    return sorted(view.active, key=lambda o: (o.deadline is None, o.deadline or 0, o.seq))


def _determinations(view: obligations.Overview) -> dict[str, tuple[str, str]]:
    """Each recorded determination as the form shows it: (yes|no, the time determined)."""
    fact = view.facts.facts.get("determinations") if view.facts else None
    out: dict[str, tuple[str, str]] = {}
    for name, value in (fact.value if fact else {}).items():
        if isinstance(value, bool):
            out[name] = ("yes" if value else "no", "")
        else:
            out[name] = ("yes", str(value))
    return out


def panel(request: Request, caller: Caller) -> dict[str, Any] | None:
    ctx = context(request)
    items = obligations.upcoming(ctx, caller.actor, limit=15)
    if not items:
        return None
    now = ctx.clock.now()
    zone = request.app.state.candor.settings.organization.timezone
    rows = [
        {"incident": u.incident, **_row(u.obligation, now=now, org_zone=zone, counsel=False)}
        for u in items
    ]
    return {
        "title": "Notification deadlines",
        "template": "obligations_panel.html",
        "rows": rows,
        "overdue": sum(1 for r in rows if r["overdue"]),
    }


INCIDENT_SECTIONS.append(section)
DASHBOARD_PANELS.append(panel)


def _act(
    request: Request,
    caller: Caller,
    key: str,
    form: dict[str, str],
    name: str,
    action: Callable[[], str],
) -> Response:
    """Run a form's action; on a user error show the incident page again with the message."""
    try:
        notice = action()
    except NotFound:
        raise
    except CandorError as exc:
        return incident_page(
            request,
            caller,
            key,
            status_code=exc.status,
            problems=exc.problems_list(),
            error=exc.message,
            failed_form=name,
            values=form,
        )
    return redirect(f"/incidents/{key.upper()}", notice=notice, anchor="obligations")


def form_changes(form: dict[str, str]) -> dict[str, object]:
    """The facts form as changes: every fact the form shows, empty meaning "not recorded"."""
    problems: list[Problem] = []
    changes: dict[str, object] = {}

    def read(key: str, text: str) -> None:
        try:
            changes[key] = from_text(key, text)
        except InvalidInput as exc:
            problems.extend(exc.problems)

    read(
        "data_elements", " ".join(e for e in (d.value for d in DataElement) if form.get(f"de-{e}"))
    )
    for key in TEXT_FIELDS:
        read(key, form.get(key, ""))
    for key in CHOICE_FIELDS:
        read(key, form.get(key, ""))
    changes["risk_of_harm"] = form.get("risk_of_harm", "").strip() or None
    determinations = []
    for name in (d.value for d in Determination):
        answer = form.get(f"det-{name}", "").strip()
        at = form.get(f"det-{name}-at", "").strip()
        if answer == "yes" and at:
            determinations.append(f"{name} {at}")
        elif answer in ("yes", "no"):
            determinations.append(f"{name} {answer}")
    read("determinations", "\n".join(determinations))
    if problems:
        raise InvalidInput(problems)
    return changes


@router.post("/incidents/{key}/obligations/facts")
def record_facts(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> str:
        done = obligations.record_facts(
            context(request),
            caller.actor,
            key,
            form_changes(form),
            reason=form.get("reason", ""),
            expected_version=optional_int(form, "facts_version"),
        )
        return "obligation-facts" if done.changed else "obligation-facts-same"

    return _act(request, caller, key, form, "obligation-facts", action)


@router.post("/incidents/{key}/obligations/recompute")
def recompute(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> str:
        obligations.recompute(context(request), caller.actor, key)
        return "obligation-recomputed"

    return _act(request, caller, key, form, "obligation-recompute", action)


@router.post("/incidents/{key}/obligations/{seq}/file")
def file(
    request: Request,
    key: str,
    seq: Seq,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> str:
        obligation_tracking.file(
            context(request),
            caller.actor,
            key,
            str(seq),
            filed_at=optional_time(form, "filed_at"),
            reference=form.get("reference", ""),
            attachment=form.get("attachment", ""),
        )
        return "obligation-filed"

    return _act(request, caller, key, form, f"obligation-file-{seq}", action)


@router.post("/incidents/{key}/obligations/{seq}/not-required")
def propose(
    request: Request,
    key: str,
    seq: Seq,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> str:
        obligation_tracking.propose_not_required(
            context(request), caller.actor, key, str(seq), text=form.get("determination", "")
        )
        return "obligation-proposed"

    return _act(request, caller, key, form, f"obligation-propose-{seq}", action)


@router.post("/incidents/{key}/obligations/{seq}/approve")
def approve(
    request: Request,
    key: str,
    seq: Seq,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> str:
        obligation_tracking.approve_not_required(context(request), caller.actor, key, str(seq))
        return "obligation-approved"

    return _act(request, caller, key, form, f"obligation-decide-{seq}", action)


@router.post("/incidents/{key}/obligations/{seq}/reject")
def reject(
    request: Request,
    key: str,
    seq: Seq,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> str:
        obligation_tracking.reject_not_required(
            context(request), caller.actor, key, str(seq), reason=form.get("reason", "")
        )
        return "obligation-rejected"

    return _act(request, caller, key, form, f"obligation-decide-{seq}", action)


MEDIA = {
    reports.Format.MARKDOWN: "text/markdown; charset=utf-8",
    reports.Format.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    reports.Format.PDF: "application/pdf",
}


def packet_response(
    request: Request, caller: Caller, key: str, fmt: str, privileged: bool
) -> Response:
    try:
        chosen = reports.Format(fmt)
    except ValueError:
        raise InvalidInput(Problem("format must be md, docx or pdf", field="format")) from None
    ctx = context(request)
    view = obligations.packet(ctx, caller.actor, key, fmt=chosen.value, privileged=privileged)
    doc = counsel_packet(view, generated_at=ctx.clock.now(), privileged=privileged)
    name = f"{view.incident.key}-obligations.{chosen.value}"
    return Response(
        reports.render(doc, chosen),
        media_type=MEDIA[chosen],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/incidents/{key}/obligations/packet.{fmt}")
def packet(
    request: Request,
    key: str,
    fmt: str,
    privileged: bool = Query(False),
    caller: Caller = Depends(page_auth),
) -> Response:
    return packet_response(request, caller, key, fmt, privileged)
