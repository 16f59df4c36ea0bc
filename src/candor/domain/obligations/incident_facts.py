"""The obligations facts of one incident, and how they become the ``Facts`` the engine reads.

Three parts, each from where it is known best:

* the organisation (name, roles, sectors, establishments, EU main establishment, time zone):
  the workspace settings, the same for every incident (``Profile``);
* the times: the incident's own legal clocks (``detected_at`` is the facts' ``discovered_at``;
  ``aware_at``, ``breach_determined_at``, ``materiality_determined_at``, ``classified_major_at``);
* everything else (data elements, encryption, risk of harm, counts by jurisdiction, customers,
  determinations, notices given outside Candor …): entered facts, each with its source —
  ``manual`` for a person, later ``inventory`` or ``scoping`` when those features fill them.
  Entered facts are versioned: every change is a new ``FactsVersion`` saying what changed.

Notices recorded as filed in Candor join the entered ``notified`` events when the facts are
composed, so a rule whose clock starts at another notice (California's attorney general, DORA's
intermediate report) gets its date when that notice is filed.

Entered values are checked by the same parser as a facts file, so the words, the error messages
and the stable interface (docs/obligations.md) are the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from candor.domain.errors import InvalidInput, Problem, dotted
from candor.domain.incidents import Clock as IncidentClock
from candor.domain.obligations import jurisdictions
from candor.domain.obligations.facts import INCIDENT_KEYS, Facts, Incident, parse_facts
from candor.domain.obligations.results import iso_utc
from candor.domain.obligations.vocabulary import Clock
from candor.domain.vocabulary import require_aware


class FactSource(StrEnum):
    MANUAL = "manual"  # entered by a person (form, CLI, API)
    INVENTORY = "inventory"  # the data inventory (another feature)
    SCOPING = "scoping"  # scoping from logs (another feature)
    # where the parts not entered come from, named in the composed view
    SETTINGS = "settings"
    INCIDENT = "incident"
    FILING = "filing"


ENTERABLE_SOURCES = (FactSource.MANUAL, FactSource.INVENTORY, FactSource.SCOPING)

# The incident facts entered per incident, in the order they are shown. The times come from the
# incident's legal clocks instead (CLOCK_KEYS), except a ransom payment, which is not one.
ENTERED_KEYS: tuple[str, ...] = (
    "data_elements",
    "encrypted",
    "encryption_key_compromised",
    "risk_of_harm",
    "affected",
    "affected_customers",
    "determinations",
    "notified",
    "ransom_paid_at",
    "law_enforcement_delay_until",
    "notice_cost_estimate",
    "insufficient_contact_info",
)
CLOCK_KEYS: dict[str, IncidentClock] = {
    "discovered_at": IncidentClock.DETECTED_AT,
    "aware_at": IncidentClock.AWARE_AT,
    "breach_determined_at": IncidentClock.BREACH_DETERMINED_AT,
    "materiality_determined_at": IncidentClock.MATERIALITY_DETERMINED_AT,
    "classified_major_at": IncidentClock.CLASSIFIED_MAJOR_AT,
}
assert set(ENTERED_KEYS) | set(CLOCK_KEYS) == set(INCIDENT_KEYS), "facts keys drifted"

# a time every probe document can carry: entered facts are checked without the incident's times
_PROBE_TIME = "2000-01-01T00:00:00Z"


@dataclass(frozen=True, slots=True)
class Fact:
    value: Any  # canonical, JSON-ready: sorted lists and mappings, times as ISO 8601 UTC text
    source: FactSource


SHOWN_ITEMS = 20  # items of a list fact named in a change's description
SHOWN_TEXT = 500  # characters of a text fact


@dataclass(frozen=True, slots=True)
class FactChange:
    key: str
    before: Any
    after: Any  # None: the fact was removed (back to "not recorded")
    source: FactSource

    def describe(self) -> str:
        """One line for the timeline. A long list (the affected customers of a large breach)
        shows its first few items and how many there are: the whole value is in the facts
        version and in the entry's data, and the line must stay readable (and within a
        timeline entry's size)."""

        def listed(items: list[str]) -> str:
            if not items:
                return "none"
            shown_ = ", ".join(items[:SHOWN_ITEMS])
            more = len(items) - SHOWN_ITEMS
            return shown_ if more <= 0 else f"{shown_} and {more:,} more ({len(items):,} in all)"

        def shown(value: Any) -> str:
            if value is None:
                return "not recorded"
            if isinstance(value, list):
                return listed([str(v) for v in value])
            if isinstance(value, dict):
                return listed([f"{k} {v}" for k, v in value.items()])
            text = str(value).lower() if isinstance(value, bool) else str(value)
            return text if len(text) <= SHOWN_TEXT else text[: SHOWN_TEXT - 1] + "…"

        return f"{self.key}: {shown(self.before)} → {shown(self.after)}"


