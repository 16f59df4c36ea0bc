"""Delivery-status notifications (RFC 3464): which recipients failed for good.

A DSN is a ``multipart/report; report-type=delivery-status`` message whose second part,
``message/delivery-status``, holds one block of fields for the message and one per recipient
(``Final-Recipient``, ``Action``, ``Status``, ``Diagnostic-Code``). The standard library's
``email`` package parses it: each block becomes a sub-message of that part.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import Message

from candor.domain.errors import InvalidInput, Problem


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    address: str
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # e.g. 5.1.1
    diagnostic: str = ""

    @property
    def permanent(self) -> bool:
        return self.action == "failed" and self.status.startswith("5")


@dataclass(frozen=True, slots=True)
class Bounce:
    reporting_mta: str
    recipients: tuple[RecipientStatus, ...]
    original_message_id: str | None = None

    @property
    def permanent(self) -> tuple[RecipientStatus, ...]:
        return tuple(r for r in self.recipients if r.permanent)


def _typed_value(raw: str | None) -> str:
    """``rfc822; alice@example.com`` → ``alice@example.com``."""
    if not raw:
        return ""
    value = str(raw)
    if ";" in value:
        value = value.split(";", 1)[1]
    return " ".join(value.split()).strip().strip("<>")


def parse_dsn(data: bytes, *, source: str = "message") -> Bounce:
    """The recipients and their status from a DSN; ``InvalidInput`` naming ``source`` when the
    message is not one."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report" or (
        (message.get_param("report-type") or "").lower() != "delivery-status"  # type: ignore[union-attr]
    ):
        raise InvalidInput(
            Problem(
                "is not a delivery-status notification (RFC 3464): expected "
                "multipart/report; report-type=delivery-status, found "
                f"{message.get_content_type()}",
                file=source,
            )
        )
    status_part: Message | None = None
    original: str | None = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status" and status_part is None:
            status_part = part
        elif kind in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _original_id(part)
    if status_part is None:
        raise InvalidInput(Problem("has no message/delivery-status part", file=source))
    blocks = status_part.get_payload()
    if not isinstance(blocks, list) or not blocks:
        raise InvalidInput(Problem("the delivery-status part is empty", file=source))
    per_message, *per_recipient = [b for b in blocks if isinstance(b, Message)]
    reporting = _typed_value(per_message.get("Reporting-MTA"))
    recipients: list[RecipientStatus] = []
    for number, block in enumerate(per_recipient, start=1):
        address = _typed_value(block.get("Final-Recipient") or block.get("Original-Recipient"))
        action = str(block.get("Action") or "").strip().lower()
        status = str(block.get("Status") or "").strip().split(" ")[0]
        if not address or not action or not status:
            raise InvalidInput(
                Problem(
                    f"recipient block {number} lacks Final-Recipient, Action or Status",
                    file=source,
                )
            )
        recipients.append(
            RecipientStatus(
                address=address.lower() if "@" not in address else _lower_domain(address),
                action=action,
                status=status,
                diagnostic=_typed_value(block.get("Diagnostic-Code")),
            )
        )
    if not recipients:
        raise InvalidInput(Problem("names no recipient", file=source))
    return Bounce(reporting, tuple(recipients), original)


def _lower_domain(address: str) -> str:
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def _original_id(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        value = payload[0].get("Message-ID")
        return str(value).strip() if value else None
    if isinstance(payload, str):
        headers = email.message_from_string(payload, policy=email.policy.compat32)
        value = headers.get("Message-ID")
        return str(value).strip() if value else None
    return None
