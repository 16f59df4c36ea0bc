"""Kill `candor serve` with SIGKILL at random moments during a stream of writes through its API,
on SQLite and PostgreSQL: after a restart every write it acknowledged is there, nothing
half-written is visible, and the chains verify. And back up while it serves writes: every
backup restores and verifies."""

from __future__ import annotations

import hashlib
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Table, func, select

from candor.adapters.db import tables
from candor.adapters.records import backup as backups
from candor.adapters.records import restore as restores
from candor.adapters.records.blobs import LocalBlobStore
from candor.domain.access import SYSTEM
from candor.services import audit, timeline
from tests.conftest import BACKENDS, drop_postgres_schema, new_postgres_schema
from tests.crash_writes import Acknowledged, Server, Stream, Workspace
from tests.fakes import FakeClock

pytestmark = pytest.mark.slow

KILLS = 3
SEED = 20261123  # the kill moments and the writes; change it to explore other interleavings

# the timeline entry each kind of write leaves, and the audit action that vouches for it
ENTRY_FOR_ACTION = {
    "incident.declare": "status_change",
    "timeline.append": "note",
    "task.add": "task",
    "task.status": "task",
    "finding.add": "finding",
    "impact.version": "impact",
    "attachment.upload": "evidence",
}
# the rows each kind of write adds, by table, and the audit action that vouches for them
ROWS_FOR_ACTION = {
    "tasks": "task.add",
    "findings": "finding.add",
    "impact_versions": "impact.version",
    "attachments": "attachment.upload",
}


@pytest.fixture(params=BACKENDS)
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """A database of its own: the server runs in another process and commits for real."""
    schema = ""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.db'}"
    else:
        schema, url = new_postgres_schema()
    made = Workspace.create(tmp_path / "home", url)
    try:
        yield made
    finally:
        made.application.close()
        if schema:
            drop_postgres_schema(schema)


def test_sigkill_never_loses_an_acknowledged_write_nor_leaves_half_a_change(
    workspace: Workspace,
) -> None:
    rng = random.Random(SEED)  # noqa: S311 - kill timing, not cryptography
    acked = Acknowledged()
    for round_ in range(KILLS):
        # one round as a team runs it: a supervisor and two worker processes, killed as a group
        server = Server(workspace, workers=2 if round_ == 1 else 1)
        try:
            server.wait_ready()
            with Stream(server, acked, seed=SEED + round_):
                time.sleep(rng.uniform(0.4, 2.0))
                server.kill()  # mid-stream: requests in flight in both client threads
        finally:
            server.stop()
        workspace.application.engine.dispose()  # fresh connections, as a new process has
        check_database(workspace, acked)
    assert not acked.refused, acked.refused
    assert acked.unanswered > 0, "no kill landed while a write was in flight"
    assert min(len(acked.incidents), len(acked.entries), len(acked.tasks)) > 2, acked
    assert acked.total() > 40, "the server acknowledged too little to test anything"

    server = Server(workspace)  # the restart: what it serves is what was acknowledged
    try:
        server.wait_ready()
        check_through_api(server, acked)
    finally:
        server.stop()
    verified = workspace.cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def check_database(workspace: Workspace, acked: Acknowledged) -> None:
    """Nothing half-written: each change is its rows, its timeline entry and its audit record,
    all or none; every acknowledged write is there; the chains verify."""
    t = tables.metadata().tables
    incidents, entries, log = t["incidents"], t["timeline_entries"], t["audit_log"]
    engine = workspace.application.engine
    with engine.connect() as conn:
        keys = dict(conn.execute(select(incidents.c.key, incidents.c.title)).all())
        actions = Counter(
            {
                (key, action): n
                for key, action, n in conn.execute(
                    select(log.c.incident_key, log.c.action, func.count()).group_by(
                        log.c.incident_key, log.c.action
                    )
                )
            }
        )
        kinds = Counter(
            {
                (key, kind): n
                for key, kind, n in conn.execute(
                    select(incidents.c.key, entries.c.kind, func.count())
                    .join(incidents, incidents.c.id == entries.c.incident_id)
                    .group_by(incidents.c.key, entries.c.kind)
                )
            }
        )
        hashes = {
            (key, seq): hash_
            for key, seq, hash_ in conn.execute(
                select(incidents.c.key, entries.c.seq, entries.c.hash).join(
                    incidents, incidents.c.id == entries.c.incident_id
                )
            )
        }
        rows = {name: _rows(conn, t[name], incidents) for name in ROWS_FOR_ACTION}
        done = {
            (key, seq)
            for key, seq in conn.execute(
                select(incidents.c.key, t["tasks"].c.seq)
                .join(incidents, incidents.c.id == t["tasks"].c.incident_id)
                .where(t["tasks"].c.status == "done")
            )
        }
    declared = {key for (key, action) in actions if action == "incident.declare"}
    assert set(keys) == declared, "an incident without its audit record, or the reverse"
    for key in keys:
        expected: Counter[str] = Counter()
        for action, kind in ENTRY_FOR_ACTION.items():
            expected[kind] += actions[key, action]
        found = Counter({kind: n for (k, kind), n in kinds.items() if k == key})
        assert found == +expected, f"{key}: timeline entries {found} but audited {expected}"
        for name, action in ROWS_FOR_ACTION.items():
            count = sum(1 for k, _ in rows[name] if k == key)
            assert count == actions[key, action], f"{key}: {count} {name}, {action} audited"
        assert actions[key, "task.status"] == sum(1 for k, _ in done if k == key)

    for key, title in acked.incidents.items():
        assert keys.get(key) == title, key
    for entry, hash_ in acked.entries.items():
        assert hashes.get(entry) == hash_, entry
    for name, seen in (
        ("tasks", acked.tasks),
        ("findings", acked.findings),
        ("impact_versions", acked.versions),
        ("attachments", acked.files),
    ):
        for record, value in seen.items():
            assert rows[name].get(record) == value, (name, record)
    assert acked.done <= done

    ctx = workspace.application.context
    assert ctx.blobs is not None
    for sha256 in set(rows["attachments"].values()):  # content is stored before its row
        with ctx.blobs.open(sha256):
            pass  # opened means present and matching its hash
    assert audit.verify(ctx, SYSTEM).ok
    for key in keys:
        assert timeline.verify(ctx, SYSTEM, key).ok, key


