"""Validate CVE, CSAF and OSV documents against the official schemas shipped with Candor.

The schemas are vendored in ``schemas/`` (see ``schemas/NOTICE.md``) and every ``$ref`` is
resolved from there through a ``referencing`` registry, so validation never touches the network
and never depends on files outside the package. CSAF documents also go through the mandatory
tests of CSAF 2.0 section 6.1 (``csaf_checks``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError

from candor.adapters.export import csaf_checks
from candor.adapters.export.schemas import FORMATS, Format, validator
from candor.domain.errors import InvalidInput, Problem

__all__ = ["FORMATS", "Failure", "Format", "detect", "failures", "require_valid"]


@dataclass(frozen=True, slots=True)
class Failure:
    """One way a document breaks its format: a schema error or a failed CSAF test."""

    check: str  # "schema" or the CSAF test number, e.g. "6.1.6"
    path: str  # JSON pointer
    message: str

    def __str__(self) -> str:
        where = self.path or "/"
        label = "schema" if self.check == "schema" else f"CSAF {self.check}"
        return f"{where}: {self.message} [{label}]"

    def as_problem(self) -> Problem:
        return Problem(
            f"{self.message} [{'schema' if self.check == 'schema' else 'CSAF ' + self.check}]",
            field=self.path or "/",
        )


def pointer(path: Iterator[Any] | tuple[Any, ...] | list[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _short(error: ValidationError) -> str:
    text = str(error.message)
    if len(text) > 300:
        text = text[:297] + "…"
    return text


def schema_failures(document: Any, fmt: Format) -> list[Failure]:
    errors = sorted(validator(fmt).iter_errors(document), key=lambda e: list(e.absolute_path))
    return [Failure("schema", pointer(list(e.absolute_path)), _short(e)) for e in errors]


def detect(document: Any) -> Format:
    """Which format a parsed document is in, from the keys each one requires."""
    if isinstance(document, Mapping):
        if "cveMetadata" in document or document.get("dataType") == "CVE_RECORD":
            return "cve"
        doc = document.get("document")
        if isinstance(doc, Mapping) and "csaf_version" in doc:
            return "csaf"
        if "id" in document and ("modified" in document or "affected" in document):
            return "osv"
    raise InvalidInput(
        Problem(
            "cannot tell whether this is a CVE record, a CSAF document or an OSV record",
            hint="name the format with --format cve|csaf|osv",
        )
    )


def failures(document: Any, fmt: Format) -> list[Failure]:
    """Everything wrong with a document: schema errors, then (CSAF) failed mandatory tests.

    The CSAF tests assume the document is schema-valid in the parts they read, so they run
    even when the schema fails but only report what they can check.
    """
    out = schema_failures(document, fmt)
    if fmt == "csaf" and isinstance(document, Mapping):
        out.extend(Failure(f.test, pointer(f.path), f.message) for f in csaf_checks.run(document))
    return out


def require_valid(document: Any, fmt: Format) -> None:
    """Raise ``InvalidInput`` naming every failure; exports call this before writing."""
    found = failures(document, fmt)
    if found:
        raise InvalidInput([f.as_problem() for f in found])
