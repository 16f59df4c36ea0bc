"""/api/v1/me, /users and /tokens."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, status

from candor.domain.accounts import ApiToken
from candor.services import accounts
from candor.services.context import Context
from candor.web.api.schemas import Me, NewTokenOut, TokenIn, TokenOut, UserIn, UserOut, UserPatch
from candor.web.deps import Caller, api_auth, request_context

router = APIRouter(tags=["accounts"])


def _user(u: Any) -> dict[str, Any]:
    return {
        "username": u.username,
        "display_name": u.display_name,
        "email": u.email,
        "role": u.role.value,
        "active": u.active,
    }


def _token(t: ApiToken, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    return {
        "id": str(t.id),
        "name": t.name,
        "user": names.get(t.user_id),
        "prefix": t.prefix,
        "scopes": sorted(s.value for s in t.scopes),
        "created_at": t.created_at.isoformat(),
        "expires_at": t.expires_at.isoformat() if t.expires_at else None,
        "revoked": t.revoked_at is not None,
        "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
    }


@router.get("/me", response_model=Me, summary="Who the caller is")
def me(caller: Caller = Depends(api_auth)) -> dict[str, Any]:
    user = caller.resolved.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "via": caller.actor.via,
        "scopes": sorted(s.value for s in caller.actor.scopes),
    }


@router.get("/users", response_model=list[UserOut], summary="Users (admins also see inactive)")
def list_users(
    include_inactive: bool = False,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> list[dict[str, Any]]:
    return [
        _user(u) for u in accounts.list_users(ctx, caller.actor, include_inactive=include_inactive)
    ]


@router.post(
    "/users",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user (admins)",
)
def create_user(
    body: UserIn, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    return _user(accounts.create_user(ctx, caller.actor, **body.model_dump()))


@router.patch("/users/{username}", response_model=UserOut, summary="Change a user (admins)")
def update_user(
    username: str,
    body: UserPatch,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return _user(accounts.update_user(ctx, caller.actor, username, **body.model_dump()))


@router.get("/tokens", response_model=list[TokenOut], summary="Your API tokens")
def list_tokens(
    all_users: bool = False,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> list[dict[str, Any]]:
    names = accounts.user_names(ctx)
    return [_token(t, names) for t in accounts.list_tokens(ctx, caller.actor, all_users=all_users)]


@router.post(
    "/tokens",
    response_model=NewTokenOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API token (its value is shown once)",
)
def create_token(
    body: TokenIn, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    made = accounts.create_token(
        ctx,
        caller.actor,
        name=body.name,
        scopes=body.scopes,
        expires_days=body.expires_days,
        for_user=body.user,
    )
    return {**_token(made.token, accounts.user_names(ctx)), "token": made.secret}


@router.delete("/tokens/{token_id}", response_model=TokenOut, summary="Revoke an API token")
def revoke_token(
    token_id: uuid.UUID, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    return _token(accounts.revoke_token(ctx, caller.actor, token_id), accounts.user_names(ctx))