def _rows(conn: object, table: Table, incidents: Table) -> dict[tuple[str, int], str]:
    """(incident key, number) → what the acknowledgement named: title, summary, reason, hash."""
    number = table.c.get("seq", table.c.get("number"))
    value = {
        "tasks": "title",
        "findings": "summary",
        "impact_versions": "reason",
        "attachments": "sha256",
    }[table.name]
    query = select(incidents.c.key, number, table.c[value]).join(
        incidents, incidents.c.id == table.c.incident_id
    )
    return {(k, n): v for k, n, v in conn.execute(query)}  # type: ignore[attr-defined]


def check_through_api(server: Server, acked: Acknowledged) -> None:
    """What a client reads back from the restarted server."""
    with server.client() as http:
        for key, title in acked.incidents.items():
            base = f"/api/v1/incidents/{key}"
            assert http.get(base).json()["title"] == title
            assert http.get(f"{base}/timeline/verify").json()["ok"] is True, key
            entries = {e["seq"]: e["hash"] for e in http.get(f"{base}/timeline?limit=5000").json()}
            for (k, seq), hash_ in acked.entries.items():
                if k == key:
                    assert entries.get(seq) == hash_, (key, seq)
            tasks = {t["seq"]: t for t in http.get(f"{base}/tasks").json()}
            for (k, seq), task_title in acked.tasks.items():
                if k == key:
                    assert tasks[seq]["title"] == task_title
                    assert (tasks[seq]["status"] == "done") >= ((k, seq) in acked.done)
            findings = {f["number"]: f for f in http.get(f"{base}/findings").json()["findings"]}
            for (k, number), summary in acked.findings.items():
                if k == key:
                    assert findings[number]["summary"] == summary
            versions = {v["number"]: v for v in http.get(f"{base}/impact").json()["versions"]}
            for (k, number), reason in acked.versions.items():
                if k == key:
                    assert versions[number]["reason"] == reason
        for (key, number), sha256 in acked.files.items():
            answer = http.get(f"/api/v1/incidents/{key}/attachments/{number}")
            assert answer.status_code == 200, answer.text
            assert hashlib.sha256(answer.content).hexdigest() == sha256


def test_backups_taken_while_the_server_writes_restore_and_verify(
    workspace: Workspace, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The snapshot is consistent while the server commits: each backup restores, its row
    counts equal its manifest's, and every chain ends at the head the manifest recorded."""
    engine = workspace.application.engine
    blobs = workspace.application.blobs
    acked = Acknowledged()
    server = Server(workspace)
    try:
        server.wait_ready()
        with Stream(server, acked, seed=SEED):
            time.sleep(0.5)
            for n in range(2):
                out = tmp_path / f"backup-{n}"
                backups.backup(engine, blobs, out, now=FakeClock().now())
                assert server.process.poll() is None, "the server must still be serving"
                if engine.dialect.name == "sqlite":
                    target = f"sqlite:///{tmp_path / f'restored-{n}.db'}"
                else:
                    schema, target = new_postgres_schema()
                    request.addfinalizer(lambda schema=schema: drop_postgres_schema(schema))
                report = restores.restore(
                    out, target, LocalBlobStore(tmp_path / f"restored-{n}"), clock=FakeClock()
                )
                assert report.timelines > 0 and report.audit_records > 0
                time.sleep(0.3)
    finally:
        server.stop()
    assert not acked.refused, acked.refused
