"""Field mappings: how a generic log (JSON Lines, CSV, Parquet) names the fields we scope by.

::

    fields:
      time: ts                 # required
      actor: user.name         # matched by principal_arn indicators
      source_ip: client.ip     # ip and cidr indicators
      action: event.action
      resource: object.path
      account: tenant
      user_agent: http.ua      # optional: user_agent indicators
      access_key_id: key_id    # optional: aws_access_key_id indicators
    time_format: iso8601       # or epoch_seconds, epoch_milliseconds

Dotted names reach into nested JSON objects and Parquet structs; a CSV column whose header
itself contains a dot is named as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from candor.domain.errors import ProblemCollector


class TimeFormat(StrEnum):
    ISO8601 = "iso8601"  # a time without an offset is read as UTC
    EPOCH_SECONDS = "epoch_seconds"
    EPOCH_MILLISECONDS = "epoch_milliseconds"


MAPPED_FIELDS = (
    "time",
    "actor",
    "source_ip",
    "action",
    "resource",
    "account",
    "user_agent",
    "access_key_id",
)


@dataclass(frozen=True, slots=True)
class FieldMapping:
    time: str
    actor: str | None = None
    source_ip: str | None = None
    action: str | None = None
    resource: str | None = None
    account: str | None = None
    user_agent: str | None = None
    access_key_id: str | None = None
    time_format: TimeFormat = TimeFormat.ISO8601

    def fields(self) -> dict[str, str]:
        """Our field name → the source's field path, for the fields that are mapped."""
        out: dict[str, str] = {}
        for name in MAPPED_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def source_paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.fields().values()))


def parse_mapping(data: object) -> FieldMapping:
    problems = ProblemCollector()
    if not isinstance(data, Mapping):
        problems.add("a mapping file is a mapping with fields", hint="see docs/scoping.md")
        problems.raise_if_any()
        raise AssertionError  # unreachable
    for key in data:
        if key not in ("fields", "time_format"):
            problems.add(
                f"unknown key {key!r}", path=(str(key),), hint="fields and time_format only"
            )
    fields = data.get("fields")
    found: dict[str, str] = {}
    if not isinstance(fields, Mapping):
        problems.add(
            "fields is missing or not a mapping", path=("fields",) if "fields" in data else None
        )
    else:
        for name, value in fields.items():
            if name not in MAPPED_FIELDS:
                problems.add(
                    f"unknown field {name!r}",
                    path=("fields", str(name)),
                    hint="known fields: " + ", ".join(MAPPED_FIELDS),
                )
            elif not isinstance(value, str) or not value.strip():
                problems.add("the source field name must be text", path=("fields", str(name)))
            else:
                found[str(name)] = value.strip()
        if "time" not in found and not any(p.path == ("fields", "time") for p in problems.problems):
            problems.add(
                "time is required",
                path=("fields",),
                hint="name the field that holds each record's time",
            )
        elif len(found) == 1 and "time" in found:
            problems.add(
                "map at least one field to match on besides time",
                path=("fields",),
                hint="source_ip, actor, user_agent or access_key_id",
            )
    time_format = TimeFormat.ISO8601
    if "time_format" in data:
        try:
            time_format = TimeFormat(str(data["time_format"]).strip())
        except ValueError:
            problems.add(
                f"unknown time_format {data['time_format']!r}",
                path=("time_format",),
                hint=", ".join(t.value for t in TimeFormat),
            )
    problems.raise_if_any()
    return FieldMapping(time_format=time_format, **found)
