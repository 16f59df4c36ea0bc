"""Playbooks: the written plan for one kind of incident, as tasks per phase of the response.

A small team under stress forgets things; a playbook is the checklist they wrote when calm. Each
file names the roles to fill, the outside contacts to call, and for every phase (triage,
mitigation, containment, eradication, recovery, post_incident) concrete tasks, each with the role
that usually owns it and how soon it is due. Declaring an incident with a playbook turns those
into the incident's tasks (source ``playbook:<name>``).

File format (docs/prepare.md)::

    playbook: leaked-secret          # the name people type; lower-case, digits, hyphens
    title: A secret was exposed
    version: "2026-11"
    kinds: [security_incident]       # incidents it is written for (a suggestion, not a limit)
    summary: When to use it, in two sentences.
    roles: {incident_lead: why, technical_lead: why}
    contacts: {cloud_provider: why}
    phases:
      triage:
        - task: Identify the secret, its owner and what it grants.
          role: technical_lead       # optional: the owner when that role is filled
          within: 30m                # optional: due this long after the playbook is applied
          notes: Longer guidance.    # optional
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from candor.domain import fields
from candor.domain.contacts import Category
from candor.domain.errors import InvalidInput, Problem, ProblemCollector
from candor.domain.incidents import Incident
from candor.domain.lifecycle import ACTIVE_ORDER, Phase
from candor.domain.tasks import NOTES_MAX, TITLE_MAX
from candor.domain.vocabulary import Kind, Role

TOP_KEYS = ("playbook", "title", "version", "kinds", "summary", "roles", "contacts", "phases")
TASK_KEYS = ("task", "role", "within", "notes")
MAX_WITHIN = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class PlaybookTask:
    phase: Phase
    title: str
    role: Role | None = None
    within: timedelta | None = None
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Playbook:
    name: str
    title: str
    version: str
    kinds: tuple[Kind, ...]
    summary: str
    roles: tuple[tuple[Role, str], ...]
    contacts: tuple[tuple[Category, str], ...]
    tasks: tuple[PlaybookTask, ...]

    @property
    def source(self) -> str:
        return f"playbook:{self.name}"

    def phases(self) -> tuple[Phase, ...]:
        return tuple(p for p in ACTIVE_ORDER if any(t.phase is p for t in self.tasks))

    def tasks_in(self, phase: Phase) -> tuple[PlaybookTask, ...]:
        return tuple(t for t in self.tasks if t.phase is phase)


def parse_playbook(data: Any) -> Playbook:
    """Read a playbook from plain data; every problem is raised at once with its path."""
    problems = ProblemCollector()
    d = fields.mapping(data, (), problems, what="a playbook")
    fields.unknown_keys(d, TOP_KEYS, (), problems)
    name = fields.slug(d.get("playbook"), ("playbook",), problems) if "playbook" in d else ""
    if "playbook" not in d:
        problems.add("is required: the playbook's name, e.g. leaked-secret", path=("playbook",))
    title = fields.text(d, "title", (), problems, required=True, maximum=200)
    version = fields.text(d, "version", (), problems, required=True, maximum=40)
    summary = fields.text(d, "summary", (), problems, required=True, maximum=4_000)
    kinds = tuple(
        k
        for i, raw in enumerate(fields.items(d.get("kinds"), ("kinds",), problems, required=True))
        if (k := fields.enum(Kind, raw, ("kinds", i), problems)) is not None
    )
    roles = _reasons(Role, d.get("roles"), "roles", problems)
    contacts = _reasons(Category, d.get("contacts"), "contacts", problems)
    tasks = _phases(d.get("phases"), problems)
    problems.raise_if_any()
    return Playbook(name, title, version, kinds, summary, roles, contacts, tasks)


def _reasons(enum: Any, raw: Any, key: str, problems: ProblemCollector) -> tuple[Any, ...]:
    """``{word: why}``: each suggestion must say why, so nobody calls someone for no reason."""
    if raw is None:
        problems.add("is required: a mapping of name: why", path=(key,))
        return ()
    d = fields.mapping(raw, (key,), problems, what="name: why")
    out = []
    for word, why in d.items():
        value = fields.enum(enum, word, (key, str(word)), problems)
        if not isinstance(why, str) or not why.strip():
            problems.add("must say why (non-empty text)", path=(key, str(word)))
            continue
        if value is not None:
            out.append((value, " ".join(why.split())))
    return tuple(out)


def _phases(raw: Any, problems: ProblemCollector) -> tuple[PlaybookTask, ...]:
    allowed = tuple(p.value for p in ACTIVE_ORDER)
    d = fields.mapping(raw, ("phases",), problems, what="phase: list of tasks")
    if raw is not None and not d:
        problems.add("must list tasks for at least one phase", path=("phases",))
    if raw is None:
        problems.add(f"is required: tasks under {', '.join(allowed)}", path=("phases",))
    out: list[PlaybookTask] = []
    seen: set[str] = set()
    for key, tasks in d.items():
        phase = Phase(key) if key in allowed else None
        if phase is None:
            problems.add(
                f"unknown phase {key!r}; allowed: {', '.join(allowed)}", path=("phases", str(key))
            )
            continue
        for i, item in enumerate(fields.items(tasks, ("phases", key), problems, required=True)):
            task = _task(item, phase, ("phases", key, i), problems)
            if task is None:
                continue
            if task.title.lower() in seen:
                problems.add("the same task appears twice", path=("phases", key, i, "task"))
            seen.add(task.title.lower())
            out.append(task)
    order = list(ACTIVE_ORDER)
    return tuple(sorted(out, key=lambda t: order.index(t.phase)))


def _task(
    raw: Any, phase: Phase, path: fields.PathKey, problems: ProblemCollector
) -> PlaybookTask | None:
    d = fields.mapping(raw, path, problems, what="task, role, within, notes")
    if not d:
        return None
    fields.unknown_keys(d, TASK_KEYS, path, problems)
    title = fields.text(d, "task", path, problems, required=True, maximum=TITLE_MAX)
    role = fields.enum(Role, d["role"], (*path, "role"), problems) if "role" in d else None
    within = fields.duration(d.get("within"), (*path, "within"), problems)
    if within is not None and not timedelta(0) < within <= MAX_WITHIN:
        problems.add("must be more than zero and at most 90d", path=(*path, "within"))
        within = None
    notes = fields.text(d, "notes", path, problems, maximum=NOTES_MAX)
    return PlaybookTask(phase, title, role, within, notes) if title else None


def check_library(playbooks: Iterable[tuple[str, Playbook]]) -> list[Problem]:
    """Problems across files: two files may not claim the same playbook name."""
    seen: dict[str, str] = {}
    out = []
    for file, playbook in playbooks:
        if playbook.name in seen:
            out.append(
                Problem(
                    f"playbook {playbook.name!r} is also defined in {seen[playbook.name]}",
                    file=file,
                    path=("playbook",),
                )
            )
        seen.setdefault(playbook.name, file)
    return out


@dataclass(frozen=True, slots=True)
class PlannedTask:
    """A playbook task made concrete for an incident: owner if its role is filled, a due time."""

    title: str
    phase: Phase
    owner: str | None
    due_at: datetime | None
    notes: str


def plan_tasks(playbook: Playbook, incident: Incident, *, now: datetime) -> list[PlannedTask]:
    out = []
    for task in playbook.tasks:
        owner = incident.roles.get(task.role) if task.role else None
        notes = task.notes
        if task.role is not None and owner is None:
            # the role is not filled yet: say who should pick it up once it is
            notes = f"Owner: the {task.role.value.replace('_', ' ')}. {notes}".strip()
        out.append(
            PlannedTask(
                title=task.title,
                phase=task.phase,
                owner=owner,
                due_at=now + task.within if task.within else None,
                notes=notes,
            )
        )
    return out


def find(playbooks: Mapping[str, Playbook], name: str) -> Playbook:
    key = name.strip().lower()
    if key not in playbooks:
        known = ", ".join(sorted(playbooks)) or "none"
        raise InvalidInput(Problem(f"no playbook {name!r}; known: {known}", field="playbook"))
    return playbooks[key]


def as_data(playbook: Playbook) -> dict[str, Any]:
    """JSON-ready view (``candor playbook show --json``, the web page)."""
    return {
        "playbook": playbook.name,
        "title": playbook.title,
        "version": playbook.version,
        "kinds": [k.value for k in playbook.kinds],
        "summary": playbook.summary,
        "roles": {r.value: why for r, why in playbook.roles},
        "contacts": {c.value: why for c, why in playbook.contacts},
        "phases": {
            phase.value: [
                {
                    "task": t.title,
                    "role": t.role.value if t.role else None,
                    "within": fields.format_duration(t.within) if t.within else None,
                    "notes": t.notes,
                }
                for t in playbook.tasks_in(phase)
            ]
            for phase in playbook.phases()
        },
    }
