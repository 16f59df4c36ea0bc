"""security.txt (RFC 9116): generate it from settings, parse and check an existing file.

Researchers and customers who notice something (the Datadog breach started with a customer's
encrypted e-mail) need to know where to write. RFC 9116 puts that in ``/.well-known/security.txt``:
``Contact`` (one or more, required), ``Expires`` (exactly one, required, RFC 3339 time, less than a
year ahead recommended), and optional ``Encryption``, ``Acknowledgments``, ``Preferred-Languages``
(at most once), ``Canonical``, ``Policy`` and ``Hiring``; ``CSAF`` is registered since. Web URIs
must be https. Unknown fields must be ignored by parsers; we mention them in case of a typo.

``parse`` reports problems that hold whatever the date, each with its line; ``check`` adds the
ones that depend on ``now``: expired (an error) or expiring within 30 days (a warning).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from candor.domain.errors import InvalidInput, Problem, ProblemCollector
from candor.domain.vocabulary import require_aware

WARN_WITHIN = timedelta(days=30)
MAX_AHEAD = timedelta(days=366)  # "less than a year" with room for a leap day

# canonical spelling, and whether the field may appear more than once
FIELDS: dict[str, tuple[str, bool]] = {
    "acknowledgments": ("Acknowledgments", True),
    "canonical": ("Canonical", True),
    "contact": ("Contact", True),
    "csaf": ("CSAF", True),
    "encryption": ("Encryption", True),
    "expires": ("Expires", False),
    "hiring": ("Hiring", True),
    "policy": ("Policy", True),
    "preferred-languages": ("Preferred-Languages", False),
}
URI_FIELDS = ("acknowledgments", "canonical", "contact", "csaf", "encryption", "hiring", "policy")

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$")
_SIGNED_HEAD = "-----BEGIN PGP SIGNED MESSAGE-----"
_SIGNATURE_HEAD = "-----BEGIN PGP SIGNATURE-----"


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # lower-case
    value: str
    line: int


@dataclass(frozen=True, slots=True)
class Report:
    fields: tuple[Field, ...]
    signed: bool
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    notices: tuple[Problem, ...] = ()
    expires: datetime | None = None

    @property
    def valid(self) -> bool:
        return not self.errors

    def values(self, name: str) -> list[str]:
        return [f.value for f in self.fields if f.name == name]


@dataclass(frozen=True, slots=True)
class SecurityTxt:
    """What the organisation publishes; the settings provide it."""

    contact: tuple[str, ...]
    expires: datetime
    encryption: tuple[str, ...] = ()
    acknowledgments: tuple[str, ...] = ()
    preferred_languages: tuple[str, ...] = ()
    canonical: tuple[str, ...] = ()
    policy: tuple[str, ...] = ()
    hiring: tuple[str, ...] = ()
    csaf: tuple[str, ...] = ()
    comments: tuple[str, ...] = field(default=())


def format_expires(value: datetime) -> str:
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(values: SecurityTxt, *, now: datetime) -> str:
    """The file's text. Refuses what a researcher's parser would reject, and an Expires that is
    past or more than a year ahead, naming each setting to fix."""
    now = require_aware(now, field="now")
    problems = ProblemCollector()
    if not values.contact:
        problems.add(
            "at least one contact is required",
            field="security_txt.contact",
            hint="e.g. mailto:security@example.com or https://example.com/report",
        )
    for name in URI_FIELDS:
        for index, value in enumerate(getattr(values, name)):
            for message, hint in _uri_problems(name, value):
                problems.add(message, field=f"security_txt.{name}[{index}]", hint=hint)
    for index, tag in enumerate(values.preferred_languages):
        if not _LANGUAGE.match(tag):
            problems.add(
                f"not a language tag: {tag!r}",
                field=f"security_txt.preferred_languages[{index}]",
                hint="e.g. en, de, pt-BR",
            )
    expires = require_aware(values.expires, field="security_txt.expires")
    if expires <= now:
        problems.add(
            f"is in the past ({format_expires(expires)})",
            field="security_txt.expires",
            hint="set a date less than a year ahead",
        )
    elif expires - now > MAX_AHEAD:
        problems.add(
            "is more than a year ahead; RFC 9116 recommends less, so the file gets reviewed",
            field="security_txt.expires",
        )
    problems.raise_if_any()
    lines: list[str] = []
    for comment in values.comments:
        lines += [f"# {part}".rstrip() for part in comment.splitlines() or [""]]
    lines += [f"Contact: {c}" for c in values.contact]
    lines.append(f"Expires: {format_expires(expires)}")
    lines += [f"Encryption: {v}" for v in values.encryption]
    if values.preferred_languages:
        lines.append("Preferred-Languages: " + ", ".join(values.preferred_languages))
    lines += [f"Canonical: {v}" for v in values.canonical]
    lines += [f"Policy: {v}" for v in values.policy]
    lines += [f"Acknowledgments: {v}" for v in values.acknowledgments]
    lines += [f"Hiring: {v}" for v in values.hiring]
    lines += [f"CSAF: {v}" for v in values.csaf]
    return "\n".join(lines) + "\n"


def _uri_problems(name: str, value: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    if not _SCHEME.match(value):
        hint = "write mailto:" + value if "@" in value and ":" not in value else None
        hint = hint or ("write tel:" + value if value.startswith("+") else None)
        out.append(
            (f"must be a URI (e.g. beginning with 'mailto:' or 'https://'): {value!r}", hint)
        )
    elif value.lower().startswith("http://"):
        out.append(("web URIs must begin with 'https://'", None))
    elif name != "contact" and value.lower().startswith(("mailto:", "tel:")):
        out.append((f"{FIELDS[name][0]} must point to a web page or key, not {value!r}", None))
    if name == "encryption" and "-----BEGIN" in value:
        out.append(("must point to the key, not contain it", None))
    return out


def parse(text: str) -> Report:
    """Parse a security.txt file; problems that do not depend on the date."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    notices: list[Problem] = []
    lines, signed, offset = _body(text, errors)
    found: list[Field] = []
    for number, raw in enumerate(lines, start=1 + offset):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if ":" not in line:
            errors.append(
                Problem(
                    "a line must be a field (Name: value), a comment (#) or blank",
                    line=number,
                )
            )
            continue
        name, _, rest = line.partition(":")
        if not name.strip():
            errors.append(Problem("field name must not be empty", line=number))
            continue
        if name != name.rstrip():
            errors.append(Problem("no whitespace is allowed before the colon", line=number))
        if rest and not rest.startswith(" "):
            errors.append(Problem("the colon must be followed by a space", line=number))
        value = rest.strip()
        key = name.strip().lower()
        if not value:
            errors.append(Problem(f"{name.strip()} has no value", line=number))
            continue
        if key not in FIELDS:
            close = difflib.get_close_matches(key, FIELDS, n=1)
            hint = f"did you mean {FIELDS[close[0]][0]}?" if close else None
            notices.append(
                Problem(
                    f"unknown field {name.strip()!r} (ignored by parsers)", line=number, hint=hint
                )
            )
            continue
        found.append(Field(key, value, number))

    expires: datetime | None = None
    for key, (title, multiple) in FIELDS.items():
        of_kind = [f for f in found if f.name == key]
        if not multiple and len(of_kind) > 1:
            for extra in of_kind[1:]:
                errors.append(
                    Problem(
                        f"{title} must not appear more than once (first on line {of_kind[0].line})",
                        line=extra.line,
                    )
                )
    for f in found:
        if f.name in URI_FIELDS:
            for message, hint in _uri_problems(f.name, f.value):
                errors.append(Problem(message, line=f.line, hint=hint))
        elif f.name == "expires":
            parsed = _parse_expires(f.value)
            if parsed is None:
                errors.append(
                    Problem(
                        f"Expires must be an RFC 3339 date and time: {f.value!r}",
                        line=f.line,
                        hint="e.g. 2027-05-31T23:59:59Z",
                    )
                )
            elif expires is None:
                expires = parsed
        elif f.name == "preferred-languages":
            for tag in (t.strip() for t in f.value.split(",")):
                if not _LANGUAGE.match(tag):
                    errors.append(
                        Problem(
                            f"not a language tag (RFC 5646): {tag!r}",
                            line=f.line,
                            hint="e.g. en, de",
                        )
                    )
    if not any(f.name == "contact" for f in found):
        errors.append(
            Problem(
                "Contact is required (at least once)", hint="Contact: mailto:security@example.com"
            )
        )
    if not any(f.name == "expires" for f in found):
        errors.append(Problem("Expires is required", hint="Expires: 2027-05-31T23:59:59Z"))
    mails = [f for f in found if f.name == "contact" and f.value.lower().startswith("mailto:")]
    if mails and not any(f.name == "encryption" for f in found):
        warnings.append(
            Problem(
                "Encryption should be given when Contact is an e-mail address",
                line=mails[0].line,
                hint="reporters often send encrypted mail; point to your OpenPGP key",
            )
        )
    if signed and not any(f.name == "canonical" for f in found):
        warnings.append(Problem("a signed file should name its Canonical location"))
    if not signed:
        notices.append(
            Problem("the file is not signed (RFC 9116 recommends an OpenPGP cleartext signature)")
        )
    return Report(tuple(found), signed, tuple(errors), tuple(warnings), tuple(notices), expires)


