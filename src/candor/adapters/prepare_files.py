"""Load the playbook and scenario libraries: packaged files, then the organisation's own.

Every file is read and checked; all problems of all files are collected with file:line:column,
so one run of ``candor playbook check`` shows everything to fix. An organisation file whose name
(``playbook:`` / ``scenario:``) matches a packaged one replaces it; a new name adds one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from candor.adapters import yamlfile
from candor.adapters.rules_files import packaged_path
from candor.domain.errors import InvalidInput, Problem, RuleFileError
from candor.domain.playbooks import Playbook, parse_playbook
from candor.domain.scenarios import Scenario, parse_scenario

T = TypeVar("T", Playbook, Scenario)


@dataclass
class Entry(Generic[T]):
    value: T
    doc: yamlfile.Document  # the plain data as read, with positions
    packaged: bool

    @property
    def data(self) -> Any:
        """As read: an exercise stores the scenario exactly as it was run."""
        return self.doc.data

    @property
    def file(self) -> str:
        return self.doc.file


@dataclass
class Library(Generic[T]):
    entries: dict[str, Entry[T]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0

    def require(self) -> Library[T]:
        """Raise every problem at once, or return the library when it is clean."""
        if self.problems:
            raise RuleFileError(self.problems)
        return self

    def get(self, name: str) -> Entry[T]:
        key = name.strip().lower()
        if key not in self.entries:
            known = ", ".join(sorted(self.entries)) or "none"
            raise InvalidInput(Problem(f"no {name!r}; known: {known}", field="name"))
        return self.entries[key]

    @property
    def values(self) -> dict[str, T]:
        return {name: entry.value for name, entry in sorted(self.entries.items())}


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def _load(
    folders: Iterable[tuple[Path, bool]],
    parse: Callable[[Any], T],
    name_key: str,
) -> Library[T]:
    library: Library[T] = Library()
    for folder, packaged in folders:
        if not folder.is_dir():
            library.problems.append(Problem("is not a directory", file=str(folder)))
            continue
        seen_here: dict[str, str] = {}
        for path in _files(folder):
            display = f"candor/rules/{folder.name}/{path.name}" if packaged else str(path)
            library.files += 1
            try:
                doc = yamlfile.load(path, display=display)
            except RuleFileError as exc:
                library.problems.extend(exc.problems)
                continue
            library.problems.extend(doc.problems)
            try:
                value = parse(doc.data)
            except InvalidInput as exc:
                library.problems.extend(doc.locate(exc.problems))
                continue
            name = getattr(value, "name")  # noqa: B009 - Playbook and Scenario both have it
            if name in seen_here:
                library.problems.extend(
                    doc.locate(
                        [
                            Problem(
                                f"{name_key} {name!r} is also defined in {seen_here[name]}",
                                path=(name_key,),
                            )
                        ]
                    )
                )
                continue
            seen_here[name] = display
            library.entries[name] = Entry(value, doc, packaged)
    return library


def _folders(kind: str, organisation: Path | None) -> list[tuple[Path, bool]]:
    out = [(packaged_path(kind), True)]
    if organisation is not None:
        out.append((organisation.expanduser(), False))
    return out


def load_playbooks(organisation: Path | None = None) -> Library[Playbook]:
    return _load(_folders("playbooks", organisation), parse_playbook, "playbook")


def load_scenarios(
    organisation: Path | None = None, *, playbooks: Iterable[str] | None = None
) -> Library[Scenario]:
    """Scenarios; when ``playbooks`` (names) is given, a scenario naming another is a problem."""
    library = _load(_folders("scenarios", organisation), parse_scenario, "scenario")
    if playbooks is not None:
        known = set(playbooks)
        for entry in library.entries.values():
            if entry.value.playbook and entry.value.playbook not in known:
                wrong = Problem(
                    f"no playbook {entry.value.playbook!r}; known: {', '.join(sorted(known))}",
                    path=("playbook",),
                )
                library.problems.extend(entry.doc.locate([wrong]))
    return library


def check_files(paths: Iterable[Path], parse: Callable[[Any], T]) -> list[Problem]:
    """Problems in the given files (a file being written, before it goes in the folder)."""
    problems: list[Problem] = []
    for path in paths:
        try:
            doc = yamlfile.load(path)
        except RuleFileError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(doc.problems)
        try:
            parse(doc.data)
        except InvalidInput as exc:
            problems.extend(doc.locate(exc.problems))
    return problems


class Libraries:
    """Both libraries for a long-running server: read once, read again when a file changes.

    Loading and checking every file takes a noticeable fraction of a second; pages that show a
    playbook choice or a scenario list would pay it on every request. The cache key is each
    file's name, size and modification time, so an edited or added file is picked up at once.
    """

    def __init__(self, playbooks_dir: Path | None, scenarios_dir: Path | None) -> None:
        self.playbooks_dir = playbooks_dir
        self.scenarios_dir = scenarios_dir
        self._playbooks: tuple[object, Library[Playbook]] | None = None
        self._scenarios: tuple[object, Library[Scenario]] | None = None

    @staticmethod
    def _signature(kind: str, organisation: Path | None) -> object:
        out: list[tuple[str, int, int]] = []
        for folder, _ in _folders(kind, organisation):
            if not folder.is_dir():
                out.append((str(folder), -1, -1))
                continue
            for path in _files(folder):
                try:
                    stat = path.stat()
                except OSError:
                    continue
                out.append((str(path), stat.st_size, stat.st_mtime_ns))
        return tuple(out)

    def playbooks(self) -> Library[Playbook]:
        signature = self._signature("playbooks", self.playbooks_dir)
        if self._playbooks is None or self._playbooks[0] != signature:
            self._playbooks = (signature, load_playbooks(self.playbooks_dir))
        return self._playbooks[1]

    def scenarios(self) -> Library[Scenario]:
        playbooks = self.playbooks()
        signature = (
            self._signature("scenarios", self.scenarios_dir),
            tuple(sorted(playbooks.entries)),
        )
        if self._scenarios is None or self._scenarios[0] != signature:
            loaded = load_scenarios(self.scenarios_dir, playbooks=playbooks.entries)
            self._scenarios = (signature, loaded)
        return self._scenarios[1]
