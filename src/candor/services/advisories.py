"""Use cases for advisories in the workspace: create, edit, publish, import, read, export.

Every change writes an audit record (before and after) in the same transaction; changes that
concern an incident (an advisory drafted for it, linked to it, published from it) also go on
that incident's timeline. Publishing freezes a revision with its documents and their hashes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from candor.domain import retention, timeline
from candor.domain.access import Actor, can_see, require_declare
from candor.domain.advisories import Advisory, AdvisoryStatus, candor_advisory_id
from candor.domain.advisory_dump import dump_advisory
from candor.domain.advisory_revisions import publish as publish_record
from candor.domain.advisory_store import (
    Document,
    PublishedRevision,
    StoredAdvisory,
    as_draft,
    check_storable_id,
    csaf_filename,
    freeze,
    keep_history,
    new_stored,
    record_changes,
    require_publish_advisory,
    require_see_advisory,
    require_write_advisory,
    snapshot,
)
from candor.domain.audit import AuditDraft
from candor.domain.errors import Conflict, InvalidInput, NotFound, Problem
from candor.domain.incidents import Incident
from candor.domain.timeline import EntryKind
from candor.services.context import Context
from candor.services.incidents import load as load_incident
from candor.services.ports_advisories import (
    AdvisoryFilter,
    AdvisorySetup,
    AdvisoryUnitOfWork,
    Rendered,
    with_advisories,
)


@dataclass(frozen=True, slots=True)
class AdvisoryView:
    """An advisory as one reader may see it."""

    stored: StoredAdvisory
    revisions: tuple[PublishedRevision, ...]
    incidents: tuple[Incident, ...]  # the linked incidents this reader may see
    hidden_incidents: int  # linked incidents hidden from this reader


@dataclass(frozen=True, slots=True)
class Page:
    items: list[StoredAdvisory]
    total: int


# ---- loading and access ------------------------------------------------------------------------


def _linked(uow: AdvisoryUnitOfWork, keys: Iterable[str]) -> list[Incident]:
    return [i for key in keys if (i := uow.incidents.get(key)) is not None]


def _load(uow: AdvisoryUnitOfWork, actor: Actor, key: str) -> tuple[StoredAdvisory, list[Incident]]:
    stored = uow.advisories.get(key.strip())
    if stored is None:
        raise NotFound(f"no advisory {key.strip()}")
    linked = _linked(uow, stored.advisory.incidents)
    require_see_advisory(actor, stored, linked)
    return stored, linked


def _links(
    uow: AdvisoryUnitOfWork, actor: Actor, wanted: Sequence[str], current: Sequence[str] = ()
) -> tuple[tuple[str, ...], list[Incident]]:
    """The incident keys to store, and the incidents newly linked.

    A reader cannot link what they cannot see, and cannot unlink what is hidden from them (they
    never saw it in the form): hidden links are kept as they were.
    """
    problems = []
    added: list[Incident] = []
    for key in dict.fromkeys(wanted):
        if key in current:
            continue
        incident = uow.incidents.get(key)
        if incident is None or not can_see(actor, incident):
            problems.append(Problem(f"no incident {key}", field="incidents"))
        else:
            added.append(incident)
    if problems:
        raise InvalidInput(problems)
    hidden = [k for k in current if (i := uow.incidents.get(k)) is None or not can_see(actor, i)]
    return tuple(dict.fromkeys([*wanted, *hidden])), added


def _check_version(stored: StoredAdvisory, expected: int | None) -> int:
    if expected is not None and expected != stored.version:
        raise Conflict(
            f"{stored.key} was changed by someone else (it is at version {stored.version}; you "
            f"edited version {expected}). Reload it and apply your change again."
        )
    return stored.version


def _audit(
    uow: AdvisoryUnitOfWork,
    actor: Actor,
    action: str,
    stored: StoredAdvisory,
    *,
    before: StoredAdvisory | None,
    after: StoredAdvisory | None,
    now: datetime,
    detail: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    def view(s: StoredAdvisory | None) -> dict[str, Any] | None:
        return None if s is None else snapshot(s, dump_advisory(s.advisory))

    shown_after = view(after)
    if shown_after is not None and extra:
        shown_after.update(extra)
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=actor.username,
            action=action,
            target_type="advisory",
            target_id=stored.key,
            incident_key=stored.advisory.incidents[0] if stored.advisory.incidents else None,
            before=view(before),
            after=shown_after,
            detail=detail,
        )
    )


def _tell(
    uow: AdvisoryUnitOfWork,
    actor: Actor,
    incidents: Iterable[Incident],
    *,
    kind: EntryKind,
    body: str,
    data: dict[str, Any],
    now: datetime,
) -> None:
    for incident in incidents:
        uow.timeline.append(
            incident.id,
            timeline.draft(kind=kind, author=actor.username, occurred_at=now, body=body, data=data),
            recorded_at=now,
        )


def _free(uow: AdvisoryUnitOfWork, key: str) -> bool:
    return uow.advisories.get(key) is None and (
        uow.advisories.holder_of_filename(csaf_filename(key)) is None
    )


# ---- changes -----------------------------------------------------------------------------------


def create(ctx: Context, actor: Actor, setup: AdvisorySetup, advisory: Advisory) -> StoredAdvisory:
    """A new draft with the next id of the organisation (``ACME-SA-2026-004``)."""
    require_declare(actor)
    as_draft(advisory, advisory_id=advisory.id)  # refuse a history before anything else
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = with_advisories(raw)
        keys, added = _links(uow, actor, advisory.incidents)
        # ids are taken, never reused; an imported advisory may already hold the next one
        while True:
            seq = uow.sequences.next(f"advisory-{setup.id_prefix}-{now.year}")
            key = candor_advisory_id(setup.id_prefix, now.year, seq)
            if _free(uow, key):
                break
        record = as_draft(
            replace(advisory, incidents=keys, publisher=advisory.publisher or setup.publisher),
            advisory_id=key,
        )
        stored = new_stored(id=ctx.new_id(), advisory=record, by=actor.username, now=now)
        uow.advisories.add(stored)
        _audit(uow, actor, "advisory.create", stored, before=None, after=stored, now=now)
        _tell(
            uow,
            actor,
            added,
            kind=EntryKind.COMMUNICATION,
            body=f"Advisory {key} drafted: {record.title or '(untitled)'}.",
            data={"advisory": key},
            now=now,
        )
        uow.commit()
    return stored


def update(
    ctx: Context,
    actor: Actor,
    key: str,
    advisory: Advisory,
    *,
    expected_version: int | None = None,
    reason: str = "",
) -> StoredAdvisory:
    """Replace what the working copy says; its id and published revisions stay as they are."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = with_advisories(raw)
        before, linked = _load(uow, actor, key)
        require_write_advisory(actor, before, linked)
        version = _check_version(before, expected_version)
        keys, added = _links(uow, actor, advisory.incidents, before.advisory.incidents)
        edited = keep_history(before, replace(advisory, incidents=keys))
        if edited == before.advisory:
            return before
        pending = False
        if before.ever_published:
            latest = uow.advisories.revision(before.id, before.published_ordinal)
            pending = latest is None or dict(latest.record) != dump_advisory(edited)
        after = replace(
            before,
            advisory=edited,
            updated_at=now,
            updated_by=actor.username,
            pending_changes=pending,
        )
        saved = uow.advisories.save(after, expected_version=version)
        changed = record_changes(dump_advisory(before.advisory), dump_advisory(edited))
        _audit(
            uow,
            actor,
            "advisory.update",
            saved,
            before=before,
            after=saved,
            now=now,
            detail=reason.strip() or ", ".join(changed),
        )
        _tell(
            uow,
            actor,
            added,
            kind=EntryKind.COMMUNICATION,
            body=f"Advisory {saved.key} linked: {edited.title or '(untitled)'}.",
            data={"advisory": saved.key},
            now=now,
        )
        uow.commit()
    return saved