def _parse_expires(value: str) -> datetime | None:
    if not _RFC3339.match(value):
        return None
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _body(text: str, errors: list[Problem]) -> tuple[list[str], bool, int]:
    """The lines to parse, whether the file is signed, and the line offset of the first one."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if text and not text.endswith("\n"):
        errors.append(Problem("every line must end with a line feed (LF or CRLF)", line=len(lines)))
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].rstrip("\r") != _SIGNED_HEAD:
        for i, line in enumerate(lines):
            if line.rstrip("\r") == _SIGNED_HEAD:
                errors.append(
                    Problem(
                        "a signed file must start with the signed-message header",
                        line=i + 1,
                    )
                )
        return lines, False, 0
    # cleartext signature (RFC 4880 §7): armour headers, a blank line, the dash-escaped text
    i = first + 1
    while i < len(lines) and lines[i].strip():
        i += 1
    start = i + 1
    end = next(
        (j for j in range(start, len(lines)) if lines[j].rstrip("\r") == _SIGNATURE_HEAD), None
    )
    if end is None:
        errors.append(Problem("the signed file has no signature block", line=len(lines)))
        end = len(lines)
    body = [line[2:] if line.startswith("- ") else line for line in lines[start:end]]
    return body, True, start


def check(
    text: str, *, now: datetime, warn_within: timedelta = WARN_WITHIN, location: str | None = None
) -> Report:
    """``parse`` plus the date: expired is an error, expiring within ``warn_within`` a warning.

    ``location`` is the URI the file is served from, when known: it should be a Canonical one.
    """
    now = require_aware(now, field="now")
    report = parse(text)
    errors = list(report.errors)
    warnings = list(report.warnings)
    line = next((f.line for f in report.fields if f.name == "expires"), None)
    if report.expires is not None:
        left = report.expires - now
        if left <= timedelta(0):
            errors.append(
                Problem(
                    f"expired on {format_expires(report.expires)}: researchers treat it as stale",
                    line=line,
                    hint="update Expires and publish the file again",
                )
            )
        elif left < warn_within:
            days = max(1, left.days)
            plural = "s" if days != 1 else ""
            warnings.append(
                Problem(
                    f"expires in {days} day{plural} ({format_expires(report.expires)})",
                    line=line,
                    hint="update Expires before it passes",
                )
            )
        elif left > MAX_AHEAD:
            warnings.append(
                Problem(
                    "Expires is more than a year ahead; RFC 9116 recommends less",
                    line=line,
                )
            )
    canonical = report.values("canonical")
    if location and canonical and location not in canonical:
        warnings.append(Problem(f"served from {location}, which is not a Canonical URI"))
    return Report(
        report.fields, report.signed, tuple(errors), tuple(warnings), report.notices, report.expires
    )


def values_from_settings(
    *,
    contact: Sequence[str],
    expires: datetime | None,
    encryption: Sequence[str] = (),
    acknowledgments: Sequence[str] = (),
    preferred_languages: Sequence[str] = (),
    canonical: Sequence[str] = (),
    policy: Sequence[str] = (),
    hiring: Sequence[str] = (),
    csaf: Sequence[str] = (),
    comments: Sequence[str] = (),
) -> SecurityTxt:
    if expires is None:
        raise InvalidInput(
            Problem(
                "is not set",
                field="security_txt.expires",
                hint="set it in candor.toml ([security_txt] expires = 2027-05-31T23:59:59Z) "
                "or pass --expires",
            )
        )
    return SecurityTxt(
        contact=tuple(contact),
        expires=require_aware(expires, field="security_txt.expires"),
        encryption=tuple(encryption),
        acknowledgments=tuple(acknowledgments),
        preferred_languages=tuple(preferred_languages),
        canonical=tuple(canonical),
        policy=tuple(policy),
        hiring=tuple(hiring),
        csaf=tuple(csaf),
        comments=tuple(comments),
    )
