"""Use cases for accounts: users, sign-in and sessions, API tokens.

Every change and every sign-in attempt, successful or not, is written to the audit log.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from candor.domain import accounts as model
from candor.domain.access import Actor, OrgRole, Scope, require_admin
from candor.domain.accounts import ApiToken, Attempt, Session, User
from candor.domain.audit import AuditDraft
from candor.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Problem,
    RateLimited,
)
from candor.domain.vocabulary import parse_enum
from candor.services.context import Context
from candor.services.ports import PasswordHasher, UnitOfWork

# verified against when the user name is unknown, so both paths take the same time
_UNKNOWN_USER_PASSWORD = "candor-timing-equaliser"  # noqa: S105 - not a credential


def _hasher(ctx: Context) -> PasswordHasher:
    if ctx.hasher is None:
        raise RuntimeError("no password hasher wired into the context")
    return ctx.hasher


def _user_view(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role.value,
        "active": user.active,
    }


def _audit(
    uow: UnitOfWork,
    *,
    at: datetime,
    actor: str,
    action: str,
    user: User,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
    detail: str = "",
) -> None:
    uow.audit.append(
        AuditDraft(
            at=at,
            actor=actor,
            action=action,
            target_type="user",
            target_id=user.username,
            before=before,
            after=after,
            detail=detail,
        )
    )


def create_user(
    ctx: Context,
    actor: Actor,
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    email: str = "",
    role: OrgRole | str = OrgRole.RESPONDER,
) -> User:
    require_admin(actor)
    now = ctx.clock.now()
    user = model.new_user(
        id=ctx.new_id(),
        username=username,
        display_name=display_name,
        email=email,
        role=role,
        now=now,
    )
    if password is not None:
        model.check_password(password, username=user.username)
        user = model.with_password(user, _hasher(ctx).hash(password), now=now)
    with ctx.uow(write=True) as uow:
        if uow.users.get(user.username) is not None:
            raise Conflict(f"a user named {user.username} already exists")
        uow.users.add(user)
        _audit(
            uow,
            at=now,
            actor=actor.username,
            action="user.create",
            user=user,
            after=_user_view(user),
        )
        uow.commit()
    return user


def get_user(ctx: Context, username: str) -> User:
    with ctx.uow() as uow:
        user = uow.users.get(username.strip().lower())
    if user is None:
        raise NotFound(f"no user named {username.strip().lower()}")
    return user


def list_users(ctx: Context, actor: Actor, *, include_inactive: bool = False) -> list[User]:
    """Everyone signed in may see who can be given a role; admins also see inactive accounts."""
    with ctx.uow() as uow:
        return uow.users.list(include_inactive=include_inactive and actor.is_admin)


def role_of(ctx: Context, username: str) -> OrgRole | None:
    with ctx.uow() as uow:
        user = uow.users.get(username)
    return user.role if user is not None and user.active else None


def update_user(
    ctx: Context,
    actor: Actor,
    username: str,
    *,
    role: OrgRole | str | None = None,
    active: bool | None = None,
    display_name: str | None = None,
    email: str | None = None,
) -> User:
    require_admin(actor)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        before = uow.users.get(username)
        if before is None:
            raise NotFound(f"no user named {username}")
        after = before
        if role is not None:
            after = replace(after, role=parse_enum(OrgRole, role, field="role"))
        if display_name is not None or email is not None:
            checked = model.new_user(
                id=before.id,
                username=before.username,
                display_name=before.display_name if display_name is None else display_name,
                email=before.email if email is None else email,
                role=after.role,
                now=now,
            )
            after = replace(after, display_name=checked.display_name, email=checked.email)
        if active is not None:
            after = replace(after, active=active)
        if after.username == actor.username and (
            not after.active or after.role is not OrgRole.ADMIN
        ):
            raise PermissionDenied(
                "you cannot remove your own administrator rights or account; "
                "ask another administrator"
            )
        if after == before:
            return before
        uow.users.save(after)
        if not after.active:
            uow.sessions.delete_for_user(after.id)
            for token in uow.tokens.list(user_id=after.id):
                if token.revoked_at is None:
                    uow.tokens.save(replace(token, revoked_at=now))
        _audit(
            uow,
            at=now,
            actor=actor.username,
            action="user.update",
            user=after,
            before=_user_view(before),
            after=_user_view(after),
        )
        uow.commit()
    return after


def set_password(
    ctx: Context,
    actor: Actor,
    username: str,
    new_password: str,
    *,
    current_password: str | None = None,
) -> None:
    """Users change their own password (giving the current one); admins reset anyone's."""
    now = ctx.clock.now()
    hasher = _hasher(ctx)
    with ctx.uow(write=True) as uow:
        user = uow.users.get(username)
        if user is None:
            raise NotFound(f"no user named {username}")
        own = user.username == actor.username and actor.via != "cli"
        if own:
            if (
                current_password is None
                or user.password_hash is None
                or not hasher.verify(user.password_hash, current_password)
            ):
                raise InvalidInput(
                    Problem("is not your current password", field="current_password")
                )
        else:
            require_admin(actor)
        model.check_password(new_password, username=user.username)
        uow.users.save(model.with_password(user, hasher.hash(new_password), now=now))
        # a changed password ends every other sign-in of that user
        uow.sessions.delete_for_user(user.id)
        _audit(
            uow,
            at=now,
            actor=actor.username,
            action="user.password",
            user=user,
            detail="changed own password" if own else "password reset by administrator",
        )
        uow.commit()


