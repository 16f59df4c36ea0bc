"""Decrypt PGP-encrypted reports with the organisation's private key, through pysequoia.

Why pysequoia (Python bindings of Sequoia-PGP, Rust): it is maintained (releases through 2026),
ships binary wheels (no gpg binary, no keyring directory, no subprocess), supports current
OpenPGP (RFC 9580 as well as RFC 4880 keys) and comes with type stubs. PGPy is unmaintained
since 2022 and breaks on Python 3.13 (PGPy13 is a stop-gap fork); python-gnupg drives the gpg
binary through a keyring on disk, which a web process should not have to manage. The pysequoia
API is not declared stable, so the dependency is pinned below 0.2 and only this module uses it.

Errors become ``InvalidInput`` with a message a responder can act on: damaged armour, a message
encrypted to some other key (with the key IDs it was encrypted to), a missing or wrong
passphrase.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pysequoia
from pysequoia.packet import PacketPile, Tag

from candor.domain.armor import ArmoredMessage, find_messages, has_unterminated_message
from candor.domain.errors import InvalidInput, Problem

__all__ = ["ArmoredMessage", "Decrypted", "OrganisationKey", "find_messages"]

_RESEND = "ask the reporter to send it again, ideally as an attachment: copy and paste can break it"


def _reason(exc: Exception) -> str:
    # Sequoia's errors carry a Rust backtrace when RUST_BACKTRACE is set; keep the sentence
    return str(exc).split("\n\nStack backtrace", 1)[0].replace("\n\nCaused by:\n   ", ":").strip()


@dataclass(frozen=True, slots=True)
class Decrypted:
    plaintext: bytes
    key_fingerprint: str  # the organisation key that opened it

    @property
    def text(self) -> str | None:
        """The plaintext as text, when it is UTF-8 (reports usually are)."""
        try:
            return self.plaintext.decode("utf-8")
        except UnicodeDecodeError:
            return None


class OrganisationKey:
    """The organisation's OpenPGP secret key, unlocked once with its passphrase."""

    def __init__(self, tsk: pysequoia.Tsk, passphrase: str | None) -> None:
        self._tsk = tsk
        self._cert = tsk.extract_certificate()
        self._key_ids = _key_ids(bytes(self._cert))
        try:
            self._decryptor = tsk.decryptor(passphrase)
        except Exception as exc:  # pysequoia raises RuntimeError for every key problem
            reason = _reason(exc)
            if passphrase is None and "encrypted" in reason:
                raise InvalidInput(
                    Problem(
                        "the organisation's private key is protected by a passphrase; none given",
                        field="pgp.passphrase",
                    )
                ) from None
            if passphrase is not None and "not encrypted" in reason:
                # an unprotected key with a passphrase configured: use it as it is
                self._decryptor = tsk.decryptor()
            elif passphrase is not None:
                raise InvalidInput(
                    Problem(
                        "wrong passphrase for the organisation's private key",
                        field="pgp.passphrase",
                    )
                ) from None
            else:
                raise InvalidInput(
                    Problem(f"the private key cannot decrypt: {reason}", field="pgp.private_key")
                ) from None

    @classmethod
    def from_bytes(cls, data: bytes, *, passphrase: str | None = None) -> OrganisationKey:
        try:
            tsk = pysequoia.Tsk.from_bytes(data)
        except Exception as exc:
            raise InvalidInput(
                Problem(
                    f"not an OpenPGP private key: {_reason(exc)}",
                    field="pgp.private_key",
                    hint="export it with: gpg --export-secret-keys --armor FINGERPRINT",
                )
            ) from None
        return cls(tsk, passphrase)

    @classmethod
    def from_file(cls, path: Path | str, *, passphrase: str | None = None) -> OrganisationKey:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InvalidInput(
                Problem(f"cannot read {path}: {exc.strerror}", field="pgp.private_key")
            ) from None
        return cls.from_bytes(data, passphrase=passphrase)

    @property
    def fingerprint(self) -> str:
        return self._cert.fingerprint

    @property
    def public_key(self) -> str:
        """The armoured public key, to publish where security.txt's Encryption points."""
        return str(self._cert)

    def decrypt(self, message: str | bytes) -> Decrypted:
        """Decrypt one armoured message (or a report holding exactly one)."""
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        found = find_messages(text)
        if not found:
            hint = _RESEND if has_unterminated_message(text) else None
            what = "is cut off (no END line)" if hint else "holds no ASCII-armoured PGP message"
            raise InvalidInput(Problem(f"the report {what}", field="message", hint=hint))
        if len(found) > 1:
            raise InvalidInput(
                Problem(
                    f"the report holds {len(found)} PGP messages; decrypt them one at a time",
                    field="message",
                )
            )
        armored = found[0].text.encode("utf-8")
        recipients = _recipients(armored)
        if (
            recipients
            and "0000000000000000" not in recipients
            and not (set(recipients) & self._key_ids)
        ):
            raise InvalidInput(
                Problem(
                    "this message was not encrypted to the organisation's key "
                    f"(it is for key ID {', '.join(sorted(recipients))})",
                    field="message",
                    hint=f"our key is {self.fingerprint}; point the reporter to the key "
                    "named in security.txt (Encryption)",
                )
            )
        try:
            result = pysequoia.decrypt(armored, decryptor=self._decryptor)
        except Exception as exc:
            reason = _reason(exc)
            if "No key to decrypt" in reason:
                raise InvalidInput(
                    Problem(
                        "this message was not encrypted to the organisation's key",
                        field="message",
                        hint=f"our key is {self.fingerprint}",
                    )
                ) from None
            raise InvalidInput(
                Problem(f"the PGP message is damaged: {reason}", field="message", hint=_RESEND)
            ) from None
        if result.bytes is None:  # only for file output, which we do not use
            raise InvalidInput(Problem("the message decrypted to nothing", field="message"))
        return Decrypted(result.bytes, self.fingerprint)


def _key_ids(cert: bytes) -> frozenset[str]:
    return frozenset(
        p.key_id
        for p in PacketPile.from_bytes(cert)
        if p.tag in (Tag.PublicKey, Tag.PublicSubkey) and p.key_id
    )


def _recipients(message: bytes) -> tuple[str, ...]:
    """Key IDs a message is encrypted to, read from its PKESK packets (v3 and v6).

    Empty when the packets cannot be read: decryption then reports the damage itself.
    """
    try:
        pile = PacketPile.from_bytes(message)
    except Exception:  # damaged armour: decrypt() says what is wrong
        return ()
    out = []
    for packet in pile:
        if packet.tag != Tag.PKESK:
            continue
        body = packet.body
        if body[:1] == b"\x03" and len(body) >= 9:
            out.append(body[1:9].hex())
        elif body[:1] == b"\x06" and len(body) >= 3 and body[1] >= 1:
            # v6: length, key version, fingerprint. The key ID is the last 8 bytes of a v4
            # fingerprint and the first 8 bytes of a v6 one (RFC 9580 §5.5.4).
            fingerprint = body[3 : 2 + body[1]]
            key_id = fingerprint[:8] if body[2] == 6 else fingerprint[-8:]
            out.append(key_id.hex() if fingerprint else "0000000000000000")
    return tuple(out)
