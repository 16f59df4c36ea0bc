"""Attachments on SQLite and PostgreSQL: custody, tampering, need-to-know, limits, sniffing."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest

from candor.adapters.records.blobs import LocalBlobStore
from candor.domain.access import Actor, OrgRole
from candor.domain.audit import AuditFilter
from candor.domain.errors import ContentTampered, InvalidInput, NotFound, PermissionDenied
from candor.services import attachments, audit, incidents, timeline
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
    attachments.add_attachment(
        ctx, ALICE, made.key, "b.txt", io.BytesIO(b"2"), owner_type="obligation", owner_id="OB-7"
    )
    with pytest.raises(NotFound, match="no task 4"):
        attachments.add_attachment(
            ctx, ALICE, made.key, "c.txt", io.BytesIO(b"3"), owner_type="task", owner_id="4"
        )
    listed = attachments.list_attachments(
        ctx, ALICE, made.key, owner_type="obligation", owner_id="OB-7"
    )
    assert [a.filename for a in listed] == ["b.txt"]
    assert on_entry.owner_id == "1"
