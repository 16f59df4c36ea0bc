"""The demo workspace loads once, through the real use cases, with intact chains."""

from __future__ import annotations

from pathlib import Path

from candor import bootstrap, config, demo
from candor.adapters.db import migrate
from candor.domain.access import SYSTEM
from candor.services import audit, incidents, timeline


def test_demo_loads_once_and_verifies(tmp_path: Path) -> None:
    app = bootstrap.build(config.Settings(home=tmp_path))
    migrate.upgrade(app.engine)
    first = demo.load(app)
    assert first.created
    assert len(first.incidents) == 3
    again = demo.load(app)
    assert not again.created
    assert sorted(again.incidents) == sorted(first.incidents)
    for key in first.incidents:
        assert timeline.verify(app.context, SYSTEM, key).ok
    assert audit.verify(app.context, SYSTEM).ok
    breach = next(
        i
        for i in incidents.list_incidents(app.context, SYSTEM)
        if i.kind.value == "supply_chain_breach"
    )
    entries = timeline.show(app.context, SYSTEM, breach.key)
    assert any(e.corrects for e in entries), "the demo shows a visible correction"
    app.close()
