"""The secret catalogue: recognise a pasted secret, mask it, and say what it grants and how to
revoke and rotate it.

"A token was committed to a public repository" needs an immediate answer to "what can this lead
to?". The catalogue is data (``rules/secrets.yaml``); each type has a regular expression whose
named group ``secret`` is the part that must never be stored, and an optional ``check`` (a
function registered below) that refines a match or rejects a look-alike.

Candor never keeps a full secret: ``SecretMatch`` holds only the masked form. Masking shows the
type's fixed prefix (which identifies the type, not the holder) and at most the last four
characters, and never more than a quarter of the variable part; the hidden part is always shown as
the same four stars, so the length does not leak either.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from candor.domain.errors import InvalidInput, Problem, ProblemCollector

MASK = "****"
MAX_KEEP_LAST = 4
MAX_INPUT = 1_000_000  # characters: a pasted file, not a disk image
TYPE_ID = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


def mask(secret: str, *, prefix: int, keep_last: int) -> str:
    """``prefix`` leading characters, the stars, and up to ``keep_last`` trailing characters.

    The tail is shortened so it never exceeds a quarter of what follows the prefix: short
    secrets show no tail at all.
    """
    prefix = max(0, min(prefix, len(secret)))
    rest = len(secret) - prefix
    tail = max(0, min(keep_last, MAX_KEEP_LAST, rest // 4))
    return secret[:prefix] + MASK + (secret[len(secret) - tail :] if tail else "")


def revealed(secret: str, *, prefix: int, keep_last: int) -> int:
    """How many characters of ``secret`` its masked form shows."""
    return len(mask(secret, prefix=prefix, keep_last=keep_last)) - len(MASK)


@dataclass(frozen=True, slots=True)
class Check:
    """What a check says about one regex match: reject it, or add details to show."""

    accept: bool
    details: tuple[tuple[str, str], ...] = ()


CheckFunction = Callable[[re.Match[str], str], Check]
CHECKS: dict[str, CheckFunction] = {}


def check(name: str) -> Callable[[CheckFunction], CheckFunction]:
    def register(fn: CheckFunction) -> CheckFunction:
        CHECKS[name] = fn
        return fn

    return register


@dataclass(frozen=True, slots=True)
class SecretType:
    id: str
    name: str
    provider: str
    pattern: re.Pattern[str]
    grants: str
    revoke: tuple[str, ...]
    rotate: tuple[str, ...]
    docs: str
    prefix: int = 0
    keep_last: int = 4
    # show the matched text around the secret (a URL's host, a connection string's account)
    show_context: bool = False
    check: str | None = None
    notes: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "provider": self.provider,
            "grants": self.grants,
            "revoke": list(self.revoke),
            "rotate": list(self.rotate),
            "docs": self.docs,
            "notes": self.notes,
        }


@dataclass(frozen=True, slots=True)
class SecretMatch:
    """A recognised secret, already masked: the full value is not kept anywhere."""

    type: SecretType
    masked: str
    start: int
    end: int
    details: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type.id,
            "name": self.type.name,
            "provider": self.type.provider,
            "masked": self.masked,
            "details": dict(self.details),
            "grants": self.type.grants,
            "revoke": list(self.type.revoke),
            "rotate": list(self.type.rotate),
            "docs": self.type.docs,
            "notes": self.type.notes,
        }


@dataclass(frozen=True, slots=True)
class Catalogue:
    name: str
    version: str
    types: tuple[SecretType, ...]

    def get(self, type_id: str) -> SecretType:
        for kind in self.types:
            if kind.id == type_id:
                return kind
        raise KeyError(type_id)


def identify(text: str, catalogue: Catalogue) -> tuple[SecretMatch, ...]:
    """Every secret recognised in ``text``, masked, in order of position.

    Where two types match overlapping text the longer match wins (a Slack webhook URL over a
    token inside it), then the earlier type in the catalogue.
    """
    if len(text) > MAX_INPUT:
        raise InvalidInput(
            Problem(
                f"is {len(text):,} characters long; at most {MAX_INPUT:,} are scanned",
                field="value",
                hint="paste the line that holds the secret",
            )
        )
    found: list[tuple[int, int, SecretMatch]] = []
    for order, kind in enumerate(catalogue.types):
        for match in kind.pattern.finditer(text):
            secret = match.group("secret")
            if not secret:
                continue
            details: tuple[tuple[str, str], ...] = ()
            if kind.check is not None:
                verdict = CHECKS[kind.check](match, text)
                if not verdict.accept:
                    continue
                details = verdict.details
            masked_secret = mask(secret, prefix=kind.prefix, keep_last=kind.keep_last)
            if kind.show_context:
                s, e = match.span("secret")
                shown = text[match.start() : s] + masked_secret + text[e : match.end()]
            else:
                shown = masked_secret
            found.append(
                (
                    match.end() - match.start(),
                    order,
                    SecretMatch(kind, shown, match.start(), match.end(), details),
                )
            )
    kept: list[SecretMatch] = []
    for _, _, candidate in sorted(found, key=lambda f: (-f[0], f[1], f[2].start)):
        if all(candidate.end <= k.start or candidate.start >= k.end for k in kept):
            kept.append(candidate)
    return tuple(sorted(kept, key=lambda m: (m.start, m.end)))


# ---------------------------------------------------------------------------------------------
# Checks: refine a pattern where a regular expression alone would accept look-alikes.


PLACEHOLDER = re.compile(
    r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{.*\}\}|%\(.*\)s|<[^>]*>|\*+|x+|\.\.\.)$", re.I
)


@check("not_documentation_example")
def _not_example(match: re.Match[str], text: str) -> Check:
    # AWS's documentation keys end in EXAMPLE (key IDs) or EXAMPLEKEY (secret keys) and appear
    # in countless READMEs; a random key holding the word is vanishingly unlikely
    return Check("EXAMPLE" not in match.group("secret").upper())


@check("database_url")
def _database_url(match: re.Match[str], text: str) -> Check:
    password = match.group("secret")
    if PLACEHOLDER.match(password):
        return Check(False)  # a template such as ${DB_PASSWORD}, not a secret
    groups = match.groupdict()
    return Check(
        True,
        tuple((name, groups[name]) for name in ("scheme", "user", "host") if groups.get(name)),
    )


@check("gcp_service_account")
def _gcp_service_account(match: re.Match[str], text: str) -> Check:
    if not re.search(r'"type"\s*:\s*"service_account"', text):
        return Check(False)
    details = []
    for key in ("client_email", "project_id"):
        found = re.search(rf'"{key}"\s*:\s*"([^"\\]{{1,200}})"', text)
        if found:
            details.append((key, found.group(1)))
    return Check(True, tuple(details))


@check("azure_storage")
def _azure_storage(match: re.Match[str], text: str) -> Check:
    account = match.group("account")
    if account == "devstoreaccount1":
        return Check(False)  # the storage emulator's published, well-known account
    return Check(True, (("account", account),))


@check("private_key")
def _private_key(match: re.Match[str], text: str) -> Check:
    label = " ".join((match.group("label") or "").split()) or "PKCS#8"
    body = "".join(match.group("secret").split())
    if len(body) < 32:
        return Check(False)
    return Check(True, (("format", label),))


def _b64url_json(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


@check("jwt")
def _jwt(match: re.Match[str], text: str) -> Check:
    token = match.group("secret")
    header_part, payload_part = token.split(".")[:2]
    try:
        header = _b64url_json(header_part)
        payload = _b64url_json(payload_part)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return Check(False)
    if not isinstance(header, dict) or "alg" not in header or not isinstance(payload, dict):
        return Check(False)
    # only fields that say whose token it is and whether it still works; never the claims
    # about the person (sub, email …), which may be personal data
    details: list[tuple[str, str]] = [("alg", str(header["alg"]))]
    for claim in ("iss", "aud"):
        if claim in payload:
            value = payload[claim]
            details.append(
                (claim, ", ".join(map(str, value)) if isinstance(value, list) else str(value))
            )
    exp = payload.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        try:
            details.append(("expires", datetime.fromtimestamp(exp, UTC).isoformat()))
        except (OverflowError, OSError, ValueError):
            details.append(("expires", str(exp)))
    return Check(True, tuple(details))


# ---------------------------------------------------------------------------------------------
# Parsing the catalogue file: all problems at once, each with its path.


def parse_catalogue(data: Any) -> Catalogue:
    problems = ProblemCollector()
    if not isinstance(data, Mapping):
        raise InvalidInput(Problem("the secret catalogue must be a mapping", path=()))
    for key in data:
        if key not in ("catalogue", "version", "types"):
            problems.add(f"unknown key {key!r}; allowed: catalogue, version, types", path=(key,))
    name = str(data.get("catalogue") or "").strip()
    version = str(data.get("version") or "").strip()
    if not name:
        problems.add("is required", path=("catalogue",))
    if not version:
        problems.add("is required", path=("version",))
    raw_types = data.get("types")
    types: list[SecretType] = []
    if not isinstance(raw_types, list) or not raw_types:
        problems.add("must be a non-empty list of secret types", path=("types",))
        raw_types = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_types):
        kind = _secret_type(raw, ("types", index), problems)
        if kind is None:
            continue
        if kind.id in seen:
            problems.add(f"duplicate type id {kind.id!r}", path=("types", index, "id"))
        seen.add(kind.id)
        types.append(kind)
    problems.raise_if_any()
    return Catalogue(name, version, tuple(types))


_REQUIRED_TEXT = ("id", "name", "provider", "pattern", "grants", "docs")
_KNOWN = {
    *_REQUIRED_TEXT,
    "revoke",
    "rotate",
    "prefix",
    "keep_last",
    "show_context",
    "check",
    "notes",
}


def _secret_type(
    raw: object, path: tuple[str | int, ...], problems: ProblemCollector
) -> SecretType | None:
    if not isinstance(raw, Mapping):
        problems.add("a secret type must be a mapping", path=path)
        return None
    before = len(problems.problems)
    for key in raw:
        if key not in _KNOWN:
            problems.add(
                f"unknown key {key!r}; allowed: {', '.join(sorted(_KNOWN))}", path=(*path, key)
            )
    text: dict[str, str] = {}
    for key in _REQUIRED_TEXT:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.add("is required (text)", path=(*path, key))
            value = ""
        text[key] = value.strip()
    if text["id"] and not TYPE_ID.match(text["id"]):
        problems.add("must be lower-case letters, digits and _", path=(*path, "id"))
    if text["docs"] and not text["docs"].startswith("https://"):
        problems.add(
            "must be an https:// link to the provider's documentation", path=(*path, "docs")
        )
    pattern: re.Pattern[str] | None = None
    if text["pattern"]:
        try:
            pattern = re.compile(text["pattern"])
        except re.error as exc:
            problems.add(f"not a valid regular expression: {exc}", path=(*path, "pattern"))
        else:
            if "secret" not in pattern.groupindex:
                problems.add(
                    "needs a named group (?P<secret>…) around the part to mask",
                    path=(*path, "pattern"),
                )
    steps: dict[str, tuple[str, ...]] = {}
    for key in ("revoke", "rotate"):
        value = raw.get(key)
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(s, str) and s.strip() for s in value)
        ):
            problems.add("must be a non-empty list of steps", path=(*path, key))
            value = []
        steps[key] = tuple(s.strip() for s in value)
    prefix = _small_int(raw.get("prefix", 0), 0, 24, (*path, "prefix"), problems)
    keep_last = _small_int(
        raw.get("keep_last", 4), 0, MAX_KEEP_LAST, (*path, "keep_last"), problems
    )
    show_context = raw.get("show_context", False)
    if not isinstance(show_context, bool):
        problems.add("must be true or false", path=(*path, "show_context"))
        show_context = False
    check_name = raw.get("check")
    if check_name is not None and check_name not in CHECKS:
        problems.add(
            f"unknown check {check_name!r}; known: {', '.join(sorted(CHECKS))}",
            path=(*path, "check"),
        )
    if len(problems.problems) > before or pattern is None:
        return None
    return SecretType(
        id=text["id"],
        name=text["name"],
        provider=text["provider"],
        pattern=pattern,
        grants=" ".join(text["grants"].split()),
        revoke=steps["revoke"],
        rotate=steps["rotate"],
        docs=text["docs"],
        prefix=prefix,
        keep_last=keep_last,
        show_context=show_context,
        check=check_name,
        notes=" ".join(str(raw.get("notes") or "").split()),
    )


def _small_int(
    value: object, low: int, high: int, path: tuple[str | int, ...], problems: ProblemCollector
) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.add(f"must be a whole number from {low} to {high}", path=path)
        return low
    return value
