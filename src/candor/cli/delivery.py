"""``candor worker``, ``candor outbox …`` and ``candor webhooks …``."""

from __future__ import annotations

import os
import signal
import socket
import threading
from pathlib import Path
from types import FrameType

import typer
from rich.table import Table

from candor import bootstrap
from candor.cli.common import (
    JSON_OPTION,
    actor,
    application,
    console,
    err,
    limit_option,
    print_json,
)
from candor.domain.bounces import parse_dsn
from candor.domain.errors import InvalidInput, Problem
from candor.domain.outbox import Message, State
from candor.services import jobs, outbox, subscriptions

outbox_app = typer.Typer(no_args_is_help=True)
webhooks_app = typer.Typer(no_args_is_help=True)


def worker(
    once: bool = typer.Option(False, "--once", help="Run each due job once, then exit."),
    job: list[str] = typer.Option(
        [], "--job", help="Run only this job (repeatable); default: every registered job."
    ),
    name: str | None = typer.Option(
        None, "--name", help="This worker's name in the leases (default: host:pid)."
    ),
) -> None:
    """Run the background jobs (outbox delivery, reminders) until SIGTERM or SIGINT.

    On a signal the worker finishes the batch or reminder in hand, settles it and exits. Several
    workers may run at once: each job runs in one of them at a time."""
    app = application()
    bootstrap.load_jobs()
    unknown = [j for j in job if j not in jobs.REGISTRY]
    if unknown:
        raise InvalidInput(
            Problem(
                f"no job named {', '.join(unknown)}; jobs: {', '.join(sorted(jobs.REGISTRY))}",
                field="--job",
            )
        )
    stop = threading.Event()

    def asked(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, asked) for s in (signal.SIGTERM, signal.SIGINT)}
    me = name or f"{socket.gethostname()}:{os.getpid()}"
    env = jobs.JobEnv(app.context, app.transports(), me, stopping=stop.is_set)
    console.print(f"worker {me}: jobs {', '.join(job or sorted(jobs.REGISTRY))}", markup=False)
    try:
        while not stop.is_set():
            for ran in jobs.run_due(env, names=job or None):
                if once or not ran.ok or not ran.result.startswith("0 "):  # idle runs: quiet
                    mark = "" if ran.ok else " (failed)"
                    console.print(f"{ran.job}{mark}: {ran.result}", markup=False)
            if once:
                break
            now = app.clock.now()
            wait = (jobs.next_due(app.context, now=now) - now).total_seconds()
            stop.wait(min(max(wait, 0.2), 5.0))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print(f"worker {me}: stopped", markup=False)


def _rows(items: list[Message], json: bool, title: str) -> None:
    if json:
        print_json(
            [
                {
                    "key": m.key,
                    "channel": m.channel.value,
                    "recipient": m.recipient,
                    "subject": m.subject,
                    "state": m.state.value,
                    "attempts": m.attempts,
                    "next_attempt_at": m.next_attempt_at.isoformat(),
                    "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                    "exercise": m.exercise,
                    "last_error": m.last_error,
                }
                for m in items
            ]
        )
        return
    if not items:
        console.print(f"No {title}.", markup=False)
        return
    table = Table("key", "channel", "recipient", "state", "attempts", "last error", title=title)
    for m in items:
        table.add_row(
            m.key, m.channel.value, m.recipient, m.state.value, str(m.attempts), m.last_error[:80]
        )
    console.print(table)


@outbox_app.command("list")
def list_messages(
    state: list[State] = typer.Option([], "--state", help="Only these states (repeatable)."),
    limit: int = limit_option(200, maximum=100_000),
    json: bool = JSON_OPTION,
) -> None:
    """Messages in the outbox, newest change first, and the count in each state."""
    app = application()
    items = outbox.messages(app.context, actor(), states=state, limit=limit)
    if not json:
        counts = outbox.counts(app.context, actor())
        console.print(", ".join(f"{s.value} {n}" for s, n in counts.items()), markup=False)
    _rows(items, json, "messages")


@outbox_app.command("unconfirmed")
def unconfirmed(limit: int = limit_option(100_000), json: bool = JSON_OPTION) -> None:
    """Messages that may or may not have reached the receiver: settle each with `resolve`."""
    app = application()
    _rows(
        outbox.messages(app.context, actor(), states=[State.UNCONFIRMED], limit=limit),
        json,
        "unconfirmed messages",
    )


