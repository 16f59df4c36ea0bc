"""Web latency with a large workspace, measured from outside the server with wrk.

    uv run python bench/web.py [--incidents 10000] [--entries 1000000] [--duration 15]
                               [--connections 32] [--workers 2] [--postgres URL]

Fills a workspace (SQLite and PostgreSQL) with 10,000 incidents and 1,000,000 timeline entries
(one incident holds 100,000 of them), starts `candor serve` in its own processes, and drives it
with wrk (32 connections) against the dashboard, the page of the incident with the longest
timeline, and the incident list API. Targets (issue 3): dashboard and incident page p95 < 100 ms,
list API p95 < 50 ms. As a reference in the same run, wrk also measures `/healthz`, which does no
database work: the floor set by the server and the network stack on this machine.

Needs Debian's `wrk` (installed with apt-get when missing).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from candor import bootstrap, config
from candor.adapters.db import migrate
from candor.adapters.passwords import fast_hasher
from candor.domain import incidents as model
from candor.domain import timeline
from candor.domain.access import SYSTEM
from candor.domain.lifecycle import Phase
from candor.domain.vocabulary import Role
from candor.services import accounts

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

ROOT = Path(__file__).resolve().parents[1]
CANDOR = ROOT / ".venv" / "bin" / "candor"
PASSWORD = "benchmark passphrase"  # noqa: S105 - a throwaway workspace
LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f %.3f\\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "--no-install-recommends", "wrk"], check=True
    )
    return shutil.which("wrk") or "wrk"


def populate(app: bootstrap.Application, *, incidents: int, entries: int) -> str:
    """Bulk-load through the repositories (the services would add an audit record per row)."""
    ctx = app.context
    accounts.create_user(ctx, SYSTEM, username="bench", password=PASSWORD, role="admin")
    big_entries = min(100_000, entries // 10)
    per_incident = max(1, (entries - big_entries) // max(1, incidents - 1))
    big_key = ""
    t0 = time.perf_counter()
    written = 0
    batch = 200
    for first in range(1, incidents + 1, batch):
        with ctx.uow(write=True) as uow:
            for n in range(first, min(incidents, first + batch - 1) + 1):
                declared = START + timedelta(minutes=n * 20)
                incident = model.declare(
                    id=uuid.uuid4(),
                    key=model.format_key(2026, n),
                    title=f"Incident {n}: suspicious access to the export API",
                    summary="Generated for the web benchmark.",
                    kind="security_incident",
                    severity=f"SEV{1 + n % 4}",
                    by="bench",
                    now=declared,
                )
                incident = model.assign_role(incident, Role.INCIDENT_LEAD, "bench", now=declared)
                if n % 50:  # 98 % closed, 2 % open: what a year of work looks like
                    for phase in (Phase.MITIGATION, Phase.POST_INCIDENT, Phase.CLOSED):
                        declared += timedelta(hours=2)
                        incident = model.transition(incident, phase, by="bench", now=declared)
                uow.incidents.add(incident)
                count = big_entries if n == incidents else per_incident
                if n == incidents:
                    big_key = incident.key
                drafts = [
                    timeline.draft(
                        kind="note",
                        author="bench",
                        occurred_at=START + timedelta(seconds=i),
                        body=f"Observed request {i} from 203.0.113.{i % 250} to "
                        "/export with python-requests/2.31",
                        data={"n": i},
                    )
                    for i in range(count)
                ]
                for offset in range(0, len(drafts), 5_000):
                    uow.timeline.append_many(
                        incident.id, drafts[offset : offset + 5_000], recorded_at=declared
                    )
                written += count
            uow.commit()
    with ctx.uow(write=True) as uow:
        while uow.sequences.next("incident-2026") < incidents:
            pass
        uow.commit()
    print(
        f"  populated {incidents:,} incidents and {written:,} timeline entries in "
        f"{time.perf_counter() - t0:.0f} s"
    )
    return big_key


@dataclass
class Result:
    requests: int
    errors: int
    p50: float
    p95: float
    p99: float
    seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def wrk(
    binary: str, url: str, header: str, *, duration: int, connections: int, script: Path
) -> Result:
    out = subprocess.run(
        [
            binary,
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            "-H",
            header,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    values = match.groups()
    return Result(
        int(values[0]),
        int(values[1]),
        float(values[2]),
        float(values[3]),
        float(values[4]),
        float(values[5]),
    )


def serve(home: Path, database_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CANDOR_HOME": str(home), "CANDOR_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [str(CANDOR), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180  # each worker imports the whole app; slow on a busy box
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    # the whole group: worker processes hold stderr open, so reading it after killing only the
    # parent would wait forever
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    _, err = process.communicate(timeout=10)
    raise RuntimeError(f"server did not start: {err.decode(errors='replace')[-2000:]}")


def measure(
    name: str, database_url: str, args: argparse.Namespace, wrk_bin: str, script: Path
) -> dict[str, Result]:
    home = Path(tempfile.mkdtemp(prefix=f"candor-bench-web-{name}-"))
    try:
        settings = config.Settings(home=home, database_url=database_url)
        app = bootstrap.build(settings, hasher=fast_hasher())
        migrate.upgrade(app.engine)
        print(f"{name}:")
        big = populate(app, incidents=args.incidents, entries=args.entries)
        if app.engine.dialect.name == "postgresql":
            # measure a settled database, as a long-lived workspace is, not autovacuum working
            # through a million fresh rows on the same two cores while wrk runs
            with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        token = accounts.create_token(
            app.context, SYSTEM, name="bench", scopes=["read"], for_user="bench"
        ).secret
        app.close()
        port = 18000 + secrets.randbelow(2000)
        server = serve(home, database_url, port, args.workers)
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base) as client:
                page = client.get("/signin")
                presession = re.search(r'name="presession" value="([^"]+)"', page.text)
                assert presession
                client.post(
                    "/signin",
                    data={
                        "username": "bench",
                        "password": PASSWORD,
                        "presession": presession.group(1),
                    },
                )
                cookie = client.cookies["candor_session"]
                for path in ("/", f"/incidents/{big}"):
                    assert client.get(path).status_code == 200, path
            session = f"Cookie: candor_session={cookie}"
            bearer = f"Authorization: Bearer {token}"
            results = {}
            for label, path, header in (
                ("healthz (floor)", "/healthz", session),
                ("dashboard", "/", session),
                (f"incident page ({big}, 100k entries)", f"/incidents/{big}", session),
                ("incident list API", "/api/v1/incidents?open_only=false&limit=50", bearer),
            ):
                results[label] = wrk(
                    wrk_bin,
                    base + path,
                    header,
                    duration=args.duration,
                    connections=args.connections,
                    script=script,
                )
            return results
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                # a graceful stop waits for wrk's keep-alive connections; the figures are in
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=15)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "CANDOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    wrk_bin = ensure_wrk()
    print(describe())
    print(
        f"{args.incidents:,} incidents, {args.entries:,} timeline entries; wrk -t2 "
        f"-c{args.connections} -d{args.duration}s; server workers: {args.workers}"
    )
    all_results: dict[str, dict[str, Result]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "report.lua"
        script.write_text(LUA)
        if not args.skip_sqlite:
            db = Path(scratch) / "bench.db"
            all_results["SQLite"] = measure("sqlite", f"sqlite:///{db}", args, wrk_bin, script)
        if not args.skip_postgres:
            schema = f"candor_bench_{secrets.token_hex(4)}"
            admin = create_engine(args.postgres)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            try:
                url = f"{args.postgres}?options=-csearch_path%3D{schema}"
                all_results["PostgreSQL"] = measure("postgresql", url, args, wrk_bin, script)
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    targets = {"dashboard": 100.0, "incident list API": 50.0}
    print()
    print(
        f"{'database':<11} {'endpoint':<38} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'errors':>7}  target"
    )
    for db, results in all_results.items():
        for label, r in results.items():
            target = next(
                (t for k, t in targets.items() if label.startswith(k)),
                100.0 if label.startswith("incident page") else None,
            )
            verdict = (
                ""
                if target is None
                else (
                    f"p95 < {target:.0f} ms: "
                    + (
                        "MISSED (no responses)"
                        if r.rate == 0
                        else "met"
                        if r.p95 < target
                        else "MISSED"
                    )
                )
            )
            print(
                f"{db:<11} {label:<38} {r.rate:>8.0f} {r.p50:>8.1f} {r.p95:>8.1f} "
                f"{r.p99:>8.1f} {r.errors:>7}  {verdict}"
            )


if __name__ == "__main__":
    main()
