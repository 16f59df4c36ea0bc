"""Deadline reminders, 72, 24 and 4 hours before each open obligation's deadline and when it is
overdue: the periodic job.

Contract for the worker (``candor.services.jobs`` registers it, e.g. every minute)::

    send_deadline_reminders(ctx, now, *, emit=None) -> str

* ``now`` is the job's clock; nothing else reads the time.
* Each due reminder (``domain.obligations.reminders.due_reminders``) is handled in its own write
  transaction, which re-reads the obligation (filed meanwhile: nothing is sent), records the
  reminder's key (and those of the marks it covers) in ``obligation_reminders`` — unique, so a
  second worker or a second run cannot record it again —, appends an ``obligation`` entry to the
  incident's timeline and an audit record, calls ``emit(uow, incident, reminder, text)`` if
  given, and commits. ``emit`` is where the worker queues the message in its outbox, in the
  same transaction: a run killed at any point has done all of it or none of it, and the next
  run does what is left. That is "exactly once": never twice, never skipped.
* An exception from one reminder does not stop the others; the run then raises
  ``RemindersFailed`` naming what was sent and what failed, for the worker's log.
* The text returned summarises the run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from candor.domain.access import SYSTEM
from candor.domain.audit import AuditDraft
from candor.domain.errors import Conflict
from candor.domain.incidents import Incident
from candor.domain.obligations.reminders import HORIZON, Reminder, due_reminders
from candor.domain.obligations.results import iso_utc
from candor.domain.vocabulary import require_aware
from candor.services.context import Context
from candor.services.obligations import entry_in
from candor.services.ports import UnitOfWork
from candor.services.ports_obligations import ReminderRecord, tracked

Emit = Callable[[UnitOfWork, Incident, Reminder, str], None]


class RemindersFailed(RuntimeError):
    pass


def send_deadline_reminders(ctx: Context, now: datetime, *, emit: Emit | None = None) -> str:
    now = require_aware(now, field="now")
    with ctx.uow() as raw:
        uow = tracked(raw)
        candidates = uow.obligations.open_obligations(due_before=now + HORIZON)
        sent = uow.obligations.reminder_keys(o.id for o in candidates)
    done: list[str] = []
    failed: list[str] = []
    for reminder in due_reminders(candidates, now=now, sent=sent):
        try:
            shown = _send(ctx, reminder, now, emit)
        except Conflict:
            continue  # recorded by another run at the same moment
        except Exception as exc:  # one failing reminder must not hold back the others
            failed.append(f"obligation {reminder.obligation.id} {reminder.mark.value}: {exc}")
            continue
        if shown:
            done.append(shown)
    summary = (
        f"{len(done)} deadline reminder{'s' if len(done) != 1 else ''}"
        + (": " + ", ".join(done) if done else "")
        + (f"; {len(failed)} failed: " + "; ".join(failed) if failed else "")
    )
    if failed:
        raise RemindersFailed(summary)
    return summary


def _send(ctx: Context, planned: Reminder, now: datetime, emit: Emit | None) -> str | None:
    with ctx.uow(write=True) as raw:
        uow = tracked(raw)
        incident = uow.incidents.get_by_id(planned.obligation.incident_id)
        if incident is None:
            return None
        uow.obligations.lock(incident.id)
        # the obligation as it is now: it may have been filed or moved since the run began
        current = [
            o for o in uow.obligations.of_incident(incident.id) if o.id == planned.obligation.id
        ]
        sent = uow.obligations.reminder_keys(o.id for o in current)
        still = [r for r in due_reminders(current, now=now, sent=sent) if r.key == planned.key]
        if not still:
            return None
        reminder = still[0]
        text = reminder.message(now)
        data = {
            "reminder": reminder.mark.value,
            "covers": [m.value for m in reminder.covers],
            "obligation": reminder.obligation.seq,
            "deadline": iso_utc(reminder.deadline),
        }
        seq = entry_in(uow, SYSTEM, incident, text, now, data)
        uow.obligations.add_reminders(
            [
                ReminderRecord(
                    key,
                    reminder.obligation.id,
                    mark.value,
                    reminder.deadline,
                    now,
                    reminder.key,
                    seq,
                )
                for mark, key in reminder.marked_keys()
            ]
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=SYSTEM.username,
                action="obligation.reminder",
                target_type="obligation",
                target_id=str(reminder.obligation.id),
                incident_key=incident.key,
                after=data,
                detail=f"timeline #{seq}",
            )
        )
        if emit is not None:
            emit(uow, incident, reminder, text)
        uow.commit()
    return f"{incident.key} #{reminder.obligation.seq} {reminder.mark.value}"
