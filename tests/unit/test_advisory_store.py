"""Stored advisories without a database: CSAF file names, what changed between revisions,
need-to-know, document hashes, the provider files, version ranges in words, the form."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from candor.adapters.export import csaf_provider, cvss, formats
from candor.adapters.export.csaf_provider import Entry, ProviderSettings
from candor.domain.access import Actor, OrgRole
from candor.domain.advisories import AdvisoryStatus, Event, EventKind, Status, VersionRange
from candor.domain.advisory_parse import parse_advisory
from candor.domain.advisory_store import (
    Document,
    StoredAdvisory,
    can_see_advisory,
    check_storable_id,
    csaf_filename,
    in_order,
    keep_history,
    record_changes,
)
from candor.domain.errors import InvalidInput
from candor.domain.incidents import declare
from candor.domain.vocabulary import Confidentiality
from candor.web import advisory_view
from candor.web.pages import advisory_form

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
GOLDEN = Path(__file__).parents[1] / "golden" / "advisories"


@pytest.mark.parametrize(
    ("tracking_id", "filename"),
    [
        ("ACME-SA-2026-001", "acme-sa-2026-001.json"),
        ("RHSA-2021:5186", "rhsa-2021_5186.json"),
        ("2022_#01-A", "2022_01-a.json"),  # the standard's own example: one underscore
        ("cisco-sa+x", "cisco-sa+x.json"),
    ],
)
def test_csaf_file_names_follow_section_5_1(tracking_id: str, filename: str) -> None:
    assert csaf_filename(tracking_id) == filename


@pytest.mark.parametrize("bad", ["has space", "a/b", "public", "NEW", "-leading", "x" * 101])
def test_ids_that_would_make_ambiguous_addresses_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        check_storable_id(bad)
    assert check_storable_id("GO-2021-0095") == "GO-2021-0095"


def test_record_changes_names_fields_and_vulnerability_parts() -> None:
    before = {"title": "a", "revisions": [1], "vulnerabilities": [{"cve": "x", "cvss": [1]}]}
    after = {
        "title": "b",
        "revisions": [1, 2],
        "tlp": "AMBER",
        "vulnerabilities": [{"cve": "x", "cvss": [2]}, {"cve": "y"}],
    }
    assert record_changes(before, after) == (
        "title",
        "tlp",
        "vulnerabilities[0].cvss",
        "vulnerabilities[1] added",
    )
    assert record_changes(None, after) == ()


def test_documents_know_when_their_bytes_were_changed() -> None:
    document = Document.of("csaf.json", "csaf", '{"a": 1}\n')
    assert document.sha256 == hashlib.sha256(b'{"a": 1}\n').hexdigest()
    assert document.verifies()
    assert not replace(document, content='{"a": 2}\n').verifies()
    names = [
        d.name
        for d in in_order(
            Document.of(n, n.split("-")[0].split(".")[0], "{}")
            for n in ("osv-10.json", "cve-2.json", "osv-2.json", "csaf.json", "cve-10.json")
        )
    ]
    assert names == ["csaf.json", "cve-2.json", "cve-10.json", "osv-2.json", "osv-10.json"]


def test_drafts_of_restricted_incidents_are_for_members_only() -> None:
    incident = declare(
        id=uuid.uuid4(), key="INC-2026-1", title="t", by="alice", now=NOW,
        confidentiality=Confidentiality.RESTRICTED,
    )  # fmt: skip
    record = formats.load_record(GOLDEN / "acme-sa-2026-001.yaml")
    stored = StoredAdvisory(uuid.uuid4(), record, NOW, "alice", NOW, "alice")
    alice, bob = Actor("alice", OrgRole.RESPONDER), Actor("bob", OrgRole.RESPONDER)
    assert can_see_advisory(alice, stored, [incident])
    assert not can_see_advisory(bob, stored, [incident])
    assert can_see_advisory(Actor("root", OrgRole.ADMIN), stored, [incident])
    assert can_see_advisory(bob, replace(stored, published_ordinal=1), [incident])


def test_history_and_id_belong_to_the_store() -> None:
    record = formats.load_record(GOLDEN / "acme-sa-2026-001.yaml")
    stored = StoredAdvisory(uuid.uuid4(), record, NOW, "alice", NOW, "alice")
    edited = replace(record, revisions=(), status=AdvisoryStatus.DRAFT, title="New title")
    kept = keep_history(stored, edited)
    assert kept.revisions == record.revisions and kept.status is AdvisoryStatus.PUBLISHED
    assert kept.title == "New title"


def entry(tracking_id: str, year: str, released: datetime) -> Entry:
    text = f'{{"id": "{tracking_id}"}}\n'.encode()
    return Entry(tracking_id, year, released.isoformat().replace("+00:00", "Z"), released, text)


def test_provider_files_agree_with_each_other() -> None:
    older = entry("ACME-SA-2025-007", "2025", datetime(2026, 1, 5, tzinfo=UTC))
    newer = entry("ACME-SA-2026-001", "2026", datetime(2026, 3, 1, tzinfo=UTC))
    settings = ProviderSettings(
        "https://acme.example",
        {"category": "vendor", "name": "ACME", "namespace": "https://acme.example"},
    )
    files = csaf_provider.layout([older, newer], settings, now=NOW)
    white = csaf_provider.DIRECTORY
    assert files[f"{white}/changes.csv"].content.decode().splitlines() == [
        '"2026/acme-sa-2026-001.json","2026-03-01T00:00:00Z"',
        '"2025/acme-sa-2025-007.json","2026-01-05T00:00:00Z"',
    ]
    listed = files[f"{white}/index.txt"].content.decode().split()
    assert sorted(listed) == ["2025/acme-sa-2025-007.json", "2026/acme-sa-2026-001.json"]
    for path in listed:
        content = files[f"{white}/{path}"].content
        for algorithm in ("sha256", "sha512"):
            digest, name = files[f"{white}/{path}.{algorithm}"].content.decode().split()
            assert digest == hashlib.new(algorithm, content).hexdigest()
            assert name == path.split("/")[1]
    metadata = files[csaf_provider.METADATA]
    assert metadata.last_modified == newer.released_at
    with pytest.raises(InvalidInput, match="namespace"):
        csaf_provider.layout([], replace(settings, publisher={"name": "x"}), now=NOW)


@pytest.mark.parametrize(
    ("events", "text"),
    [
        ([("introduced", "1.0.0"), ("fixed", "1.4.2")], ">= 1.0.0, < 1.4.2 (semver)"),
        ([("introduced", "0"), ("last_affected", "2.3.7")], "<= 2.3.7 (semver)"),
        ([("introduced", "2.1.0")], ">= 2.1.0 (semver)"),
        ([("introduced", "0")], "all versions (semver)"),
        (
            [("introduced", "0"), ("fixed", "3.2.1"), ("introduced", "4.0.0"), ("fixed", "4.0.3")],
            "< 3.2.1; >= 4.0.0, < 4.0.3 (semver)",
        ),
    ],
)
def test_ranges_read_as_words(events: list[tuple[str, str]], text: str) -> None:
    r = VersionRange("semver", tuple(Event(EventKind(k), v) for k, v in events))
    assert advisory_view.range_text(r) == text
    assert advisory_view.range_text(replace(r, status=Status.UNAFFECTED)) == f"unaffected: {text}"


def test_the_form_round_trips_what_it_can_show_and_admits_what_it_cannot() -> None:
    simple = formats.load_record(GOLDEN / "acme-sa-2026-001.yaml")
    assert advisory_form.representable(simple)
    fields = advisory_form.fields(simple)
    back = parse_advisory(advisory_form.record(fields, base=simple), scorer=cvss.score)
    assert back == simple
    layout = advisory_form.layout(fields)
    assert [v["i"] for v in layout.vulnerabilities] == [[0], [1]]  # and a spare one
    assert layout.vulnerabilities[0]["a"] == [0, 1, 2]  # one filled, two spare
    # several runs in a range, named versions: the form would drop them, so it says no
    rich = formats.load_record(GOLDEN / "acme-sa-2026-002.yaml")
    assert not advisory_form.representable(rich)
    two_ranges = replace(simple.vulnerabilities[0].affected[0], ranges=(
        *simple.vulnerabilities[0].affected[0].ranges,
        VersionRange("python", (Event(EventKind.INTRODUCED, "2.0.0"),)),
    ))  # fmt: skip
    vulnerability = replace(simple.vulnerabilities[0], affected=(two_ranges,))
    assert not advisory_form.representable(replace(simple, vulnerabilities=(vulnerability,)))
