"""Exceptions: why a notice that would apply is not owed, or is owed later. Same registry pattern
as the conditions (``type:`` in rule files).

An exception evaluates to YES (it applies: the notice is not owed), NO (it does not apply), or
UNKNOWN (it may apply once someone determines something, so counsel decides). An exception the
reference table marks UNVERIFIED never removes an obligation on its own: at most it leaves it
``required_unless_exception`` for counsel.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from candor.domain.obligations.conditions import Context, Outcome, Truth
from candor.domain.obligations.reader import MapReader, Path, Problems, allowed_text, suggest
from candor.domain.obligations.vocabulary import RiskLevel, Sector, Unit


class RuleException(ABC):
    type_name: ClassVar[str]
    keys: ClassVar[tuple[str, ...]]
    unverified: bool
    text: str | None

    @classmethod
    @abstractmethod
    def from_dict(cls, reader: MapReader) -> RuleException | None: ...

    @abstractmethod
    def check(self, ctx: Context) -> Outcome:
        """Whether the exception applies, before the UNVERIFIED rule is applied."""

    @abstractmethod
    def describe(self) -> str: ...

    def evaluate(self, ctx: Context) -> Outcome:
        outcome = self.check(ctx)
        if self.unverified and outcome.truth is Truth.YES:
            return Outcome(
                Truth.UNKNOWN,
                f"{outcome.reason} — but this exception is UNVERIFIED in the reference: counsel "
                "to confirm before relying on it",
            )
        return outcome


EXCEPTIONS: dict[str, type[RuleException]] = {}
X = TypeVar("X", bound=type[RuleException])
COMMON_KEYS = ("text", "unverified")


def register(name: str) -> Callable[[X], X]:
    def add(cls: X) -> X:
        cls.type_name = name
        EXCEPTIONS[name] = cls
        return cls

    return add


def parse_exception(data: object, path: Path, problems: Problems) -> RuleException | None:
    reader = MapReader(data, path, problems, what="an exception")
    if not reader.ok:
        return None
    name = reader.text("type", required=True)
    if name is None:
        return None
    cls = EXCEPTIONS.get(name)
    if cls is None:
        problems.add(
            f"unknown exception type {name!r}; allowed: {allowed_text(EXCEPTIONS)}",
            reader.at("type"),
            hint=suggest(name, EXCEPTIONS),
        )
        return None
    before = len(problems)
    exception = cls.from_dict(reader)
    reader.finish(("type", *COMMON_KEYS, *cls.keys))
    return exception if len(problems) == before else None


@register("encryption_safe_harbour")
@dataclass(frozen=True, slots=True)
class EncryptionSafeHarbour(RuleException):
    """Encrypted data is exempt, unless the key was taken too."""

    unverified: bool = False
    text: str | None = None
    keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_dict(cls, reader: MapReader) -> EncryptionSafeHarbour:
        return cls(bool(reader.flag("unverified", default=False)), reader.text("text"))

    def check(self, ctx: Context) -> Outcome:
        incident = ctx.facts.incident
        if not incident.encrypted:
            return Outcome(Truth.NO, "encryption safe harbour: the data was not encrypted")
        if incident.encryption_key_compromised:
            return Outcome(
                Truth.NO, "encryption safe harbour lost: the encryption key was also compromised"
            )
        return Outcome(
            Truth.YES, "encryption safe harbour: the data was encrypted and the key was not taken"
        )

    def describe(self) -> str:
        return "encrypted data is exempt unless the key was compromised"


@register("risk_of_harm")
@dataclass(frozen=True, slots=True)
class RiskOfHarmException(RuleException):
    """No notice when harm is determined unlikely (usually after an investigation, often with a
    written determination kept for years, sometimes with notice to the regulator)."""

    unknown_means_required: bool = False
    not_for_sectors: frozenset[Sector] = frozenset()
    requires: str | None = None
    unverified: bool = False
    text: str | None = None
    keys: ClassVar[tuple[str, ...]] = ("when_unknown", "not_for_sectors", "requires")

    @classmethod
    def from_dict(cls, reader: MapReader) -> RiskOfHarmException | None:
        when_unknown = reader.text("when_unknown", default="undetermined")
        if when_unknown not in ("undetermined", "required"):
            reader.problems.add(
                f"unknown value {when_unknown!r}; allowed: undetermined, required",
                reader.at("when_unknown"),
            )
            return None
        return cls(
            unknown_means_required=when_unknown == "required",
            not_for_sectors=frozenset(reader.enum_list("not_for_sectors", Sector)),
            requires=reader.text("requires"),
            unverified=bool(reader.flag("unverified", default=False)),
            text=reader.text("text"),
        )

    def check(self, ctx: Context) -> Outcome:
        excluded = ctx.facts.organization.sectors & self.not_for_sectors
        if excluded:
            return Outcome(
                Truth.NO,
                f"risk-of-harm exception not available to {', '.join(sorted(excluded))}",
            )
        risk = ctx.facts.incident.risk_of_harm
        needs = f" ({self.requires})" if self.requires else ""
        if risk is RiskLevel.UNLIKELY:
            return Outcome(Truth.YES, f"harm determined unlikely: exception applies{needs}")
        if risk is RiskLevel.UNKNOWN:
            if self.unknown_means_required:
                return Outcome(
                    Truth.NO,
                    "risk of harm not determined: this law requires notice unless harm is "
                    "determined unlikely",
                )
            return Outcome(
                Truth.UNKNOWN,
                f"not owed if counsel determines harm unlikely{needs}; risk not assessed yet",
            )
        return Outcome(
            Truth.NO, f"risk of harm assessed {risk}: the no-harm exception does not apply"
        )

    def describe(self) -> str:
        return "not owed if harm is determined unlikely" + (
            f" ({self.requires})" if self.requires else ""
        )


@register("law_enforcement_delay")
@dataclass(frozen=True, slots=True)
class LawEnforcementDelay(RuleException):
    """Law enforcement may ask for the notice to wait. Never removes the obligation; it moves
    the deadline to the end of the delay (plus ``resume`` where the law gives time after it)."""

    resume_amount: int | None = None
    resume_unit: Unit | None = None
    unverified: bool = False
    text: str | None = None
    keys: ClassVar[tuple[str, ...]] = ("resume",)

    @classmethod
    def from_dict(cls, reader: MapReader) -> LawEnforcementDelay | None:
        amount: int | None = None
        unit: Unit | None = None
        if reader.has("resume"):
            resume = MapReader(
                reader.raw("resume"), reader.at("resume"), reader.problems, what="resume"
            )
            amount = resume.integer("amount", required=True, minimum=0)
            unit = resume.enum("unit", Unit, required=True)
            resume.finish(("amount", "unit"))
            if unit is Unit.NONE:
                reader.problems.add("must be a unit with an amount", resume.at("unit"))
                return None
        else:
            reader.raw("resume")
        return cls(
            amount, unit, bool(reader.flag("unverified", default=False)), reader.text("text")
        )

    def check(self, ctx: Context) -> Outcome:
        until = ctx.facts.incident.law_enforcement_delay_until
        if until is None:
            return Outcome(Truth.NO, "")  # nothing to say: the deadline stands
        return Outcome(
            Truth.NO, f"law enforcement asked to delay notice until {until:%Y-%m-%d %H:%M} UTC"
        )

    def describe(self) -> str:
        after = f", then {self.resume_amount} {self.resume_unit}" if self.resume_unit else ""
        return f"law enforcement may delay the notice{after}"
