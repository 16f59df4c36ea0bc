"""/api/v1/incidents/{key}/statements: draft, review, publish and correct statements.

There is no field anywhere for a publication time: the server's clock sets it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from candor.services import statements
from candor.services.context import Context
from candor.web.deps import Caller, Seq, api_auth, request_context

router = APIRouter(tags=["statements"])


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    audience: str = Field(
        description="internal, all_customers, affected_customers, customer, regulator or public"
    )
    channels: list[str] = Field(description="status_site, email, webhook", max_length=3)
    audience_ref: str = Field(
        "", max_length=200, description="The customer, or the obligation (#3 or rule id)."
    )
    kind: str = Field("update", max_length=40)
    title: str | None = Field(None, max_length=300)
    body: str | None = Field(None, max_length=50_000)
    template: str | None = Field(
        None, max_length=40, description="Write it from this template and the impact statement."
    )
    credentials: list[dict[str, str]] = Field(
        default_factory=list,
        max_length=500,
        description="credential_rotation: [{type: secret type id, masked: shown part}].",
    )


class ElementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field("", max_length=10_000)
    deferred: bool = Field(False, description="Not yet known — will be provided in phases.")


class EditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, max_length=300)
    body: str | None = Field(None, max_length=50_000)
    channels: list[str] | None = Field(None, max_length=3)
    elements: dict[str, ElementIn] | None = None
    version: int | None = Field(
        None, ge=1, description="The row version you edited; refused if it changed since."
    )


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field("", max_length=5000)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=5000)


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field("Correction", max_length=300)
    body: str = Field(max_length=50_000)
    what_was_wrong: str = Field(max_length=5000)


def _out(s: Any) -> dict[str, Any]:
    data: dict[str, Any] = s.as_dict()
    data["version"] = s.version
    return data


@router.get("/incidents/{key}/statements", summary="An incident's statements with their state")
def list_statements(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    view = statements.statements(ctx, caller.actor, key)
    return {
        "incident": view.incident.key,
        "delegates": view.delegates,
        "can_publish": view.can_publish,
        "statements": [_out(s) for s in view.statements],
    }


@router.get("/incidents/{key}/statements/{number}", summary="One statement")
def get_statement(
    key: str,
    number: Seq,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return _out(statements.get(ctx, caller.actor, key, number)[1])


@router.post(
    "/incidents/{key}/statements",
    status_code=status.HTTP_201_CREATED,
    summary="Draft a statement, by hand or from a template",
)
def draft(
    key: str,
    body: DraftIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    if body.template is not None:
        s = statements.draft_from_template(
            ctx,
            caller.actor,
            key,
            template=body.template,
            audience=body.audience,
            audience_ref=body.audience_ref,
            channels=body.channels,
            credentials=body.credentials,
        )
    else:
        s = statements.draft(
            ctx,
            caller.actor,
            key,
            kind=body.kind,
            audience=body.audience,
            audience_ref=body.audience_ref,
            channels=body.channels,
            title=body.title or "",
            body=body.body or "",
        )
    return _out(s)


@router.patch("/incidents/{key}/statements/{number}", summary="Change a draft")
def edit(
    key: str,
    number: Seq,
    body: EditIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    elements = (
        {name: e.model_dump() for name, e in body.elements.items()}
        if body.elements is not None
        else None
    )
    return _out(
        statements.edit(
            ctx,
            caller.actor,
            key,
            number,
            title=body.title,
            body=body.body,
            channels=body.channels,
            elements=elements,
            version=body.version,
        )
    )


@router.post("/incidents/{key}/statements/{number}/submit", summary="Send to review")
def submit(
    key: str,
    number: Seq,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return _out(statements.submit(ctx, caller.actor, key, number))


@router.post("/incidents/{key}/statements/{number}/approve", summary="Approve (your turn)")
def approve(
    key: str,
    number: Seq,
    body: CommentIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return _out(statements.approve(ctx, caller.actor, key, number, comment=body.comment))


@router.post(
    "/incidents/{key}/statements/{number}/request-changes", summary="Send back with a comment"
)
def request_changes(
    key: str,
    number: Seq,
    body: CommentIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return _out(statements.request_changes(ctx, caller.actor, key, number, comment=body.comment))


@router.post("/incidents/{key}/statements/{number}/withdraw", summary="Withdraw a draft")
def withdraw(
    key: str,
    number: Seq,
    body: ReasonIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return _out(statements.withdraw(ctx, caller.actor, key, number, reason=body.reason))


@router.post(
    "/incidents/{key}/statements/{number}/publish",
    summary="Publish an approved statement now (communications lead or delegate)",
)
def publish(
    key: str,
    number: Seq,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return _out(statements.publish(ctx, caller.actor, key, number))


@router.post(
    "/incidents/{key}/statements/{number}/corrections",
    status_code=status.HTTP_201_CREATED,
    summary="Draft a correction of a published statement",
)
def correct(
    key: str,
    number: Seq,
    body: CorrectionIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return _out(
        statements.correct(
            ctx,
            caller.actor,
            key,
            number,
            title=body.title,
            body=body.body,
            what_was_wrong=body.what_was_wrong,
        )
    )


@router.put(
    "/incidents/{key}/statements/delegates/{username}",
    summary="As communications lead, name someone who may publish for you",
)
def add_delegate(
    key: str,
    username: str,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    statements.set_delegate(ctx, caller.actor, key, username, on=True)
    return {"incident": key.upper(), "delegate": username, "on": True}


@router.delete(
    "/incidents/{key}/statements/delegates/{username}", summary="Remove a publishing delegate"
)
def remove_delegate(
    key: str,
    username: str,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    statements.set_delegate(ctx, caller.actor, key, username, on=False)
    return {"incident": key.upper(), "delegate": username, "on": False}
