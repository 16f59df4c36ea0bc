"""Every export validates against the official schemas in the shared fixtures (read there,
independently of the copies Candor ships), and CSAF output passes the mandatory tests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT7

from candor.adapters.export import csaf_checks, formats
from candor.domain.advisories import Advisory
from tests.golden.samples import SCHEMAS, load_json

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
ADVISORIES = sorted((Path(__file__).parent / "advisories").glob("*.yaml"))


def shared_validator(fmt: str) -> Any:
    if fmt == "cve":
        return Draft7Validator(
            load_json(SCHEMAS / "cve-5.1.1" / "cvelib" / "schemas" / "CVE_JSON_bundled_5.1.1.json")
        )
    if fmt == "osv":
        return Draft202012Validator(load_json(SCHEMAS / "osv" / "schema.json"))
    first = SCHEMAS / "csaf-2.0" / "referenced_schema" / "first"
    registry: Registry[Any] = Registry()
    for version, spec in (("2.0", DRAFT4), ("3.0", DRAFT4), ("3.1", DRAFT7)):
        registry = registry.with_resource(
            f"https://www.first.org/cvss/cvss-v{version}.json",
            Resource.from_contents(load_json(first / f"cvss-v{version}.json"), spec),
        )
    schema = load_json(SCHEMAS / "csaf-2.0" / "json_schema" / "csaf_json_schema.json")
    return Draft202012Validator(schema, registry=registry)


def exports(advisory: Advisory) -> list[tuple[str, dict[str, Any]]]:
    out = [("csaf", formats.export(advisory, "csaf", now=NOW))]
    for i, v in enumerate(advisory.vulnerabilities):
        out.append(("osv", formats.export(advisory, "osv", now=NOW, index=i)))
        if v.cve:
            out.append(("cve", formats.export(advisory, "cve", now=NOW, index=i)))
    return out


@pytest.mark.parametrize("path", ADVISORIES, ids=lambda p: p.stem)
def test_exports_validate_against_the_official_schemas(path: Path) -> None:
    advisory = formats.load_record(path)
    produced = exports(advisory)
    assert {fmt for fmt, _ in produced} == {"cve", "csaf", "osv"}
    for fmt, document in produced:
        errors = [e.message for e in shared_validator(fmt).iter_errors(document)]
        assert errors == [], (fmt, errors)


@pytest.mark.parametrize("path", ADVISORIES, ids=lambda p: p.stem)
def test_csaf_export_passes_the_mandatory_tests(path: Path) -> None:
    document = formats.export(formats.load_record(path), "csaf", now=NOW)
    assert csaf_checks.run(document) == []
    assert document["document"]["category"] == "csaf_security_advisory"


def test_csaf_export_carries_the_record() -> None:
    advisory = formats.load_record(ADVISORIES[1])
    doc = formats.export(advisory, "csaf", now=NOW)
    tracking = doc["document"]["tracking"]
    # a draft without revisions is version 0, dated now
    assert tracking["status"] == "draft"
    assert tracking["version"] == "0"
    assert tracking["revision_history"] == [
        {"date": "2026-11-22T12:00:00Z", "number": "0", "summary": "Draft"}
    ]
    # TLP 2.0 AMBER+STRICT has no TLP 1.0 label; AMBER is the closest
    assert doc["document"]["distribution"]["tlp"]["label"] == "AMBER"
    first, second = doc["vulnerabilities"]
    names = {
        leaf["name"]
        for vendor in doc["product_tree"]["branches"]
        for product in vendor["branches"]
        for leaf in product["branches"]
    }
    assert "vers:semver/<3.2.1|>=4.0.0|<4.0.3" in names
    assert "vers:semver/>=5.0.0" in names
    assert set(first["product_status"]) == {"known_affected", "known_not_affected", "fixed"}
    # the CVSS v4.0 vector has no place in CSAF 2.0 scores; it travels in a note
    assert {
        "category": "other",
        "title": "CVSS v4.0",
        "text": "CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    } in second["notes"]
    assert [s["cvss_v3"]["baseScore"] for s in second["scores"]] == [8.1]
    assert second["remediations"][0]["category"] == "workaround"


def test_cve_export_maps_ranges_and_statuses() -> None:
    advisory = formats.load_record(ADVISORIES[1])
    record = formats.export(advisory, "cve", now=NOW, cve="CVE-2026-20001")
    affected = record["containers"]["cna"]["affected"][0]
    assert affected["collectionURL"] == "https://www.npmjs.com"
    assert affected["packageName"] == "@acme/sdk"
    assert affected["versions"] == [
        {
            "version": "0",
            "status": "affected",
            "versionType": "semver",
            "lessThan": "4.0.3",
            "changes": [
                {"at": "3.2.1", "status": "unaffected"},
                {"at": "4.0.0", "status": "affected"},
            ],
        },
        {
            "version": "5.0.0",
            "status": "unaffected",
            "versionType": "semver",
            "lessThanOrEqual": "*",
        },
        {"version": "3.2.1", "status": "unaffected"},
        {"version": "4.0.3", "status": "unaffected"},
    ]
    metric = record["containers"]["cna"]["metrics"][0]["cvssV3_1"]
    assert (metric["baseScore"], metric["baseSeverity"]) == (6.1, "MEDIUM")


def test_osv_export_lists_only_what_is_affected() -> None:
    advisory = formats.load_record(ADVISORIES[1])
    record = formats.export(advisory, "osv", now=NOW, cve="CVE-2026-20001")
    assert record["id"] == "x_ACME-SA-2026-002-1"
    (affected,) = record["affected"]
    assert affected["package"] == {
        "ecosystem": "npm",
        "name": "@acme/sdk",
        "purl": "pkg:npm/%40acme/sdk",
    }
    # the unaffected 5.x range and the fixed versions are not "affected" in OSV's sense
    assert affected["ranges"] == [
        {
            "type": "SEMVER",
            "events": [
                {"introduced": "0"},
                {"fixed": "3.2.1"},
                {"introduced": "4.0.0"},
                {"fixed": "4.0.3"},
            ],
        }
    ]
    assert "versions" not in affected


def test_export_refuses_what_the_format_requires_and_the_record_lacks() -> None:
    advisory = formats.load_record(ADVISORIES[0])
    from dataclasses import replace

    from candor.domain.errors import InvalidInput

    no_cve = replace(advisory, vulnerabilities=(replace(advisory.vulnerabilities[0], cve=None),))
    with pytest.raises(InvalidInput) as caught:
        formats.export(no_cve, "cve", now=NOW)
    assert "no CVE id yet" in str(caught.value)


def test_exports_are_plain_json() -> None:
    advisory = formats.load_record(ADVISORIES[0])
    for _, document in exports(advisory):
        assert json.loads(json.dumps(document)) == document
