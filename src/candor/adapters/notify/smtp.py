"""SMTP delivery with ``smtplib``: one connection reused for many messages, each message taken
through MAIL, RCPT and DATA (pipelined where the server offers it) so that a failure is known to
have happened before the final dot (nothing was accepted: retry) or after it (the server may
have it: unconfirmed).

Opening, securing (STARTTLS) or signing in to the connection failing means nothing was sent:
every message of the batch is retried later, with a detail that says which step failed. The
password is read for each new connection and never appears in a detail, even when the server
echoes it.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from collections.abc import Callable, Sequence
from email.charset import QP, Charset
from email.header import Header
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formatdate
from pathlib import Path

from candor.domain.outbox import Message, Outcome, Result, message_id

SMTP_COMPAT = compat32.clone(linesep="\r\n")
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP  # readable in a raw view, unlike base64


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def render(message: Message, *, sender: str, domain: str, date: str | None = None) -> bytes:
    """The message as it goes on the wire (CRLF line ends), with a Message-ID derived from its
    idempotency key. The compat32 ``email`` API: the modern one parses every header it is
    given, several times slower for the same bytes."""
    email = MIMEText(message.body, "plain", _UTF8)
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = _header(message.subject)
    email["Date"] = date or formatdate(usegmt=True)
    email["Message-ID"] = message_id(message.key, domain=domain)
    for name, value in message.headers.items():
        email[name] = _header(value)
    return email.as_bytes(policy=SMTP_COMPAT)


def _classify(stage: str, code: int, reply: bytes | str) -> Result:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    detail = f"{stage}: {code} {text}".strip()
    if 500 <= code < 600 and stage in ("RCPT", "DATA"):
        return Result("", Outcome.PERMANENT, detail)
    return Result("", Outcome.TEMPORARY, detail)


class _NotConnected(Exception):
    """The connection could not be secured or signed in to: nothing was sent."""


def _scrub(text: str, username: str, password: str) -> str:
    """``text`` without the password, plain or as AUTH PLAIN and AUTH LOGIN put it on the wire."""
    if not password:
        return text
    forms = (
        password,
        base64.b64encode(password.encode()).decode(),
        base64.b64encode(f"\0{username}\0{password}".encode()).decode(),
    )
    for form in forms:
        text = text.replace(form, "[password]")
    return text


class SmtpTransport:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        starttls: bool = False,
        username: str | None = None,
        password: Callable[[], str | None] = lambda: None,
        timeout: float = 30.0,
        max_per_connection: int = 1000,
        ca_file: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.domain = sender.rpartition("@")[2] or "localhost"
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout
        self.max_per_connection = max_per_connection
        self.ca_file = ca_file
        self._conn: smtplib.SMTP | None = None
        self._used = 0

    def _connection(self) -> smtplib.SMTP:
        if self._conn is not None and self._used >= self.max_per_connection:
            self.close()
        if self._conn is None:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                conn.ehlo()
                if self.starttls:
                    self._secure(conn)
                if self.username:
                    self._sign_in(conn, self.username)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
            self._used = 0
        return self._conn

    def _secure(self, conn: smtplib.SMTP) -> None:
        if not conn.has_extn("starttls"):
            raise _NotConnected("the server does not offer STARTTLS, which smtp.starttls requires")
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
        except OSError as exc:
            raise _NotConnected(f"cannot read smtp.ca_file: {exc}") from None
        try:
            conn.starttls(context=context)
        except ssl.SSLError as exc:
            private_ca = isinstance(exc, ssl.SSLCertVerificationError) and not self.ca_file
            hint = " (a server with a private CA needs smtp.ca_file)" if private_ca else ""
            raise _NotConnected(f"STARTTLS failed: {exc}{hint}") from None
        conn.ehlo()

    def _sign_in(self, conn: smtplib.SMTP, username: str) -> None:
        try:
            password = self.password()
        except Exception as exc:  # an unreadable password file, say: nothing was sent
            raise _NotConnected(f"cannot read the SMTP password: {exc}") from None
        if not password:
            raise _NotConnected(
                f"no SMTP password to sign in as {username!r} with: set the variable named by "
                "smtp.password_env or smtp.password_file"
            )
        try:
            conn.login(username, password)
        except smtplib.SMTPNotSupportedError:
            hint = "" if self.starttls else "; if it offers it only over TLS, set smtp.starttls"
            raise _NotConnected(
                f"the server offers no sign-in (AUTH) on this connection{hint}"
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            reply = exc.smtp_error
            text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
            raise _NotConnected(
                _scrub(
                    f"the server refused the sign-in as {username!r}: {exc.smtp_code} {text}",
                    username,
                    password,
                )
            ) from None
        except smtplib.SMTPException as exc:
            raise _NotConnected(
                _scrub(f"signing in as {username!r} failed: {exc}", username, password)
            ) from None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (OSError, smtplib.SMTPException):
                self._conn.close()
            self._conn = None

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def deliver(self, messages: Sequence[Message]) -> list[Result]:
        results: list[Result] = []
        date = formatdate(usegmt=True)
        for number, message in enumerate(messages):
            try:
                conn = self._connection()
            except (OSError, smtplib.SMTPException, _NotConnected) as exc:
                # nothing of this message or the rest of the batch went out: all retry later
                if isinstance(exc, _NotConnected):
                    detail = f"{self.host}:{self.port}: {exc}"
                else:
                    detail = f"cannot connect to {self.host}:{self.port}: {exc}"
                results += [Result(m.key, Outcome.TEMPORARY, detail) for m in messages[number:]]
                return results
            data = render(message, sender=self.sender, domain=self.domain, date=date)
            result = self._one(conn, message.recipient, data)
            results.append(Result(message.key, result.outcome, result.detail))
        return results

    def _envelope(self, conn: smtplib.SMTP, recipient: str) -> Result | None:
        """MAIL, RCPT and DATA: None when the server waits for the message, else the outcome.

        Where the server offers PIPELINING (RFC 2920; Postfix, Exim and most MTAs do), the three
        commands go in one write and their replies are read together: one round trip instead of
        three, which on a distant server is most of the time a message takes.
        """
        if not conn.has_extn("pipelining"):
            code, reply = conn.mail(self.sender)
            if code != 250:
                conn.rset()
                return _classify("MAIL", code, reply)
            code, reply = conn.rcpt(recipient)
            if code not in (250, 251):
                conn.rset()
                return _classify("RCPT", code, reply)
            code, reply = conn.docmd("DATA")
            if code != 354:
                conn.rset()
                return _classify("DATA", code, reply)
            return None
        conn.send(
            f"MAIL FROM:{smtplib.quoteaddr(self.sender)}\r\n"
            f"RCPT TO:{smtplib.quoteaddr(recipient)}\r\nDATA\r\n"
        )
        replies = [
            ("MAIL", *conn.getreply()),
            ("RCPT", *conn.getreply()),
            ("DATA", *conn.getreply()),
        ]
        wanted = {"MAIL": (250,), "RCPT": (250, 251), "DATA": (354,)}
        failed = next(((s, c, r) for s, c, r in replies if c not in wanted[s]), None)
        if failed is None:
            return None
        if replies[2][1] == 354:
            # a server that opened DATA although MAIL or RCPT failed: end the empty message,
            # which has no recipient to go to
            conn.send(b".\r\n")
            conn.getreply()
        conn.rset()
        stage, code, reply = failed
        return _classify(stage, code, reply)

    def _one(self, conn: smtplib.SMTP, recipient: str, data: bytes) -> Result:
        if any(c in recipient for c in "\r\n") or not recipient.isascii():
            return Result(
                "",
                Outcome.PERMANENT,
                "the address has a line break or characters outside ASCII, which this SMTP "
                "connection cannot carry",
            )
        handed_over = False
        try:
            refused = self._envelope(conn, recipient)
            if refused is not None:
                return refused
            payload = smtplib.quotedata(data.decode("utf-8", "surrogateescape")).encode(
                "utf-8", "surrogateescape"
            )
            if not payload.endswith(b"\r\n"):
                payload += b"\r\n"
            # From here the server may accept the message even if we never hear its answer.
            # (One write with the final dot: two small writes would wait on delayed ACKs.)
            handed_over = True
            conn.send(payload + b".\r\n")
            code, reply = conn.getreply()
            self._used += 1
            if code == 250:
                return Result("", Outcome.SENT, reply.decode("utf-8", "replace"))
            return _classify("DATA", code, reply)
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            if handed_over:
                return Result(
                    "",
                    Outcome.UNKNOWN,
                    f"the connection failed after the message was handed over: {exc}",
                )
            return Result("", Outcome.TEMPORARY, f"the connection failed: {exc}")
