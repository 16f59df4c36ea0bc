"""SQL repositories for accounts: users, sessions, API tokens, sign-in attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session as OrmSession

from candor.adapters.db.models import ApiTokenRow, SessionRow, SignInAttemptRow, UserRow
from candor.domain.access import OrgRole, Scope
from candor.domain.accounts import ApiToken, Attempt, Session, User


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        email=row.email,
        role=OrgRole(row.role),
        active=row.active,
        created_at=row.created_at,
        password_hash=row.password_hash,
        password_changed_at=row.password_changed_at,
    )


def _user_columns(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role.value,
        "active": user.active,
        "created_at": user.created_at,
        "password_hash": user.password_hash,
        "password_changed_at": user.password_changed_at,
    }


class SqlUsers:
    def __init__(self, session: OrmSession) -> None:
        self.session = session

    def add(self, user: User) -> None:
        self.session.execute(insert(UserRow).values(**_user_columns(user)))

    def get(self, username: str) -> User | None:
        row = self.session.execute(
            select(UserRow).where(UserRow.username == username)
        ).scalar_one_or_none()
        return _user(row) if row else None

    def get_by_id(self, id: uuid.UUID) -> User | None:
        row = self.session.get(UserRow, id)
        return _user(row) if row else None

    def save(self, user: User) -> None:
        self.session.execute(
            update(UserRow).where(UserRow.id == user.id).values(**_user_columns(user))
        )

    def list(self, *, include_inactive: bool = False) -> list[User]:
        query = select(UserRow).order_by(UserRow.username)
        if not include_inactive:
            query = query.where(UserRow.active.is_(True))
        return [_user(r) for r in self.session.execute(query).scalars()]

    def count(self) -> int:
        return len(self.session.execute(select(UserRow.id)).all())


class SqlSessions:
    def __init__(self, session: OrmSession) -> None:
        self.session = session

    def add(self, item: Session) -> None:
        self.session.execute(
            insert(SessionRow).values(
                id=item.id,
                user_id=item.user_id,
                token_hash=item.token_hash,
                csrf_token=item.csrf_token,
                created_at=item.created_at,
                expires_at=item.expires_at,
                client=item.client[:100],
            )
        )

    def get(self, token_hash: str) -> Session | None:
        row = self.session.execute(
            select(SessionRow).where(SessionRow.token_hash == token_hash)
        ).scalar_one_or_none()
        if row is None:
            return None
        return Session(
            id=row.id,
            user_id=row.user_id,
            token_hash=row.token_hash,
            csrf_token=row.csrf_token,
            created_at=row.created_at,
            expires_at=row.expires_at,
            client=row.client,
        )

    def delete(self, id: uuid.UUID) -> None:
        self.session.execute(delete(SessionRow).where(SessionRow.id == id))

    def delete_for_user(self, user_id: uuid.UUID) -> int:
        result = self.session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def purge_expired(self, now: datetime) -> int:
        result = self.session.execute(delete(SessionRow).where(SessionRow.expires_at <= now))
        return int(result.rowcount)  # type: ignore[attr-defined]


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        token_hash=row.token_hash,
        scopes=frozenset(Scope(s) for s in row.scopes.split(",") if s),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


class SqlTokens:
    def __init__(self, session: OrmSession) -> None:
        self.session = session

    def add(self, token: ApiToken) -> None:
        self.session.execute(insert(ApiTokenRow).values(**self._columns(token)))

    @staticmethod
    def _columns(token: ApiToken) -> dict[str, Any]:
        return {
            "id": token.id,
            "user_id": token.user_id,
            "name": token.name,
            "prefix": token.prefix,
            "token_hash": token.token_hash,
            "scopes": ",".join(sorted(s.value for s in token.scopes)),
            "created_at": token.created_at,
            "expires_at": token.expires_at,
            "revoked_at": token.revoked_at,
            "last_used_at": token.last_used_at,
        }

    def get_by_hash(self, token_hash: str) -> ApiToken | None:
        row = self.session.execute(
            select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash)
        ).scalar_one_or_none()
        return _token(row) if row else None

    def get(self, id: uuid.UUID) -> ApiToken | None:
        row = self.session.get(ApiTokenRow, id)
        return _token(row) if row else None

    def list(self, *, user_id: uuid.UUID | None = None) -> list[ApiToken]:
        query = select(ApiTokenRow).order_by(ApiTokenRow.created_at.desc())
        if user_id is not None:
            query = query.where(ApiTokenRow.user_id == user_id)
        return [_token(r) for r in self.session.execute(query).scalars()]

    def save(self, token: ApiToken) -> None:
        self.session.execute(
            update(ApiTokenRow).where(ApiTokenRow.id == token.id).values(**self._columns(token))
        )


class SqlAttempts:
    def __init__(self, session: OrmSession) -> None:
        self.session = session

    def add(self, attempt: Attempt) -> None:
        self.session.execute(
            insert(SignInAttemptRow).values(
                at=attempt.at,
                username=attempt.username[:100],
                client=attempt.client[:100],
                success=attempt.success,
            )
        )

    def recent(self, *, username: str, client: str, since: datetime) -> list[Attempt]:
        match = SignInAttemptRow.username == username
        if client:
            match = or_(match, SignInAttemptRow.client == client)
        rows = self.session.execute(
            select(SignInAttemptRow)
            .where(match, SignInAttemptRow.at >= since)
            .order_by(SignInAttemptRow.at)
        ).scalars()
        return [
            Attempt(at=r.at, username=r.username, client=r.client, success=r.success) for r in rows
        ]
