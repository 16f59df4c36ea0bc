"""Rules from all files, checked against each other: unique ids (or versions whose effective
dates do not overlap), references that resolve, no dependency circles; and the order to
evaluate them in."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from candor.domain.errors import Problem
from candor.domain.obligations import jurisdictions
from candor.domain.obligations.model import FOLLOW_MAIN_ESTABLISHMENT, Rule, RuleSet
from candor.domain.obligations.reader import Path


def build_ruleset(rules: Iterable[Rule]) -> tuple[RuleSet, list[Problem]]:
    """Check the rules against each other and order them; problems name file and path."""
    problems: list[Problem] = []
    versions: dict[str, list[Rule]] = {}
    for rule in rules:
        versions.setdefault(rule.id, []).append(rule)

    def at(rule: Rule, *path: str | int) -> Path:
        return ("rules", rule.index, *path)

    for rule_id, group in versions.items():
        group.sort(key=lambda r: r.effective_from or date.min)
        for earlier, later in itertools.pairwise(group):
            if earlier.effective_until is None or (
                later.effective_from is not None and later.effective_from <= earlier.effective_until
            ):
                problems.append(
                    Problem(
                        f"rule {rule_id!r} already has a version in force then ({earlier.file}); "
                        "versions need effective_until/effective_from that do not overlap",
                        file=later.file,
                        path=at(later, "id"),
                    )
                )
            for name in ("jurisdiction", "timezone", "kind", "for_each", "calendar"):
                if getattr(earlier, name) != getattr(later, name):
                    problems.append(
                        Problem(
                            f"every version of {rule_id!r} must have the same {name}",
                            file=later.file,
                            path=at(later, "id"),
                        )
                    )
    known = set(versions)
    fan_out = {rule_id for rule_id, group in versions.items() if group[0].for_each}
    for group in versions.values():
        for rule in group:
            for ref in rule.references():
                if ref not in known:
                    problems.append(
                        Problem(
                            f"refers to rule {ref!r}, which no rule file defines",
                            file=rule.file,
                            path=at(rule, "id"),
                        )
                    )
                elif ref in fan_out and ref in rule.dependencies():
                    problems.append(
                        Problem(
                            f"cannot depend on {ref!r}: it applies once per jurisdiction",
                            file=rule.file,
                            path=at(rule, "id"),
                        )
                    )
            _check_zone_and_calendar(rule, problems, at(rule, "id"))
    order, cycle = _order(versions)
    if cycle:
        first = versions[cycle[0]][0]
        problems.append(
            Problem(
                "rules depend on each other in a circle: " + " → ".join(cycle),
                file=first.file,
                path=at(first, "id"),
            )
        )
    frozen = {rule_id: tuple(group) for rule_id, group in sorted(versions.items())}
    files = tuple(sorted({rule.file for group in versions.values() for rule in group}))
    covered = covered_places(rule for group in versions.values() for rule in group)
    return RuleSet(versions=frozen, order=order, files=files, covered=covered), problems


def covered_places(rules: Iterable[Rule]) -> frozenset[str]:
    places: set[str] = set()
    for rule in rules:
        if jurisdictions.is_place(rule.jurisdiction):
            places.add(rule.jurisdiction)
        places.update(jurisdictions.expand(rule.for_each))
        for condition in rule.conditions:
            places.update(condition.places())
    return frozenset(places)


def _check_zone_and_calendar(rule: Rule, problems: list[Problem], path: Path) -> None:
    if rule.timezone != FOLLOW_MAIN_ESTABLISHMENT:
        try:
            ZoneInfo(rule.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                Problem(
                    f"unknown time zone {rule.timezone!r}",
                    file=rule.file,
                    path=path,
                    hint="an IANA name such as America/Chicago",
                )
            )


def _order(versions: Mapping[str, list[Rule]]) -> tuple[tuple[str, ...], list[str]]:
    """Rule ids, each after the ids it depends on; or the ids of a dependency circle."""
    deps = {
        rule_id: {ref for rule in group for ref in rule.dependencies() if ref in versions}
        for rule_id, group in versions.items()
    }
    done: list[str] = []
    placed: set[str] = set()
    visiting: list[str] = []

    def visit(rule_id: str) -> list[str]:
        if rule_id in placed:
            return []
        if rule_id in visiting:
            return [*visiting[visiting.index(rule_id) :], rule_id]
        visiting.append(rule_id)
        for dep in sorted(deps[rule_id]):
            cycle = visit(dep)
            if cycle:
                return cycle
        visiting.pop()
        placed.add(rule_id)
        done.append(rule_id)
        return []

    for rule_id in sorted(versions):
        cycle = visit(rule_id)
        if cycle:
            return tuple(done), cycle
    return tuple(done), []