@dataclass(frozen=True, slots=True)
class SignedIn:
    session: Session
    token: str  # the cookie value; only its hash is stored
    user: User


def sign_in(ctx: Context, *, username: str, password: str, client: str = "") -> SignedIn:
    now = ctx.clock.now()
    name = username.strip().lower()
    hasher = _hasher(ctx)
    with ctx.uow(write=True) as uow:
        recent = uow.attempts.recent(
            username=name, client=client, since=now - model.THROTTLE_WINDOW
        )
        try:
            model.throttle(recent, username=name, client=client, now=now)
        except RateLimited:
            uow.audit.append(
                AuditDraft(
                    at=now,
                    actor=name or "-",
                    action="user.signin_throttled",
                    target_type="user",
                    target_id=name or "-",
                    detail=f"client {client}",
                )
            )
            uow.commit()
            raise
        user = uow.users.get(name)
        if user is None or user.password_hash is None:
            hasher.verify(_dummy_hash(hasher), password or _UNKNOWN_USER_PASSWORD)
            ok = False
        else:
            ok = user.active and hasher.verify(user.password_hash, password)
        uow.attempts.add(Attempt(at=now, username=name, client=client, success=ok))
        if not ok or user is None:
            uow.audit.append(
                AuditDraft(
                    at=now,
                    actor=name or "-",
                    action="user.signin_failed",
                    target_type="user",
                    target_id=name or "-",
                    detail=f"client {client}",
                )
            )
            uow.commit()
            raise InvalidInput(Problem("user name or password is wrong", field="password"))
        if user.password_hash and hasher.needs_rehash(user.password_hash):
            uow.users.save(model.with_password(user, hasher.hash(password), now=now))
        token = secrets.token_urlsafe(32)
        session = Session(
            id=ctx.new_id(),
            user_id=user.id,
            token_hash=model.token_digest(token),
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(hours=ctx.session_hours),
            client=client,
        )
        uow.sessions.add(session)
        uow.sessions.purge_expired(now)
        _audit(
            uow,
            at=now,
            actor=user.username,
            action="user.signin",
            user=user,
            detail=f"client {client}",
        )
        uow.commit()
    return SignedIn(session=session, token=token, user=user)


