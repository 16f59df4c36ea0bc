"""The one exception tree of Candor.

Every layer raises these; the web layer maps them to RFC 9457 problem documents and the CLI to a
message and an exit code (see ``docs/architecture.md``).

    CandorError                      base; ``status`` is the HTTP status the web layer uses
    ├── InvalidInput (422)           a value a user gave is wrong; ``problems`` names each field
    │   ├── RuleFileError (422)      a data file (rules, inventory, scenario …) has problems;
    │   │                            each problem carries file, line and column
    │   ├── MalformedLogs (422)      logs that could not be parsed, in strict mode; each
    │   │                            problem names the file and line or record
    │   └── TooLarge (413)           a file is over its size limit (an attachment …)
    ├── NotFound (404)               no such record, or the caller may not know it exists
    ├── PermissionDenied (403)       the caller is known but may not do this
    ├── Unauthenticated (401)        no valid session or token
    ├── Conflict (409)               the record changed since the caller read it (optimistic lock),
    │   │                            or a uniqueness rule would be broken
    │   └── IllegalTransition (409)  the lifecycle does not allow this move
    ├── IntegrityFailure (500)       a hash chain does not verify: stored records were altered
    │   └── ContentTampered (500)    a stored file (attachment, backup member) is missing or no
    │                                longer matches its SHA-256
    ├── EngineUnavailable (503)      a log engine cannot start here (no Java for Spark …)
    └── RateLimited (429)            too many attempts; ``retry_after`` seconds
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where it is and what to do about it."""

    message: str
    field: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    # where in a structured document (keys and list indices), for data files: the loader
    # turns it into file, line and column
    path: tuple[str | int, ...] | None = None

    def location(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            parts.append(where)
        if self.field is not None:
            parts.append(self.field)
        elif self.path:
            parts.append(dotted(self.path))
        return " ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"message": self.message}
        for name in ("field", "file", "line", "column", "hint"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.field is None and self.path:
            out["field"] = dotted(self.path)
        return out


def dotted(path: tuple[str | int, ...]) -> str:
    """``("rules", 3, "deadline")`` → ``rules[3].deadline``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


class CandorError(Exception):
    status: int = 500
    title: str = "Error"
    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def problems_list(self) -> list[Problem]:
        return []


class InvalidInput(CandorError):
    status = 422
    title = "Invalid input"
    code = "invalid-input"

    def __init__(self, problems: Problem | Sequence[Problem] | str, *, field: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems, field=field)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        if not self.problems:
            raise ValueError("InvalidInput needs at least one problem")
        if len(self.problems) == 1:
            message = str(self.problems[0])
        else:
            message = f"{len(self.problems)} problems:\n" + "\n".join(
                f"  - {p}" for p in self.problems
            )
        super().__init__(message)

    def problems_list(self) -> list[Problem]:
        return list(self.problems)


class RuleFileError(InvalidInput):
    title = "Invalid data file"
    code = "invalid-file"


class MalformedLogs(InvalidInput):
    """Strict scoping stops at malformed input; ``count`` may exceed the samples listed."""

    title = "Malformed logs"
    code = "malformed-logs"

    def __init__(self, count: int, samples: Sequence[Problem]) -> None:
        super().__init__(list(samples) or [Problem("malformed input")])
        self.count = count
        listed = "\n".join(f"  - {p}" for p in self.problems)
        self.message = f"{count} malformed record(s) in strict mode:\n{listed}"
        self.args = (self.message,)


class TooLarge(InvalidInput):
    status = 413
    title = "Too large"
    code = "too-large"


class NotFound(CandorError):
    status = 404
    title = "Not found"
    code = "not-found"


class PermissionDenied(CandorError):
    status = 403
    title = "Forbidden"
    code = "forbidden"


class Unauthenticated(CandorError):
    status = 401
    title = "Authentication required"
    code = "unauthenticated"


class Conflict(CandorError):
    status = 409
    title = "Conflict"
    code = "conflict"


class IllegalTransition(Conflict):
    title = "Illegal transition"
    code = "illegal-transition"


class IntegrityFailure(CandorError):
    status = 500
    title = "Integrity check failed"
    code = "integrity-failure"


class ContentTampered(IntegrityFailure):
    title = "Stored content altered"
    code = "content-tampered"


class EngineUnavailable(CandorError):
    status = 503
    title = "Engine unavailable"
    code = "engine-unavailable"


class RateLimited(CandorError):
    status = 429
    title = "Too many requests"
    code = "rate-limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class ProblemCollector:
    """Collects every problem in an input before failing, so users fix them all in one pass."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, **where: object) -> None:
        self.problems.append(Problem(message, **where))  # type: ignore[arg-type]

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, error: type[InvalidInput] = InvalidInput) -> None:
        if self.problems:
            raise error(self.problems)
