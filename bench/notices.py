"""Benchmark: render and deliver personalised notices through the outbox to an SMTP sink.

Targets: at least 20,000 notices rendered per second, at least 1,000 delivered per second. The
floor, measured in the same run against the same sink, is plain ``smtplib`` sending
pre-rendered messages over one connection: no database, no states, no retries — what
delivery costs before any of Candor's guarantees.

    uv run python bench/notices.py [--count 100000] [--batch 100] [--no-append]

The notices are the product's own: a scratch SQLite workspace is filled through the real use
cases (customers with two verified contacts each and one exposed collector credential each,
imported as a data inventory; an incident with the credential store confirmed compromised; a
customer breach notice drafted from the package's template to the affected customers, reviewed,
approved and published). Publishing queues one message per contact; that is timed as a whole.
The render figure times ``statement_delivery.personalise``, the function publishing calls to
write each recipient's message (greeting, statement, that customer's masked credentials with
their rotation steps), over the published statement's recipients read back from the workspace.

Two sinks, each in its own process on loopback, one after the other in the same run: aiosmtpd's
discarding server (``python -m aiosmtpd -c aiosmtpd.handlers.Sink``; Python, one command at a
time, no PIPELINING) and, when installed, Postfix's ``smtp-sink`` (C, offers PIPELINING as real
MTAs do; Debian package ``postfix``, which the benchmark does not install for you: it is a mail
server). For each, the rendered messages are enqueued in a fresh SQLite outbox in a temporary
directory and delivered from there. Prints the figures and appends them to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import base64
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

from candor import bootstrap, config  # noqa: E402
from candor.adapters.clock import SystemClock  # noqa: E402
from candor.adapters.db import delivery as _delivery  # noqa: E402, F401 - registers the outbox
from candor.adapters.db import migrate  # noqa: E402
from candor.adapters.db.engine import make_engine  # noqa: E402
from candor.adapters.db.uow import SqlUnitOfWorkFactory  # noqa: E402
from candor.adapters.notify.smtp import SmtpTransport, render  # noqa: E402
from candor.adapters.passwords import fast_hasher  # noqa: E402
from candor.domain.access import SYSTEM, Actor, OrgRole  # noqa: E402
from candor.domain.errors import Problem  # noqa: E402
from candor.domain.outbox import State  # noqa: E402
from candor.services import (  # noqa: E402
    accounts,
    incidents,
    inventory,
    outbox,
    scope,
    statement_delivery,
    statements,
)
from candor.services.context import Context  # noqa: E402
from candor.services.ports_delivery import DeliverySetup, with_delivery  # noqa: E402
from candor.services.ports_statements import with_statements  # noqa: E402

ORGANIZATION = "Example SaaS Inc."
SENDER = "security@example.org"
COMMS = Actor("comms", OrgRole.RESPONDER)
ROLES = (("counsel", "counsel"), ("incident_lead", "lead"), ("comms_lead", "comms"))
REVIEWERS = (Actor("counsel", OrgRole.COUNSEL), Actor("lead", OrgRole.RESPONDER))


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


def access_key(n: int) -> str:
    """A well-formed AWS access key id, different for every customer (base32 of the number)."""
    return "AKIA" + base64.b32encode(n.to_bytes(10, "big")).decode()


def inventory_document(customers: int) -> dict[str, object]:
    """Customers with two verified contacts and one collector credential each."""
    return {
        "customers": [
            {
                "external_id": f"c{n}",
                "name": f"Customer {n} Ltd",
                "jurisdictions": ["US-CA"],
                "contacts": [
                    {
                        "email": f"security@customer{n}.example",
                        "name": f"Person {n}",
                        "verified": True,
                    },
                    {"email": f"ops@customer{n}.example", "verified": True},
                ],
            }
            for n in range(customers)
        ],
        "systems": [
            {
                "name": "collector-credentials",
                "owner": "platform-team",
                "environment": "production",
                "data_elements": ["third_party_credentials"],
            }
        ],
        "credentials": [
            {
                "customer": f"c{n}",
                "type": "aws_access_key_id",
                "identifier": access_key(n),
                "system": "collector-credentials",
                "label": "metrics collector",
            }
            for n in range(customers)
        ],
    }


def no_locations(problems: list[Problem]) -> list[Problem]:
    return problems


def publish_notice(app: bootstrap.Application, customers: int) -> tuple[str, int, float]:
    """Through the real use cases: import, declare, scope, draft, review, approve, publish.
    Returns the incident key, the statement number and the seconds publishing took."""
    ctx = app.context
    for name, role in (("lead", "responder"), ("counsel", "counsel"), ("comms", "responder")):
        accounts.create_user(ctx, SYSTEM, username=name, password="benchmark passphrase", role=role)  # noqa: S106 - throwaway workspace
    inventory.import_inventory(
        ctx, COMMS, inventory_document(customers), file="bench", locate=no_locations
    )
    key = incidents.declare(
        ctx, COMMS, title="Collector credentials store accessed", severity="SEV1"
    ).key
    for role, person in (
        ("counsel", "counsel"),
        ("incident_lead", "lead"),
        ("comms_lead", "comms"),
    ):
        incidents.assign_role(ctx, COMMS, key, role, person)
    scope.mark_system(ctx, COMMS, key, "collector-credentials", "confirmed")
    notice = statements.draft_from_template(
        ctx, COMMS, key, template="customer_notice", audience="affected_customers", channels="email"
    )
    statements.submit(ctx, COMMS, key, notice.number)
    for reviewer in REVIEWERS:
        statements.approve(ctx, reviewer, key, notice.number)
    started = time.perf_counter()
    statements.publish(ctx, COMMS, key, notice.number)
    return key, notice.number, time.perf_counter() - started


def personalised(
    app: bootstrap.Application, key: str, number: int
) -> tuple[list[outbox.Draft], float, float]:
    """The published notice's recipients read back, then each one's message rendered by the
    function publishing used; returns the messages and the seconds of each step."""
    ctx = app.context
    started = time.perf_counter()
    with ctx.uow() as uow:
        incident = uow.incidents.get(key)
        assert incident is not None
        statement = with_statements(uow).statements.get(incident.id, number)
        assert statement is not None
        people = statement_delivery.recipients(ctx, uow, incident, statement).people
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    drafts = statement_delivery.personalise(ctx, statement, people)
    return drafts, read_s, time.perf_counter() - started


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
            ctx = replace(ctx, delivery=DeliverySetup(from_address=SENDER, batch=batch))
            started = time.perf_counter()
            with ctx.uow(write=True) as uow:
                outbox.enqueue_many(uow, drafts, now=ctx.clock.now())
                uow.commit()
            results["enqueue"] = time.perf_counter() - started

            transport = SmtpTransport(host="127.0.0.1", port=port, sender=SENDER, timeout=60)
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
            wire = [(m.recipient, render(m, sender=SENDER, domain="example.org")) for m in stored]
            engine.dispose()
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as plain:
            for recipient, data in wire:
                plain.sendmail(SENDER, [recipient], data)
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
    customers = (args.count + 1) // 2  # two contacts each
    with tempfile.TemporaryDirectory(prefix="candor-bench-notices-") as home:
        settings = config.Settings(
            home=Path(home),
            organization=config.OrganizationSettings(name=ORGANIZATION),
            smtp=config.SmtpSettings(from_address=SENDER),
        )
        app = bootstrap.build(settings, hasher=fast_hasher())
        migrate.upgrade(app.engine)
        started = time.perf_counter()
        key, number, publish_s = publish_notice(app, customers)
        prepare_s = time.perf_counter() - started
        drafts, read_s, render_s = personalised(app, key, number)
        with app.context.uow() as uow:
            queued = with_delivery(uow).outbox.counts()[State.QUEUED]
        app.close()
    count = len(drafts)
    if queued != count:
        raise SystemExit(f"publishing queued {queued} messages, personalise made {count}")
    print(
        f"  workspace: {customers} customers, {count} contacts, notice published "
        f"in {prepare_s:.1f} s (publish itself {publish_s:.2f} s)",
        flush=True,
    )

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
        f"| render {count} personalised notices (`statement_delivery.personalise`: subject, "
        f"body with the customer's masked credential and rotation steps) | — | {render_s:.2f} "
        f"| {rendered_rate:,.0f} | ≥ 20,000: {'met' if rendered_rate >= 20000 else 'not met'} |",
        f"| read the published notice's recipients back (`statement_delivery.recipients`) "
        f"| — | {read_s:.2f} | {count / read_s:,.0f} | — |",
        f"| publish the notice (recipients, render and enqueue in the publish transaction) "
        f"| — | {publish_s:.2f} | {count / publish_s:,.0f} | — |",
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
