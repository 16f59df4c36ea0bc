"""The real documents in the shared fixtures, read in place (never copied into the repo)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from candor.adapters.export.formats import read_document

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT.parent / "shared" / "fixtures" / "samples"
SCHEMAS = ROOT.parent / "shared" / "fixtures" / "schemas"


def cve_files() -> list[Path]:
    return sorted((SAMPLES / "cve" / "records").rglob("CVE-*.json"))


def csaf_files() -> list[Path]:
    return sorted((SAMPLES / "csaf-2.0" / "csaf").rglob("*.json"))


def osv_files() -> list[Path]:
    base = SAMPLES / "osv"
    return sorted([*(base / "go").glob("*.json"), *(base / "pypa").glob("*.yaml")])


def read(path: Path) -> Any:
    return read_document(path)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
