"""What the public sees of advisories: the latest revision of each published TLP:CLEAR one.

No sign-in and no actor: these use cases serve anyone, so they only ever return what was
published for everyone (TLP:CLEAR), exactly as it was frozen. A draft, later unpublished edits,
or an advisory whose latest revision carries another TLP label do not exist here.
"""

from __future__ import annotations

from dataclasses import dataclass

from candor.domain.advisory_store import Document, PublishedRevision, StoredAdvisory
from candor.domain.errors import NotFound
from candor.services.context import Context
from candor.services.ports_advisories import AdvisoryFilter, with_advisories


@dataclass(frozen=True, slots=True)
class PublicAdvisory:
    stored: StoredAdvisory
    revision: PublishedRevision  # the latest; its record holds the whole revision history

    @property
    def key(self) -> str:
        return self.stored.key


def public_advisories(ctx: Context) -> list[PublicAdvisory]:
    """Every public advisory, the most recently published first."""
    with ctx.uow() as raw:
        uow = with_advisories(raw)
        out = []
        for stored in uow.advisories.list(AdvisoryFilter(public_only=True, limit=1_000_000)):
            revision = uow.advisories.revision(stored.id, stored.published_ordinal)
            if revision is not None:
                out.append(PublicAdvisory(stored, revision))
    return sorted(out, key=lambda p: (p.revision.date, p.key), reverse=True)


def public_advisory(ctx: Context, key: str) -> PublicAdvisory:
    with ctx.uow() as raw:
        uow = with_advisories(raw)
        stored = uow.advisories.get(key.strip())
        revision = (
            uow.advisories.revision(stored.id, stored.published_ordinal)
            if stored is not None and stored.is_public
            else None
        )
    if stored is None or revision is None:
        raise NotFound(f"no public advisory {key.strip()}")
    return PublicAdvisory(stored, revision)


def public_document(ctx: Context, key: str, name: str) -> tuple[PublicAdvisory, Document]:
    found = public_advisory(ctx, key)
    document = found.revision.document(name)
    if document is None:
        raise NotFound(f"{found.key} has no document {name}")
    return found, document
