"""Reports from outside: what someone submits on the public form, through the API or the CLI.

Incidents often start outside (the Datadog breach began with a customer's PGP-encrypted e-mail).
A report is stored exactly as submitted, gets a reference (``REP-2026-17``) the reporter can quote,
and waits in a queue until a responder acknowledges it, promotes it to an incident, or declines
it with a reason.

Everything a stranger sends is checked here, all at once: sizes per field, characters that are
not text (NUL and other control characters, lone surrogates that PostgreSQL would refuse), an
e-mail address that cannot be one, a PGP block cut off by copy and paste. The armoured message is
kept byte for byte; the other fields lose only surrounding white space.

Privacy: the reporter's address is never stored whole. A report keeps its network (IPv4 /24,
IPv6 /48), enough to see that many reports came from one place; the rate limiter keeps a keyed
hash of the full address, for the length of its window only (``client_digest``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from candor.domain.access import Actor, OrgRole, Scope
from candor.domain.armor import find_messages, has_unterminated_message
from candor.domain.errors import (
    IllegalTransition,
    InvalidInput,
    PermissionDenied,
    Problem,
    ProblemCollector,
    RateLimited,
)
from candor.domain.vocabulary import require_aware

KEY_PATTERN = re.compile(r"^REP-(?P<year>\d{4})-(?P<seq>[1-9]\d*)$")

# characters per field; the finding written at promotion (every text field but the armour) must
# fit in one timeline entry (timeline.BODY_MAX, 50 000)
LIMITS: dict[str, int] = {
    "what_happened": 20_000,
    "how_found": 10_000,
    "affected": 2_000,
    "reporter_name": 200,
    "reporter_email": 254,  # RFC 5321's limit on a forward path
    "pgp_message": 100_000,
}
LABELS: dict[str, str] = {
    "what_happened": "What happened",
    "how_found": "How it was found",
    "affected": "Affected product or URL",
    "reporter_name": "Your name",
    "reporter_email": "Your e-mail address",
    "pgp_message": "Encrypted message (ASCII-armoured PGP)",
}
# the whole request: the fields above, URL- or JSON-encoded, with room for the encoding's growth
BODY_MAX = 512 * 1024
REASON_MAX = 2_000
# control characters other than tab, line feed and carriage return
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")


class ReportStatus(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    PROMOTED = "promoted"
    DECLINED = "declined"

    @property
    def is_open(self) -> bool:
        return self in (ReportStatus.RECEIVED, ReportStatus.ACKNOWLEDGED)


class Channel(StrEnum):
    WEB = "web"
    API = "api"
    CLI = "cli"


@dataclass(frozen=True, slots=True)
class Submission:
    """What the reporter wrote. Empty strings for what they left out."""

    what_happened: str = ""
    how_found: str = ""
    affected: str = ""
    reporter_name: str = ""
    reporter_email: str = ""
    pgp_message: str = ""

    @property
    def encrypted(self) -> bool:
        return bool(self.pgp_message)

    def sizes(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in LIMITS if getattr(self, name)}


def parse_submission(data: Mapping[str, object], *, strict: bool = False) -> Submission:
    """Check a submission, reporting every problem at once. ``strict`` refuses unknown fields
    (the API); the web form carries its own extra fields (CSRF token, the trap)."""
    problems = ProblemCollector()
    values: dict[str, str] = {}
    if strict:
        for name in data:
            if name not in LIMITS:
                problems.add("unknown field", field=str(name), hint="fields: " + ", ".join(LIMITS))
    for name, limit in LIMITS.items():
        raw = data.get(name)
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            problems.add("must be text", field=name)
            continue
        # the armour is kept as sent; trimming it would change what the reporter encrypted
        text = raw if name == "pgp_message" else raw.strip()
        _check_text(problems, name, text, limit)
        values[name] = text
    problems.raise_if_any()
    submission = Submission(**values)
    if not submission.what_happened and not submission.pgp_message.strip():
        problems.add(
            "must not be empty",
            field="what_happened",
            hint="describe what you saw, or paste an encrypted message",
        )
    if submission.reporter_email and not _EMAIL.match(submission.reporter_email):
        problems.add(
            "is not an e-mail address",
            field="reporter_email",
            hint="e.g. name@example.com, or leave it empty",
        )
    if submission.pgp_message.strip():
        if has_unterminated_message(submission.pgp_message):
            problems.add(
                "the PGP message is cut off (no END PGP MESSAGE line)",
                field="pgp_message",
                hint="paste the whole block, from -----BEGIN PGP MESSAGE----- to "
                "-----END PGP MESSAGE-----",
            )
        elif not find_messages(submission.pgp_message):
            problems.add(
                "holds no ASCII-armoured PGP message",
                field="pgp_message",
                hint="write plain text in the fields above; this one is for a block that begins "
                "with -----BEGIN PGP MESSAGE-----",
            )
    elif submission.pgp_message:
        submission = replace(submission, pgp_message="")  # white space only: nothing sent
    problems.raise_if_any()
    return submission


def _check_text(problems: ProblemCollector, name: str, text: str, limit: int) -> None:
    if len(text) > limit:
        problems.add(f"is {len(text)} characters long; at most {limit} allowed", field=name)
    if _CONTROL.search(text):
        problems.add("contains control characters that are not text", field=name)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        problems.add("contains characters that are not valid Unicode", field=name)


@dataclass(frozen=True, slots=True)
class Report:
    id: uuid.UUID
    key: str
    submission: Submission
    channel: Channel
    received_at: datetime
    # the sender's network (203.0.113.0/24), never the whole address; empty when unknown
    client_network: str = ""
    submitted_by: str | None = None  # the user, for the CLI; None for the public channels
    status: ReportStatus = ReportStatus.RECEIVED
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    handled_at: datetime | None = None  # promoted or declined
    handled_by: str | None = None
    decline_reason: str = ""
    incident_key: str | None = None
    version: int = 1


def format_key(year: int, seq: int) -> str:
    return f"REP-{year}-{seq}"


def parse_key(text: str) -> str:
    key = text.strip().upper()
    if not KEY_PATTERN.match(key):
        raise InvalidInput(
            Problem(f"not a report reference: {text!r}", field="key", hint="e.g. REP-2026-17")
        )
    return key


def receive(
    submission: Submission,
    *,
    id: uuid.UUID,
    key: str,
    channel: Channel,
    now: datetime,
    client_network: str = "",
    submitted_by: str | None = None,
) -> Report:
    return Report(
        id=id,
        key=parse_key(key),
        submission=submission,
        channel=channel,
        received_at=require_aware(now, field="now"),
        client_network=client_network,
        submitted_by=submitted_by,
    )


def require_open(report: Report, action: str) -> None:
    if not report.status.is_open:
        raise IllegalTransition(
            f"{report.key} is already {report.status.value}; it cannot be {action}"
        )


def acknowledge(report: Report, *, by: str, now: datetime) -> Report:
    if report.status is not ReportStatus.RECEIVED:
        require_open(report, "acknowledged")
        raise IllegalTransition(f"{report.key} was acknowledged already")
    return replace(
        report,
        status=ReportStatus.ACKNOWLEDGED,
        acknowledged_at=require_aware(now, field="now"),
        acknowledged_by=by,
    )


def decline(report: Report, *, by: str, now: datetime, reason: str) -> Report:
    require_open(report, "declined")
    text = reason.strip()
    problems = ProblemCollector()
    if not text:
        problems.add(
            "must not be empty",
            field="reason",
            hint="say why, e.g. 'spam' or 'out of scope: third-party site'",
        )
    _check_text(problems, "reason", text, REASON_MAX)
    problems.raise_if_any()
    return replace(
        report,
        status=ReportStatus.DECLINED,
        handled_at=require_aware(now, field="now"),
        handled_by=by,
        decline_reason=text,
    )


def promote(report: Report, *, by: str, now: datetime, incident_key: str) -> Report:
    require_open(report, "promoted")
    return replace(
        report,
        status=ReportStatus.PROMOTED,
        handled_at=require_aware(now, field="now"),
        handled_by=by,
        incident_key=incident_key,
    )


def snapshot(report: Report) -> dict[str, Any]:
    """What the audit log keeps about a report: its state, never what the reporter wrote."""
    return {
        "key": report.key,
        "status": report.status.value,
        "channel": report.channel.value,
        "encrypted": report.submission.encrypted,
        "sizes": report.submission.sizes(),
        "client_network": report.client_network,
        "incident_key": report.incident_key,
        "decline_reason": report.decline_reason,
    }


# ---- who may read and handle reports ------------------------------------------------------------


def can_read(actor: Actor) -> bool:
    # reports hold undisclosed vulnerabilities and the reporters' contact details: responders,
    # counsel and admins, not read-only viewers
    return actor.role is not OrgRole.VIEWER and Scope.READ in actor.scopes


def require_read(actor: Actor) -> None:
    if not can_read(actor):
        raise PermissionDenied(f"{actor.username} may not read reports (responders do)")


def require_handle(actor: Actor) -> None:
    if not (can_read(actor) and actor.can_write):
        raise PermissionDenied(f"{actor.username} may not handle reports (responders do)")


# ---- the finding written when a report becomes an incident -------------------------------------


def default_title(report: Report) -> str:
    first = next((line.strip() for line in report.submission.what_happened.splitlines()), "")
    if not first:
        return f"Encrypted report {report.key}"
    title = f"Report {report.key}: {first}"
    return title if len(title) <= 120 else title[:119].rstrip() + "…"


def _verbatim(text: str) -> str:
    """A fenced block the text cannot close: whatever it holds is shown, never rendered."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def finding_body(report: Report) -> str:
    """The first finding of an incident made from a report: the reporter's words, shown
    verbatim. Their contact details stay on the report: the timeline is append-only, so
    personal data written there could never be removed."""
    s = report.submission
    received = report.received_at.strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"Report [{report.key}](/reports/{report.key}) received {received} "
        f"({report.channel.value}). The reporter's contact details, if any, are on the report."
    ]
    for name in ("what_happened", "how_found", "affected"):
        value = getattr(s, name)
        if value:
            parts += [f"**{LABELS[name]}**", _verbatim(value)]
    if s.encrypted:
        parts.append(
            f"The report holds an encrypted PGP message ({len(s.pgp_message)} characters); "
            "decrypt it on the report's page."
        )
    return "\n\n".join(parts)


