"""Hypothesis: random valid advisories → each format → import → equal in the essentials (ids,
affected ranges, scores, references), and the record written as YAML reads back the same.
Every document made on the way is also checked against its schema (``formats.export``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candor.adapters.export import cvss, formats
from candor.adapters.export.common import ECOSYSTEM_SCHEMES
from candor.domain.advisories import Advisory
from candor.domain.advisory_dump import dump_advisory
from candor.domain.advisory_parse import parse_advisory
from tests.golden import essentials

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10)
TEXT = st.lists(WORD, min_size=1, max_size=8).map(" ".join)
ECOSYSTEMS = ["PyPI", "npm", "Maven", "Go", "RubyGems"]


@st.composite
def v31(draw: st.DrawFn) -> str:
    parts = [
        ("AV", "NALP"),
        ("AC", "LH"),
        ("PR", "NLH"),
        ("UI", "NR"),
        ("S", "UC"),
        ("C", "NLH"),
        ("I", "NLH"),
        ("A", "NLH"),
    ]
    return "CVSS:3.1/" + "/".join(f"{k}:{draw(st.sampled_from(v))}" for k, v in parts)


@st.composite
def v40(draw: st.DrawFn) -> str:
    parts = [
        ("AV", "NALP"),
        ("AC", "LH"),
        ("AT", "NP"),
        ("PR", "NLH"),
        ("UI", "NPA"),
        ("VC", "HLN"),
        ("VI", "HLN"),
        ("VA", "HLN"),
        ("SC", "HLN"),
        ("SI", "HLN"),
        ("SA", "HLN"),
    ]
    return "CVSS:4.0/" + "/".join(f"{k}:{draw(st.sampled_from(v))}" for k, v in parts)


@st.composite
def version_range(draw: st.DrawFn, scheme: str) -> dict[str, Any]:
    # strictly increasing versions 1.0.0, 1.3.0 …: runs that never overlap
    cuts = sorted(draw(st.sets(st.integers(1, 40), min_size=1, max_size=6)))
    versions = [f"{c // 10}.{c % 10}.0" for c in cuts]
    closing = draw(st.sampled_from(["fixed", "last_affected", "open"]))
    events: list[dict[str, str]] = []
    if closing == "fixed":
        runs = [versions[i : i + 2] for i in range(0, len(versions), 2)]
        for run in runs:
            events.append({"introduced": run[0]})
            if len(run) == 2:
                events.append({"fixed": run[1]})
    else:
        events.append({"introduced": draw(st.sampled_from(["0", versions[0]]))})
        if closing == "last_affected":
            events.append({"last_affected": versions[-1]})
    status = draw(st.sampled_from(["affected", "affected", "unaffected"]))
    return {"scheme": scheme, "status": status, "events": events}


@st.composite
def affected(draw: st.DrawFn, name: str) -> dict[str, Any]:
    ecosystem = draw(st.sampled_from(ECOSYSTEMS))
    scheme = draw(st.sampled_from(["semver", ECOSYSTEM_SCHEMES.get(ecosystem, "semver")]))
    ranges = draw(
        st.lists(version_range(scheme), max_size=2, unique_by=lambda r: repr(r["events"]))
    )
    versions = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "version": st.integers(50, 99).map(lambda n: f"{n // 10}.{n % 10}.1"),
                    "status": st.sampled_from(["affected", "unaffected", "fixed", "unknown"]),
                }
            ),
            max_size=3,
            unique_by=lambda v: v["version"],
        )
    )
    out: dict[str, Any] = {
        "vendor": "ACME",
        "product": name,
        "package": name,
        "ecosystem": ecosystem,
        "purl": f"pkg:generic/{name}",
        "ranges": ranges,
        "versions": versions,
    }
    if not ranges and not versions:
        out["default_status"] = "affected"
    return out


@st.composite
def vulnerability(draw: st.DrawFn, n: int) -> dict[str, Any]:
    names = draw(st.lists(WORD, min_size=1, max_size=3, unique=True))
    scores = draw(st.sets(st.sampled_from(["3.1", "4.0"])))
    data: dict[str, Any] = {
        "cve": f"CVE-2026-{10000 + n}",
        "aliases": draw(st.lists(WORD.map(lambda w: f"GHSA-{w[:4]}-{w[:4]}-{w[:4]}"), max_size=1)),
        "cwe": [{"id": f"CWE-{draw(st.integers(1, 1400))}", "name": draw(TEXT)}],
        "cvss": [draw(v31() if s == "3.1" else v40()) for s in sorted(scores)],
        "affected": [draw(affected(name)) for name in names],
        "impacts": draw(st.lists(TEXT, max_size=1)),
        "workarounds": draw(st.lists(TEXT, max_size=1)),
        "remediations": [
            {"category": "vendor_fix", "details": t} for t in draw(st.lists(TEXT, max_size=1))
        ],
        "references": [
            f"https://example.com/{w}"
            for w in draw(st.lists(WORD, min_size=1, max_size=2, unique=True))
        ],
    }
    return data


@st.composite
def advisories(draw: st.DrawFn) -> Advisory:
    count = draw(st.integers(1, 2))
    published = draw(st.booleans())
    data: dict[str, Any] = {
        "id": f"ACME-SA-2026-{draw(st.integers(1, 999)):03d}",
        "title": draw(TEXT),
        "description": draw(TEXT),
        "status": "published" if published else "draft",
        "tlp": draw(st.sampled_from(["CLEAR", "GREEN", "AMBER", "RED"])),
        "publisher": {
            "name": "ACME",
            "namespace": "https://acme.example",
            "cna_org_id": "7b1e2a4c-1111-4222-8333-944445555666",
        },
        "vulnerabilities": [draw(vulnerability(i)) for i in range(count)],
        "references": [f"https://acme.example/{w}" for w in draw(st.lists(WORD, max_size=1))],
    }
    if published:
        n = draw(st.integers(1, 3))
        data["revisions"] = [
            {"number": str(i + 1), "date": NOW - dt.timedelta(days=n - i), "summary": draw(TEXT)}
            for i in range(n)
        ]
    return parse_advisory(data, scorer=cvss.score)


def _single(advisory: Advisory, index: int) -> Advisory:
    return dataclasses.replace(advisory, vulnerabilities=(advisory.vulnerabilities[index],))


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(advisories())
def test_csaf_round_trip(advisory: Advisory) -> None:
    back = formats.import_document(formats.export(advisory, "csaf", now=NOW), "csaf")
    assert essentials.record(back, "csaf") == essentials.record(advisory, "csaf")
    assert back.id == advisory.id


@SETTINGS
@given(advisories())
def test_cve_round_trip(advisory: Advisory) -> None:
    for i in range(len(advisory.vulnerabilities)):
        back = formats.import_document(formats.export(advisory, "cve", now=NOW, index=i), "cve")
        assert essentials.record(back, "cve") == essentials.record(_single(advisory, i), "cve")


@SETTINGS
@given(advisories())
def test_osv_round_trip(advisory: Advisory) -> None:
    for i in range(len(advisory.vulnerabilities)):
        back = formats.import_document(formats.export(advisory, "osv", now=NOW, index=i), "osv")
        assert essentials.record(back, "osv") == essentials.record(_single(advisory, i), "osv")
        if len(advisory.vulnerabilities) == 1:
            assert back.id == advisory.id  # the x_ of an unregistered prefix comes off again


@SETTINGS
@given(advisories())
def test_the_record_reads_back_the_same(advisory: Advisory) -> None:
    assert parse_advisory(dump_advisory(advisory), scorer=cvss.score) == advisory
