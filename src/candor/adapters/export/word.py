"""Render a ``Document`` as DOCX with python-docx: Word's own heading styles (so the navigation
pane and a table of contents work), real tables, and the marking in every header and footer."""

from __future__ import annotations

import io

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph

from candor.adapters.export.document import (
    Bullets,
    Code,
    Document,
    Heading,
    Paragraph,
    Run,
    Table,
)

MONO = "Courier New"
MARK_COLOUR = RGBColor(0x9B, 0x1C, 0x1C)


def _runs(paragraph: DocxParagraph, runs: tuple[Run, ...]) -> None:
    for run in runs:
        out = paragraph.add_run(run.text)
        out.bold = run.bold or None
        out.italic = run.italic or None
        if run.code:
            out.font.name = MONO


def _marking(paragraph: DocxParagraph, text: str) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = True
    run.font.size = Pt(8)
    run.font.color.rgb = MARK_COLOUR


def render_docx(doc: Document) -> bytes:
    out = new_docx()
    props = out.core_properties
    props.title = doc.title
    props.subject = doc.subtitle or doc.title
    props.author = doc.metadata.get("author", "Candor")
    if doc.marking:
        props.keywords = doc.marking
        for section in out.sections:
            _marking(section.header.paragraphs[0], doc.marking)
            _marking(section.footer.paragraphs[0], doc.marking)
    out.add_heading(doc.title, level=0)
    if doc.subtitle:
        out.add_paragraph(doc.subtitle, style="Subtitle")
    for block in doc.blocks:
        if isinstance(block, Heading):
            out.add_heading(block.text, level=min(block.level, 4))
        elif isinstance(block, Paragraph):
            style = {"quote": "Intense Quote", "note": "Quote"}.get(block.style)
            _runs(out.add_paragraph(style=style), block.runs)
        elif isinstance(block, Bullets):
            for i, item in enumerate(block.items):
                depth = min(block.level(i), 2)
                style = "List Number" if block.ordered and not depth else "List Bullet"
                _runs(out.add_paragraph(style=style + (f" {depth + 1}" if depth else "")), item)
        elif isinstance(block, Table):
            table = out.add_table(rows=1, cols=len(block.header))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, text in zip(table.rows[0].cells, block.header, strict=True):
                cell.text = ""
                cell.paragraphs[0].add_run(text).bold = True
            for row in block.rows:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = text
            out.add_paragraph()
        elif isinstance(block, Code):
            for line in block.text.splitlines() or [""]:
                paragraph = out.add_paragraph(style="No Spacing")
                run = paragraph.add_run(line)
                run.font.name = MONO
                run.font.size = Pt(9)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()
