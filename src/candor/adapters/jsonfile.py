"""Read a JSON file a user gives us (a STIX bundle, a VERIS record), with line and column on
syntax errors and without a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from candor.domain.errors import Problem, RuleFileError


def load(path: Path | str) -> Any:
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise RuleFileError(Problem(f"cannot read: {exc.strerror}", file=file)) from None
    return loads(raw, file=file)


def loads(raw: bytes, *, file: str) -> Any:
    """JSON from bytes (an upload), with the same messages as ``load``."""
    try:
        text = raw.decode("utf-8-sig")  # a BOM is common in files saved on Windows
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RuleFileError(Problem("not valid UTF-8", file=file, line=line)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleFileError(
            Problem(f"not valid JSON: {exc.msg}", file=file, line=exc.lineno, column=exc.colno)
        ) from None
