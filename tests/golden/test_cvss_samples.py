"""Scores Candor computes for the CVSS vectors found in the real CVE records match the scores
those records publish (CNA and ADP containers, v2.0 to v4.0)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from candor.adapters.export import cvss
from tests.golden.samples import cve_files, load_json

KEYS = {"cvssV2_0": "2.0", "cvssV3_0": "3.0", "cvssV3_1": "3.1", "cvssV4_0": "4.0"}

# Published scores that are not the base score of their vector, and why.
KNOWN_MISMATCHES = {
    ("CVE-2021-42761", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H/E:P/RL:U/RC:C"): "temporal",
    ("CVE-2023-25606", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N/E:P/RL:X/RC:C"): "temporal",
}


def published() -> list[tuple[str, str, str, dict[str, Any]]]:
    out = []
    for path in cve_files():
        record = load_json(path)
        containers = [record["containers"]["cna"], *record["containers"].get("adp", [])]
        for container in containers:
            for metric in container.get("metrics", []):
                for key, version in KEYS.items():
                    if key in metric:
                        out.append((path.stem, version, metric[key]["vectorString"], metric[key]))
    return out


PUBLISHED = published()


def test_the_samples_hold_vectors_of_every_version() -> None:
    versions = Counter(version for _, version, _, _ in PUBLISHED)
    assert set(versions) == {"2.0", "3.0", "3.1", "4.0"}
    assert len(PUBLISHED) >= 250


@pytest.mark.parametrize(
    ("cve", "version", "vector", "metric"), PUBLISHED, ids=[f"{c}-{v}" for c, v, _, _ in PUBLISHED]
)
def test_computed_score_matches_the_published_one(
    cve: str, version: str, vector: str, metric: dict[str, Any]
) -> None:
    computed = cvss.compute(vector)
    assert computed.version.value == version
    why = KNOWN_MISMATCHES.get((cve, vector))
    if why == "temporal":
        # the CNA published the temporal score in baseScore: that is what it must equal
        assert computed.base_score != metric["baseScore"]
        assert computed.temporal_score == metric["baseScore"]
        return
    assert computed.base_score == metric["baseScore"]
    if "baseSeverity" in metric:
        assert computed.severity.value == metric["baseSeverity"]


def test_known_mismatches_are_all_in_the_samples() -> None:
    found = {(cve, vector) for cve, _, vector, _ in PUBLISHED}
    assert set(KNOWN_MISMATCHES) <= found


def test_v4_objects_validate_where_cve_records_embed_them() -> None:
    from tests.golden.test_exports import shared_validator

    whole = shared_validator("cve")
    v4 = whole.schema["definitions"]["metrics"]["items"]["properties"]["cvssV4_0"]
    # evolve keeps the whole schema as the base its $refs resolve against
    check = whole.evolve(schema=v4)
    vectors = [vector for _, version, vector, _ in PUBLISHED if version == "4.0"]
    assert vectors
    for vector in vectors:
        assert list(check.iter_errors(cvss.metric_json(vector))) == []
