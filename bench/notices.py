"""Benchmark: render and deliver personalised notices through the outbox to an SMTP sink.

Targets: at least 20,000 notices rendered per second, at least 1,000 delivered per second. The
floor, measured in the same run against the same sink, is plain ``smtplib`` sending
pre-rendered messages over one connection: no database, no states, no retries — what
delivery costs before any of Candor's guarantees.

    uv run python bench/notices.py [--count 100000] [--batch 100] [--no-append]

Two sinks, each in its own process on loopback, one after the other in the same run: aiosmtpd's
discarding server (``python -m aiosmtpd -c aiosmtpd.handlers.Sink``; Python, one command at a
time, no PIPELINING) and, when installed, Postfix's ``smtp-sink`` (C, offers PIPELINING as real
MTAs do; Debian package ``postfix``, which the benchmark does not install for you: it is a mail
server). The outbox is a fresh SQLite workspace in a temporary directory for each. Prints the
figures and appends them to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.machine import describe  # noqa: E402
from jinja2 import Environment, StrictUndefined  # noqa: E402

from candor.adapters.clock import SystemClock  # noqa: E402
from candor.adapters.db import delivery as _delivery  # noqa: E402, F401 - registers the outbox
from candor.adapters.db import migrate  # noqa: E402
from candor.adapters.db.engine import make_engine  # noqa: E402
from candor.adapters.db.uow import SqlUnitOfWorkFactory  # noqa: E402
from candor.adapters.notify.smtp import SmtpTransport, render  # noqa: E402
from candor.domain.outbox import State  # noqa: E402
from candor.services import outbox  # noqa: E402
from candor.services.context import Context  # noqa: E402
from candor.services.ports_delivery import DeliverySetup, with_delivery  # noqa: E402

SUBJECT = "Security notice for {{ customer.name }}"
BODY = """Dear {{ contact.name }},

On {{ incident.detected }} we found that an attacker used a stolen access key to read data of
{{ customer.name }} (account {{ customer.account }}). {{ affected }} records of yours were
exposed: {{ kinds | join(", ") }}.

What we have done: {% for step in steps %}
  - {{ step }}{% endfor %}

What you can do: rotate the API keys of account {{ customer.account }} and review access
since {{ incident.since }}.

Your reference: {{ incident.key }}/{{ customer.account }}.

{{ sender }}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SINKS = {
    "aiosmtpd": "aiosmtpd (Python, no PIPELINING)",
    "smtp-sink": "Postfix smtp-sink (C, PIPELINING)",
}


def sink_command(name: str, port: int) -> list[str]:
    if name == "aiosmtpd":
        return [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ]
    binary = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
    root = ["-u", "postfix"] if os.geteuid() == 0 else []
    return [binary, *root, f"127.0.0.1:{port}", "1000"]


def available_sinks() -> list[str]:
    found = shutil.which("smtp-sink") or Path("/usr/sbin/smtp-sink").exists()
    return ["aiosmtpd", "smtp-sink"] if found else ["aiosmtpd"]


