"""Statements: what the organisation says about an incident, to whom, after review.

A statement goes ``draft → in_review → approved → published`` (a draft may be withdrawn). The
review chain names incident roles (``counsel``, then ``incident_lead`` by default); each
reviewer in turn approves, or requests changes with a comment, which sends the statement back to
draft and starts the chain again. Only the incident's communications lead, or a delegate the
lead named, publishes. A published statement never changes: an update is a new statement, and a
correction is a new statement that names the one it corrects and says what was wrong. The
publication time is whatever ``now`` the service passes (the server clock); nothing lets a
caller choose it.

A statement written from a template for a regulator carries the obligation's required content
as *elements*: approval is refused until each is filled, or marked "not yet known — will be
provided in phases" where the law allows phasing.

Nothing from an exercise incident goes to anyone outside the organisation.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from candor.domain.chain import canonical_json
from candor.domain.errors import (
    IllegalTransition,
    InvalidInput,
    PermissionDenied,
    Problem,
    ProblemCollector,
)
from candor.domain.incidents import Incident
from candor.domain.vocabulary import Role, require_aware

TITLE_MAX = 300
BODY_MAX = 50_000
COMMENT_MAX = 5_000
REF_MAX = 200
ELEMENT_MAX = 10_000
DEFERRED_TEXT = "not yet known — will be provided in phases"
E = TypeVar("E", bound=StrEnum)
DEFAULT_REVIEW_CHAIN: tuple[str, ...] = (Role.COUNSEL.value, Role.INCIDENT_LEAD.value)


class Audience(StrEnum):
    INTERNAL = "internal"
    ALL_CUSTOMERS = "all_customers"
    AFFECTED_CUSTOMERS = "affected_customers"
    CUSTOMER = "customer"
    REGULATOR = "regulator"
    PUBLIC = "public"

    @property
    def outside(self) -> bool:
        """Reaches people outside the organisation."""
        return self is not Audience.INTERNAL


class Channel(StrEnum):
    STATUS_SITE = "status_site"
    EMAIL = "email"
    WEBHOOK = "webhook"


class Kind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    UPDATE = "update"
    RESOLUTION = "resolution"
    CUSTOMER_NOTICE = "customer_notice"
    CREDENTIAL_ROTATION = "credential_rotation"
    REGULATOR_NOTICE = "regulator_notice"
    CORRECTION = "correction"


CUSTOMER_KINDS = frozenset({Kind.CUSTOMER_NOTICE, Kind.CREDENTIAL_ROTATION})
CUSTOMER_AUDIENCES = frozenset(
    {Audience.ALL_CUSTOMERS, Audience.AFFECTED_CUSTOMERS, Audience.CUSTOMER}
)


class State(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Decision(StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


@dataclass(frozen=True, slots=True)
class Element:
    """One piece of content a regulator's rule requires."""

    name: str
    text: str = ""
    deferred: bool = False  # "not yet known — will be provided in phases"

    @property
    def done(self) -> bool:
        return bool(self.text.strip()) or self.deferred

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "text": self.text, "deferred": self.deferred}


@dataclass(frozen=True, slots=True)
class Review:
    step: str  # the review-chain role this decision was made as
    decision: Decision
    by: str
    at: datetime
    comment: str
    round: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "decision": self.decision.value,
            "by": self.by,
            "at": self.at.isoformat(),
            "comment": self.comment,
            "round": self.round,
        }


