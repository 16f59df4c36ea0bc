"""Conditions: when a rule applies. Rule files name a condition by ``type:``; this module keeps the
registry of types (as pySigma keeps its processing items) and builds each with ``from_dict``.

Evaluation is three-valued: YES, NO, or UNKNOWN when it depends on something nobody has
determined yet (the risk of harm, whether the incident is "significant"). UNKNOWN is not NO: an
obligation that may apply is shown as ``required_unless_exception`` so counsel decides it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar, TypeVar

from candor.domain.obligations.facts import Facts
from candor.domain.obligations.reader import MapReader, Path, Problems, allowed_text, suggest


class Truth(Enum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Outcome:
    truth: Truth
    reason: str


@dataclass(frozen=True, slots=True)
class Context:
    """What a condition may look at: the facts, the jurisdiction the rule is being applied to,
    and the outcome of the rules already evaluated (a regulator notice that depends on the
    residents' notice reads it here)."""

    facts: Facts
    jurisdiction: str
    outcomes: Mapping[str, Truth]


class Condition(ABC):
    type_name: ClassVar[str]
    keys: ClassVar[tuple[str, ...]]

    @classmethod
    @abstractmethod
    def from_dict(cls, reader: MapReader) -> Condition | None:
        """Build from a rule file's mapping; report problems to ``reader`` and return None."""

    @abstractmethod
    def evaluate(self, ctx: Context) -> Outcome: ...

    @abstractmethod
    def describe(self) -> str:
        """The condition in words, for rule listings and documentation."""

    def references(self) -> tuple[str, ...]:
        """Ids of other rules this condition reads (evaluation order depends on them)."""
        return ()

    def places(self) -> tuple[str, ...]:
        """Places whose residents or establishments this condition looks at."""
        return ()


CONDITIONS: dict[str, type[Condition]] = {}
C = TypeVar("C", bound=type[Condition])


def register(name: str) -> Callable[[C], C]:
    def add(cls: C) -> C:
        cls.type_name = name
        CONDITIONS[name] = cls
        return cls

    return add


def parse_condition(data: object, path: Path, problems: Problems) -> Condition | None:
    reader = MapReader(data, path, problems, what="a condition")
    if not reader.ok:
        return None
    name = reader.text("type", required=True)
    if name is None:
        return None
    cls = CONDITIONS.get(name)
    if cls is None:
        problems.add(
            f"unknown condition type {name!r}; allowed: {allowed_text(CONDITIONS)}",
            reader.at("type"),
            hint=suggest(name, CONDITIONS),
        )
        return None
    before = len(problems)
    condition = cls.from_dict(reader)
    reader.finish(("type", *cls.keys))
    return condition if len(problems) == before else None


def _children(reader: MapReader, key: str) -> tuple[Condition, ...]:
    items = reader.sequence(key, required=True)
    out = []
    for index, item in enumerate(items):
        child = parse_condition(item, (*reader.at(key), index), reader.problems)
        if child is not None:
            out.append(child)
    if reader.has(key) and not items:
        reader.problems.add("must list at least one condition", reader.at(key))
    return tuple(out)


@register("all_of")
@dataclass(frozen=True, slots=True)
class AllOf(Condition):
    conditions: tuple[Condition, ...]
    keys: ClassVar[tuple[str, ...]] = ("conditions",)

    @classmethod
    def from_dict(cls, reader: MapReader) -> AllOf | None:
        return cls(_children(reader, "conditions"))

    def evaluate(self, ctx: Context) -> Outcome:
        return combine_all([c.evaluate(ctx) for c in self.conditions])

    def describe(self) -> str:
        return "(" + " and ".join(c.describe() for c in self.conditions) + ")"

    def references(self) -> tuple[str, ...]:
        return tuple(ref for c in self.conditions for ref in c.references())

    def places(self) -> tuple[str, ...]:
        return tuple(code for c in self.conditions for code in c.places())


@register("any_of")
@dataclass(frozen=True, slots=True)
class AnyOf(Condition):
    conditions: tuple[Condition, ...]
    keys: ClassVar[tuple[str, ...]] = ("conditions",)

    @classmethod
    def from_dict(cls, reader: MapReader) -> AnyOf | None:
        return cls(_children(reader, "conditions"))

    def evaluate(self, ctx: Context) -> Outcome:
        outcomes = [c.evaluate(ctx) for c in self.conditions]
        met = [o for o in outcomes if o.truth is Truth.YES]
        if met:
            return Outcome(Truth.YES, met[0].reason)
        open_ = [o for o in outcomes if o.truth is Truth.UNKNOWN]
        if open_:
            return Outcome(Truth.UNKNOWN, "; or ".join(o.reason for o in open_))
        return Outcome(Truth.NO, "none of: " + "; ".join(o.reason for o in outcomes))

    def describe(self) -> str:
        return "(" + " or ".join(c.describe() for c in self.conditions) + ")"

    def references(self) -> tuple[str, ...]:
        return tuple(ref for c in self.conditions for ref in c.references())

    def places(self) -> tuple[str, ...]:
        return tuple(code for c in self.conditions for code in c.places())


@register("not")
@dataclass(frozen=True, slots=True)
class Not(Condition):
    condition: Condition
    keys: ClassVar[tuple[str, ...]] = ("condition",)

    @classmethod
    def from_dict(cls, reader: MapReader) -> Not | None:
        child = parse_condition(reader.raw("condition"), reader.at("condition"), reader.problems)
        if child is None and not reader.has("condition"):
            reader.problems.add("'condition' is required", reader.path)
        return cls(child) if child is not None else None

    def evaluate(self, ctx: Context) -> Outcome:
        inner = self.condition.evaluate(ctx)
        if inner.truth is Truth.UNKNOWN:
            return inner
        flipped = Truth.NO if inner.truth is Truth.YES else Truth.YES
        return Outcome(flipped, f"not ({inner.reason})")

    def describe(self) -> str:
        return f"not {self.condition.describe()}"

    def references(self) -> tuple[str, ...]:
        return self.condition.references()

    def places(self) -> tuple[str, ...]:
        return self.condition.places()


def combine_all(outcomes: list[Outcome]) -> Outcome:
    """All must hold: the first NO decides; otherwise any UNKNOWN leaves it open."""
    for outcome in outcomes:
        if outcome.truth is Truth.NO:
            return outcome
    open_ = [o for o in outcomes if o.truth is Truth.UNKNOWN]
    if open_:
        return Outcome(Truth.UNKNOWN, "; ".join(o.reason for o in open_))
    return Outcome(Truth.YES, "; ".join(o.reason for o in outcomes))


# The built-in types register themselves on import; importing them here means every user of
# ``parse_condition`` sees them. Done last because they import the names above.
from candor.domain.obligations import condition_types  # noqa: E402, F401
