"""Read a contacts file for ``candor contact import``: every problem at file:line:column.

    contacts:
      - handle: acme-law
        category: outside_counsel
        organisation: Acme LLP
        people: [{name: Dana Reyes, role: Partner, email: dana@acme.example}]
        retainer: {in_place: true, number: R-17, hours: 40, expires_on: 2027-06-30}
        last_verified_on: 2026-10-01

Each entry has the keys of ``candor contact show --json`` (docs/prepare.md).
"""

from __future__ import annotations

from pathlib import Path

from candor.adapters import yamlfile
from candor.domain import fields
from candor.domain.contacts import Details, parse_details
from candor.domain.errors import ProblemCollector, RuleFileError


def load(path: Path | str) -> list[tuple[str, Details]]:
    return entries(yamlfile.load(path))


def loads(text: str, *, file: str) -> list[tuple[str, Details]]:
    """The same from text (a file uploaded through the web page); ``file`` names it in problems."""
    return entries(yamlfile.parse(text, file=file))


def entries(doc: yamlfile.Document) -> list[tuple[str, Details]]:
    """Every entry of a parsed contacts file, or ``RuleFileError`` with every problem located."""
    problems = ProblemCollector()
    data = fields.mapping(doc.data, (), problems, what="contacts: a list of contacts")
    fields.unknown_keys(data, ("contacts",), (), problems)
    out: list[tuple[str, Details]] = []
    seen: set[str] = set()
    for i, raw in enumerate(
        fields.items(data.get("contacts"), ("contacts",), problems, required=True)
    ):
        path: fields.PathKey = ("contacts", i)
        entry = fields.mapping(raw, path, problems, what="a contact")
        if not entry:
            continue
        handle = fields.slug(entry.get("handle"), (*path, "handle"), problems)
        if handle in seen:
            problems.add(f"handle {handle!r} appears twice", path=(*path, "handle"))
        seen.add(handle)
        details = parse_details(
            {k: v for k, v in entry.items() if k != "handle"}, path=path, problems=problems
        )
        out.append((handle, details))
    located = [*doc.problems, *doc.locate(problems.problems)]
    if located:
        raise RuleFileError(located)
    return out
