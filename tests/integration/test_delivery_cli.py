"""`candor worker`, `candor outbox …` and `candor webhooks …` in process: exit codes, masked
secrets, a real bounce file, a real SMTP server on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from candor.cli import common
from candor.domain.outbox import State, message_id
from candor.services import outbox
from tests.conftest import ADMIN
from tests.delivery.sink import Sink
from tests.integration.test_cli import Run, cli  # noqa: F401 - the fixture

DSN = Path(__file__).resolve().parents[1] / "data" / "dsn" / "bounce-5.1.1.eml"


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Sink:
    server = Sink().start()
    monkeypatch.setenv("CANDOR_SMTP__HOST", "127.0.0.1")
    monkeypatch.setenv("CANDOR_SMTP__PORT", str(server.port))
    monkeypatch.setenv("CANDOR_SMTP__FROM_ADDRESS", "security@example.org")
    yield server  # type: ignore[misc]
    server.stop()


def queue(key: str, recipient: str) -> None:
    app = common.application()
    with app.context.uow(write=True) as uow:
        outbox.enqueue(
            uow,
            key=key,
            channel="email",
            recipient=recipient,
            subject="Notice",
            body="Hello",
            now=app.clock.now(),
        )
        uow.commit()


def test_worker_once_delivers_and_outbox_lists(cli: Run, sink: Sink) -> None:  # noqa: F811
    common.state.app = None  # settings from the environment above
    queue("notice:1", "a@customer.example")
    code, out, _ = cli("worker", "--once", "--job", "outbox.deliver")
    assert code == 0 and "outbox.deliver: 1 sent" in out and "stopped" in out
    assert sink.recorder.received()[message_id("notice:1", domain="example.org")] == 1
    code, out, _ = cli("--as", "root", "outbox", "list", "--json")
    assert code == 0
    assert [(m["key"], m["state"]) for m in json.loads(out)] == [("notice:1", "sent")]
    code, _, err = cli("worker", "--job", "nope")
    assert code == 1 and "--job" in err and "outbox.deliver" in err


def test_resolve_needs_one_answer_and_only_settles_unconfirmed(cli: Run) -> None:  # noqa: F811
    queue("notice:2", "b@customer.example")
    code, _, err = cli("--as", "root", "outbox", "resolve", "notice:2")
    assert code == 1 and "--received" in err
    code, _, err = cli("--as", "root", "outbox", "resolve", "notice:2", "--received")
    assert code == 1 and "only unconfirmed" in err
    code, _, err = cli("--as", "root", "outbox", "retry", "nosuch")
    assert code == 1 and "nosuch" in err
    code, out, _ = cli("--as", "root", "outbox", "unconfirmed")
    assert code == 0 and "No unconfirmed" in out


def test_bounce_marks_the_address(cli: Run, tmp_path: Path) -> None:  # noqa: F811
    code, out, _ = cli("--as", "root", "outbox", "bounce", str(DSN))
    assert code == 0
    assert "gone@customer.example: failed 5.1.1" in out
    assert "1 address marked unreachable: gone@customer.example" in out
    code, out, _ = cli("--as", "root", "outbox", "unreachable", "--json")
    assert [u["address"] for u in json.loads(out)] == ["gone@customer.example"]
    queue("notice:3", "gone@customer.example")
    app = common.application()
    assert outbox.messages(app.context, ADMIN)[0].state is State.DEAD
    plain = tmp_path / "plain.eml"
    plain.write_bytes(b"Subject: hi\r\n\r\nhello\r\n")
    code, _, err = cli("--as", "root", "outbox", "bounce", str(plain))
    assert code == 1 and str(plain) in err
    code, _, err = cli("--as", "root", "outbox", "bounce", str(tmp_path / "missing.eml"))
    assert code == 1 and "missing.eml" in err


def test_webhook_secret_is_shown_once(cli: Run) -> None:  # noqa: F811
    code, out, _ = cli(
        "--as",
        "root",
        "webhooks",
        "add",
        "https://hooks.example.com/candor",
        "--description",
        "SIEM",
    )
    assert code == 0
    secret = out.split("keep it): ")[1].strip()
    assert secret.startswith("whsec_")
    code, out, _ = cli("--as", "root", "webhooks", "list", "--json")
    hooks = json.loads(out)
    assert hooks[0]["url"] == "https://hooks.example.com/candor"
    assert secret not in out
    code, _, err = cli("--as", "root", "webhooks", "add", "http://hooks.example.com/")
    assert code == 1 and "https" in err
    code, _, _ = cli("--as", "root", "webhooks", "remove", hooks[0]["id"])
    assert code == 0
    assert json.loads(cli("--as", "root", "webhooks", "list", "--json")[1]) == []
    assert cli("--as", "root", "webhooks", "remove", hooks[0]["id"])[0] == 1
