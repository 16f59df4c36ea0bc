"""The built-in condition types (``type:`` in rule files). Each is a frozen value built with
``from_dict`` and registered in ``conditions.CONDITIONS`` when this module is imported."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from candor.domain.obligations import jurisdictions
from candor.domain.obligations.conditions import (
    Condition,
    Context,
    Outcome,
    Truth,
    register,
)
from candor.domain.obligations.reader import MapReader
from candor.domain.obligations.vocabulary import (
    NOT_PERSONAL,
    Comparison,
    DataElement,
    DataRole,
    Determination,
    RiskLevel,
    Sector,
)


def _codes(reader: MapReader, key: str) -> tuple[str, ...]:
    codes = reader.text_list(key, required=True)
    for index, code in enumerate(codes):
        trouble = jurisdictions.check_rule_code(code, allow_groups=True)
        if trouble is not None:
            reader.problems.add(trouble, (*reader.at(key), index))
    return codes


def _words(values: frozenset[str] | tuple[str, ...]) -> str:
    return ", ".join(sorted(values))


@register("role")
@dataclass(frozen=True, slots=True)
class RoleCondition(Condition):
    """The organisation holds the data in one of these roles."""

    any_of: frozenset[DataRole]
    keys: ClassVar[tuple[str, ...]] = ("any_of",)

    @classmethod
    def from_dict(cls, reader: MapReader) -> RoleCondition | None:
        roles = reader.enum_list("any_of", DataRole, required=True)
        return cls(frozenset(roles)) if roles else None

    def evaluate(self, ctx: Context) -> Outcome:
        held = ctx.facts.organization.roles & self.any_of
        if held:
            return Outcome(Truth.YES, f"role {_words(frozenset(held))}")
        return Outcome(
            Truth.NO,
            f"applies to the {' or '.join(sorted(self.any_of))} of the data; the organisation is "
            f"{_words(frozenset(ctx.facts.organization.roles))}",
        )

    def describe(self) -> str:
        return f"role is {' or '.join(sorted(self.any_of))}"


@register("sector")
@dataclass(frozen=True, slots=True)
class SectorCondition(Condition):
    """The organisation is in one of these regulated sectors."""

    any_of: frozenset[Sector]
    keys: ClassVar[tuple[str, ...]] = ("any_of",)

    @classmethod
    def from_dict(cls, reader: MapReader) -> SectorCondition | None:
        sectors = reader.enum_list("any_of", Sector, required=True)
        return cls(frozenset(sectors)) if sectors else None

    def evaluate(self, ctx: Context) -> Outcome:
        held = ctx.facts.organization.sectors & self.any_of
        if held:
            return Outcome(Truth.YES, f"sector {_words(frozenset(held))}")
        return Outcome(Truth.NO, f"applies to sector {' or '.join(sorted(self.any_of))} only")

    def describe(self) -> str:
        return f"sector is {' or '.join(sorted(self.any_of))}"


def _region_count(ctx: Context, region: str) -> int:
    if region == "jurisdiction":
        region = ctx.jurisdiction
    if region == "total":
        return ctx.facts.incident.count("*")
    if region.startswith("@"):
        return sum(ctx.facts.incident.count(code) for code in jurisdictions.expand([region]))
    return ctx.facts.incident.count(region)


def _region_words(ctx: Context, region: str) -> str:
    if region == "jurisdiction":
        return f"residents of {ctx.jurisdiction}"
    if region == "total":
        return "people in total"
    return f"residents of {region}"


SYMBOLS = {Comparison.GT: ">", Comparison.GE: "≥", Comparison.LT: "<", Comparison.LE: "≤"}


@register("affected")
@dataclass(frozen=True, slots=True)
class AffectedCondition(Condition):
    """A threshold on the number of affected people, exactly as the law states it: ``>`` versus
    ``>=``, counted in the rule's jurisdiction, in a region or group, or in total."""

    region: str  # "jurisdiction", "total", a place code or "@GROUP"
    op: Comparison
    value: int
    keys: ClassVar[tuple[str, ...]] = ("in", "op", "value")

    @classmethod
    def from_dict(cls, reader: MapReader) -> AffectedCondition | None:
        region = reader.text("in", required=True)
        op = reader.enum("op", Comparison, required=True)
        value = reader.integer("value", required=True, minimum=0)
        if region is not None and region not in ("jurisdiction", "total"):
            trouble = jurisdictions.check_rule_code(region, allow_groups=True)
            if trouble is not None:
                reader.problems.add(trouble + " (or 'jurisdiction' or 'total')", reader.at("in"))
                return None
        if region is None or op is None or value is None:
            return None
        return cls(region, op, value)

    def evaluate(self, ctx: Context) -> Outcome:
        count = _region_count(ctx, self.region)
        holds = self.op.holds(count, self.value)
        words = f"{count:,} {_region_words(ctx, self.region)} ({SYMBOLS[self.op]} {self.value:,}"
        return Outcome(
            Truth.YES if holds else Truth.NO,
            f"{words}: met)" if holds else f"{words} needed)",
        )

    def places(self) -> tuple[str, ...]:
        if self.region in ("jurisdiction", "total"):
            return ()
        return jurisdictions.expand([self.region])

    def describe(self) -> str:
        where = {"jurisdiction": "residents of the jurisdiction", "total": "people in total"}
        return f"affected {where.get(self.region, self.region)} {SYMBOLS[self.op]} {self.value:,}"


