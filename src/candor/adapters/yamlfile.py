"""Read YAML data files (rules, inventories, scenarios …) remembering where each value came from.

Domain parsers report problems with a ``path`` (keys and list indices); ``Document.locate`` turns
each into file, line and column, so users see ``obligations/us-ca.yaml:42:7 deadline.unit: …``.
Duplicate keys are errors, not silent overwrites.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from candor.domain.errors import Problem, RuleFileError

PathKey = tuple[str | int, ...]


@dataclass
class Document:
    file: str
    data: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def position(self, path: PathKey) -> tuple[int, int] | None:
        """Line and column of ``path``, or of its nearest ancestor that exists."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:end]))
            if found is not None:
                return found
        return None

    def locate(self, problems: Iterable[Problem], *, base: PathKey = ()) -> list[Problem]:
        out = []
        for problem in problems:
            path = (*base, *(problem.path or ()))
            pos = self.position(path)
            out.append(
                replace(
                    problem,
                    file=self.file,
                    line=pos[0] if pos else None,
                    column=pos[1] if pos else None,
                    path=path or None,
                )
            )
        return out


def _walk(loader: yaml.SafeLoader, node: Node, path: PathKey, doc: Document) -> Any:
    doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                doc.problems.append(
                    Problem(
                        "mapping keys must be plain values",
                        file=doc.file,
                        line=key_node.start_mark.line + 1,
                        column=key_node.start_mark.column + 1,
                    )
                )
                continue
            if key in out:
                doc.problems.append(
                    Problem(
                        f"duplicate key {key!r}",
                        file=doc.file,
                        line=key_node.start_mark.line + 1,
                        column=key_node.start_mark.column + 1,
                        hint="each key may appear once",
                    )
                )
            out[key] = _walk(loader, value_node, (*path, str(key)), doc)
        return out
    if isinstance(node, SequenceNode):
        return [_walk(loader, item, (*path, i), doc) for i, item in enumerate(node.value)]
    assert isinstance(node, ScalarNode)
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:
        # YAML reads 2026-13-01 as a timestamp and then cannot build it: keep the text, so the
        # parser reports a bad date at this line instead of the loader raising a traceback
        return node.value


def parse(text: str, *, file: str) -> Document:
    """Parse YAML text. Syntax errors raise ``RuleFileError`` with the line and column."""
    doc = Document(file=file, data=None)
    try:
        # the reader checks every character when it is built: a control character is a
        # problem with the file, not a crash
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise RuleFileError(
            Problem(
                f"not valid YAML: character #x{exc.character:04x} is not allowed",
                file=file,
                line=line,
                hint="remove control characters (a copy from a terminal or a binary file?)",
            )
        ) from None
    try:
        node = loader.get_single_node()
        if node is not None:
            doc.data = _walk(loader, node, (), doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise RuleFileError(
            Problem(
                f"not valid YAML: {exc.problem or exc}",
                file=file,
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            )
        ) from None
    except yaml.YAMLError as exc:
        raise RuleFileError(Problem(f"not valid YAML: {exc}", file=file)) from None
    finally:
        loader.dispose()
    return doc


def load(path: Path | str, *, display: str | None = None) -> Document:
    file = display or str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise RuleFileError(Problem(f"cannot read: {exc.strerror}", file=file)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RuleFileError(Problem("not valid UTF-8", file=file, line=line)) from None
    return parse(text, file=file)
