"""Attachments on SQLite and PostgreSQL: custody, tampering, need-to-know, limits, sniffing."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest

from candor import config
from candor.adapters.obligations_setup import SettingsObligations
from candor.adapters.records.blobs import LocalBlobStore
from candor.domain.access import Actor, OrgRole
from candor.domain.audit import AuditFilter
from candor.domain.errors import ContentTampered, InvalidInput, NotFound, PermissionDenied
from candor.domain.reports import Channel
from candor.services import (
    attachments,
    audit,
    impact,
    incidents,
    obligations,
    reports,
    statements,
    tasks,
    timeline,
)
from candor.services.context import Context
from tests.conftest import ADMIN, ALICE, BOB, VIEWER
from tests.records_story import PDF, PNG


@pytest.fixture
def ctx(sql_ctx: Context, tmp_path: Path) -> Context:
    return replace(
        sql_ctx, blobs=LocalBlobStore(tmp_path / "blobs"), max_attachment_bytes=64 * 1024
    )


def actions(ctx: Context, key: str) -> list[str]:
    records = audit.list_records(ctx, ADMIN, AuditFilter(incident_key=key, limit=100))
    return [r.action for r in reversed(records)]


def test_upload_and_download_keep_the_bytes_and_the_custody(ctx: Context) -> None:
    made = incidents.declare(ctx, ALICE, title="Evidence")
    added = attachments.add_attachment(
        ctx, ALICE, made.key, "../../etc/receipt.pdf", io.BytesIO(PDF), claimed_type="image/gif"
    )
    assert added.filename == "receipt.pdf"  # a path never reaches storage or a download
    assert added.media_type == "application/pdf"  # from the bytes, not the client's claim
    assert added.claimed_type == "image/gif"
    with attachments.opened(ctx, BOB, f"{made.key}/1") as found:
        assert found.stream.read() == PDF
    with attachments.opened(ctx, BOB, str(added.id), purpose="view") as found:
        assert found.attachment.sha256 == added.sha256
    assert actions(ctx, made.key) == [
        "incident.declare",
        "attachment.upload",
        "attachment.download",
        "attachment.view",
    ]
    entries = timeline.show(ctx, ALICE, made.key)
    assert entries[-1].kind.value == "evidence"
    assert added.sha256 in entries[-1].body
    assert timeline.verify(ctx, ALICE, made.key).ok
    assert audit.verify(ctx, ADMIN).ok


def test_same_content_is_stored_once(ctx: Context, tmp_path: Path) -> None:
    made = incidents.declare(ctx, ALICE, title="Twice")
    first = attachments.add_attachment(ctx, ALICE, made.key, "a.png", io.BytesIO(PNG))
    second = attachments.add_attachment(ctx, ALICE, made.key, "b.png", io.BytesIO(PNG))
    assert (first.seq, second.seq) == (1, 2)
    assert first.sha256 == second.sha256
    stored = [p for p in (tmp_path / "blobs" / "sha256").rglob("*") if p.is_file()]
    assert len(stored) == 1


def test_tampering_with_a_stored_file_is_detected_on_read_and_audited(
    ctx: Context, tmp_path: Path
) -> None:
    made = incidents.declare(ctx, ALICE, title="Tamper")
    added = attachments.add_attachment(ctx, ALICE, made.key, "log.txt", io.BytesIO(b"a\nb\n"))
    assert ctx.blobs is not None
    path = LocalBlobStore(tmp_path / "blobs").path(added.sha256)
    path.chmod(0o644)
    path.write_bytes(b"a\nB\n")  # one byte changed, same size
    with pytest.raises(ContentTampered) as caught:
        attachments.open_attachment(ctx, ALICE, f"{made.key}/1")
    assert f"{made.key}/1 (log.txt)" in caught.value.message
    assert "altered" in caught.value.message
    assert actions(ctx, made.key)[-1] == "attachment.integrity_failure"
    path.unlink()
    with pytest.raises(ContentTampered, match="missing"):
        attachments.open_attachment(ctx, ALICE, str(added.id))


def test_a_download_without_access_is_refused_as_not_found_and_audited(ctx: Context) -> None:
    secret = incidents.declare(ctx, ALICE, title="HR matter", confidentiality="restricted")
    added = attachments.add_attachment(ctx, ALICE, secret.key, "hr.csv", io.BytesIO(b"x,y\n"))
    outsider = Actor("mallory", OrgRole.RESPONDER)
    for reference in (str(added.id), f"{secret.key}/1"):
        with pytest.raises(NotFound) as caught:
            attachments.open_attachment(ctx, outsider, reference)
        assert caught.value.message == f"no attachment {reference}"  # same as a missing one
    with pytest.raises(NotFound):
        attachments.open_attachment(ctx, outsider, f"{secret.key}/9")
    refused = [
        r
        for r in audit.list_records(ctx, ADMIN, AuditFilter(actor="mallory", limit=10))
        if r.action == "attachment.download_refused"
    ]
    assert len(refused) == 3
    assert {r.incident_key for r in refused} == {secret.key}
    with attachments.opened(ctx, ADMIN, str(added.id)) as found:  # admins see everything
        assert found.stream.read() == b"x,y\n"


def test_readers_may_download_but_not_upload(ctx: Context) -> None:
    made = incidents.declare(ctx, ALICE, title="Read only")
    attachments.add_attachment(ctx, ALICE, made.key, "a.txt", io.BytesIO(b"hello"))
    with attachments.opened(ctx, VIEWER, f"{made.key}/1") as found:
        assert found.stream.read() == b"hello"
    with pytest.raises(PermissionDenied):
        attachments.add_attachment(ctx, VIEWER, made.key, "b.txt", io.BytesIO(b"x"))


def test_oversized_and_empty_files_are_refused_and_nothing_is_kept(
    ctx: Context, tmp_path: Path
) -> None:
    made = incidents.declare(ctx, ALICE, title="Limits")
    with pytest.raises(InvalidInput) as caught:
        attachments.add_attachment(ctx, ALICE, made.key, "dump.bin", io.BytesIO(b"x" * 70_000))
    assert "dump.bin" in caught.value.message
    assert "64.0 KiB" in caught.value.message
    with pytest.raises(InvalidInput, match="empty"):
        attachments.add_attachment(ctx, ALICE, made.key, "empty.txt", io.BytesIO(b""))
    assert attachments.list_attachments(ctx, ALICE, made.key) == []
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []
    assert actions(ctx, made.key) == ["incident.declare"]


def test_attachments_hang_from_records_of_the_incident(ctx: Context) -> None:
    made = incidents.declare(ctx, ALICE, title="Owners")
    on_entry = attachments.add_attachment(
        ctx, ALICE, made.key, "a.txt", io.BytesIO(b"1"), owner_type="timeline_entry", owner_id="1"
    )
    number, _ = impact.add_finding(ctx, ALICE, made.key, summary="Keys used", source="CloudTrail")
    on_finding = attachments.add_attachment(
        ctx, ALICE, made.key, "b.txt", io.BytesIO(b"2"), owner_type="finding", owner_id=f"#{number}"
    )
    statement = statements.draft(
        ctx, ALICE, made.key, kind="update", audience="internal", channels="email",
        title="Where we are", body="Keys rotated.",
    )  # fmt: skip
    attachments.add_attachment(
        ctx, ALICE, made.key, "c.txt", io.BytesIO(b"3"),
        owner_type="statement", owner_id=str(statement.number),
    )  # fmt: skip
    listed = attachments.list_attachments(
        ctx, ALICE, made.key, owner_type="finding", owner_id=str(number)
    )
    assert [a.filename for a in listed] == ["b.txt"]
    assert (on_entry.owner_id, on_finding.owner_id) == ("1", str(number))  # stored canonically
    assert on_finding.owner_label == f"finding {number}"


@pytest.mark.parametrize(
    ("owner_type", "owner_id", "message"),
    [
        ("obligation", "OB-7", "has no obligation OB-7"),
        ("obligation", "7", "has no obligation 7"),
        ("task", "4", "has no task 4"),
        ("finding", "1", "has no finding 1"),
        ("statement", "2", "has no statement 2"),
        ("report", "REP-2026-1", "has no report REP-2026-1"),
        ("timeline_entry", "99", "has no timeline entry 99"),
        ("timeline_entry", "x", "has no timeline entry x"),
        ("incident", "INC-1999-1", "the incident's own id"),
    ],
)
def test_an_owner_that_does_not_exist_in_the_incident_is_refused_naming_the_field(
    ctx: Context, tmp_path: Path, owner_type: str, owner_id: str, message: str
) -> None:
    made = incidents.declare(ctx, ALICE, title="Owners")
    with pytest.raises(InvalidInput) as caught:
        attachments.add_attachment(
            ctx, ALICE, made.key, "a.txt", io.BytesIO(b"1"),
            owner_type=owner_type, owner_id=owner_id,
        )  # fmt: skip
    assert message in caught.value.message
    assert [p.field for p in caught.value.problems] == ["owner_id"]
    assert attachments.list_attachments(ctx, ALICE, made.key) == []
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []


def test_a_record_of_another_incident_is_not_an_owner(ctx: Context) -> None:
    first = incidents.declare(ctx, ALICE, title="First")
    other = incidents.declare(ctx, ALICE, title="Other")
    tasks.add(ctx, ALICE, first.key, title="Only on the first")
    report = reports.receive(
        ctx, {"what_happened": "Odd invoices"}, channel=Channel.CLI, actor=ALICE
    )
    _, promoted = reports.promote(ctx, ALICE, report.key)
    on_report = attachments.add_attachment(
        ctx, ALICE, promoted.key, "mail.eml", io.BytesIO(b"From: x\n"),
        owner_type="report", owner_id=report.key.lower(),
    )  # fmt: skip
    assert on_report.owner_id == report.key
    for owner_type, owner_id in (("task", "1"), ("report", report.key)):
        with pytest.raises(InvalidInput, match=f"{other.key} has no"):
            attachments.add_attachment(
                ctx, ALICE, other.key, "a.txt", io.BytesIO(b"1"),
                owner_type=owner_type, owner_id=owner_id,
            )  # fmt: skip


def test_filing_receipts_hang_from_obligations_by_number_or_rule_id(
    ctx: Context, tmp_path: Path
) -> None:
    settings = config.Settings(home=tmp_path, obligations={"establishments": ["US-DE"]})
    ctx = replace(ctx, obligations=SettingsObligations(settings))
    made = incidents.declare(ctx, ALICE, title="Breach", aware_at=ctx.clock.now())
    obligations.record_facts(
        ctx, ALICE, made.key,
        {"data_elements": ["name", "ssn"], "risk_of_harm": "likely", "affected": {"US-CA": 600}},
    )  # fmt: skip
    first = obligations.overview(ctx, ALICE, made.key).obligations[0]
    by_number = attachments.add_attachment(
        ctx, ALICE, made.key, "receipt.pdf", io.BytesIO(PDF),
        owner_type="obligation", owner_id=str(first.seq),
    )  # fmt: skip
    by_rule = attachments.add_attachment(
        ctx, ALICE, made.key, "letter.pdf", io.BytesIO(PDF + b"2"),
        owner_type="obligation", owner_id=f"{first.computed.rule_id}@{first.computed.jurisdiction}",
    )  # fmt: skip
    assert by_number.owner_id == by_rule.owner_id == str(first.seq)