_DUMMY: dict[int, str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = id(hasher)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash(_UNKNOWN_USER_PASSWORD + secrets.token_hex(8))
    return _DUMMY[key]


@dataclass(frozen=True, slots=True)
class Resolved:
    actor: Actor
    user: User
    session: Session | None = None
    token: ApiToken | None = None


def resolve_session(ctx: Context, token: str) -> Resolved | None:
    if not token or len(token) > 200:
        return None
    now = ctx.clock.now()
    with ctx.uow() as uow:
        session = uow.sessions.get(model.token_digest(token))
        if session is None or not session.is_valid(now):
            return None
        user = uow.users.get_by_id(session.user_id)
    if user is None or not user.active:
        return None
    return Resolved(
        actor=Actor(user.username, user.role, via="session"), user=user, session=session
    )


def sign_out(ctx: Context, resolved: Resolved) -> None:
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        if resolved.session is not None:
            uow.sessions.delete(resolved.session.id)
        _audit(uow, at=now, actor=resolved.user.username, action="user.signout", user=resolved.user)
        uow.commit()


def sign_out_everywhere(ctx: Context, actor: Actor) -> int:
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        user = uow.users.get(actor.username)
        if user is None:
            raise NotFound(f"no user named {actor.username}")
        ended = uow.sessions.delete_for_user(user.id)
        _audit(
            uow,
            at=now,
            actor=actor.username,
            action="user.signout_everywhere",
            user=user,
            detail=f"{ended} sessions ended",
        )
        uow.commit()
    return ended


@dataclass(frozen=True, slots=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once


def create_token(
    ctx: Context,
    actor: Actor,
    *,
    name: str,
    scopes: list[str] | tuple[str, ...],
    expires_days: int | None = None,
    for_user: str | None = None,
) -> NewToken:
    now = ctx.clock.now()
    label = name.strip()
    if not label or len(label) > 100:
        raise InvalidInput(
            Problem("give the token a name of 1 to 100 characters (what uses it)", field="name")
        )
    wanted = model.parse_scopes(scopes)
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise InvalidInput(Problem("must be between 1 and 3650 days", field="expires_days"))
    with ctx.uow(write=True) as uow:
        owner = uow.users.get((for_user or actor.username).strip().lower())
        if owner is None or not owner.active:
            raise NotFound(f"no active user named {for_user or actor.username}")
        if owner.username != actor.username:
            require_admin(actor)
        if Scope.ADMIN in wanted and owner.role is not OrgRole.ADMIN:
            raise PermissionDenied(
                f"{owner.username} is not an administrator; an admin-scoped "
                "token would exceed their rights"
            )
        if owner.role is OrgRole.VIEWER and Scope.WRITE in wanted:
            raise PermissionDenied(
                f"{owner.username} is a viewer; a write token would exceed their rights"
            )
        secret = model.TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            id=ctx.new_id(),
            user_id=owner.id,
            name=label,
            prefix=secret[:10],
            token_hash=model.token_digest(secret),
            scopes=wanted,
            created_at=now,
            expires_at=now + timedelta(days=expires_days) if expires_days else None,
        )
        uow.tokens.add(token)
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="token.create",
                target_type="token",
                target_id=str(token.id),
                after={
                    "name": token.name,
                    "user": owner.username,
                    "prefix": token.prefix,
                    "scopes": sorted(s.value for s in token.scopes),
                    "expires_at": token.expires_at.isoformat() if token.expires_at else None,
                },
            )
        )
        uow.commit()
    return NewToken(token=token, secret=secret)


TOKEN_USE_RECORDED_EVERY = timedelta(minutes=5)


def needs_use_recorded(token: ApiToken, now: datetime) -> bool:
    """A token's last use is written at most every few minutes: every API call writing would
    serialise them."""
    return token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RECORDED_EVERY


def resolve_token(ctx: Context, secret: str) -> Resolved | None:
    if not secret.startswith(model.TOKEN_PREFIX) or len(secret) > 200:
        return None
    now = ctx.clock.now()
    with ctx.uow() as uow:
        token = uow.tokens.get_by_hash(model.token_digest(secret))
        if token is None or not token.is_valid(now):
            return None
        user = uow.users.get_by_id(token.user_id)
    if user is None or not user.active:
        return None
    if needs_use_recorded(token, now):
        token = replace(token, last_used_at=now)
        with ctx.uow(write=True) as uow:
            uow.tokens.save(token)
            uow.commit()
    return Resolved(
        actor=Actor(user.username, user.role, scopes=token.scopes, via="token"),
        user=user,
        token=token,
    )


def list_tokens(ctx: Context, actor: Actor, *, all_users: bool = False) -> list[ApiToken]:
    with ctx.uow() as uow:
        if all_users:
            require_admin(actor)
            return uow.tokens.list()
        user = uow.users.get(actor.username)
        return uow.tokens.list(user_id=user.id) if user else []


def revoke_token(ctx: Context, actor: Actor, token_id: uuid.UUID) -> ApiToken:
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        token = uow.tokens.get(token_id)
        owner = uow.users.get_by_id(token.user_id) if token else None
        if (
            token is None
            or owner is None
            or (owner.username != actor.username and not actor.is_admin)
        ):
            raise NotFound(f"no token {token_id}")
        if token.revoked_at is not None:
            return token
        revoked = replace(token, revoked_at=now)
        uow.tokens.save(revoked)
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="token.revoke",
                target_type="token",
                target_id=str(token.id),
                after={"name": token.name, "user": owner.username, "prefix": token.prefix},
            )
        )
        uow.commit()
    return revoked


def user_names(ctx: Context) -> dict[uuid.UUID, str]:
    with ctx.uow() as uow:
        return {u.id: u.username for u in uow.users.list(include_inactive=True)}
