"""The schemas Candor ships are the official ones, unchanged, and resolve without a network."""

from __future__ import annotations

from importlib import resources

import pytest

from candor.adapters.export.schemas import FIRST_SCHEMAS, validator
from tests.golden.samples import SCHEMAS

PAIRS = [
    ("cve/CVE_JSON_bundled_5.1.1.json", "cve-5.1.1/cvelib/schemas/CVE_JSON_bundled_5.1.1.json"),
    ("cve/LICENSE", "cve-5.1.1/LICENSE"),
    ("csaf/csaf_json_schema.json", "csaf-2.0/json_schema/csaf_json_schema.json"),
    ("csaf/LICENSE.md", "csaf-2.0/LICENSE.md"),
    ("csaf/provider_json_schema.json", "csaf-2.0/json_schema/provider_json_schema.json"),
    ("csaf/first/cvss-v2.0.json", "csaf-2.0/referenced_schema/first/cvss-v2.0.json"),
    ("csaf/first/cvss-v3.0.json", "csaf-2.0/referenced_schema/first/cvss-v3.0.json"),
    ("csaf/first/cvss-v3.1.json", "csaf-2.0/referenced_schema/first/cvss-v3.1.json"),
    ("osv/schema.json", "osv/schema.json"),
    ("osv/LICENSE", "osv/LICENSE"),
]


@pytest.mark.parametrize(("vendored", "shared"), PAIRS)
def test_vendored_copy_is_the_shared_file(vendored: str, shared: str) -> None:
    ours = resources.files("candor.adapters.export.schemas").joinpath(vendored).read_bytes()
    assert ours == (SCHEMAS / shared).read_bytes()


def test_every_ref_of_the_csaf_schema_resolves_locally() -> None:
    # the registry has no retrieve function: a $ref to anything not vendored would raise
    v = validator("csaf")
    for uri in FIRST_SCHEMAS:
        assert v._resolver.lookup(uri).contents["title"].startswith("JSON Schema for Common")  # type: ignore[attr-defined]