@dataclass(frozen=True, slots=True)
class FactsVersion:
    incident_id: uuid.UUID
    version: int
    recorded_at: datetime
    recorded_by: str
    facts: Mapping[str, Fact]
    changes: tuple[FactChange, ...]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Profile:
    """The organisation's part of the facts, from the workspace settings."""

    name: str
    roles: tuple[str, ...]
    sectors: tuple[str, ...] = ()
    establishments: tuple[str, ...] = ()
    eu_main_establishment: str | None = None
    timezone: str = "UTC"

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "roles": list(self.roles),
            "sectors": list(self.sectors),
            "establishments": list(self.establishments),
            "timezone": self.timezone,
        }
        if self.eu_main_establishment:
            out["eu_main_establishment"] = self.eu_main_establishment
        return out


PROBE_PROFILE = Profile(name="probe", roles=("controller",))


def _probe(values: Mapping[str, Any]) -> Incident:
    """Parse entered values alone (with a placeholder time), naming each problem by its key."""
    document = {
        "organization": PROBE_PROFILE.document(),
        "incident": {"aware_at": _PROBE_TIME, **values},
    }
    try:
        return parse_facts(document).incident
    except InvalidInput as exc:
        raise InvalidInput(
            [
                Problem(p.message, field=dotted(p.path[1:]) if p.path else p.field, hint=p.hint)
                for p in exc.problems
            ]
        ) from None


def _canonical(key: str, incident: Incident) -> Any:
    """One entered fact in its stored form, so a change of spelling is not a change of fact."""
    if key == "data_elements":
        return sorted(e.value for e in incident.data_elements)
    if key in ("encrypted", "encryption_key_compromised", "insufficient_contact_info"):
        return getattr(incident, key)
    if key == "risk_of_harm":
        return incident.risk_of_harm.value
    if key == "affected":
        return dict(sorted(incident.affected.items()))
    if key == "affected_customers":
        return sorted(incident.affected_customers or ())
    if key == "determinations":
        out: dict[str, Any] = {}
        for name, answer in sorted(incident.determinations.items()):
            when = incident.determined_at.get(name)
            out[name.value] = iso_utc(when) if when else answer
        return out
    if key == "notified":
        return {k: iso_utc(v) for k, v in sorted(incident.notified.items())}
    if key == "ransom_paid_at":
        return iso_utc(incident.clocks.get(Clock.RANSOM_PAID_AT))
    if key == "law_enforcement_delay_until":
        return iso_utc(incident.law_enforcement_delay_until)
    if key == "notice_cost_estimate":
        return incident.notice_cost_estimate
    raise KeyError(key)


def check_keys(changes: Mapping[str, object]) -> None:
    unknown = [key for key in changes if key not in ENTERED_KEYS]
    if unknown:
        clocks = [key for key in unknown if key in CLOCK_KEYS]
        problems = [
            Problem(
                "is one of the incident's legal clocks: record it there, not in the facts",
                field=key,
                hint=f"candor incident set-time KEY {CLOCK_KEYS[key].value} TIME",
            )
            for key in clocks
        ]
        problems += [
            Problem(f"not an incident fact; facts: {', '.join(ENTERED_KEYS)}", field=key)
            for key in unknown
            if key not in clocks
        ]
        raise InvalidInput(problems)


def revise(
    current: FactsVersion | None,
    changes: Mapping[str, object],
    *,
    incident_id: uuid.UUID,
    source: FactSource,
    by: str,
    now: datetime,
    reason: str = "",
) -> FactsVersion | None:
    """The next version of an incident's facts with ``changes`` applied (a value of None removes
    the fact), or None when nothing actually changes. Every problem is reported at once."""
    now = require_aware(now, field="now")
    if source not in ENTERABLE_SOURCES:
        raise InvalidInput(
            Problem(
                f"facts are entered from {', '.join(s.value for s in ENTERABLE_SOURCES)}",
                field="source",
            )
        )
    check_keys(changes)
    facts = dict(current.facts) if current else {}
    values = {key: fact.value for key, fact in facts.items()}
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    parsed = _probe(values)
    out: dict[str, Fact] = {}
    diff: list[FactChange] = []
    for key in ENTERED_KEYS:
        old = facts.get(key)
        new = old
        if key in changes:
            value = None if changes[key] is None else _canonical(key, parsed)
            if value is None:
                new = None
            elif old is None or old.value != value:  # the same value keeps its first source
                new = Fact(value, source)
        if new is not None:
            out[key] = new
        if (old.value if old else None) != (new.value if new else None):
            diff.append(
                FactChange(key, old.value if old else None, new.value if new else None, source)
            )
    if not diff:
        return None
    return FactsVersion(
        incident_id=incident_id,
        version=(current.version if current else 0) + 1,
        recorded_at=now,
        recorded_by=by,
        facts=out,
        changes=tuple(diff),
        reason=reason.strip(),
    )


@dataclass(frozen=True, slots=True)
class Filed:
    """A notice recorded as filed in Candor, as an event other rules' clocks may start at."""

    rule_id: str
    jurisdiction: str
    recipient_category: str | None
    per_place: bool  # the rule applies once per state: its id alone does not name this notice
    at: datetime
    seq: int