@register("establishment")
@dataclass(frozen=True, slots=True)
class EstablishmentCondition(Condition):
    """The organisation has an establishment in one of these places."""

    codes: tuple[str, ...]
    keys: ClassVar[tuple[str, ...]] = ("in",)

    @classmethod
    def from_dict(cls, reader: MapReader) -> EstablishmentCondition | None:
        codes = _codes(reader, "in")
        return cls(codes) if codes else None

    def evaluate(self, ctx: Context) -> Outcome:
        for code in jurisdictions.expand(self.codes):
            if ctx.facts.established_in(code):
                return Outcome(Truth.YES, f"established in {code}")
        return Outcome(Truth.NO, f"no establishment in {', '.join(self.codes)}")

    def describe(self) -> str:
        return f"established in {', '.join(self.codes)}"

    def places(self) -> tuple[str, ...]:
        return jurisdictions.expand(self.codes)


@register("nexus")
@dataclass(frozen=True, slots=True)
class NexusCondition(Condition):
    """The law reaches the incident: the organisation is established there, or people resident
    there are affected (GDPR Art. 3, LGPD Art. 3 and most national laws work this way)."""

    codes: tuple[str, ...]
    keys: ClassVar[tuple[str, ...]] = ("in",)

    @classmethod
    def from_dict(cls, reader: MapReader) -> NexusCondition | None:
        codes = _codes(reader, "in")
        return cls(codes) if codes else None

    def evaluate(self, ctx: Context) -> Outcome:
        members = jurisdictions.expand(self.codes)
        for code in members:
            if ctx.facts.established_in(code):
                return Outcome(Truth.YES, f"established in {code}")
        counts = {code: ctx.facts.incident.count(code) for code in members}
        people = {code: n for code, n in counts.items() if n > 0}
        if people:
            listed = ", ".join(f"{code} {n:,}" for code, n in people.items())
            return Outcome(Truth.YES, f"affected residents: {listed}")
        return Outcome(
            Truth.NO, f"no establishment in and no affected residents of {', '.join(self.codes)}"
        )

    def describe(self) -> str:
        return f"established in, or residents affected in, {', '.join(self.codes)}"

    def places(self) -> tuple[str, ...]:
        return jurisdictions.expand(self.codes)


@register("data_elements")
@dataclass(frozen=True, slots=True)
class DataElementsCondition(Condition):
    """The data taken is covered by the law's definition: an identifier (usually the name)
    together with one of ``with_name``, or one of ``alone`` by itself, or (``any_personal``) any
    personal data at all."""

    with_name: frozenset[DataElement]
    alone: frozenset[DataElement]
    identifiers: frozenset[DataElement]
    any_personal: bool
    keys: ClassVar[tuple[str, ...]] = ("with_name", "name_or", "alone", "any_personal")

    @classmethod
    def from_dict(cls, reader: MapReader) -> DataElementsCondition | None:
        with_name = frozenset(reader.enum_list("with_name", DataElement))
        alone = frozenset(reader.enum_list("alone", DataElement))
        extra = frozenset(reader.enum_list("name_or", DataElement))
        any_personal = bool(reader.flag("any_personal", default=False))
        if not (with_name or alone or any_personal):
            reader.problems.add("give 'with_name', 'alone' or 'any_personal: true'", reader.path)
            return None
        return cls(with_name, alone, frozenset({DataElement.NAME}) | extra, any_personal)

    def evaluate(self, ctx: Context) -> Outcome:
        taken = ctx.facts.incident.elements
        if self.any_personal and taken - NOT_PERSONAL:
            return Outcome(Truth.YES, f"personal data taken ({_words(frozenset(taken))})")
        alone = taken & self.alone
        if alone:
            return Outcome(Truth.YES, f"{_words(frozenset(alone))} taken (covered by itself)")
        ids = taken & self.identifiers
        paired = taken & self.with_name
        if ids and paired:
            return Outcome(
                Truth.YES,
                f"{_words(frozenset(ids))} with {_words(frozenset(paired))} taken "
                "(personal information under this law)",
            )
        return Outcome(
            Truth.NO,
            f"the data taken ({_words(frozenset(taken)) or 'none recorded'}) is not covered: "
            + self.describe(),
        )

    def describe(self) -> str:
        parts = []
        if self.with_name:
            ids = " or ".join(sorted(self.identifiers))
            parts.append(f"{ids} with one of {_words(self.with_name)}")
        if self.alone:
            parts.append(f"by itself one of {_words(self.alone)}")
        if self.any_personal:
            parts.append("any personal data")
        return "covers " + "; or ".join(parts)


