"""One entry point for the three formats: read and write advisory records, export, import.

Everything here is a pure function of its inputs (``now`` is passed in), so the same calls
serve the CLI on files today and a stored advisory later: ``export(advisory, "csaf", now=…)``
does not care where the advisory came from.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from candor.adapters import yamlfile
from candor.adapters.export import cvss, validate
from candor.adapters.export.csaf import to_csaf
from candor.adapters.export.csaf_import import from_csaf
from candor.adapters.export.cve import to_cve
from candor.adapters.export.cve_import import from_cve
from candor.adapters.export.osv import from_osv, pick, to_osv
from candor.adapters.export.schemas import Format
from candor.domain.advisories import Advisory
from candor.domain.advisory_dump import dump_advisory
from candor.domain.advisory_parse import parse_advisory
from candor.domain.errors import InvalidInput, Problem, RuleFileError


def load_record(
    path: Path | str, *, display: str | None = None, default_id: str | None = None
) -> Advisory:
    """An advisory from a YAML file in the record format; every problem with file:line.
    ``default_id`` stands in for an id the file leaves out (a new advisory gets its id later)."""
    return _record(yamlfile.load(path, display=display), default_id)


def read_record(text: str, *, file: str, default_id: str | None = None) -> Advisory:
    """The same, from YAML text (a form's text area); problems name ``file`` and the line."""
    return _record(yamlfile.parse(text, file=file), default_id)


def _record(doc: yamlfile.Document, default_id: str | None) -> Advisory:
    if doc.problems:
        raise RuleFileError(doc.problems)
    data = doc.data
    if default_id is not None and isinstance(data, dict) and "id" not in data:
        data = {"id": default_id, **data}
    try:
        return parse_advisory(data, scorer=cvss.score)
    except InvalidInput as exc:
        raise RuleFileError(doc.locate(exc.problems)) from None


class _Dumper(yaml.SafeDumper):
    """Block style for long text, so descriptions read as written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not value.endswith(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump_record(advisory: Advisory) -> str:
    return yaml.dump(
        dump_advisory(advisory), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )


def export(
    advisory: Advisory,
    fmt: Format,
    *,
    now: datetime,
    cve: str | None = None,
    index: int | None = None,
) -> dict[str, Any]:
    """The advisory as a document of ``fmt``, checked against the official schema (and for
    CSAF the mandatory tests) before it is handed back."""
    if fmt == "csaf":
        document = to_csaf(advisory, now=now)
    elif fmt == "cve":
        document = to_cve(advisory, index=pick(advisory, cve=cve, index=index))
    else:
        document = to_osv(advisory, index=pick(advisory, cve=cve, index=index), now=now)
    validate.require_valid(document, fmt)
    return document


def import_document(document: Any, fmt: Format | None = None) -> Advisory:
    fmt = fmt or validate.detect(document)
    if fmt == "cve":
        return from_cve(document)
    if fmt == "csaf":
        return from_csaf(document)
    return from_osv(document)


class _NoTimes(yaml.SafeLoader):
    """OSV's own YAML (the PyPA database) keeps times as text, as its JSON does."""


_NoTimes.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_document(path: Path | str) -> Any:
    """A JSON document, or a YAML one (OSV records are also published as YAML)."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(Problem(f"cannot read: {exc.strerror}", field=file)) from None
    except UnicodeDecodeError:
        raise InvalidInput(Problem("not valid UTF-8", field=file)) from None
    if file.endswith((".yaml", ".yml")):
        try:
            return yaml.load(text, Loader=_NoTimes)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise InvalidInput(Problem(f"not valid YAML: {exc}", field=file)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            Problem(f"not valid JSON: {exc.msg}", field=f"{file}:{exc.lineno}:{exc.colno}")
        ) from None