def publish(
    ctx: Context,
    actor: Actor,
    setup: AdvisorySetup,
    key: str,
    *,
    summary: str,
    expected_version: int | None = None,
) -> tuple[StoredAdvisory, PublishedRevision]:
    """Publish the working copy as the next revision, dated by the server's clock.

    The documents are made, validated and hashed now and stored with the revision; a record
    that cannot make a valid CSAF advisory or OSV record (or, for a CNA, CVE record) is not
    published."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = with_advisories(raw)
        before, linked = _load(uow, actor, key)
        require_write_advisory(actor, before, linked)
        require_publish_advisory(actor, linked)
        version = _check_version(before, expected_version)
        if before.ever_published and not before.pending_changes:
            raise Conflict(
                f"{before.key} says nothing new since revision {before.published_number}; "
                "edit it first, then publish what changed"
            )
        published = publish_record(before.advisory, summary=summary, now=now)
        rendered = setup.documents.render(published, now=now)
        if rendered.problems:
            raise InvalidInput(
                [
                    Problem(
                        "the advisory cannot be published until its documents are valid",
                        hint="fix what is named below; nothing was published",
                    ),
                    *rendered.problems,
                ]
            )
        previous = (
            uow.advisories.revision(before.id, before.published_ordinal)
            if before.ever_published
            else None
        )
        revision = freeze(
            published,
            ordinal=before.published_ordinal + 1,
            by=actor.username,
            previous=previous.record if previous else None,
            documents=rendered.documents,
        )
        after = replace(
            before,
            advisory=published,
            updated_at=now,
            updated_by=actor.username,
            published_ordinal=revision.ordinal,
            published_number=revision.number,
            published_at=revision.date,
            published_tlp=published.tlp,
            pending_changes=False,
        )
        saved = uow.advisories.save(after, expected_version=version)
        uow.advisories.add_revision(saved.id, revision)
        hashes = {d.name: {"sha256": d.sha256, "sha512": d.sha512} for d in revision.documents}
        _audit(
            uow,
            actor,
            "advisory.publish",
            saved,
            before=before,
            after=saved,
            now=now,
            detail=revision.summary,
            extra={
                "revision": revision.number,
                "changes": list(revision.changes),
                "documents": hashes,
            },
        )
        _tell(
            uow,
            actor,
            linked,
            kind=EntryKind.COMMUNICATION,
            body=f"Advisory {saved.key} revision {revision.number} published "
            f"(TLP:{published.tlp.value}): {revision.summary}",
            data={"advisory": saved.key, "revision": revision.number},
            now=now,
        )
        uow.commit()
    return saved, revision


def discard(ctx: Context, actor: Actor, key: str, *, reason: str = "") -> StoredAdvisory:
    """Delete a draft that was never published; published advisories are kept for good."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = with_advisories(raw)
        before, linked = _load(uow, actor, key)
        require_write_advisory(actor, before, linked)
        if before.ever_published:
            raise Conflict(
                f"{before.key} has been published; published advisories are never deleted"
            )
        for incident in linked:  # the draft is a record of each incident it came out of
            hold = uow.holds.active(incident.id)
            if hold is not None and not can_see(actor, incident):  # name no hidden incident
                raise Conflict(f"{before.key} came out of an incident under legal hold")
            retention.require_not_held(incident, hold, what=f"discarding {before.key}")
        uow.advisories.remove(before)
        _audit(uow, actor, "advisory.discard", before, before=before, after=None, now=now,
               detail=reason.strip())  # fmt: skip
        uow.commit()
    return before