@outbox_app.command("retry")
def retry(key: str = typer.Argument(..., help="The message's idempotency key.")) -> None:
    """Put a dead message back in the queue."""
    app = application()
    done = outbox.retry(app.context, actor(), key)
    console.print(f"{done.key}: queued again", markup=False)


@outbox_app.command("resolve")
def resolve(
    key: str = typer.Argument(..., help="The message's idempotency key."),
    received: bool = typer.Option(False, "--received", help="The receiver has it: mark sent."),
    resend: bool = typer.Option(False, "--resend", help="The receiver does not: send again."),
) -> None:
    """Settle an unconfirmed message after checking with the receiver."""
    if received == resend:
        raise InvalidInput(Problem("give exactly one of --received and --resend", field="resolve"))
    app = application()
    done = outbox.resolve(app.context, actor(), key, received=received)
    console.print(f"{done.key}: {done.state.value}", markup=False)


@outbox_app.command("bounce")
def bounce(
    file: Path = typer.Argument(
        ..., help="A delivery-status notification (RFC 3464), as received."
    ),
) -> None:
    """Read a bounce and mark its permanently failed recipients unreachable."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(Problem(f"cannot read: {exc.strerror}", file=str(file))) from None
    report = parse_dsn(data, source=str(file))
    app = application()
    marked = outbox.record_bounce(app.context, actor(), report)
    for item in report.recipients:
        console.print(
            f"{item.address}: {item.action} {item.status} {item.diagnostic}".rstrip(), markup=False
        )
    console.print(
        f"{len(marked)} address{'es' if len(marked) != 1 else ''} marked unreachable"
        + (": " + ", ".join(marked) if marked else ""),
        markup=False,
    )


@outbox_app.command("unreachable")
def unreachable(json: bool = JSON_OPTION) -> None:
    """Addresses marked unreachable by a permanent rejection or a bounce."""
    app = application()
    items = outbox.unreachable_addresses(app.context, actor())
    if json:
        print_json(
            [
                {"address": u.address, "reason": u.reason, "since": u.since.isoformat()}
                for u in items
            ]
        )
        return
    for u in items:
        console.print(f"{u.address}  since {u.since:%Y-%m-%d %H:%M}  {u.reason}", markup=False)
    if not items:
        console.print("No unreachable addresses.", markup=False)


@webhooks_app.command("add")
def add_webhook(
    url: str = typer.Argument(..., help="The receiver's https:// URL."),
    description: str = typer.Option(
        "", "--description", help="What receives it, e.g. 'Slack #incidents relay'."
    ),
) -> None:
    """Register a webhook receiver; prints its signing secret once."""
    app = application()
    made = subscriptions.add_webhook(
        app.context,
        actor(),
        url=url,
        description=description,
        allow_http=app.settings.delivery.webhook_allow_http,
    )
    console.print(f"webhook {made.subscription.id} -> {made.subscription.url}", markup=False)
    console.print(f"signing secret (shown once, keep it): {made.secret}", markup=False)


@webhooks_app.command("list")
def list_webhooks(json: bool = JSON_OPTION) -> None:
    """Webhook subscriptions; secrets are masked."""
    app = application()
    items = subscriptions.webhooks(app.context, actor())
    if json:
        print_json(
            [
                {
                    "id": str(h.id),
                    "url": h.url,
                    "secret": h.masked_secret,
                    "description": h.description,
                    "created_by": h.created_by,
                    "created_at": h.created_at.isoformat(),
                }
                for h in items
            ]
        )
        return
    for h in items:
        console.print(f"{h.id}  {h.url}  {h.masked_secret}  {h.description}", markup=False)
    if not items:
        console.print("No webhook subscriptions.", markup=False)


@webhooks_app.command("remove")
def remove_webhook(id: str = typer.Argument(..., help="The subscription's id.")) -> None:
    """Stop sending to a webhook receiver (queued deliveries to it fail as removed)."""
    app = application()
    gone = subscriptions.remove_webhook(app.context, actor(), id)
    err.print(f"removed {gone.id} ({gone.url})", markup=False)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.add_typer(outbox_app, name="outbox", help="Outgoing email and webhooks: list, settle.")
    app.add_typer(webhooks_app, name="webhooks", help="Webhook receivers of Candor's notices.")