@dataclass(frozen=True, slots=True)
class Statement:
    id: uuid.UUID
    incident_id: uuid.UUID
    number: int  # within the incident, from 1
    kind: Kind
    audience: Audience
    audience_ref: str  # the customer, or the obligation (``#3`` / rule id); else ""
    channels: tuple[Channel, ...]
    title: str
    body: str
    author: str
    created_at: datetime
    updated_at: datetime
    state: State = State.DRAFT
    review_chain: tuple[str, ...] = DEFAULT_REVIEW_CHAIN
    reviews: tuple[Review, ...] = ()
    round: int = 1
    corrects: int | None = None  # number of the statement this one corrects
    correction_note: str = ""  # what was wrong
    elements: tuple[Element, ...] = ()
    phasing_allowed: bool = False
    template: str = ""  # the template it was written from, if any
    published_at: datetime | None = None
    published_by: str | None = None
    content_hash: str | None = None
    withdrawn_reason: str = ""
    version: int = field(default=1, compare=False)  # the stored row's version (optimistic lock)

    @property
    def current_reviews(self) -> tuple[Review, ...]:
        return tuple(r for r in self.reviews if r.round == self.round)

    @property
    def approved_steps(self) -> tuple[str, ...]:
        return tuple(r.step for r in self.current_reviews if r.decision is Decision.APPROVED)

    @property
    def approved_at(self) -> datetime | None:
        """When the last approval of the current round made it approved (None before that)."""
        if self.state not in (State.APPROVED, State.PUBLISHED):
            return None
        times = [r.at for r in self.current_reviews if r.decision is Decision.APPROVED]
        return max(times, default=None)

    @property
    def for_customers(self) -> bool:
        """A notice to customers: written to them, or (in an exercise, which keeps statements
        internal) of a customer kind."""
        return self.kind in CUSTOMER_KINDS or self.audience in CUSTOMER_AUDIENCES

    @property
    def next_step(self) -> str | None:
        """The review-chain role whose decision is awaited, while in review."""
        if self.state is not State.IN_REVIEW:
            return None
        done = set(self.approved_steps)
        return next((s for s in self.review_chain if s not in done), None)

    @property
    def missing_elements(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.elements if not e.done)

    def canonical(self, *, incident_key: str) -> dict[str, Any]:
        """What a published statement says: hashed into its audit record."""
        return {
            "incident": incident_key,
            "number": self.number,
            "kind": self.kind.value,
            "audience": self.audience.value,
            "audience_ref": self.audience_ref,
            "channels": [c.value for c in self.channels],
            "title": self.title,
            "body": self.body,
            "corrects": self.corrects,
            "correction_note": self.correction_note,
            "elements": [e.as_dict() for e in self.elements],
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "published_by": self.published_by,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": self.kind.value,
            "audience": self.audience.value,
            "audience_ref": self.audience_ref,
            "channels": [c.value for c in self.channels],
            "title": self.title,
            "body": self.body,
            "state": self.state.value,
            "author": self.author,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "review_chain": list(self.review_chain),
            "reviews": [r.as_dict() for r in self.reviews],
            "round": self.round,
            "next_step": self.next_step,
            "corrects": self.corrects,
            "correction_note": self.correction_note,
            "elements": [e.as_dict() for e in self.elements],
            "phasing_allowed": self.phasing_allowed,
            "missing_elements": list(self.missing_elements),
            "template": self.template,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "published_by": self.published_by,
            "content_hash": self.content_hash,
            "withdrawn_reason": self.withdrawn_reason,
        }


def content_hash(statement: Statement, *, incident_key: str) -> str:
    body = canonical_json(statement.canonical(incident_key=incident_key))
    return hashlib.sha256(body.encode()).hexdigest()


# -- input -------------------------------------------------------------------------------------


def _text(
    problems: ProblemCollector, value: object, *, field: str, maximum: int, required: bool
) -> str:
    if not isinstance(value, str):
        problems.add("must be text", field=field)
        return ""
    text = value.strip()
    if required and not text:
        problems.add("must not be empty", field=field)
    if len(text) > maximum:
        problems.add(f"is {len(text)} characters long; at most {maximum} allowed", field=field)
    if "\x00" in text:
        problems.add("contains a NUL character", field=field)
    return text


def _enum(problems: ProblemCollector, enum: type[E], value: object, *, field: str) -> E | None:
    try:
        return enum(str(value).strip())
    except ValueError:
        problems.add(
            f"unknown value {value!r}; one of: {', '.join(e.value for e in enum)}", field=field
        )
        return None


def parse_channels(problems: ProblemCollector, raw: object) -> tuple[Channel, ...]:
    items: Sequence[object]
    if isinstance(raw, str):
        items = [p for p in raw.replace(",", " ").split() if p]
    elif isinstance(raw, Sequence):
        items = list(raw)
    else:
        problems.add("must be a list of channels", field="channels")
        return ()
    out: list[Channel] = []
    for item in items:
        found = _enum(problems, Channel, item, field="channels")
        if found is not None and found not in out:
            out.append(found)
    return tuple(out)