def store_imported(
    ctx: Context, actor: Actor, setup: AdvisorySetup, advisory: Advisory, *, source: str
) -> tuple[StoredAdvisory, Rendered | None]:
    """Keep an advisory published elsewhere (a CVE record, CSAF or OSV document) under its own
    id. A published one gets a first revision here as it was imported, with the documents that
    could be made from it (an OSV record has no publisher, so no CSAF advisory, for instance)."""
    require_declare(actor)
    check_storable_id(advisory.id)
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = with_advisories(raw)
        holder = uow.advisories.get(advisory.id) or (
            uow.advisories.get(h)
            if (h := uow.advisories.holder_of_filename(csaf_filename(advisory.id)))
            else None
        )
        if holder is not None:
            raise Conflict(
                f"the workspace already holds {holder.key}; edit it instead of importing again"
            )
        keys, _ = _links(uow, actor, advisory.incidents)
        advisory = replace(advisory, incidents=keys)
        stored = new_stored(id=ctx.new_id(), advisory=advisory, by=actor.username, now=now)
        rendered = None
        if advisory.status is AdvisoryStatus.PUBLISHED and advisory.revisions:
            rendered = setup.documents.render(advisory, now=now)
            revision = freeze(
                advisory, ordinal=1, by=actor.username, previous=None,
                documents=rendered.documents,
            )  # fmt: skip
            stored = replace(
                stored,
                published_ordinal=1,
                published_number=revision.number,
                published_at=revision.date,
                published_tlp=advisory.tlp,
            )
            uow.advisories.add(stored)
            uow.advisories.add_revision(stored.id, revision)
        else:
            uow.advisories.add(stored)
        _audit(uow, actor, "advisory.import", stored, before=None, after=stored, now=now,
               detail=source)  # fmt: skip
        uow.commit()
    return stored, rendered