def filed_events(filed: Sequence[Filed]) -> dict[str, tuple[datetime, int]]:
    """Event keys (``US-CA/individuals``, a rule id) with the earliest filing that gave them."""
    events: dict[str, tuple[datetime, int]] = {}
    for item in sorted(filed, key=lambda f: (f.at, f.seq)):
        keys = [] if item.per_place else [item.rule_id]
        place = item.jurisdiction
        if item.recipient_category and (
            jurisdictions.is_place(place) or place in jurisdictions.PSEUDO
        ):
            keys.append(f"{place}/{item.recipient_category}")
        for key in keys:
            events.setdefault(key, (item.at, item.seq))
    return events


@dataclass(frozen=True, slots=True)
class Composed:
    """The facts document the engine reads (the facts-file shape) and where each part came
    from: ``sources`` maps ``incident.KEY`` (and ``incident.notified.EVENT``) to a source."""

    document: dict[str, Any]
    sources: dict[str, str]
    facts: Facts


class ClocksMissing(InvalidInput):
    """Neither detected_at nor aware_at is recorded: no deadline can be counted."""


def compose(
    profile: Profile,
    clocks: Mapping[IncidentClock, datetime],
    entered: FactsVersion | None,
    filed: Sequence[Filed] = (),
) -> Composed:
    incident: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, clock in CLOCK_KEYS.items():
        if clock in clocks:
            incident[key] = iso_utc(clocks[clock])
            sources[f"incident.{key}"] = FactSource.INCIDENT.value
    if "discovered_at" not in incident and "aware_at" not in incident:
        raise ClocksMissing(
            Problem(
                "no deadline can be counted yet: record when the organisation became aware "
                "(aware_at) or first detected the incident (detected_at)",
                field="aware_at",
                hint="set it under Legal clocks, or: candor incident set-time KEY aware_at TIME",
            )
        )
    for key, fact in (entered.facts if entered else {}).items():
        incident[key] = fact.value
        sources[f"incident.{key}"] = fact.source.value
    notified = dict(incident.get("notified", {}))
    for event in notified:
        sources[f"incident.notified.{event}"] = sources.get("incident.notified", "manual")
    for event, (at, seq) in filed_events(filed).items():
        known = notified.get(event)
        stamp = iso_utc(at)
        assert stamp is not None
        if known is None or stamp < known:  # same fixed-width form: the earliest notice counts
            notified[event] = stamp
            sources[f"incident.notified.{event}"] = f"{FactSource.FILING.value} #{seq}"
    if notified:
        incident["notified"] = dict(sorted(notified.items()))
    document = {"organization": profile.document(), "incident": incident}
    for key in profile.document():
        sources[f"organization.{key}"] = FactSource.SETTINGS.value
    return Composed(document, sources, parse_facts(document))


# ---- facts typed as text (a web form, the command line) --------------------------------------

LISTS = ("data_elements", "affected_customers")
FLAGS = ("encrypted", "encryption_key_compromised", "insufficient_contact_info")
PAIRS = ("affected", "notified", "determinations")
YES = {"yes", "true", "y"}
NO = {"no", "false", "n"}


def _pair(line: str) -> tuple[str, str] | None:
    for separator in ("=", ": ", " "):
        name, found, value = line.partition(separator)
        if found and name.strip() and value.strip():
            return name.strip(), value.strip()
    return None


def from_text(key: str, text: str) -> object:
    """One entered fact from text: lists separated by commas or spaces, ``yes``/``no``, and
    ``NAME VALUE`` pairs one per line (``US-CA 600``, ``US-CA=1,200``,
    ``US-CA/individuals 2026-03-20T10:00Z``, ``significant_incident yes``). Empty text is None
    ("not recorded"). The values are checked afterwards like any other facts."""
    check_keys({key: None})
    text = text.strip()
    if not text:
        return None
    if key in LISTS:
        return [w for w in text.replace(",", " ").split() if w]
    if key in FLAGS:
        word = text.lower()
        if word in YES | NO:
            return word in YES
        raise InvalidInput(Problem(f"answer yes or no, not {text!r}", field=key))
    if key == "notice_cost_estimate":
        try:
            return float(text.replace(",", ""))
        except ValueError:
            raise InvalidInput(Problem(f"not a number: {text!r}", field=key)) from None
    if key in PAIRS:
        out: dict[str, object] = {}
        lines = [line.strip() for line in text.splitlines()]
        for number, line in enumerate((line for line in lines if line), 1):
            pair = _pair(line)
            if pair is None:
                raise InvalidInput(
                    Problem(
                        f"line {number}: {line!r} is not NAME VALUE",
                        field=key,
                        hint="e.g. US-CA 600" if key == "affected" else None,
                    )
                )
            name, value = pair
            out[name] = _pair_value(key, value)
        return out
    return text


def _pair_value(key: str, value: str) -> object:
    if key == "affected":
        digits = value.replace(",", "").replace("_", "")
        return int(digits) if digits.isdigit() else value
    if key == "determinations" and value.lower() in YES | NO:
        return value.lower() in YES
    return value


def to_text(key: str, value: object) -> str:
    """A stored fact as ``from_text`` reads it back (to fill a form)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return "\n".join(f"{name} {to_text(key, v)}" for name, v in value.items())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