def start_sink(name: str, port: int) -> subprocess.Popen[bytes]:
    sink = subprocess.Popen(
        sink_command(name, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return sink
        except OSError:
            time.sleep(0.1)
    sink.kill()
    raise SystemExit(f"the SMTP sink {name} did not start")


def contexts(count: int) -> list[dict[str, object]]:
    return [
        {
            "contact": {"name": f"Person {n}", "email": f"person{n}@customer{n % 500}.example"},
            "customer": {"name": f"Customer {n % 500}", "account": f"ACC-{100000 + n}"},
            "incident": {"key": "INC-2026-42", "detected": "2 March 2026", "since": "1 Feb"},
            "affected": 10 + n % 1000,
            "kinds": ["names", "email addresses", "billing addresses"][: 1 + n % 3],
            "steps": ["revoked the key", "rotated every credential", "added monitoring"],
            "sender": "The security team of Example SaaS Inc.",
        }
        for n in range(count)
    ]


def measure(name: str, drafts: list[outbox.Draft], batch: int) -> dict[str, float]:
    """Enqueue, deliver through the outbox, and the plain-smtplib floor, against one sink."""
    count = len(drafts)
    port = free_port()
    sink = start_sink(name, port)
    results: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory() as home:
            engine = make_engine(f"sqlite:///{Path(home) / 'candor.db'}")
            migrate.upgrade(engine)
            ctx = Context(uow=SqlUnitOfWorkFactory(engine), clock=SystemClock())
            ctx = replace(
                ctx, delivery=DeliverySetup(from_address="security@example.org", batch=batch)
            )
            started = time.perf_counter()
            with ctx.uow(write=True) as uow:
                outbox.enqueue_many(uow, drafts, now=ctx.clock.now())
                uow.commit()
            results["enqueue"] = time.perf_counter() - started

            transport = SmtpTransport(
                host="127.0.0.1", port=port, sender="security@example.org", timeout=60
            )
            started = time.perf_counter()
            run = outbox.deliver(ctx, lambda channel: transport, worker="bench")
            transport.close()
            results["deliver"] = time.perf_counter() - started
            with ctx.uow() as uow:
                counts = with_delivery(uow).outbox.counts()
            if counts[State.SENT] != count:
                raise SystemExit(f"{name}: not all sent: {counts} ({run.summary()})")
            # the floor: the same messages, pre-rendered, one connection, smtplib.sendmail
            with ctx.uow() as uow:
                stored = with_delivery(uow).outbox.list(limit=count)
            wire = [
                (m.recipient, render(m, sender="security@example.org", domain="example.org"))
                for m in stored
            ]
            engine.dispose()
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as plain:
            for recipient, data in wire:
                plain.sendmail("security@example.org", [recipient], data)
        results["floor"] = time.perf_counter() - started
    finally:
        sink.terminate()
        sink.wait()
    print(f"  {SINKS[name]}: delivered {count / results['deliver']:,.0f}/s", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    count = args.count
    people = contexts(count)

    env = Environment(undefined=StrictUndefined, autoescape=False)  # noqa: S701 - plain text mail
    subject_t, body_t = env.from_string(SUBJECT), env.from_string(BODY)
    started = time.perf_counter()
    drafts = [
        outbox.Draft(
            key=f"statement:42:recipient:{p['contact']['email']}",  # type: ignore[index]
            recipient=str(p["contact"]["email"]),  # type: ignore[index]
            subject=subject_t.render(p),
            body=body_t.render(p),
        )
        for p in people
    ]
    render_s = time.perf_counter() - started

    measured = {name: measure(name, drafts, args.batch) for name in available_sinks()}
    load = os.getloadavg()
    rendered_rate = count / render_s
    lines = [
        f"## Notices (`bench/notices.py`), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        describe(),
        "",
        f"Command: `uv run python bench/notices.py --count {count} --batch {args.batch}`",
        "",
        "| step | sink | seconds | per second | target |",
        "| --- | --- | --- | --- | --- |",
        f"| render {count} personalised notices (Jinja2, subject and body) | — | {render_s:.2f} "
        f"| {rendered_rate:,.0f} | ≥ 20,000: {'met' if rendered_rate >= 20000 else 'not met'} |",
    ]
    for name, results in measured.items():
        delivered = count / results["deliver"]
        lines += [
            f"| enqueue them in the outbox (SQLite, one transaction) | {SINKS[name]} "
            f"| {results['enqueue']:.2f} | {count / results['enqueue']:,.0f} | — |",
            f"| deliver through the outbox (claim, SMTP, settle; batch {args.batch}) "
            f"| {SINKS[name]} | {results['deliver']:.2f} | {delivered:,.0f} | ≥ 1,000: "
            f"{'met' if delivered >= 1000 else 'not met'} |",
            f"| floor: smtplib.sendmail of the pre-rendered messages, one connection "
            f"| {SINKS[name]} | {results['floor']:.2f} | {count / results['floor']:,.0f} | — |",
        ]
    lines += [
        "",
        f"Load average at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}. Each sink runs "
        "on the same 2 cores as the sender; the outbox pipelines MAIL, RCPT and DATA where the "
        "sink offers PIPELINING (smtp-sink), smtplib's sendmail in the floor never does.",
        "",
    ]
    text = "\n".join(lines)
    sys.stdout.write(text + "\n")
    if not args.no_append:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
            out.write("\n" + text)


if __name__ == "__main__":
    main()