def check_audience(
    problems: ProblemCollector,
    incident: Incident,
    audience: Audience,
    audience_ref: str,
    channels: Sequence[Channel],
) -> None:
    if audience in (Audience.CUSTOMER, Audience.REGULATOR) and not audience_ref:
        what = "the customer" if audience is Audience.CUSTOMER else "the obligation"
        problems.add(f"name {what} this statement is for", field="audience_ref")
    if audience not in (Audience.CUSTOMER, Audience.REGULATOR) and audience_ref:
        problems.add(
            "only customer and regulator statements name a recipient", field="audience_ref"
        )
    if not channels:
        problems.add("name at least one channel", field="channels")
    if Channel.STATUS_SITE in channels and audience is not Audience.PUBLIC:
        problems.add("only public statements go on the status site", field="channels")
    if incident.exercise and audience.outside:
        problems.add(
            f"{incident.key} is an exercise: nothing from it goes outside the organisation "
            f"(audience {audience.value}); use audience internal",
            field="audience",
        )


def new_statement(
    *,
    id: uuid.UUID,
    incident: Incident,
    number: int,
    kind: object,
    audience: object,
    audience_ref: str = "",
    channels: object,
    title: object,
    body: object,
    author: str,
    now: datetime,
    review_chain: Sequence[str] = DEFAULT_REVIEW_CHAIN,
    elements: Sequence[Element] = (),
    phasing_allowed: bool = False,
    template: str = "",
    corrects: Statement | None = None,
    correction_note: str = "",
) -> Statement:
    require_aware(now, field="now")
    problems = ProblemCollector()
    parsed_kind = _enum(problems, Kind, kind, field="kind")
    parsed_audience = _enum(problems, Audience, audience, field="audience")
    ref = _text(problems, audience_ref, field="audience_ref", maximum=REF_MAX, required=False)
    parsed_channels = parse_channels(problems, channels)
    clean_title = _text(problems, title, field="title", maximum=TITLE_MAX, required=True)
    clean_body = _text(problems, body, field="body", maximum=BODY_MAX, required=True)
    note = _text(
        problems,
        correction_note,
        field="correction_note",
        maximum=COMMENT_MAX,
        required=corrects is not None,
    )
    if parsed_kind is Kind.CORRECTION and corrects is None:
        problems.add("a correction names the published statement it corrects", field="corrects")
    if corrects is not None:
        if parsed_kind is not Kind.CORRECTION:
            problems.add("only a correction names a statement it corrects", field="kind")
        if corrects.state is not State.PUBLISHED:
            problems.add(
                f"statement #{corrects.number} is {corrects.state.value}; only a published "
                "statement can be corrected (edit the draft instead)",
                field="corrects",
            )
        if parsed_audience is not None and parsed_audience is not corrects.audience:
            problems.add(
                f"a correction goes to the audience of the statement it corrects "
                f"({corrects.audience.value})",
                field="audience",
            )
    if parsed_audience is not None:
        check_audience(problems, incident, parsed_audience, ref, parsed_channels)
    if not review_chain:
        problems.add("the review chain names no reviewer", field="review_chain")
    problems.raise_if_any()
    assert parsed_kind is not None and parsed_audience is not None
    return Statement(
        id=id,
        incident_id=incident.id,
        number=number,
        kind=parsed_kind,
        audience=parsed_audience,
        audience_ref=ref,
        channels=parsed_channels,
        title=clean_title,
        body=clean_body,
        author=author,
        created_at=now,
        updated_at=now,
        review_chain=tuple(review_chain),
        elements=tuple(elements),
        phasing_allowed=phasing_allowed,
        template=template,
        corrects=corrects.number if corrects is not None else None,
        correction_note=note,
    )


def _require_state(statement: Statement, *allowed: State, doing: str) -> None:
    if statement.state is State.PUBLISHED:
        raise IllegalTransition(
            f"statement #{statement.number} is published and can never change; "
            "publish an update, or a correction that names it"
        )
    if statement.state not in allowed:
        raise IllegalTransition(
            f"statement #{statement.number} is {statement.state.value.replace('_', ' ')}; "
            f"it cannot be {doing} (only when {' or '.join(a.value for a in allowed)})"
        )


