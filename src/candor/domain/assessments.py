"""Triage assessments kept with an incident: numbered versions, stored as plain data.

Each time responders answer the questionnaire for an incident, the answers and the result (as
the policy of that day decided it) are kept as a new version; ``retriage.compare`` between a
version and the one before writes the timeline entry. The result is stored as evaluated, not
recomputed on reading: a later change of policy must not rewrite what the team saw and decided.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from candor.domain.errors import InvalidInput, Problem
from candor.domain.retriage import Assessment
from candor.domain.triage import QUESTIONS, Scale
from candor.domain.triage_policy import FiredRule, Reason, TriageResult
from candor.domain.vocabulary import Kind, Severity

NOTE_MAX = 2_000
NONE_MARK = "__none__"  # a set question answered "none of these" (form value)


@dataclass(frozen=True, slots=True)
class StoredAssessment:
    id: uuid.UUID
    incident_id: uuid.UUID
    version: int
    assessment: Assessment

    @property
    def result(self) -> TriageResult:
        return self.assessment.result


def result_from_dict(data: Mapping[str, Any]) -> TriageResult:
    """Read back ``TriageResult.as_dict()``."""
    fired = tuple(
        FiredRule(
            id=f["id"],
            title=f["title"],
            kind=Kind(f["kind"]) if f.get("kind") else None,
            severity=Severity(f["severity"]) if f.get("severity") else None,
            raise_severity=int(f.get("raise_severity") or 0),
            reasons=tuple(
                Reason(r["question"], r["answer"], r["test"]) for r in f.get("reasons", [])
            ),
            why=f.get("why") or "",
        )
        for f in data.get("fired", [])
    )
    return TriageResult(
        kind=Kind(data["kind"]),
        severity=Severity(data["severity"]),
        fired=fired,
        deciding=tuple(data.get("deciding_rules", [])),
        rationale=tuple(data.get("rationale", [])),
        unanswered=tuple(data.get("unanswered", [])),
        policy=data.get("policy", ""),
        policy_version=str(data.get("policy_version", "")),
    )


def check_note(note: str) -> str:
    text = note.strip()
    if len(text) > NOTE_MAX:
        raise InvalidInput(
            Problem(f"is {len(text)} characters long; at most {NOTE_MAX} allowed", field="note")
        )
    return text


def answers_from_fields(fields: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Questionnaire answers from a form, as ``parse_answers`` reads them.

    An empty choice is "not answered yet". For the lists, the form sends every ticked member,
    or ``__none__`` for "none of these" (which is an answer, unlike ticking nothing)."""
    out: dict[str, Any] = {}
    for question in QUESTIONS:
        values = [v for v in fields.get(question.id, []) if v.strip()]
        if question.scale is Scale.SET:
            members = [v for v in values if v != NONE_MARK]
            if members:
                out[question.id] = members
            elif NONE_MARK in values:
                out[question.id] = []
            else:
                out[question.id] = None
        else:
            out[question.id] = values[0] if values else None
    return out


def apply_reason(stored: StoredAssessment) -> str:
    """Why the incident's kind and severity change: the rationale of the assessment applied."""
    result = stored.result
    return f"Triage assessment {stored.version} ({result.policy} {result.policy_version}): " + (
        " ".join(result.rationale)
    )
