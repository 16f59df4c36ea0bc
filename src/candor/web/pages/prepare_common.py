"""Helpers shared by the prepare pages (playbooks, contacts, exercises, readiness)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from candor.domain.contacts import Category
from candor.domain.errors import CandorError, NotFound
from candor.web.deps import Caller
from candor.web.pages.common import NOTICES, redirect
from candor.web.pages.incidents import incident_page
from candor.web.templating import NAV_ITEMS

NOTICES.update(
    {
        "playbook-applied": "Playbook applied: its tasks were added.",
        "contact-added": "Contact added.",
        "contact-updated": "Contact updated.",
        "contact-verified": "Contact marked as verified today.",
        "contact-removed": "Contact removed. Its last details stay in the audit log.",
        "exercise-started": "Exercise started: the first inject is out.",
        "inject-released": "Inject released.",
        "decision": "Decision recorded on the timeline.",
        "exercise-ended": "Exercise ended. Unmet expectations now count as missed.",
    }
)

# How each contact category reads in a sentence or a heading (the words stay the CLI's)
CATEGORY_LABELS: dict[Category, str] = {
    Category.OUTSIDE_COUNSEL: "Outside counsel",
    Category.FORENSICS: "Forensics",
    Category.INSURER: "Insurer",
    Category.CERT: "National CERT",
    Category.ISAC: "ISAC",
    Category.LAW_ENFORCEMENT: "Law enforcement",
    Category.REGULATOR: "Regulator",
    Category.PEER_SECURITY_TEAM: "Peer security team",
    Category.PR: "PR",
    Category.CLOUD_PROVIDER: "Cloud provider",
}

for _href, _label in (
    ("/playbooks", "Playbooks"),
    ("/contacts", "Contacts"),
    ("/exercises", "Exercises"),
    ("/readiness", "Readiness"),
):
    if not any(item["href"] == _href for item in NAV_ITEMS):
        NAV_ITEMS.append({"href": _href, "label": _label})


def act_on_incident(
    request: Request,
    caller: Caller,
    key: str,
    form: dict[str, str],
    *,
    name: str,
    action: Callable[[], Any],
    notice: str,
    anchor: str = "",
    to: Callable[[Any], str] | None = None,
) -> Response:
    """Run a form posted from the incident page; on a user error show that page again with the
    message next to the form (``name``), the input kept. ``to`` picks where to go next from what
    the action returned (default: back to the incident)."""
    try:
        done = action()
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
    target = to(done) if to is not None else f"/incidents/{key.upper()}"
    return redirect(target, notice=notice, anchor=anchor)