# ---- reading -----------------------------------------------------------------------------------


def get(ctx: Context, actor: Actor, key: str) -> AdvisoryView:
    with ctx.uow() as raw:
        uow = with_advisories(raw)
        stored, linked = _load(uow, actor, key)
        visible = tuple(i for i in linked if can_see(actor, i))
        return AdvisoryView(
            stored,
            tuple(uow.advisories.revisions(stored.id)),
            visible,
            len(stored.advisory.incidents) - len(visible),
        )


def page(ctx: Context, actor: Actor, where: AdvisoryFilter | None = None) -> Page:
    """The advisories this reader may see, newest first, and how many in all."""
    where = where or AdvisoryFilter()
    with ctx.uow() as raw:
        uow = with_advisories(raw)
        found = uow.advisories.list(replace(where, limit=1_000_000, offset=0))
        cache: dict[str, Incident | None] = {}

        def visible(stored: StoredAdvisory) -> bool:
            if stored.ever_published:
                return True
            for key in stored.advisory.incidents:
                if key not in cache:
                    cache[key] = uow.incidents.get(key)
                incident = cache[key]
                if incident is not None and not can_see(actor, incident):
                    return False
            return True

        shown = [s for s in found if visible(s)]
    return Page(shown[where.offset : where.offset + where.limit], len(shown))


def for_incident(ctx: Context, actor: Actor, incident_key: str) -> list[StoredAdvisory]:
    """The advisories linked to an incident the reader may see."""
    with ctx.uow() as raw:
        incident = load_incident(raw, actor, incident_key)
    return page(ctx, actor, AdvisoryFilter(incident=incident.key)).items


def export(
    ctx: Context,
    actor: Actor,
    setup: AdvisorySetup,
    key: str,
    fmt: str,
    *,
    index: int | None = None,
    cve: str | None = None,
) -> dict[str, Any]:
    """A document of the working copy as it is now (drafts included), validated."""
    with ctx.uow() as raw:
        stored, _ = _load(with_advisories(raw), actor, key)
    return setup.documents.export(stored.advisory, fmt, now=ctx.clock.now(), index=index, cve=cve)


def revision_document(
    ctx: Context, actor: Actor, key: str, ordinal: int, name: str
) -> tuple[PublishedRevision, Document]:
    """A document exactly as it was published with a revision."""
    with ctx.uow() as raw:
        uow = with_advisories(raw)
        stored, _ = _load(uow, actor, key)
        revision = uow.advisories.revision(stored.id, ordinal)
    document = revision.document(name) if revision else None
    if revision is None or document is None:
        raise NotFound(f"{stored.key} has no published document {name} in revision {ordinal}")
    return revision, document
