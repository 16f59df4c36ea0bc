"""The outbox, its guards and its transports against real components: SQLite and PostgreSQL,
an SMTP server on loopback (aiosmtpd) and an HTTP webhook receiver on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from candor.adapters.notify.smtp import SmtpTransport
from candor.adapters.notify.webhook import WebhookTransport
from candor.domain.bounces import parse_dsn
from candor.domain.errors import IllegalTransition, InvalidInput, NotFound
from candor.domain.outbox import Channel, State, message_id
from candor.services import outbox, subscriptions
from candor.services.context import Context
from candor.services.ports import UnitOfWork
from candor.services.ports_delivery import DeliverySetup, Transport, with_delivery
from candor.webhooks import SignatureError, verify
from tests.conftest import ADMIN
from tests.delivery.sink import Sink

DSN = Path(__file__).resolve().parents[1] / "data" / "dsn" / "bounce-5.1.1.eml"
SETUP = DeliverySetup(
    own_domains=("example.org",),
    from_address="security@example.org",
    retry_base_seconds=60,
    link_key=b"k" * 32,
)


@pytest.fixture
def ctx(sql_ctx: Context) -> Context:
    return replace(sql_ctx, delivery=SETUP)


@pytest.fixture(params=[False, True], ids=["one-by-one", "pipelined"])
def sink(request: pytest.FixtureRequest) -> Iterator[Sink]:
    server = Sink(
        reject={
            "gone@customer.example": "550 5.1.1 no such user",
            "busy@customer.example": "451 4.3.0 try again later",
        },
        pipelining=request.param,
    ).start()
    try:
        yield server
    finally:
        server.stop()


def smtp(sink: Sink) -> SmtpTransport:
    return SmtpTransport(host="127.0.0.1", port=sink.port, sender="security@example.org")


def put(ctx: Context, key: str, recipient: str, **extra: object) -> outbox.Message:
    with ctx.uow(write=True) as uow:
        made = outbox.enqueue(
            uow,
            key=key,
            channel=extra.pop("channel", Channel.EMAIL),  # type: ignore[arg-type]
            recipient=recipient,
            subject="Notice",
            body=f"Hello {recipient}",
            now=ctx.clock.now(),
            own_domains=ctx.delivery.own_domains,
            **extra,  # type: ignore[arg-type]
        )
        uow.commit()
    return made


def run(ctx: Context, transport: Transport) -> outbox.DeliveryRun:
    return outbox.deliver(ctx, lambda channel: transport, worker="test", jitter=lambda: 0.0)


def stored(ctx: Context, key: str) -> outbox.Message:
    with ctx.uow() as uow:
        found = with_delivery(uow).outbox.get(key)
    assert found is not None
    return found


def test_enqueue_is_idempotent_on_the_key(ctx: Context) -> None:
    first = put(ctx, "statement:1:recipient:a@customer.example", "a@customer.example")
    again = put(ctx, "statement:1:recipient:a@customer.example", "other@customer.example")
    assert again.id == first.id and again.recipient == "a@customer.example"
    assert outbox.counts(ctx, ADMIN)[State.QUEUED] == 1


def test_bad_input_names_the_field_and_stores_nothing(ctx: Context) -> None:
    with pytest.raises(InvalidInput) as caught:
        put(ctx, "has space", "not-an-address")
    fields = {p.field for p in caught.value.problems}
    assert fields == {"key", "recipient"}
    with ctx.uow(write=True) as uow, pytest.raises(InvalidInput) as many:
        outbox.enqueue_many(
            uow,
            [
                outbox.Draft("k:1", "ok@customer.example", "s", "b"),
                outbox.Draft("k:2", "broken", "s", "b"),
            ],
            now=ctx.clock.now(),
        )
    assert [p.field for p in many.value.problems] == ["messages[1].recipient"]
    assert sum(outbox.counts(ctx, ADMIN).values()) == 0


def test_exercise_messages_stay_inside_the_organisation(ctx: Context, sink: Sink) -> None:
    put(ctx, "ex:outside", "ceo@customer.example", exercise=True)
    put(ctx, "ex:inside", "lead@example.org", exercise=True)
    put(ctx, "ex:subdomain", "soc@eu.example.org", exercise=True)
    put(
        ctx,
        "ex:webhook",
        "00000000-0000-0000-0000-000000000000",
        exercise=True,
        channel=Channel.WEBHOOK,
    )
    assert stored(ctx, "ex:outside").state is State.HELD
    assert stored(ctx, "ex:webhook").state is State.HELD
    done = run(ctx, smtp(sink))
    assert done.sent == 2
    received = sink.recorder.received()
    assert received[message_id("ex:outside", domain="example.org")] == 0
    assert received[message_id("ex:inside", domain="example.org")] == 1
    assert stored(ctx, "ex:outside").state is State.HELD
    # with no own domains configured every exercise message is held
    with ctx.uow(write=True) as uow:
        held = outbox.enqueue(
            uow,
            key="ex:nodomains",
            channel="email",
            recipient="lead@example.org",
            subject="s",
            body="b",
            now=ctx.clock.now(),
            exercise=True,
        )
        uow.commit()
    assert held.state is State.HELD


def test_a_permanent_rejection_marks_the_address_unreachable_and_calls_the_hooks(
    ctx: Context, sink: Sink
) -> None:
    told: list[tuple[str, str]] = []

    def hook(uow: UnitOfWork, address: str, reason: str, now: datetime) -> None:
        told.append((address, reason))

    outbox.ADDRESS_UNREACHABLE.append(hook)
    try:
        put(ctx, "n:gone", "gone@customer.example")
        put(ctx, "n:fine", "fine@customer.example")
        done = run(ctx, smtp(sink))
    finally:
        outbox.ADDRESS_UNREACHABLE.remove(hook)
    assert (done.sent, done.dead) == (1, 1)
    dead = stored(ctx, "n:gone")
    assert dead.state is State.DEAD and "550" in dead.last_error
    assert [a for a, _ in told] == ["gone@customer.example"]
    assert [u.address for u in outbox.unreachable_addresses(ctx, ADMIN)] == [
        "gone@customer.example"
    ]
    # later messages to it are not attempted
    later = put(ctx, "n:gone:2", "gone@customer.example")
    assert later.state is State.DEAD and "unreachable" in later.last_error


def test_rejections_and_unsendable_addresses_do_not_stop_the_rest_of_the_batch(
    ctx: Context, sink: Sink
) -> None:
    """Each refusal resets the transaction, so the next message on the same connection goes
    out (with PIPELINING the refusal arrives with the replies to the commands after it)."""
    put(ctx, "n:1", "one@customer.example")
    put(ctx, "n:gone", "gone@customer.example")
    put(ctx, "n:utf", "jörg@customer.example")  # SMTPUTF8 is not used: refused, not a crash
    put(ctx, "n:busy", "busy@customer.example")
    put(ctx, "n:2", "two@customer.example")
    transport = smtp(sink)
    done = run(ctx, transport)
    transport.close()
    assert (done.sent, done.dead, done.retried) == (2, 2, 1)
    assert "outside ASCII" in stored(ctx, "n:utf").last_error
    assert "550" in stored(ctx, "n:gone").last_error
    assert "451" in stored(ctx, "n:busy").last_error
    domain = "example.org"
    assert sink.recorder.received() == {
        message_id("n:1", domain=domain): 1,
        message_id("n:2", domain=domain): 1,
    }


def test_a_temporary_rejection_retries_with_backoff(ctx: Context, sink: Sink) -> None:
    put(ctx, "n:busy", "busy@customer.example")
    done = run(ctx, smtp(sink))
    assert done.retried == 1
    waiting = stored(ctx, "n:busy")
    assert waiting.state is State.QUEUED and waiting.attempts == 1
    assert "451" in waiting.last_error
    # base 60 s, first attempt, jitter 0: half the base
    assert (waiting.next_attempt_at - ctx.clock.now()).total_seconds() == 30
    assert outbox.unreachable_addresses(ctx, ADMIN) == []
    assert run(ctx, smtp(sink)).retried == 0  # not due yet


def test_refused_connection_keeps_messages_queued(ctx: Context) -> None:
    put(ctx, "n:1", "a@customer.example")
    put(ctx, "n:2", "b@customer.example")
    closed = SmtpTransport(host="127.0.0.1", port=1, sender="security@example.org")
    done = run(ctx, closed)
    assert done.retried == 2
    assert all("cannot connect" in stored(ctx, k).last_error for k in ("n:1", "n:2"))


def test_dead_messages_retry_and_unconfirmed_ones_resolve(ctx: Context, sink: Sink) -> None:
    put(ctx, "n:gone", "gone@customer.example")
    run(ctx, smtp(sink))
    with pytest.raises(IllegalTransition):
        outbox.resolve(ctx, ADMIN, "n:gone", received=True)
    assert outbox.retry(ctx, ADMIN, "n:gone").state is State.QUEUED
    # a worker that died mid-batch leaves `sending`; after its lease it is unconfirmed
    put(ctx, "n:lost", "lost@customer.example")
    claimed = outbox.claim(ctx, worker="dead-worker", now=ctx.clock.now(), limit=10)
    assert {m.key for m in claimed} == {"n:gone", "n:lost"}
    assert outbox.recover_expired(ctx, now=ctx.clock.now()) == 0  # lease still held
    ctx.clock.advance(seconds=SETUP.lease_seconds + 1)  # type: ignore[attr-defined]
    assert outbox.recover_expired(ctx, now=ctx.clock.now()) == 2
    assert stored(ctx, "n:lost").state is State.UNCONFIRMED
    assert outbox.resolve(ctx, ADMIN, "n:lost", received=True).state is State.SENT
    assert outbox.resolve(ctx, ADMIN, "n:gone", received=False).state is State.QUEUED


def test_a_dsn_bounce_marks_failed_recipients_only(ctx: Context) -> None:
    report = parse_dsn(DSN.read_bytes(), source=str(DSN))
    assert report.reporting_mta == "mx.customer.example"
    assert [(r.address, r.action, r.status) for r in report.recipients] == [
        ("gone@customer.example", "failed", "5.1.1"),
        ("slow@customer.example", "delayed", "4.4.1"),
    ]
    assert "User unknown" in report.recipients[0].diagnostic
    assert report.original_message_id == "<3f1c0a9e5b7d4e2f8a6c1b0d9e8f7a6b@example.org>"
    assert outbox.record_bounce(ctx, ADMIN, report) == ["gone@customer.example"]
    assert outbox.record_bounce(ctx, ADMIN, report) == []  # already known


def test_a_plain_message_is_not_taken_for_a_bounce() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_dsn(b"From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n", source="mail.eml")
    assert "mail.eml" in str(caught.value) and "delivery-status" in str(caught.value)


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver as the docs tell people to write one."""

    secret: ClassVar[str] = ""
    seen: ClassVar[set[str]] = set()
    accepted: ClassVar[list[dict[str, object]]] = []
    requests: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = dict(self.headers.items())
        type(self).requests.append((headers, body))
        try:
            delivery = verify(self.secret, headers, body, time.time())
        except SignatureError as exc:
            self._answer(400, str(exc))
            return
        if delivery in self.seen:
            self._answer(409, "replayed delivery")
            return
        self.seen.add(delivery)
        type(self).accepted.append(json.loads(body))
        self._answer(204, "")

    def _answer(self, code: int, text: str) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_webhooks_are_signed_and_replays_rejected(ctx: Context) -> None:
    Receiver.seen, Receiver.accepted, Receiver.requests = set(), [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks/candor"
    try:
        with pytest.raises(InvalidInput, match="https"):
            subscriptions.add_webhook(ctx, ADMIN, url=url)
        made = subscriptions.add_webhook(ctx, ADMIN, url=url, allow_http=True)
        Receiver.secret = made.secret
        listed = subscriptions.webhooks(ctx, ADMIN)
        assert made.secret not in repr([(h.masked_secret, h.url) for h in listed])
        body = json.dumps({"event": "statement.published", "incident": "INC-2026-1"})
        with ctx.uow(write=True) as uow:
            assert (
                subscriptions.enqueue_webhooks(
                    uow,
                    key="statement:1",
                    event="statement.published",
                    body=body,
                    now=ctx.clock.now(),
                )
                == 1
            )
            uow.commit()

        def lookup(subscription: str) -> tuple[str, str] | None:
            with ctx.uow() as uow:
                hook = with_delivery(uow).webhooks.get(made.subscription.id)
            return (hook.url, hook.secret) if hook and hook.active else None

        assert run(ctx, WebhookTransport(lookup)).sent == 1
        assert Receiver.accepted == [json.loads(body)]
        headers, raw = Receiver.requests[-1]
        assert headers["Candor-Signature"].startswith("t=")
        import urllib.error
        import urllib.request

        def replay(h: dict[str, str], data: bytes) -> int:
            request = urllib.request.Request(url, data=data, method="POST", headers=h)
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
                    return int(answer.status)
            except urllib.error.HTTPError as exc:
                return exc.code

        assert replay(headers, raw) == 409  # the same delivery again
        assert replay(headers, raw.replace(b"INC-2026-1", b"INC-2026-2")) == 400  # tampered
        stale = dict(headers, **{"Candor-Delivery": "another"})
        t = int(time.time()) - 3600
        from candor.webhooks import sign

        stale["Candor-Signature"] = sign(made.secret, raw, t)
        assert replay(stale, raw) == 400  # too old
        assert len(Receiver.accepted) == 1
        # a removed subscription receives nothing more
        subscriptions.remove_webhook(ctx, ADMIN, str(made.subscription.id))
        with ctx.uow(write=True) as uow:
            assert (
                subscriptions.enqueue_webhooks(
                    uow, key="statement:2", event="e", body="{}", now=ctx.clock.now()
                )
                == 0
            )
    finally:
        server.shutdown()


def test_verify_names_what_is_wrong() -> None:
    body = b'{"a": 1}'
    now = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
    from candor.webhooks import sign

    good = {"Candor-Signature": sign("s3cret", body, int(now)), "Candor-Delivery": "d1"}
    assert verify("s3cret", good, body, now) == "d1"
    with pytest.raises(SignatureError, match="does not match"):
        verify("other", good, body, now)
    with pytest.raises(SignatureError, match="tolerance"):
        verify("s3cret", good, body, now + 301)
    with pytest.raises(SignatureError, match="Candor-Delivery"):
        verify("s3cret", {"Candor-Signature": good["Candor-Signature"]}, body, now)


def test_a_late_worker_does_not_overwrite_what_happened_after_its_lease(
    ctx: Context, sink: Sink
) -> None:
    """A batch that outlived its lease is marked unconfirmed and may be settled by the operator;
    the worker finishing it late must not record over that."""
    put(ctx, "n:slow", "slow@customer.example")
    claimed = outbox.claim(ctx, worker="slow-worker", now=ctx.clock.now(), limit=10)
    ctx.clock.advance(seconds=SETUP.lease_seconds + 1)  # type: ignore[attr-defined]
    assert outbox.recover_expired(ctx, now=ctx.clock.now()) == 1
    assert outbox.resolve(ctx, ADMIN, "n:slow", received=False).state is State.QUEUED
    results = smtp(sink).deliver(claimed)
    outbox.settle(ctx, claimed, results, now=ctx.clock.now())
    assert stored(ctx, "n:slow").state is State.QUEUED  # the operator's decision stands


class _Broken:
    def deliver(self, messages: list[outbox.Message]) -> list[outbox.Result]:
        raise RuntimeError("a bug in a transport")


def test_a_failing_transport_leaves_its_messages_unconfirmed_and_the_others_recorded(
    ctx: Context, sink: Sink
) -> None:
    put(ctx, "n:mail", "mail@customer.example")
    made = subscriptions.add_webhook(ctx, ADMIN, url="https://hooks.example.net/candor")
    put(ctx, "n:hook", str(made.subscription.id), channel=Channel.WEBHOOK)
    mail = smtp(sink)
    done = outbox.deliver(
        ctx,
        lambda channel: mail if channel is Channel.EMAIL else _Broken(),  # type: ignore[return-value]
        worker="test",
    )
    assert (done.sent, done.unconfirmed) == (1, 1)
    assert stored(ctx, "n:mail").state is State.SENT
    hook = stored(ctx, "n:hook")
    assert hook.state is State.UNCONFIRMED and "a bug in a transport" in hook.last_error


@pytest.mark.parametrize("url", ["https://[::1/x", "https://example.com:abc/x", "https://h:99999/"])
def test_a_webhook_url_that_cannot_be_parsed_is_a_named_error(ctx: Context, url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        subscriptions.add_webhook(ctx, ADMIN, url=url)
    assert caught.value.problems[0].field == "url"
    assert subscriptions.webhooks(ctx, ADMIN) == []


def test_a_mangled_unsubscribe_link_is_not_found_not_a_crash(ctx: Context) -> None:
    with pytest.raises(NotFound):
        subscriptions.unsubscribe(ctx, "00000000-0000-0000-0000-000000000001", "tökén")
