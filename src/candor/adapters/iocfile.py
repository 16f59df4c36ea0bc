"""Read an IOC list a responder wrote (YAML, or JSON, which YAML reads too) into indicators.

The file is a list, or a mapping with ``tlp`` (the default level) and ``indicators``::

    tlp: amber
    indicators:
      - {type: ipv4, value: 203.0.113.7, description: "C2 seen 1 March"}
      - {type: aws_access_key_id, value: AKIAIOSFODNN7EXAMPLE, tlp: red}

Every bad row is reported at once with its line and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from candor.adapters import yamlfile
from candor.domain.errors import InvalidInput, Problem, RuleFileError
from candor.domain.indicators import Indicator, parse_list


def load(path: Path | str) -> list[Indicator]:
    doc = yamlfile.load(path)
    if doc.problems:
        raise RuleFileError(doc.problems)
    data = doc.data
    default = None
    base: tuple[str | int, ...] = ()
    if isinstance(data, Mapping):
        unknown = [k for k in data if k not in ("tlp", "indicators")]
        if unknown:
            problems = [Problem(f"unknown key {k!r}", path=(str(k),)) for k in unknown]
            raise RuleFileError(doc.locate(problems))
        default = data.get("tlp")
        data = data.get("indicators")
        base = ("indicators",)
    try:
        return parse_list(data, default_tlp=default)
    except InvalidInput as exc:
        raise RuleFileError(doc.locate(exc.problems, base=base)) from None
