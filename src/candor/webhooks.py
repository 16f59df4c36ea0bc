"""Signing and verifying Candor's webhooks: a small module a receiver can copy or import.

Every delivery is an HTTP POST of a JSON body with two headers::

    Candor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>
    Candor-Delivery: <delivery id, the same on every retry of one message>

A receiver checks the signature with ``verify`` and then rejects a delivery id it has already
processed (``verify`` cannot know that: keep the ids of the last ``tolerance`` seconds). Standard
library only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_HEADER = "Candor-Signature"
DELIVERY_HEADER = "Candor-Delivery"
DEFAULT_TOLERANCE = 300


class SignatureError(ValueError):
    """The delivery is not authentic or too old; answer 400 and do not process it."""


def signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The value of the ``Candor-Signature`` header."""
    return f"t={timestamp},v1={signature(secret, body, timestamp)}"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> str:
    """Check a delivery; returns its delivery id, or raises ``SignatureError``.

    ``now`` is the receiver's clock in Unix seconds (``time.time()``); a timestamp more than
    ``tolerance`` seconds away from it is refused, which bounds how long a captured request
    can be replayed. Within that window, refuse delivery ids already seen."""
    raw = _header(headers, SIGNATURE_HEADER)
    delivery = _header(headers, DELIVERY_HEADER)
    if not raw:
        raise SignatureError(f"no {SIGNATURE_HEADER} header")
    if not delivery:
        raise SignatureError(f"no {DELIVERY_HEADER} header")
    fields: dict[str, list[str]] = {}
    for item in raw.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("the signature has no valid timestamp t=") from None
    if abs(now - timestamp) > tolerance:
        raise SignatureError(
            f"the timestamp is {int(now - timestamp)} s away from now (tolerance {tolerance} s)"
        )
    expected = signature(secret, body, timestamp)
    # several v1 values may be present while a secret is being rotated
    if not any(hmac.compare_digest(expected, given) for given in fields.get("v1", [])):
        raise SignatureError("the signature does not match")
    return delivery
