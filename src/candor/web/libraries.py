"""The playbook and scenario libraries for the pages and the API: one cache per application,
re-read when a file in the packaged or the organisation's folder changes."""

from __future__ import annotations

from fastapi import Request

from candor.adapters.prepare_files import Libraries, Library
from candor.domain.playbooks import Playbook
from candor.domain.scenarios import Scenario
from candor.web.deps import application


def libraries(request: Request) -> Libraries:
    state = request.app.state
    found: Libraries | None = getattr(state, "prepare_libraries", None)
    if found is None:
        settings = application(request).settings.prepare
        found = Libraries(settings.playbooks_dir, settings.scenarios_dir)
        state.prepare_libraries = found
    return found


def playbooks(request: Request) -> Library[Playbook]:
    """Every playbook that loads; problems in other files are on the library, not raised, so one
    broken file of the organisation's does not take the pages down."""
    return libraries(request).playbooks()


def scenarios(request: Request) -> Library[Scenario]:
    return libraries(request).scenarios()