def edit(
    statement: Statement,
    incident: Incident,
    *,
    title: object | None = None,
    body: object | None = None,
    channels: object | None = None,
    elements: Mapping[str, Mapping[str, Any]] | None = None,
    now: datetime,
) -> Statement:
    """Change a draft. Anything else (in review, approved, published) is refused."""
    _require_state(statement, State.DRAFT, doing="edited")
    problems = ProblemCollector()
    new_title = (
        statement.title
        if title is None
        else _text(problems, title, field="title", maximum=TITLE_MAX, required=True)
    )
    new_body = (
        statement.body
        if body is None
        else _text(problems, body, field="body", maximum=BODY_MAX, required=True)
    )
    new_channels = statement.channels if channels is None else parse_channels(problems, channels)
    check_audience(problems, incident, statement.audience, statement.audience_ref, new_channels)
    new_elements = statement.elements
    if elements is not None:
        new_elements = fill_elements(
            problems, statement.elements, elements, phasing_allowed=statement.phasing_allowed
        )
    problems.raise_if_any()
    return replace(
        statement,
        title=new_title,
        body=new_body,
        channels=new_channels,
        elements=new_elements,
        updated_at=now,
    )


def fill_elements(
    problems: ProblemCollector,
    current: Sequence[Element],
    given: Mapping[str, Mapping[str, Any]],
    *,
    phasing_allowed: bool,
) -> tuple[Element, ...]:
    """Elements with ``given`` applied: ``{name: {"text": …, "deferred": bool}}``."""
    names = [e.name for e in current]
    for name in given:
        if name not in names:
            problems.add(
                f"no required element {name!r}; elements: {'; '.join(names)}", field="elements"
            )
    out = []
    for element in current:
        change = given.get(element.name)
        if change is None:
            out.append(element)
            continue
        text = _text(
            problems,
            change.get("text", element.text),
            field=f"elements.{element.name}",
            maximum=ELEMENT_MAX,
            required=False,
        )
        deferred = bool(change.get("deferred", element.deferred))
        if deferred and not phasing_allowed:
            problems.add(
                "the rule does not allow giving this later in phases; fill it in",
                field=f"elements.{element.name}",
            )
        out.append(Element(element.name, text, deferred and not text))
    return tuple(out)


def submit(statement: Statement, *, by: str, now: datetime) -> Statement:
    _require_state(statement, State.DRAFT, doing="submitted for review")
    return replace(statement, state=State.IN_REVIEW, updated_at=now)


def withdraw(statement: Statement, *, reason: str, now: datetime) -> Statement:
    _require_state(statement, State.DRAFT, State.IN_REVIEW, doing="withdrawn")
    problems = ProblemCollector()
    text = _text(problems, reason, field="reason", maximum=COMMENT_MAX, required=True)
    problems.raise_if_any()
    return replace(statement, state=State.WITHDRAWN, withdrawn_reason=text, updated_at=now)


def steps_held(statement: Statement, incident: Incident, username: str) -> tuple[str, ...]:
    """The review-chain roles ``username`` holds on the incident."""
    held = []
    for step in statement.review_chain:
        try:
            role = Role(step)
        except ValueError:
            continue
        if incident.roles.get(role) == username:
            held.append(step)
    return tuple(held)


def approve(
    statement: Statement, incident: Incident, *, by: str, comment: str = "", now: datetime
) -> Statement:
    """The awaited reviewer approves; the last approval makes the statement approved."""
    _require_state(statement, State.IN_REVIEW, doing="approved")
    step = statement.next_step
    assert step is not None
    holder = _holder(incident, step)
    if holder is None:
        raise InvalidInput(
            Problem(
                f"nobody holds the {step.replace('_', ' ')} role on {incident.key}, whose "
                "approval is next; assign the role first",
                field="review_chain",
            )
        )
    if holder != by:
        raise PermissionDenied(
            f"statement #{statement.number} awaits the {step.replace('_', ' ')} "
            f"({holder}); {by} cannot approve it"
        )
    missing = statement.missing_elements
    if missing:
        raise InvalidInput(
            [
                Problem(
                    "required content is missing: fill it in"
                    + (f", or mark it {DEFERRED_TEXT!r}" if statement.phasing_allowed else ""),
                    field=f"elements.{name}",
                )
                for name in missing
            ]
        )
    problems = ProblemCollector()
    text = _text(problems, comment, field="comment", maximum=COMMENT_MAX, required=False)
    problems.raise_if_any()
    review = Review(step, Decision.APPROVED, by, now, text, statement.round)
    after = replace(statement, reviews=(*statement.reviews, review), updated_at=now)
    if after.next_step is None:
        after = replace(after, state=State.APPROVED)
    return after


