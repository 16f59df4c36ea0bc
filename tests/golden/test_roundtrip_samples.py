"""Round trips over the real samples: each CVE record, CSAF example and OSV record is imported
into an advisory and exported back to its own format, and the essentials must be equal.

Two round trips per document:

- *full*: import → export, extras included. This is what ``candor advisory import`` followed
  by ``export`` does to a company's history.
- *model*: import → drop every extra → export. This proves the record itself carries the
  essentials, not the copies of imported data the extras keep.

Documents that fail either are listed below with the reason; the test asserts the lists are
exactly what they are, so a fix or a regression both show. ``python -m
tests.golden.test_roundtrip_samples`` prints the report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from candor.adapters.export import validate
from candor.adapters.export.csaf import to_csaf
from candor.adapters.export.csaf_import import from_csaf
from candor.adapters.export.cve import to_cve
from candor.adapters.export.cve_import import from_cve
from candor.adapters.export.osv import from_osv, to_osv
from candor.domain.advisories import Advisory
from candor.domain.errors import InvalidInput
from tests.golden import essentials
from tests.golden.samples import csaf_files, cve_files, osv_files, read

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)

# name → why its essentials differ after the full round trip
FULL_FAILURES = {
    "CVE-2021-42761.json": "the CNA published the temporal score 8.5 as baseScore; Candor "
    "writes the base score its vector gives, 9.0 CRITICAL",
    "CVE-2023-25606.json": "the CNA published the temporal score 6.2 as baseScore; Candor "
    "writes the base score its vector gives, 6.5",
}
# name → why the record alone (no extras) does not carry the essentials
SCORES_PER_PRODUCT = (
    "adds a second CVSS 3.1 vector (an environmental variant) for the products not affected; "
    "the record holds one vector per CVSS version, so the second is kept only in extras"
)
MODEL_FAILURES = {
    **FULL_FAILURES,
    "CVE-2023-38054.json": "the product has no vendor and its collectionURL (a GitHub "
    "repository) names no package ecosystem Candor knows; the URL is kept only in extras, and "
    "without it CVE needs a vendor, so the export refuses",
    "bsi-2022-0001.json": "version 1.0.0-rc2 is both first_fixed and fixed; the record says "
    "fixed, and first_fixed is kept only in extras",
    "2022-evd-uc-06-001.json": SCORES_PER_PRODUCT,
    "2022-evd-uc-07-001.json": SCORES_PER_PRODUCT,
    "2022-evd-uc-08-001.json": SCORES_PER_PRODUCT + "; version 5.2 is also 'recommended', "
    "which only extras keep",
    "2022-evd-uc-09-001.json": SCORES_PER_PRODUCT,
    "rhsa-2019_1862.json": "an informational advisory (csaf_informational_advisory) with no "
    "vulnerabilities; its category is kept in extras, and without it the export, a security "
    "advisory, refuses for want of a vulnerability",
}


def _strip(advisory: Advisory) -> Advisory:
    """The advisory without any extras, at every level."""

    def clean(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            changes = {}
            for f in dataclasses.fields(obj):
                value = getattr(obj, f.name)
                if f.name == "extras":
                    changes[f.name] = {}
                elif isinstance(value, tuple):
                    changes[f.name] = tuple(clean(v) for v in value)
                elif dataclasses.is_dataclass(value):
                    changes[f.name] = clean(value)
            return dataclasses.replace(obj, **changes)
        return obj

    result: Advisory = clean(advisory)
    return result


Case = tuple[str, Path, Callable[[Any], Advisory], Callable[[Advisory], Any], str]

CASES: list[Case] = [
    *(("cve", p, from_cve, lambda a: to_cve(a), "cve") for p in cve_files()),
    *(("csaf", p, from_csaf, lambda a: to_csaf(a, now=NOW), "csaf") for p in csaf_files()),
    *(("osv", p, from_osv, lambda a: to_osv(a, now=NOW), "osv") for p in osv_files()),
]


def round_trip(case: Case) -> dict[str, Any]:
    fmt, path, importer, exporter, _ = case
    original = read(path)
    advisory = importer(original)
    full = exporter(advisory)
    ess = essentials.DOCUMENT[fmt]
    model_ess = essentials.document_csaf_model if fmt == "csaf" else ess
    try:
        model = exporter(_strip(advisory))
    except InvalidInput:
        # without its extras the record lacks what the format requires; it says so instead
        # of writing an invalid document
        model = None
    return {
        "name": path.name,
        "format": fmt,
        "full_equal": ess(full) == ess(original),
        "model_equal": model is not None and model_ess(model) == model_ess(original),
        "identical": full == original,
        "full_valid": not validate.failures(full, fmt),
        "model_valid": model is None or not validate.failures(model, fmt),
    }


@pytest.fixture(scope="module")
def results() -> list[dict[str, Any]]:
    return [round_trip(case) for case in CASES]


def test_the_samples_are_all_there(results: list[dict[str, Any]]) -> None:
    counts = {fmt: sum(1 for r in results if r["format"] == fmt) for fmt in ("cve", "csaf", "osv")}
    assert counts == {"cve": 300, "csaf": 19, "osv": 200}


def test_every_export_is_valid(results: list[dict[str, Any]]) -> None:
    invalid = [r["name"] for r in results if not (r["full_valid"] and r["model_valid"])]
    assert invalid == []


def test_full_round_trip_failures_are_exactly_the_known_ones(
    results: list[dict[str, Any]],
) -> None:
    failing = {r["name"] for r in results if not r["full_equal"]}
    assert failing == set(FULL_FAILURES)


def test_model_round_trip_failures_are_exactly_the_known_ones(
    results: list[dict[str, Any]],
) -> None:
    failing = {r["name"] for r in results if not r["model_equal"]}
    assert failing == set(MODEL_FAILURES)


def report(results: list[dict[str, Any]]) -> str:
    lines = ["format  samples  full-equal  model-equal  byte-identical"]
    for fmt in ("cve", "csaf", "osv"):
        rows = [r for r in results if r["format"] == fmt]
        lines.append(
            f"{fmt:<7} {len(rows):>7}  {sum(r['full_equal'] for r in rows):>10}  "
            f"{sum(r['model_equal'] for r in rows):>11}  {sum(r['identical'] for r in rows):>14}"
        )
    for title, known in (("full", FULL_FAILURES), ("model", MODEL_FAILURES)):
        lines.append(f"\n{title} round trip, known failures:")
        lines.extend(f"  {name}: {why}" for name, why in sorted(known.items()))
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - a report for people
    print(report([round_trip(case) for case in CASES]))  # noqa: T201
