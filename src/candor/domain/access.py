"""Who may see and change what: organisation roles and need-to-know per incident.

A ``restricted`` incident, and everything under it, is visible only to its members (people with a
role on it, participants, and whoever declared it) and to admins. For everyone else it does not
exist: callers raise ``NotFound``, never ``PermissionDenied``, so its existence is not leaked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from candor.domain.errors import NotFound, PermissionDenied
from candor.domain.incidents import Incident
from candor.domain.vocabulary import Confidentiality


class OrgRole(StrEnum):
    ADMIN = "admin"
    RESPONDER = "responder"
    COUNSEL = "counsel"
    VIEWER = "viewer"


ORG_ROLE_DEFINITIONS: dict[OrgRole, str] = {
    OrgRole.ADMIN: (
        "Manages users, tokens and settings; sees every incident, restricted included."
    ),
    OrgRole.RESPONDER: ("Declares and works incidents."),
    OrgRole.COUNSEL: ("Works incidents and records legal determinations."),
    OrgRole.VIEWER: ("Reads incidents that are not restricted (or that they are a member of)."),
}


class Scope(StrEnum):
    """What an API token may do; a token never exceeds its user's own rights."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Actor:
    username: str
    role: OrgRole
    scopes: frozenset[Scope] = frozenset({Scope.READ, Scope.WRITE, Scope.ADMIN})
    via: str = "session"  # session | token | cli | system

    @property
    def is_admin(self) -> bool:
        return self.role is OrgRole.ADMIN and Scope.ADMIN in self.scopes

    @property
    def can_write(self) -> bool:
        return self.role is not OrgRole.VIEWER and Scope.WRITE in self.scopes


SYSTEM = Actor("candor", OrgRole.ADMIN, via="system")


def can_see(actor: Actor, incident: Incident) -> bool:
    if Scope.READ not in actor.scopes:
        return False
    if incident.confidentiality is Confidentiality.NORMAL:
        return True
    return actor.is_admin or actor.username in incident.members


def require_see(actor: Actor, incident: Incident) -> None:
    if not can_see(actor, incident):
        raise NotFound(f"no incident {incident.key}")


def require_write(actor: Actor, incident: Incident) -> None:
    require_see(actor, incident)
    if not actor.can_write:
        raise PermissionDenied(f"{actor.username} may read {incident.key} but not change it")


def require_declare(actor: Actor) -> None:
    if not actor.can_write:
        raise PermissionDenied(f"{actor.username} ({actor.role.value}) may not declare incidents")


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied(f"{actor.username} is not an administrator")
