"""A real SMTP server on loopback (aiosmtpd, in a thread) that records every message it
accepts, for the delivery tests and the benchmark."""

from __future__ import annotations

import re
import socket
import threading
from collections import Counter
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Recorder:
    """Counts Message-IDs as the server accepts them (before it answers 250)."""

    def __init__(self, *, reject: dict[str, str] | None = None, pipelining: bool = False) -> None:
        self.pipelining = pipelining  # offer PIPELINING (RFC 2920), as Postfix and Exim do
        self.lock = threading.Lock()
        self.ids: Counter[str] = Counter()
        self.messages: list[bytes] = []
        self.keep = False
        self.reject = reject or {}  # recipient -> SMTP reply, e.g. "550 5.1.1 no such user"

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            # aiosmtpd reads one command at a time from its stream, so pipelined commands work;
            # it just does not say so
            responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.reject:
            return self.reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        head = content.split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head)
        with self.lock:
            self.ids[found.group(1).decode() if found else ""] += 1
            if self.keep:
                self.messages.append(content)
        return "250 Message accepted for delivery"

    def received(self) -> Counter[str]:
        with self.lock:
            return Counter(self.ids)


class Sink:
    """``server``: more of aiosmtpd's SMTP options (``tls_context``, ``require_starttls``,
    ``authenticator`` …)."""

    def __init__(
        self, port: int | None = None, *, server: dict[str, Any] | None = None, **recorder: Any
    ) -> None:
        self.port = port or free_port()
        self.recorder = Recorder(**recorder)
        self.controller = Controller(
            self.recorder,
            hostname="127.0.0.1",
            port=self.port,
            data_size_limit=10_000_000,
            **(server or {}),
        )

    def start(self) -> Sink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
