"""Advisory use cases on SQLite and PostgreSQL: the store, publication with frozen revisions and
hashed documents, need-to-know for drafts, optimistic locking, imports, the public view."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from candor.adapters.export import formats
from candor.adapters.export.publication import AdvisoryExports
from candor.domain.access import Actor, OrgRole
from candor.domain.advisories import Advisory, AdvisoryStatus, Publisher, Tlp
from candor.domain.advisory_store import UNNUMBERED
from candor.domain.audit import AuditFilter
from candor.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from candor.domain.timeline import EntryKind
from candor.domain.vocabulary import Confidentiality, Role
from candor.services import advisories, advisory_publication, audit, incidents
from candor.services import timeline as timeline_service
from candor.services.context import Context
from candor.services.ports_advisories import AdvisoryFilter, AdvisorySetup
from tests.conftest import ADMIN, ALICE, BOB, VIEWER
from tests.fakes import FakeClock
from tests.golden.samples import cve_files, osv_files, read
from tests.golden.test_exports import shared_validator

GOLDEN = Path(__file__).parents[1] / "golden" / "advisories"
SETUP = AdvisorySetup(
    documents=AdvisoryExports(),
    id_prefix="ACME",
    publisher=Publisher(name="ACME Corp", namespace="https://acme.example"),
)
CAROL = Actor("carol", OrgRole.RESPONDER)


def draft(**changes: object) -> Advisory:
    """The golden advisory as a new draft: no id of its own, no history, no incident."""
    record = formats.load_record(GOLDEN / "acme-sa-2026-001.yaml")
    base = replace(
        record,
        id=UNNUMBERED,
        status=AdvisoryStatus.DRAFT,
        revisions=(),
        initial_release=None,
        current_release=None,
        incidents=(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def clock_of(ctx: Context) -> FakeClock:
    assert isinstance(ctx.clock, FakeClock)
    return ctx.clock


def actions(ctx: Context) -> list[str]:
    return [r.action for r in reversed(audit.list_records(ctx, ADMIN, AuditFilter(limit=1000)))]


def test_create_gives_the_next_id_and_keeps_the_record(sql_ctx: Context) -> None:
    first = advisories.create(sql_ctx, ALICE, SETUP, draft())
    second = advisories.create(sql_ctx, ALICE, SETUP, draft(title="Another flaw"))
    assert (first.key, second.key) == ("ACME-SA-2026-001", "ACME-SA-2026-002")
    view = advisories.get(sql_ctx, BOB, first.key)
    assert view.stored.advisory == replace(draft(), id=first.key)
    assert view.stored.version == 1 and not view.stored.ever_published
    assert view.revisions == ()
    assert actions(sql_ctx) == ["advisory.create", "advisory.create"]


def test_a_new_advisory_cannot_bring_a_history(sql_ctx: Context) -> None:
    with pytest.raises(InvalidInput, match="starts as a draft"):
        advisories.create(
            sql_ctx, ALICE, SETUP, formats.load_record(GOLDEN / "acme-sa-2026-001.yaml")
        )
    with pytest.raises(PermissionDenied):
        advisories.create(sql_ctx, VIEWER, SETUP, draft())


def test_publish_freezes_a_revision_with_valid_hashed_documents(sql_ctx: Context) -> None:
    made = advisories.create(sql_ctx, ALICE, SETUP, draft())
    clock_of(sql_ctx).advance(hours=2)
    stored, revision = advisories.publish(
        sql_ctx, ALICE, SETUP, made.key, summary="Initial publication.", expected_version=1
    )
    assert revision.number == "1" and revision.ordinal == 1
    assert revision.date == sql_ctx.clock.now()  # the server's clock, not the record's
    assert stored.published_number == "1" and stored.published_tlp is Tlp.CLEAR
    assert stored.is_public and not stored.pending_changes
    assert stored.advisory.status is AdvisoryStatus.PUBLISHED
    assert [d.name for d in revision.documents] == ["csaf.json", "cve.json", "osv.json"]
    for document in revision.documents:
        assert document.verifies()
        errors = list(shared_validator(document.format).iter_errors(json.loads(document.content)))
        assert errors == [], (document.name, errors)
    csaf = json.loads(revision.documents[0].content)
    assert csaf["document"]["tracking"]["id"] == made.key
    assert csaf["document"]["tracking"]["status"] == "final"
    assert csaf["document"]["tracking"]["current_release_date"] == "2026-03-02T16:00:00Z"
    assert actions(sql_ctx)[-1] == "advisory.publish"
    record = audit.list_records(sql_ctx, ADMIN, AuditFilter(limit=1))[0]
    assert record.detail == "Initial publication."
    assert json.loads(record.after_json or "{}")["documents"]["csaf.json"]["sha256"] == (
        revision.documents[0].sha256
    )


def test_revisions_never_change_and_say_what_changed(sql_ctx: Context) -> None:
    made = advisories.create(sql_ctx, ALICE, SETUP, draft())
    _, first = advisories.publish(sql_ctx, ALICE, SETUP, made.key, summary="Initial publication.")
    with pytest.raises(Conflict, match="nothing new"):
        advisories.publish(sql_ctx, ALICE, SETUP, made.key, summary="Again")
    clock_of(sql_ctx).advance(days=1)
    current = advisories.get(sql_ctx, ALICE, made.key).stored
    edited = replace(current.advisory, title="Access tokens in the acme-agent debug log")
    saved = advisories.update(sql_ctx, BOB, made.key, edited, expected_version=current.version)
    assert saved.pending_changes and saved.published_number == "1"
    # the public still sees revision 1 until the next publication
    public = advisory_publication.public_advisory(sql_ctx, made.key)
    assert public.revision == first
    clock_of(sql_ctx).advance(hours=1)
    _, second = advisories.publish(sql_ctx, BOB, SETUP, made.key, summary="Clearer title.")
    assert second.number == "2" and second.changes == ("title",)
    view = advisories.get(sql_ctx, ALICE, made.key)
    assert view.revisions == (first, second)
    assert [r.number for r in view.stored.advisory.revisions] == ["1", "2"]
    assert view.revisions[0].record["title"] == draft().title
    assert [r.summary for r in view.revisions[1].advisory.revisions] == [
        "Initial publication.",
        "Clearer title.",
    ]


def test_edits_cannot_rewrite_the_history_or_the_id(sql_ctx: Context) -> None:
    made = advisories.create(sql_ctx, ALICE, SETUP, draft())
    advisories.publish(sql_ctx, ALICE, SETUP, made.key, summary="Initial publication.")
    current = advisories.get(sql_ctx, ALICE, made.key).stored.advisory
    rewritten = replace(current, revisions=(replace(current.revisions[0], summary="Oops"),))
    with pytest.raises(InvalidInput, match="never edited"):
        advisories.update(sql_ctx, ALICE, made.key, rewritten)
    with pytest.raises(InvalidInput, match="keeps its id"):
        advisories.update(sql_ctx, ALICE, made.key, replace(current, id="ACME-SA-2026-099"))


def test_stale_edits_conflict(sql_ctx: Context) -> None:
    made = advisories.create(sql_ctx, ALICE, SETUP, draft())
    advisories.update(sql_ctx, ALICE, made.key, draft(title="First edit"), expected_version=1)
    with pytest.raises(Conflict, match="version 2; you edited version 1"):
        advisories.update(sql_ctx, BOB, made.key, draft(title="Second edit"), expected_version=1)
    with pytest.raises(Conflict):
        advisories.publish(sql_ctx, BOB, SETUP, made.key, summary="x", expected_version=1)
    assert advisories.get(sql_ctx, ALICE, made.key).stored.advisory.title == "First edit"


def test_drafts_linked_to_a_restricted_incident_are_need_to_know(sql_ctx: Context) -> None:
    secret = incidents.declare(
        sql_ctx, ALICE, title="Agent leaks tokens", confidentiality=Confidentiality.RESTRICTED
    )
    with pytest.raises(InvalidInput, match=f"no incident {secret.key}"):
        advisories.create(sql_ctx, BOB, SETUP, draft(incidents=(secret.key,)))
    made = advisories.create(sql_ctx, ALICE, SETUP, draft(incidents=(secret.key,)))
    for outsider in (BOB, VIEWER):
        with pytest.raises(NotFound):
            advisories.get(sql_ctx, outsider, made.key)
        with pytest.raises(NotFound):
            advisories.export(sql_ctx, outsider, SETUP, made.key, "csaf")
        assert advisories.page(sql_ctx, outsider).items == []
    assert advisories.get(sql_ctx, ADMIN, made.key).incidents[0].key == secret.key
    incidents.set_participants(sql_ctx, ALICE, secret.key, add=("bob",))
    assert advisories.get(sql_ctx, BOB, made.key).stored.key == made.key
    drafted = timeline_service.show(sql_ctx, ALICE, secret.key)[1]
    assert drafted.kind is EntryKind.COMMUNICATION and made.key in drafted.body
    # published, it is the organisation's statement: every reader sees it, not the incident
    advisories.publish(sql_ctx, ALICE, SETUP, made.key, summary="Initial publication.")
    view = advisories.get(sql_ctx, CAROL, made.key)
    assert view.incidents == () and view.hidden_incidents == 1
    # a reader who cannot see the incident cannot unlink it either
    clock_of(sql_ctx).advance(hours=1)
    saved = advisories.update(
        sql_ctx, CAROL, made.key, replace(view.stored.advisory, incidents=(), title="Retitled")
    )
    assert saved.advisory.incidents == (secret.key,)


def test_the_communications_lead_publishes(sql_ctx: Context) -> None:
    made_incident = incidents.declare(sql_ctx, ALICE, title="SDK flaw")
    incidents.assign_role(sql_ctx, ALICE, made_incident.key, Role.COMMS_LEAD, "bob")
    made = advisories.create(sql_ctx, ALICE, SETUP, draft(incidents=(made_incident.key,)))
    with pytest.raises(PermissionDenied, match="communications lead"):
        advisories.publish(sql_ctx, ALICE, SETUP, made.key, summary="Initial publication.")
    advisories.publish(sql_ctx, BOB, SETUP, made.key, summary="Initial publication.")
    entries = timeline_service.show(sql_ctx, ALICE, made_incident.key)
    assert "revision 1 published (TLP:CLEAR)" in entries[-1].body
    linked = advisories.for_incident(sql_ctx, VIEWER, made_incident.key)
    assert [a.key for a in linked] == [made.key]


def test_publication_refuses_invalid_documents(sql_ctx: Context) -> None:
    made = advisories.create(sql_ctx, ALICE, SETUP, draft(title=None))
    with pytest.raises(InvalidInput) as caught:
        advisories.publish(sql_ctx, ALICE, SETUP, made.key, summary="Initial publication.")
    assert "CSAF: CSAF needs a title" in str(caught.value)
    assert not advisories.get(sql_ctx, ALICE, made.key).stored.ever_published


def test_only_unpublished_drafts_can_be_discarded(sql_ctx: Context) -> None:
    gone = advisories.create(sql_ctx, ALICE, SETUP, draft())
    kept = advisories.create(sql_ctx, ALICE, SETUP, draft())
    advisories.discard(sql_ctx, ALICE, gone.key, reason="duplicate")
    with pytest.raises(NotFound):
        advisories.get(sql_ctx, ALICE, gone.key)
    advisories.publish(sql_ctx, ALICE, SETUP, kept.key, summary="Initial publication.")
    with pytest.raises(Conflict, match="never deleted"):
        advisories.discard(sql_ctx, ALICE, kept.key)
    # the discarded id is not given out again
    assert advisories.create(sql_ctx, ALICE, SETUP, draft()).key == "ACME-SA-2026-003"


def test_public_view_holds_only_published_clear_advisories(sql_ctx: Context) -> None:
    clear = advisories.create(sql_ctx, ALICE, SETUP, draft())
    amber = advisories.create(sql_ctx, ALICE, SETUP, draft(tlp=Tlp.AMBER))
    unpublished = advisories.create(sql_ctx, ALICE, SETUP, draft())
    for key in (clear.key, amber.key):
        advisories.publish(sql_ctx, ALICE, SETUP, key, summary="Initial publication.")
    public = advisory_publication.public_advisories(sql_ctx)
    assert [p.key for p in public] == [clear.key]
    for key in (amber.key, unpublished.key):
        with pytest.raises(NotFound):
            advisory_publication.public_advisory(sql_ctx, key)
    # re-labelled AMBER in a new revision, it leaves the public site
    clock_of(sql_ctx).advance(hours=1)
    current = advisories.get(sql_ctx, ALICE, clear.key).stored.advisory
    advisories.update(sql_ctx, ALICE, clear.key, replace(current, tlp=Tlp.AMBER))
    assert [p.key for p in advisory_publication.public_advisories(sql_ctx)] == [clear.key]
    advisories.publish(sql_ctx, ALICE, SETUP, clear.key, summary="Now for customers only.")
    assert advisory_publication.public_advisories(sql_ctx) == []


def test_imports_keep_their_id_and_become_a_first_revision(sql_ctx: Context) -> None:
    source = next(p for p in cve_files() if p.name == "CVE-2024-0901.json")
    imported = formats.import_document(read(source))
    stored, rendered = advisories.store_imported(
        sql_ctx, ALICE, SETUP, imported, source=source.name
    )
    assert stored.key == "CVE-2024-0901" and stored.published_number == "1"
    assert rendered is not None
    names = [d.name for d in rendered.documents]
    assert "cve.json" in names and "osv.json" in names
    revision = advisories.get(sql_ctx, ALICE, stored.key).revisions[0]
    assert json.loads(revision.document("cve.json").content)["cveMetadata"]["cveId"] == (  # type: ignore[union-attr]
        "CVE-2024-0901"
    )
    with pytest.raises(Conflict, match="already holds CVE-2024-0901"):
        advisories.store_imported(sql_ctx, ALICE, SETUP, imported, source=source.name)
    osv = formats.import_document(read(osv_files()[0]))
    other, _ = advisories.store_imported(sql_ctx, BOB, SETUP, osv, source="osv")
    found = advisories.page(sql_ctx, ALICE, AdvisoryFilter(cve="CVE-2024-0901"))
    assert [a.key for a in found.items] == [stored.key]
    assert {a.key for a in advisories.page(sql_ctx, ALICE).items} == {stored.key, other.key}
    assert actions(sql_ctx) == ["advisory.import", "advisory.import"]


def test_export_by_id_validates_against_the_official_schemas(sql_ctx: Context) -> None:
    made = advisories.create(sql_ctx, ALICE, SETUP, draft())
    for fmt in ("csaf", "cve", "osv"):
        document = advisories.export(sql_ctx, VIEWER, SETUP, made.key, fmt)
        assert list(shared_validator(fmt).iter_errors(document)) == []
    assert (
        advisories.export(sql_ctx, VIEWER, SETUP, made.key, "csaf")["document"]["tracking"][
            "status"
        ]
        == "draft"
    )
