"""Each CSAF 2.0 mandatory test (section 6.1) catches the failing example of the standard, and
stays quiet on a sound document."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from candor.adapters.export import csaf_checks, validate

PA = {"product_id": "CSAFPID-0001", "name": "Product A"}
PB = {"product_id": "CSAFPID-0002", "name": "Product B"}
V31 = {
    "version": "3.1",
    "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
    "baseScore": 10.0,
    "baseSeverity": "CRITICAL",
}


def sound() -> dict[str, Any]:
    return {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "lang": "en",
            "title": "A sound advisory",
            "publisher": {
                "category": "vendor",
                "name": "ACME",
                "namespace": "https://acme.example",
            },
            "tracking": {
                "id": "ACME-SA-2026-001",
                "status": "final",
                "version": "2",
                "initial_release_date": "2026-01-01T00:00:00Z",
                "current_release_date": "2026-01-02T00:00:00Z",
                "revision_history": [
                    {"date": "2026-01-01T00:00:00Z", "number": "1", "summary": "First."},
                    {"date": "2026-01-02T00:00:00Z", "number": "2", "summary": "Second."},
                ],
            },
        },
        "product_tree": {
            "full_product_names": [copy.deepcopy(PA), copy.deepcopy(PB)],
            "product_groups": [
                {"group_id": "CSAFGID-1", "product_ids": ["CSAFPID-0001", "CSAFPID-0002"]}
            ],
        },
        "vulnerabilities": [
            {
                "cve": "CVE-2026-0001",
                "notes": [{"category": "description", "text": "A flaw."}],
                "product_status": {"known_affected": ["CSAFPID-0001"], "fixed": ["CSAFPID-0002"]},
                "scores": [{"products": ["CSAFPID-0001"], "cvss_v3": dict(V31)}],
                "remediations": [
                    {
                        "category": "vendor_fix",
                        "details": "Upgrade.",
                        "product_ids": ["CSAFPID-0001"],
                    }
                ],
            }
        ],
    }


def _vuln(doc: dict[str, Any]) -> dict[str, Any]:
    v: dict[str, Any] = doc["vulnerabilities"][0]
    return v


def _tracking(doc: dict[str, Any]) -> dict[str, Any]:
    t: dict[str, Any] = doc["document"]["tracking"]
    return t


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value

    return change


def _hist(*entries: tuple[str, str]) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        _tracking(doc)["revision_history"] = [
            {"date": f"2026-01-{day}T00:00:00Z", "number": n, "summary": "x"} for day, n in entries
        ]

    return change


def _both(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        for c in changes:
            c(doc)

    return change


CASES: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("6.1.1", _set("product_tree.product_groups.0.product_ids", ["CSAFPID-9080700"])),
    ("6.1.2", _set("product_tree.full_product_names.1.product_id", "CSAFPID-0001")),
    (
        "6.1.3",
        _set(
            "product_tree.relationships",
            [
                {
                    "category": "installed_on",
                    "product_reference": "CSAFPID-0001",
                    "relates_to_product_reference": "CSAFPID-0003",
                    "full_product_name": {"name": "B on itself", "product_id": "CSAFPID-0003"},
                }
            ],
        ),
    ),
    ("6.1.4", _set("vulnerabilities.0.remediations.0.group_ids", ["CSAFGID-9"])),
    (
        "6.1.5",
        _set(
            "product_tree.product_groups",
            [
                {"group_id": "CSAFGID-1", "product_ids": ["CSAFPID-0001", "CSAFPID-0002"]},
                {"group_id": "CSAFGID-1", "product_ids": ["CSAFPID-0001", "CSAFPID-0002"]},
            ],
        ),
    ),
    ("6.1.6", _set("vulnerabilities.0.product_status.known_not_affected", ["CSAFPID-0001"])),
    (
        "6.1.7",
        _set(
            "vulnerabilities.0.scores",
            [
                {"products": ["CSAFPID-0001"], "cvss_v3": dict(V31)},
                {
                    "products": ["CSAFPID-0001"],
                    "cvss_v3": {
                        "version": "3.1",
                        "vectorString": "CVSS:3.1/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:H/A:H",
                        "baseScore": 6.5,
                        "baseSeverity": "MEDIUM",
                    },
                },
            ],
        ),
    ),
    (
        "6.1.8",
        _set(
            "vulnerabilities.0.scores.0.cvss_v3",
            {
                "version": "3.1",
                "vectorString": "CVSS:3.1/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:H/A:H",
                "baseScore": 6.5,
            },
        ),
    ),
    (
        "6.1.9",
        _set(
            "vulnerabilities.0.scores.0.cvss_v3",
            {
                "version": "3.1",
                "vectorString": "CVSS:3.1/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:H/A:H",
                "baseScore": 10.0,
                "baseSeverity": "LOW",
            },
        ),
    ),
    ("6.1.10", _set("vulnerabilities.0.scores.0.cvss_v3", {**V31, "attackVector": "LOCAL"})),
    ("6.1.11", _set("vulnerabilities.0.cwe", {"id": "CWE-0079", "name": "XSS"})),
    ("6.1.12", _set("document.lang", "english!")),
    (
        "6.1.13",
        _set(
            "product_tree.full_product_names.0.product_identification_helper",
            {"purl": "pkg:maven/@1.3.4"},
        ),
    ),
    ("6.1.14", _hist(("22", "2"), ("23", "1"))),
    ("6.1.15", _set("document.publisher.category", "translator")),
    ("6.1.16", _set("document.tracking.version", "1")),
    (
        "6.1.17",
        _both(_hist(("01", "0.9.0"), ("02", "0.9.5")), _set("document.tracking.version", "0.9.5")),
    ),
    ("6.1.18", _hist(("01", "0"), ("02", "1"), ("03", "2"))),
    (
        "6.1.19",
        _both(
            _hist(("01", "1.0.0-rc"), ("02", "1.0.0"), ("03", "2.0.0")),
            _set("document.tracking.version", "2.0.0"),
        ),
    ),
    (
        "6.1.20",
        _both(
            _hist(("01", "1.0.0"), ("02", "2.0.0-alpha")),
            _set("document.tracking.version", "2.0.0-alpha"),
            _set("document.tracking.status", "interim"),
        ),
    ),
    ("6.1.21", _both(_hist(("01", "1"), ("02", "3")), _set("document.tracking.version", "3"))),
    ("6.1.22", _hist(("01", "1"), ("02", "2"), ("03", "2"))),
    ("6.1.23", lambda d: d["vulnerabilities"].append(copy.deepcopy(_vuln(d)))),
    (
        "6.1.24",
        _set(
            "vulnerabilities.0.involvements",
            [
                {"date": "2021-04-23T10:00:00Z", "party": "vendor", "status": "completed"},
                {"date": "2021-04-23T10:00:00Z", "party": "vendor", "status": "in_progress"},
            ],
        ),
    ),
    (
        "6.1.25",
        _set(
            "product_tree.full_product_names.0.product_identification_helper",
            {
                "hashes": [
                    {
                        "filename": "a.so",
                        "file_hashes": [
                            {
                                "algorithm": "sha256",
                                "value": "026a37919b182ef7c63791e82c9645e2f897a3f0",
                            },
                            {
                                "algorithm": "sha256",
                                "value": "0a853ce2337f0608489ac596a308dc5b7b19d35a",
                            },
                        ],
                    }
                ]
            },
        ),
    ),
    ("6.1.26", _set("document.category", "Security_Incident_Response")),
    (
        "6.1.27.1",
        _both(
            _set("document.category", "csaf_informational_advisory"),
            lambda d: d.pop("vulnerabilities"),
        ),
    ),
    (
        "6.1.27.2",
        _both(
            _set("document.category", "csaf_security_incident_response"),
            _set("document.notes", [{"category": "summary", "text": "x"}]),
            _set(
                "document.references",
                [{"category": "self", "summary": "s", "url": "https://a.example/x.json"}],
            ),
        ),
    ),
    ("6.1.27.3", _set("document.category", "csaf_informational_advisory")),
    ("6.1.27.4", lambda d: d.pop("product_tree")),
    ("6.1.27.5", lambda d: _vuln(d).pop("notes")),
    ("6.1.27.6", lambda d: _vuln(d).pop("product_status")),
    (
        "6.1.27.7",
        _both(
            _set("document.category", "csaf_vex"),
            _set("vulnerabilities.0.product_status", {"recommended": ["CSAFPID-0001"]}),
        ),
    ),
    ("6.1.27.8", _both(_set("document.category", "csaf_vex"), lambda d: _vuln(d).pop("cve"))),
    (
        "6.1.27.9",
        _both(
            _set("document.category", "csaf_vex"),
            _set(
                "vulnerabilities.0.product_status",
                {"known_not_affected": ["CSAFPID-0001", "CSAFPID-0002"]},
            ),
            _set(
                "vulnerabilities.0.threats",
                [{"category": "impact", "details": "no", "product_ids": ["CSAFPID-0001"]}],
            ),
        ),
    ),
    (
        "6.1.27.10",
        _both(
            _set("document.category", "csaf_vex"),
            _set(
                "vulnerabilities.0.product_status",
                {"known_affected": ["CSAFPID-0001", "CSAFPID-0002"]},
            ),
            _set(
                "vulnerabilities.0.scores", [{"products": ["CSAFPID-0001"], "cvss_v3": dict(V31)}]
            ),
        ),
    ),
    ("6.1.27.11", lambda d: d.pop("vulnerabilities")),
    ("6.1.28", _both(_set("document.lang", "en-US"), _set("document.source_lang", "en-US"))),
    (
        "6.1.29",
        _set(
            "vulnerabilities.0.remediations.0",
            {"category": "no_fix_planned", "details": "End of life."},
        ),
    ),
    ("6.1.30", _both(_hist(("01", "1.0.0"), ("02", "2")))),
    (
        "6.1.31",
        _set(
            "product_tree.branches",
            [
                {
                    "category": "vendor",
                    "name": "V",
                    "branches": [
                        {
                            "category": "product_version",
                            "name": "prior to 4.2",
                            "product": {"name": "V 4.2", "product_id": "CSAFPID-0009"},
                        }
                    ],
                }
            ],
        ),
    ),
    ("6.1.32", _set("vulnerabilities.0.flags", [{"label": "component_not_present"}])),
    (
        "6.1.33",
        _set(
            "vulnerabilities.0.flags",
            [
                {"label": "component_not_present", "group_ids": ["CSAFGID-1"]},
                {"label": "vulnerable_code_not_present", "product_ids": ["CSAFPID-0001"]},
            ],
        ),
    ),
]


def test_the_sound_document_passes_schema_and_tests() -> None:
    assert validate.failures(sound(), "csaf") == []


@pytest.mark.parametrize(("test", "change"), CASES, ids=[c[0] for c in CASES])
def test_each_mandatory_test_catches_its_example(
    test: str, change: Callable[[dict[str, Any]], None]
) -> None:
    doc = sound()
    change(doc)
    found = {f.test for f in csaf_checks.run(doc)}
    assert test in found


def test_every_implemented_test_has_a_failing_example() -> None:
    covered = {test for test, _ in CASES}
    assert set(csaf_checks.IMPLEMENTED) == covered


def test_a_finding_names_the_place() -> None:
    doc = sound()
    _vuln(doc)["product_status"]["known_not_affected"] = ["CSAFPID-0001"]
    failures = [f for f in validate.failures(doc, "csaf") if f.check == "6.1.6"]
    assert [str(f) for f in failures] == [
        "/vulnerabilities/0/product_status: product CSAFPID-0001 is at once affected and not "
        "affected [CSAF 6.1.6]"
    ]
