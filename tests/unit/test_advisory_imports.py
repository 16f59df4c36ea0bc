"""Imports keep what the record does not model, and never keep what the record has changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from candor.adapters.export.osv import from_osv, to_osv
from candor.domain.advisories import EventKind

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)


def osv_record(**extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "GO-2026-0001",
        "modified": "2026-01-02T00:00:00Z",
        "aliases": ["CVE-2026-1111"],
        "details": "A flaw.",
        "affected": [
            {
                "package": {"ecosystem": "Go", "name": "example.com/mod"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.3"}]}],
                "ecosystem_specific": {"imports": [{"path": "example.com/mod/x"}]},
            }
        ],
        "references": [{"type": "FIX", "url": "https://example.com/fix"}],
        "database_specific": {"review_status": "REVIEWED"},
    }
    record.update(extra)
    return record


def test_unknown_fields_are_kept_and_written_back() -> None:
    source = osv_record()
    advisory = from_osv(source)
    (v,) = advisory.vulnerabilities
    assert v.cve == "CVE-2026-1111"
    assert v.extras["osv"]["database_specific"] == {"review_status": "REVIEWED"}
    assert (
        v.affected[0].extras["osv"]["ecosystem_specific"]
        == source["affected"][0]["ecosystem_specific"]
    )
    assert [r.tags for r in v.references] == [("patch",)]
    back = to_osv(advisory, now=NOW)
    assert {k: back[k] for k in source} == source


def test_a_vector_that_cannot_be_scored_is_kept_but_not_modelled() -> None:
    severity = [
        {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:Q"},
        {
            "type": "CVSS_V4",
            "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        },
    ]
    advisory = from_osv(osv_record(severity=severity))
    (score,) = advisory.vulnerabilities[0].scores
    assert (score.version.value, score.base_score) == ("4.0", 9.3)
    assert to_osv(advisory, now=NOW)["severity"] == severity


def test_an_edited_advisory_does_not_carry_stale_imported_lists() -> None:
    advisory = from_osv(
        osv_record(
            severity=[
                {
                    "type": "CVSS_V4",
                    "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                },
                {"type": "Ubuntu", "score": "high"},
            ]
        )
    )
    v = advisory.vulnerabilities[0]
    # the range moves: the export follows the record
    (a,) = v.affected
    r = a.ranges[0]
    moved = dataclasses.replace(
        r, events=(r.events[0], dataclasses.replace(r.events[1], version="1.2.4"))
    )
    edited = dataclasses.replace(
        advisory,
        vulnerabilities=(
            dataclasses.replace(v, affected=(dataclasses.replace(a, ranges=(moved,)),), scores=()),
        ),
    )
    back = to_osv(edited, now=NOW)
    assert back["affected"][0]["ranges"][0]["events"] == [{"introduced": "0"}, {"fixed": "1.2.4"}]
    # the CVSS vector is gone with the record's scores; the Ubuntu priority was never modelled
    assert back["severity"] == [{"type": "Ubuntu", "score": "high"}]
    assert r.events[1].kind is EventKind.FIXED


def test_an_unregistered_prefix_loses_its_x_on_import() -> None:
    advisory = from_osv(osv_record(id="x_ACME-SA-2026-001"))
    assert advisory.id == "ACME-SA-2026-001"
    assert to_osv(advisory, now=NOW)["id"] == "x_ACME-SA-2026-001"