def request_changes(
    statement: Statement, incident: Incident, *, by: str, comment: str, now: datetime
) -> Statement:
    """Any reviewer in the chain sends the statement back to draft with a comment; the chain
    starts again when it is submitted anew."""
    _require_state(statement, State.IN_REVIEW, State.APPROVED, doing="sent back for changes")
    held = steps_held(statement, incident, by)
    if not held:
        raise PermissionDenied(
            f"{by} holds none of the review roles of statement #{statement.number} "
            f"({', '.join(statement.review_chain)})"
        )
    problems = ProblemCollector()
    text = _text(problems, comment, field="comment", maximum=COMMENT_MAX, required=True)
    problems.raise_if_any()
    review = Review(held[0], Decision.CHANGES_REQUESTED, by, now, text, statement.round)
    return replace(
        statement,
        state=State.DRAFT,
        reviews=(*statement.reviews, review),
        round=statement.round + 1,
        updated_at=now,
    )


def may_publish(incident: Incident, username: str, delegates: Sequence[str]) -> bool:
    return incident.roles.get(Role.COMMS_LEAD) == username or username in delegates


def publish(
    statement: Statement,
    incident: Incident,
    *,
    by: str,
    delegates: Sequence[str],
    now: datetime,
) -> Statement:
    """Publish an approved statement at ``now`` (the server clock)."""
    require_aware(now, field="now")
    _require_state(statement, State.APPROVED, doing="published")
    if not may_publish(incident, by, delegates):
        lead = incident.roles.get(Role.COMMS_LEAD)
        raise PermissionDenied(
            f"only the communications lead of {incident.key} "
            f"({lead or 'nobody yet'}) or a delegate they named publishes statements"
        )
    if incident.exercise and statement.audience.outside:
        raise InvalidInput(
            Problem(
                f"{incident.key} is an exercise: nothing from it is published outside the "
                f"organisation (audience {statement.audience.value})",
                field="audience",
            )
        )
    published = replace(
        statement, state=State.PUBLISHED, published_at=now, published_by=by, updated_at=now
    )
    return replace(published, content_hash=content_hash(published, incident_key=incident.key))


def _holder(incident: Incident, step: str) -> str | None:
    try:
        return incident.roles.get(Role(step))
    except ValueError:
        return None


def check_review_chain(chain: Sequence[str]) -> tuple[str, ...]:
    """The configured review chain: incident role names, each once."""
    problems = ProblemCollector()
    roles = {r.value for r in Role}
    for index, step in enumerate(chain):
        if step not in roles:
            problems.add(
                f"unknown incident role {step!r}; roles: {', '.join(sorted(roles))}",
                field=f"comms.review_chain[{index}]",
            )
    if len(set(chain)) != len(chain):
        problems.add("names a role twice", field="comms.review_chain")
    if not chain:
        problems.add("names no reviewer", field="comms.review_chain")
    problems.raise_if_any()
    return tuple(chain)


def scrubbed(statement: Statement, marker: str) -> Statement:
    """The statement as retention leaves it. Published text stays: it is what the organisation
    told its audience, and must be able to show it did (its content hash still checks). What
    never left the workspace goes: an unpublished draft's title and body and correction note,
    reviewers' comments and the reason a statement was withdrawn."""
    unpublished = statement.published_at is None
    return replace(
        statement,
        title=marker if unpublished else statement.title,
        body=marker if unpublished else statement.body,
        correction_note=marker
        if unpublished and statement.correction_note
        else statement.correction_note,
        reviews=tuple(replace(r, comment=marker) if r.comment else r for r in statement.reviews),
        withdrawn_reason=marker if statement.withdrawn_reason else "",
    )


def personal(statement: Statement, marker: str) -> bool:
    """Whether ``scrubbed`` would change anything."""
    return scrubbed(statement, marker) != statement