# ---- client addresses and the rate limit --------------------------------------------------------


def client_network(address: str) -> str:
    """The network an address belongs to (IPv4 /24, IPv6 /48), or "" when it is not one."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def client_digest(address: str, *, key: bytes) -> str:
    """A keyed hash of the whole address: equal for equal addresses, so the limit works across
    worker processes, and without the key not reversible by trying every IPv4 address."""
    return hmac.new(key, address.strip().encode("utf-8"), hashlib.sha256).hexdigest()[:40]


@dataclass(frozen=True, slots=True)
class RateLimit:
    limit: int = 5
    window: timedelta = timedelta(minutes=10)


def check_rate(attempts: Sequence[datetime], *, rule: RateLimit, now: datetime) -> None:
    """Refuse one more submission when the client made ``rule.limit`` within the window; the
    wait is until the oldest of them leaves the window."""
    since = now - rule.window
    recent = sorted(a for a in attempts if a > since)
    if len(recent) < rule.limit:
        return
    until = recent[-rule.limit] + rule.window
    seconds = max(1, int((until - now).total_seconds()) + 1)
    raise RateLimited(
        f"too many reports from your address; try again in {seconds} seconds",
        retry_after=seconds,
    )


# ---- decryptions ---------------------------------------------------------------------------------

# plaintext kept or shown; a compressed message can expand far beyond its armour
PLAINTEXT_MAX = 1_000_000


@dataclass(frozen=True, slots=True)
class Decryption:
    """A report's encrypted message, opened by a responder. The armour stays on the report as it
    came; this is a separate record of what it said, who opened it, with which key."""

    id: uuid.UUID
    report_id: uuid.UUID
    decrypted_at: datetime
    decrypted_by: str
    key_fingerprint: str
    plaintext: str
    binary: bool = False  # not UTF-8: shown with replacement characters

    @classmethod
    def of(
        cls,
        plaintext: bytes,
        *,
        id: uuid.UUID,
        report_id: uuid.UUID,
        by: str,
        now: datetime,
        key_fingerprint: str,
    ) -> Decryption:
        if len(plaintext) > PLAINTEXT_MAX:
            raise InvalidInput(
                Problem(
                    f"the message decrypts to {len(plaintext)} bytes; at most {PLAINTEXT_MAX} "
                    "are shown here",
                    field="message",
                    hint="decrypt it outside Candor, e.g. with gpg on an offline machine",
                )
            )
        try:
            text, binary = plaintext.decode("utf-8"), False
        except UnicodeDecodeError:
            text, binary = plaintext.decode("utf-8", "replace"), True
        # NUL cannot be stored in PostgreSQL text; a plaintext holding it is binary anyway
        if "\x00" in text:
            text, binary = text.replace("\x00", "\N{REPLACEMENT CHARACTER}"), True
        at = require_aware(now, field="now")
        return cls(id, report_id, at, by, key_fingerprint, text, binary)
