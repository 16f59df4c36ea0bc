"""JSON-ready views of reports and triage assessments: the API and the CLI's ``--json`` use the
same field names (see ``views``)."""

from __future__ import annotations

from typing import Any

from candor.domain.assessments import StoredAssessment
from candor.domain.reports import Decryption, Report
from candor.domain.retriage import TriageChange
from candor.services import export
from candor.services.ports_intake import ReportFilter, intake
from candor.services.views import instant


def report_summary(item: Report) -> dict[str, Any]:
    first = next((line.strip() for line in item.submission.what_happened.splitlines()), "")
    return {
        "key": item.key,
        "status": item.status.value,
        "channel": item.channel.value,
        "received_at": instant(item.received_at),
        "encrypted": item.submission.encrypted,
        "excerpt": first[:200],
        "incident_key": item.incident_key,
        "version": item.version,
    }


def report(item: Report, decryptions: list[Decryption] | None = None) -> dict[str, Any]:
    s = item.submission
    return {
        **report_summary(item),
        "what_happened": s.what_happened,
        "how_found": s.how_found,
        "affected": s.affected,
        "reporter_name": s.reporter_name,
        "reporter_email": s.reporter_email,
        "pgp_message": s.pgp_message,
        "client_network": item.client_network,
        "submitted_by": item.submitted_by,
        "acknowledged_at": instant(item.acknowledged_at),
        "acknowledged_by": item.acknowledged_by,
        "handled_at": instant(item.handled_at),
        "handled_by": item.handled_by,
        "decline_reason": item.decline_reason,
        "decryptions": [decryption(d) for d in decryptions or []],
    }


def decryption(item: Decryption) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "decrypted_at": instant(item.decrypted_at),
        "decrypted_by": item.decrypted_by,
        "key_fingerprint": item.key_fingerprint,
        "plaintext": item.plaintext,
        "binary": item.binary,
    }


def assessment(stored: StoredAssessment) -> dict[str, Any]:
    a = stored.assessment
    return {
        "version": stored.version,
        "assessed_at": instant(a.assessed_at),
        "assessed_by": a.assessed_by,
        "note": a.note,
        "answers": a.answers.as_dict(),
        **a.result.as_dict(),
    }


def change(item: TriageChange) -> dict[str, Any]:
    return {**item.as_data(), "summary": item.summary()}


def _export_reports(r: export.Request) -> Any:
    """The reports promoted into the incident, as the reporter sent them, with who decrypted
    them and the decrypted text."""
    if getattr(r.uow, "reports", None) is None:
        return None
    repo = intake(r.uow).reports
    found = repo.list(ReportFilter(incident_key=r.incident.key, limit=10_000))
    return [report(item, repo.decryptions(item.id)) for item in reversed(found)]


def _export_triage(r: export.Request) -> Any:
    """Every triage assessment, oldest first."""
    if getattr(r.uow, "assessments", None) is None:
        return None
    return [assessment(a) for a in intake(r.uow).assessments.list(r.incident.id)]


export.register_exporter("reports", _export_reports)
export.register_exporter("triage", _export_triage)
