"""Render a ``Document`` as PDF with ReportLab's Platypus layout engine.

Fonts: Bitstream Vera (regular, bold, italic, bold italic), the TrueType family that ships inside
ReportLab (``reportlab/fonts``, Bitstream Vera licence beside it). It is embedded in every PDF, and
covers Latin-1 and the punctuation reports use (en and em dashes, curly quotes, bullets, €), so a
report reads the same on any machine; the PDF base-14 fonts would not be embedded.

Headings become PDF bookmarks (the outline a reader's sidebar shows); the marking is drawn in the
header and footer of every page, with the page number.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import (
    Preformatted,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as RLTable

from candor.adapters.export.document import (
    Bullets,
    Code,
    Document,
    Heading,
    Paragraph,
    Run,
    Table,
)

FONT_DIR = Path(reportlab.__file__).resolve().parent / "fonts"
FAMILY = "CandorVera"
MARK_COLOUR = colors.HexColor("#9B1C1C")


@cache
def register_fonts() -> str:
    """Register the Vera family once per process; returns the family name."""
    faces = {
        FAMILY: "Vera.ttf",
        f"{FAMILY}-Bold": "VeraBd.ttf",
        f"{FAMILY}-Italic": "VeraIt.ttf",
        f"{FAMILY}-BoldItalic": "VeraBI.ttf",
    }
    for name, file in faces.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
    pdfmetrics.registerFontFamily(
        FAMILY,
        normal=FAMILY,
        bold=f"{FAMILY}-Bold",
        italic=f"{FAMILY}-Italic",
        boldItalic=f"{FAMILY}-BoldItalic",
    )
    return FAMILY


def _styles() -> StyleSheet1:
    family = register_fonts()
    sheet = getSampleStyleSheet()
    for style in sheet.byName.values():
        if isinstance(style, ParagraphStyle):
            bold = style.fontName.endswith("Bold") or style.name.startswith(("Heading", "Title"))
            style.fontName = f"{family}-Bold" if bold else family
            style.bulletFontName = family  # the default, Helvetica, would not be embedded
    for name in ("Heading1", "Heading2", "Heading3", "Heading4"):
        sheet[name].keepWithNext = 1  # a heading never ends a page alone
    sheet["BodyText"].spaceAfter = 4
    sheet["BodyText"].leading = 13
    sheet.add(
        ParagraphStyle("Quote", parent=sheet["BodyText"], leftIndent=8 * mm, textColor=colors.grey)
    )
    sheet.add(
        ParagraphStyle(
            "Note",
            parent=sheet["BodyText"],
            leftIndent=4 * mm,
            borderPadding=4,
            backColor=colors.HexColor("#FFF7E0"),
        )
    )
    sheet.add(ParagraphStyle("Cell", parent=sheet["BodyText"], fontSize=8.5, leading=10.5))
    sheet.add(ParagraphStyle("HeadCell", parent=sheet["Cell"], fontName=f"{family}-Bold"))
    sheet.add(
        ParagraphStyle("Mono", parent=sheet["BodyText"], fontName=family, fontSize=8, leading=10)
    )
    sheet.add(ParagraphStyle("Sub", parent=sheet["BodyText"], textColor=colors.grey))
    return sheet


# Stand-ins for characters Vera lacks but reports do use; anything else it lacks becomes "?"
# rather than an empty box, so a reader sees that something was replaced.
FALLBACK = {"→": "->", "←": "<-", "⇒": "=>", "↳": "->", "✓": "[x]", "✔": "[x]", "✗": "[ ]"}


@cache
def _glyphs() -> frozenset[int]:
    font = pdfmetrics.getFont(register_fonts())
    return frozenset(font.face.charToGlyph)


def printable(text: str) -> str:
    """``text`` with every character the embedded font can draw (line breaks kept)."""
    glyphs = _glyphs()
    out = []
    for char in text:
        if char in "\n\t" or ord(char) in glyphs:
            out.append(char)
        else:
            out.append(FALLBACK.get(char, "?"))
    return "".join(out)


def _markup(runs: tuple[Run, ...]) -> str:
    """ReportLab paragraph markup: escaped text with <b>, <i> and a tinted span for code."""
    parts = []
    for run in runs:
        text = escape(printable(run.text)).replace("\n", "<br/>")
        if run.code:
            text = f'<font backColor="#F0F0F0">{text}</font>'
        if run.bold:
            text = f"<b>{text}</b>"
        if run.italic:
            text = f"<i>{text}</i>"
        parts.append(text)
    return "".join(parts)


class _Outlined(SimpleDocTemplate):  # type: ignore[misc]
    """Adds a PDF outline entry (bookmark) for each heading where it finally lands, after
    page breaks are settled."""

    def afterFlowable(self, flowable: Any) -> None:
        level = getattr(flowable, "_outline_level", None)
        if level is None:
            return
        key = f"h{id(flowable)}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level, closed=False)


def _heading(text: str, style: ParagraphStyle, level: int) -> RLParagraph:
    paragraph = RLParagraph(escape(printable(text)), style)
    paragraph._outline_level = level
    return paragraph


def _flowables(doc: Document, sheet: StyleSheet1, width: float) -> list[Any]:
    story: list[Any] = [_heading(doc.title, sheet["Title"], 0)]
    if doc.subtitle:
        story.append(RLParagraph(escape(printable(doc.subtitle)), sheet["Sub"]))
    for block in doc.blocks:
        if isinstance(block, Heading):
            level = min(block.level, 4)
            style = sheet[f"Heading{min(level + 1, 4)}"]
            story.append(_heading(block.text, style, level))
        elif isinstance(block, Paragraph):
            style = {"quote": "Quote", "note": "Note"}.get(block.style, "BodyText")
            story.append(RLParagraph(_markup(block.runs), sheet[style]))
        elif isinstance(block, Bullets):
            # Paragraphs with bullet text rather than ListFlowable: numbering that skips nested
            # items and a dash for them is simpler to state than to coax out of the list engine.
            number = 0
            for i, runs in enumerate(block.items):
                depth = block.level(i)
                if depth == 0:
                    number += 1
                mark = f"{number}." if block.ordered and depth == 0 else ("•" if not depth else "–")
                style = ParagraphStyle(
                    f"Item{depth}",
                    parent=sheet["BodyText"],
                    leftIndent=(6 + 5 * depth) * mm,
                    bulletIndent=(1 + 5 * depth) * mm,
                    spaceAfter=1.5,
                )
                story.append(RLParagraph(_markup(runs), style, bulletText=mark))
            story.append(Spacer(1, 2 * mm))
        elif isinstance(block, Table):
            story.append(_table(block, sheet, width))
            story.append(Spacer(1, 3 * mm))
        elif isinstance(block, Code):
            story.append(Preformatted(printable(block.text), sheet["Mono"]))
    return story


def _table(block: Table, sheet: StyleSheet1, width: float) -> RLTable:
    weights = block.widths or tuple(1.0 for _ in block.header)
    total = sum(weights)
    widths = [width * w / total for w in weights]
    rows = [[RLParagraph(escape(printable(h)), sheet["HeadCell"]) for h in block.header]]
    rows += [
        [RLParagraph(escape(printable(c)).replace("\n", "<br/>"), sheet["Cell"]) for c in r]
        for r in block.rows
    ]
    table = RLTable(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#B0B0B0")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EDEFF3")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                # cells are paragraphs with their own font, but the table still selects its
                # default (Helvetica, not embedded) for each cell unless told this
                ("FONTNAME", (0, 0), (-1, -1), register_fonts()),
            ]
        )
    )
    return table


def render_pdf(doc: Document, *, reproducible: bool = False) -> bytes:
    """The PDF bytes. ``reproducible`` fixes the file id and dates, so the same document gives
    the same bytes (for golden files and for checking that an archived report is unchanged)."""
    sheet = _styles()
    buffer = io.BytesIO()
    frame = _Outlined(
        buffer,
        pagesize=A4,
        title=doc.title,
        subject=doc.subtitle or doc.title,
        author=doc.metadata.get("author", "Candor"),
        creator="Candor",
        keywords=doc.marking or "",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        invariant=reproducible,
        # the canvas starts in Helvetica unless told otherwise, which would put an unembedded
        # font in every page's resources
        initialFontName=register_fonts(),
        initialFontSize=10,
    )
    family = register_fonts()

    def decorate(canvas: Canvas, template: SimpleDocTemplate) -> None:
        canvas.saveState()
        width, height = A4
        if doc.marking:
            canvas.setFillColor(MARK_COLOUR)
            canvas.setFont(f"{family}-Bold", 8)
            canvas.drawCentredString(width / 2, height - 11 * mm, printable(doc.marking))
            canvas.drawCentredString(width / 2, 11 * mm, printable(doc.marking))
        canvas.setFillColor(colors.grey)
        canvas.setFont(family, 7.5)
        canvas.drawRightString(
            width - 18 * mm, 6.5 * mm, printable(f"{doc.title} — page {template.page}")
        )
        canvas.restoreState()

    frame.build(
        _flowables(doc, sheet, frame.width),
        onFirstPage=decorate,
        onLaterPages=decorate,
    )
    return buffer.getvalue()
