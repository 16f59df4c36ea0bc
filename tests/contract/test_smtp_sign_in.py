"""SMTP with STARTTLS and sign-in (AUTH) against a real server on loopback (aiosmtpd) whose
certificate a certificate authority made for the test signed: the transport is built from the
settings, as `candor worker` builds it, and trusts that authority through `smtp.ca_file`."""

from __future__ import annotations

import base64
import logging
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from candor import bootstrap, config
from candor.domain.outbox import Channel, State, message_id
from candor.services import outbox
from candor.services.context import Context
from candor.services.ports_delivery import DeliverySetup, Transport
from tests.contract.test_delivery_services import stored
from tests.delivery.sink import Sink
from tests.fakes import FakeClock

SETUP = DeliverySetup(from_address="security@example.org", retry_base_seconds=60)
USER = "candor"
SECRET = "s3cret-Horse-Battery"
PASSWORD_ENV = "CANDOR_TEST_SMTP_PASSWORD"


@dataclass(frozen=True)
class Pki:
    ca: Path  # what the client trusts
    chain: Path  # the server's certificate
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.chain, self.key)
        return context


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A certificate authority and a server certificate for 127.0.0.1 that it signed."""
    folder = tmp_path_factory.mktemp("pki")
    start = datetime.now(UTC) - timedelta(days=1)
    end = start + timedelta(days=30)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Candor test CA"))
        .issuer_name(_name("Candor test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(IPv4Address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    made = Pki(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    made.ca.write_bytes(ca.public_bytes(pem))
    made.chain.write_bytes(leaf.public_bytes(pem))
    made.key.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return made


def check_password(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    assert isinstance(auth_data, LoginPassword)
    if auth_data.login == USER.encode() and auth_data.password == SECRET.encode():
        return AuthResult(success=True)
    # a careless server that repeats what it was given: the outbox must still not keep it
    given = auth_data.password.decode()
    return AuthResult(success=False, handled=False, message=f"535 5.7.8 wrong password {given}")


@pytest.fixture
def ctx(sql_ctx: Context) -> Context:
    return replace(sql_ctx, delivery=SETUP)


def server(pki: Pki, **options: Any) -> Iterator[Sink]:
    sink = Sink(server={"tls_context": pki.server_context(), **options}).start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def tls_only(pki: Pki) -> Iterator[Sink]:
    yield from server(pki, require_starttls=True)


@pytest.fixture
def with_auth(pki: Pki) -> Iterator[Sink]:
    yield from server(
        pki,
        require_starttls=True,
        authenticator=check_password,
        auth_required=True,
        auth_require_tls=True,
    )


def transport(tmp_path: Path, sink: Sink, **smtp: Any) -> Transport:
    """The email transport exactly as the worker makes it from the settings."""
    settings = config.Settings(
        home=tmp_path,
        smtp=config.SmtpSettings(
            host="127.0.0.1", port=sink.port, from_address=SETUP.from_address, **smtp
        ),
    )
    return bootstrap.Application(settings=settings, clock=FakeClock()).transports()(Channel.EMAIL)


def put(ctx: Context, key: str) -> None:
    with ctx.uow(write=True) as uow:
        outbox.enqueue(
            uow,
            key=key,
            channel=Channel.EMAIL,
            recipient="customer@customer.example",
            subject="Notice",
            body="Hello",
            now=ctx.clock.now(),
        )
        uow.commit()


def run(ctx: Context, mail: Transport) -> outbox.DeliveryRun:
    return outbox.deliver(ctx, lambda channel: mail, worker="test", jitter=lambda: 0.0)


def received(sink: Sink, key: str) -> int:
    return sink.recorder.received()[message_id(key, domain="example.org")]


def test_a_server_that_requires_starttls_gets_the_message_over_tls(
    ctx: Context, tls_only: Sink, pki: Pki, tmp_path: Path
) -> None:
    put(ctx, "tls:1")
    # the server's certificate is not trusted by the system: the client refuses it
    untrusted = transport(tmp_path, tls_only, starttls=True)
    assert run(ctx, untrusted).retried == 1
    error = stored(ctx, "tls:1").last_error
    assert "STARTTLS failed" in error and "certificate verify failed" in error
    assert "smtp.ca_file" in error
    assert received(tls_only, "tls:1") == 0
    # without STARTTLS the server refuses the envelope: retried, not lost
    ctx.clock.advance(seconds=3600)  # type: ignore[attr-defined]
    assert run(ctx, transport(tmp_path, tls_only)).retried == 1
    assert "530" in stored(ctx, "tls:1").last_error
    assert received(tls_only, "tls:1") == 0
    # trusting the authority that signed it
    ctx.clock.advance(seconds=3600)  # type: ignore[attr-defined]
    assert run(ctx, transport(tmp_path, tls_only, starttls=True, ca_file=pki.ca)).sent == 1
    assert stored(ctx, "tls:1").state is State.SENT
    assert received(tls_only, "tls:1") == 1


def test_sign_in_delivers_and_a_wrong_password_is_a_recorded_retry_that_keeps_it_secret(
    ctx: Context,
    with_auth: Sink,
    pki: Pki,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    signed = {"starttls": True, "ca_file": pki.ca, "username": USER, "password_env": PASSWORD_ENV}
    put(ctx, "auth:1")

    wrong = "Not-" + SECRET
    monkeypatch.setenv(PASSWORD_ENV, wrong)
    assert run(ctx, transport(tmp_path, with_auth, **signed)).retried == 1
    refused = stored(ctx, "auth:1")
    assert refused.state is State.QUEUED and refused.attempts == 1
    assert "refused the sign-in as 'candor': 535" in refused.last_error
    assert received(with_auth, "auth:1") == 0

    # sign-in is offered only over TLS: without STARTTLS the detail says what to set
    ctx.clock.advance(seconds=3600)  # type: ignore[attr-defined]
    plain = {**signed, "starttls": False}
    assert run(ctx, transport(tmp_path, with_auth, **plain)).retried == 1
    assert "set smtp.starttls" in stored(ctx, "auth:1").last_error

    # no password at all is named as such, not sent as an empty one
    monkeypatch.delenv(PASSWORD_ENV)
    ctx.clock.advance(seconds=3600)  # type: ignore[attr-defined]
    assert run(ctx, transport(tmp_path, with_auth, **signed)).retried == 1
    assert "no SMTP password" in stored(ctx, "auth:1").last_error
    # an unreadable password file: retried, not taken for a message that may have gone out
    ctx.clock.advance(seconds=3600)  # type: ignore[attr-defined]
    unreadable = {**signed, "password_file": tmp_path / "no-such-secret"}
    assert run(ctx, transport(tmp_path, with_auth, **unreadable)).retried == 1
    assert "cannot read the SMTP password" in stored(ctx, "auth:1").last_error
    assert stored(ctx, "auth:1").state is State.QUEUED

    monkeypatch.setenv(PASSWORD_ENV, SECRET)
    ctx.clock.advance(seconds=3600)  # type: ignore[attr-defined]
    assert run(ctx, transport(tmp_path, with_auth, **signed)).sent == 1
    assert stored(ctx, "auth:1").state is State.SENT
    assert received(with_auth, "auth:1") == 1

    # neither password, plain or as AUTH PLAIN and AUTH LOGIN encode it, in the outbox row or
    # in anything Candor logged (the test server's own log is not ours)
    forms = [
        form
        for password in (wrong, SECRET)
        for form in (
            password,
            base64.b64encode(password.encode()).decode(),
            base64.b64encode(f"\0{USER}\0{password}".encode()).decode(),
        )
    ]
    row = repr(stored(ctx, "auth:1")) + repr(refused)
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail"))
    for form in forms:
        assert form not in row
        assert form not in ours
