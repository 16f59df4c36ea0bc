"""A small document model that every report is built in once and rendered to Markdown, DOCX and
PDF, so the three formats always carry the same headings, tables and marking.

Markdown written by people (a counsel memo, a write-up edited by hand) is read into the same model
with markdown-it-py (CommonMark plus tables), so it renders to DOCX and PDF the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

PRIVILEGED = "PRIVILEGED & CONFIDENTIAL — prepared at the direction of counsel"


@dataclass(frozen=True, slots=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


@dataclass(frozen=True, slots=True)
class Heading:
    level: int  # 1 … 4 inside the document; the title is above them
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    runs: tuple[Run, ...]
    style: str = "body"  # body | quote | note

    @classmethod
    def of(cls, text: str, *, style: str = "body", bold: bool = False) -> Paragraph:
        return cls((Run(text, bold=bold),), style)

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[tuple[Run, ...], ...]
    ordered: bool = False
    levels: tuple[int, ...] = ()  # nesting depth of each item (0: top); empty means all top

    @classmethod
    def of(cls, items: list[str] | tuple[str, ...], *, ordered: bool = False) -> Bullets:
        return cls(tuple((Run(text),) for text in items), ordered)

    def level(self, index: int) -> int:
        return self.levels[index] if self.levels else 0


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] | None = None  # relative column widths, for DOCX and PDF


@dataclass(frozen=True, slots=True)
class Code:
    text: str


Block = Heading | Paragraph | Bullets | Table | Code


@dataclass(frozen=True, slots=True)
class Document:
    title: str
    blocks: tuple[Block, ...]
    subtitle: str = ""
    marking: str | None = None  # printed in every page's header and footer
    metadata: dict[str, str] = field(default_factory=dict)

    def headings(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, Heading)]


def plain(runs: tuple[Run, ...]) -> str:
    return "".join(r.text for r in runs)


# ---- Markdown out ---------------------------------------------------------------------------


LINE_START = re.compile(r"^(\s*)([#>+=~-]|\d+(?=[.)]))", re.MULTILINE)
ENTITY = re.compile(r"&(?=#?\w+;)")


def _escape(text: str) -> str:
    """Escape what Markdown would read as markup: inline marks, entities, and block markers at
    the start of a line (a heading #, a list -, + or 1., a quote >, a setext underline =)."""
    out = text.replace("\\", "\\\\")
    for char in "*_`[]<>":
        out = out.replace(char, "\\" + char)
    out = ENTITY.sub("\\\\&", out)
    # a backslash escapes punctuation only, so "1." becomes "1\." rather than "\1."
    return LINE_START.sub(
        lambda m: (
            m.group(1) + ("\\" + m.group(2) if not m.group(2)[0].isdigit() else m.group(2) + "\\")
        ),
        out,
    )


def _heading(text: str) -> str:
    out = _escape(text)
    # closing #s of an ATX heading are dropped by readers; keep a real trailing # (unless the
    # escaping already did: a heading that is only "#" is escaped as a line-start marker)
    body = out[:-1]
    escaped = (len(body) - len(body.rstrip("\\"))) % 2 == 1
    return body + "\\#" if out.endswith("#") and not escaped else out


def _runs_md(runs: tuple[Run, ...]) -> str:
    parts = []
    for run in runs:
        if run.code:
            fence = "``" if "`" in run.text else "`"
            parts.append(f"{fence}{run.text}{fence}")
            continue
        text = _escape(run.text)
        if run.bold and text.strip():
            text = f"**{text}**"
        if run.italic and text.strip():
            text = f"_{text}_"
        parts.append(text)
    return "".join(parts)


def _cell(text: str) -> str:
    return _escape(text).replace("|", "\\|").replace("\n", "<br>") or " "


def to_markdown(doc: Document) -> str:
    lines: list[str] = []
    if doc.marking:
        lines += [f"> **{_escape(doc.marking)}**", ""]
    lines += [f"# {_heading(doc.title)}", ""]
    if doc.subtitle:
        lines += [_escape(doc.subtitle), ""]
    previous: Block | None = None
    for block in doc.blocks:
        if isinstance(block, Bullets) and isinstance(previous, Bullets):
            # two lists in a row would merge into one: an empty comment keeps them apart
            lines += ["<!-- -->", ""]
        previous = block
        if isinstance(block, Heading):
            lines += [f"{'#' * (block.level + 1)} {_heading(block.text)}", ""]
        elif isinstance(block, Paragraph):
            text = _runs_md(block.runs)
            if block.style in ("quote", "note"):
                text = "\n".join(f"> {line}" for line in text.splitlines() or [""])
            lines += [text, ""]
        elif isinstance(block, Bullets):
            number = 0
            for i, item in enumerate(block.items):
                indent = "   " * block.level(i)
                number = number + 1 if block.level(i) == 0 else number
                mark = f"{number}." if block.ordered and not block.level(i) else "-"
                lines.append(f"{indent}{mark} {_runs_md(item)}")
            lines.append("")
        elif isinstance(block, Table):
            lines.append("| " + " | ".join(_cell(h) for h in block.header) + " |")
            lines.append("|" + "|".join("---" for _ in block.header) + "|")
            for row in block.rows:
                lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
            lines.append("")
        else:
            fence = "~~~~" if "```" in block.text else "```"
            lines += [fence, block.text, fence, ""]
    if doc.marking:
        lines += ["---", "", f"_{_escape(doc.marking)}_", ""]
    return "\n".join(lines).rstrip() + "\n"


# ---- Markdown in ----------------------------------------------------------------------------


def _inline(token: Token) -> tuple[Run, ...]:
    runs: list[Run] = []
    bold = italic = False
    link: str | None = None
    for child in token.children or []:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "em_open":
            italic = True
        elif child.type == "em_close":
            italic = False
        elif child.type == "link_open":
            link = str(child.attrs.get("href", ""))
        elif child.type == "link_close":
            if link:
                runs.append(Run(f" ({link})", bold, italic))
            link = None
        elif child.type == "code_inline":
            runs.append(Run(child.content, code=True))
        elif child.type in ("softbreak", "hardbreak"):
            runs.append(Run(" " if child.type == "softbreak" else "\n", bold, italic))
        elif child.type in ("text", "html_inline"):
            runs.append(Run(child.content, bold, italic))
        elif child.type == "image":
            runs.append(Run(f"[image: {child.content}]", bold, italic))
    merged: list[Run] = []
    for run in runs:
        last = merged[-1] if merged else None
        if last and (last.bold, last.italic, last.code) == (run.bold, run.italic, run.code):
            merged[-1] = Run(last.text + run.text, run.bold, run.italic, run.code)
        else:
            merged.append(run)
    return tuple(merged)


def from_markdown(text: str, *, title: str | None = None, marking: str | None = None) -> Document:
    """Read Markdown into a document. Without a ``title``, a first top-level heading becomes it."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    blocks: list[Block] = []
    i = 0
    quote = 0
    # each open list: ordered?, its items with their depth
    list_stack: list[tuple[bool, list[tuple[int, tuple[Run, ...]]]]] = []
    while i < len(tokens):
        tok = tokens[i]
        kind = tok.type
        if kind == "heading_open":
            level = int(tok.tag[1])
            blocks.append(Heading(level, plain(_inline(tokens[i + 1]))))
            i += 3
            continue
        if kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote -= 1
        elif kind in ("bullet_list_open", "ordered_list_open"):
            list_stack.append((kind == "ordered_list_open", []))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            ordered, items = list_stack.pop()
            if list_stack:  # a nested list goes into its parent, one level deeper
                list_stack[-1][1].extend((depth + 1, runs) for depth, runs in items)
            else:
                blocks.append(
                    Bullets(tuple(r for _, r in items), ordered, tuple(d for d, _ in items))
                )
        elif kind == "inline" and list_stack:
            list_stack[-1][1].append((0, _inline(tok)))
        elif kind == "inline":
            blocks.append(Paragraph(_inline(tok), "quote" if quote else "body"))
        elif kind in ("fence", "code_block"):
            blocks.append(Code(tok.content.rstrip("\n")))
        elif kind == "table_open":
            i, table = _table(tokens, i)
            blocks.append(table)
            continue
        i += 1
    doc_title = title
    if doc_title is None and blocks and isinstance(blocks[0], Heading) and blocks[0].level == 1:
        doc_title = blocks[0].text
        blocks = blocks[1:]
        # the remaining headings move up one level, so the document's sections start at 1
        blocks = [
            Heading(max(1, b.level - 1), b.text) if isinstance(b, Heading) else b for b in blocks
        ]
    return Document(doc_title or "Document", tuple(blocks), marking=marking)


def _table(tokens: list[Token], start: int) -> tuple[int, Table]:
    header: list[str] = []
    rows: list[list[str]] = []
    current: list[str] | None = None
    in_head = False
    i = start
    while tokens[i].type != "table_close":
        tok = tokens[i]
        if tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            current = []
        elif tok.type == "tr_close" and current is not None:
            if in_head:
                header = current
            else:
                rows.append(current)
            current = None
        elif tok.type == "inline" and current is not None:
            current.append(plain(_inline(tok)))
        i += 1
    width = len(header)
    padded = tuple(tuple((r + [""] * width)[:width]) for r in rows)
    return i + 1, Table(tuple(header), padded)
