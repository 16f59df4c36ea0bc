"""What exercises read from statements: "customer notice approved" is scored from the record
(``ports_prepare.NoticeRecords``).

A customer notice is a statement written to customers, or one of a customer kind (a customer
notice, a credential rotation): an exercise keeps every statement internal, so the team practises
the notice with audience ``internal`` and it still counts. It counts from the moment its last
review approved it; a draft or one still in review does not.
"""

from __future__ import annotations

from candor.domain.exercises import Observation
from candor.domain.incidents import Incident
from candor.domain.obligations.results import iso_utc
from candor.services.ports import UnitOfWork
from candor.services.ports_statements import with_statements


class StatementNoticeRecords:
    def customer_notice_approved_at(self, uow: UnitOfWork, incident: Incident) -> Observation:
        approved = [
            (at, s.number, s)
            for s in with_statements(uow).statements.of_incident(incident.id)
            if s.for_customers and (at := s.approved_at) is not None
        ]
        if not approved:
            return Observation(True, None, "no customer notice approved yet")
        at, _, first = min(approved, key=lambda row: row[:2])
        return Observation(
            True, at, f"statement #{first.number} ({first.title}) approved {iso_utc(at)}"
        )