@register("risk_of_harm")
@dataclass(frozen=True, slots=True)
class RiskCondition(Condition):
    """The risk of harm to people reaches a level (GDPR Art. 34: high; PIPEDA: real risk of
    significant harm, written ``likely``). Unassessed risk leaves the rule for counsel."""

    at_least: RiskLevel
    keys: ClassVar[tuple[str, ...]] = ("at_least",)

    @classmethod
    def from_dict(cls, reader: MapReader) -> RiskCondition | None:
        level = reader.enum("at_least", RiskLevel, required=True)
        if level in (RiskLevel.UNKNOWN, RiskLevel.UNLIKELY):
            reader.problems.add("must be likely or high", reader.at("at_least"))
            return None
        return cls(level) if level else None

    def evaluate(self, ctx: Context) -> Outcome:
        risk = ctx.facts.incident.risk_of_harm
        if risk is RiskLevel.UNKNOWN:
            return Outcome(
                Truth.UNKNOWN,
                f"applies if the risk of harm is {self.at_least} or higher; not assessed yet",
            )
        if risk.rank >= self.at_least.rank:
            return Outcome(Truth.YES, f"risk of harm {risk} (needs {self.at_least} or higher)")
        return Outcome(Truth.NO, f"risk of harm assessed {risk}; applies from {self.at_least}")

    def describe(self) -> str:
        return f"risk of harm is {self.at_least} or higher"


@register("determination")
@dataclass(frozen=True, slots=True)
class DeterminationCondition(Condition):
    """A named yes/no finding (``significant_incident`` …) has the expected answer."""

    name: Determination
    expect: bool
    keys: ClassVar[tuple[str, ...]] = ("name", "expect")

    @classmethod
    def from_dict(cls, reader: MapReader) -> DeterminationCondition | None:
        name = reader.enum("name", Determination, required=True)
        expect = reader.flag("expect", default=True)
        return cls(name, bool(expect)) if name else None

    def evaluate(self, ctx: Context) -> Outcome:
        answer = ctx.facts.incident.determinations.get(self.name)
        wanted = "yes" if self.expect else "no"
        if answer is None:
            return Outcome(Truth.UNKNOWN, f"applies if {self.name} is {wanted}; not determined yet")
        if answer == self.expect:
            return Outcome(Truth.YES, f"{self.name}: {wanted}")
        return Outcome(Truth.NO, f"determined {self.name}: {'yes' if answer else 'no'}")

    def describe(self) -> str:
        return f"{self.name} is {'yes' if self.expect else 'no'}"


@register("obligation")
@dataclass(frozen=True, slots=True)
class ObligationCondition(Condition):
    """Another rule applies (a regulator is told only when residents must be told)."""

    rule: str
    keys: ClassVar[tuple[str, ...]] = ("rule",)

    @classmethod
    def from_dict(cls, reader: MapReader) -> ObligationCondition | None:
        rule = reader.text("rule", required=True)
        return cls(rule) if rule else None

    def evaluate(self, ctx: Context) -> Outcome:
        truth = ctx.outcomes.get(self.rule, Truth.NO)
        if truth is Truth.YES:
            return Outcome(Truth.YES, f"notice under {self.rule} is required")
        if truth is Truth.UNKNOWN:
            return Outcome(Truth.UNKNOWN, f"applies if notice under {self.rule} is required")
        return Outcome(Truth.NO, f"applies only when notice under {self.rule} is required")

    def describe(self) -> str:
        return f"notice under {self.rule} is required"

    def references(self) -> tuple[str, ...]:
        return (self.rule,)


@register("customer_affected")
@dataclass(frozen=True, slots=True)
class CustomerCondition(Condition):
    """A customer's data or systems are affected (contract clauses in organisation rules)."""

    customer: str
    keys: ClassVar[tuple[str, ...]] = ("customer",)

    @classmethod
    def from_dict(cls, reader: MapReader) -> CustomerCondition | None:
        customer = reader.text("customer", required=True)
        return cls(customer) if customer else None

    def evaluate(self, ctx: Context) -> Outcome:
        customers = ctx.facts.incident.affected_customers
        if customers is None:
            return Outcome(
                Truth.UNKNOWN,
                f"applies if customer {self.customer} is affected; affected_customers not recorded",
            )
        if self.customer in customers:
            return Outcome(Truth.YES, f"customer {self.customer} is affected")
        return Outcome(Truth.NO, f"customer {self.customer} is not among the affected customers")

    def describe(self) -> str:
        return f"customer {self.customer} is affected"
