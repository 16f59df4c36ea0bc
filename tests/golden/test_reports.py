"""Reports read back: Markdown text, DOCX through python-docx, PDF through pypdf; the first page of
the retro PDF is rendered to ``test-artifacts/`` with pypdfium2 for a person to look at."""

from __future__ import annotations

import io

import docx
import pypdfium2
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from candor.adapters.export import document, pdf, reports, word, writeup
from candor.adapters.export.document import PRIVILEGED, from_markdown, to_markdown
from candor.adapters.retro_rules import default_policy
from candor.domain import metrics, retros
from candor.domain.milestones import moments
from candor.domain.redact import Scrubber
from tests.conftest import ROOT
from tests.learn_story import FIRST_ACTIVITY, story, t, written_retro

ARTIFACTS = ROOT / "test-artifacts"
PEOPLE = ["alice", "bob", "carol", "dave"]


@pytest.fixture(scope="module")
def retro_doc() -> document.Document:
    s = story()
    retro = written_retro(s)
    found = moments(
        s.incident,
        s.entries,
        communications=s.communications,
        obligations=s.obligations,
        first_activity_at=FIRST_ACTIVITY,
    )
    retro = retros.revise(
        retro,
        {
            "timeline": [
                {"at": i.at, "text": i.text, "milestone": i.milestone, "entry": i.entry}
                for i in retros.timeline_from(s.entries, [2, 4], found)
            ],
            "went_poorly": ["Detection took eleven hours – the alert went to a “shared” inbox"],
        },
        now=t(6, 10),
    )
    review = retros.review(retro, default_policy(), people=PEOPLE)
    return reports.retro_report(
        retro, incident=s.incident, review=review, privileged=True, generated_at=t(7, 9)
    )


@pytest.fixture(scope="module")
def incident_doc() -> document.Document:
    s = story()
    m = metrics.incident_metrics(
        s.incident,
        s.entries,
        now=t(5, 12),
        first_activity_at=FIRST_ACTIVITY,
        communications=s.communications,
        obligations=s.obligations,
    )
    return reports.incident_report(
        s.incident,
        entries=s.entries,
        impact_statement="Export data of 12 customers was read.\n\nNo other data is affected.",
        metrics=m,
        generated_at=t(5, 12),
    )


def test_markdown_has_the_sections_and_marking(retro_doc: document.Document) -> None:
    text = to_markdown(retro_doc)
    assert text.startswith(f"> **{PRIVILEGED}**")
    for heading in ("## Summary", "## Five whys", "## Action items", "### Chain 1: "):
        assert heading in text
    assert "Tokens were the wrong mechanism" in text
    assert "| 1 | Enable secret scanning on all repositories | prevent | bob | 2026-03-20 |" in text


def test_docx_reads_back_with_real_headings_tables_and_marking(
    retro_doc: document.Document,
) -> None:
    data = word.render_docx(retro_doc)
    read = docx.Document(io.BytesIO(data))
    headings = [
        (p.style.name, p.text)
        for p in read.paragraphs
        if p.style.name.startswith(("Heading", "Title"))
    ]
    assert ("Title", retro_doc.title) in headings
    assert ("Heading 1", "Five whys") in headings
    assert ("Heading 1", "Action items") in headings
    assert any(name == "Heading 2" and text.startswith("Chain 2:") for name, text in headings)
    action_table = read.tables[-1]
    assert [c.text for c in action_table.rows[0].cells][:4] == ["#", "Action", "Kind", "Owner"]
    assert len(action_table.rows) == 4  # header and three items
    section = read.sections[0]
    assert section.header.paragraphs[0].text == PRIVILEGED
    assert section.footer.paragraphs[0].text == PRIVILEGED
    assert read.core_properties.title == retro_doc.title


def test_pdf_reads_back_with_headings_marking_and_embedded_fonts(
    retro_doc: document.Document,
) -> None:
    data = pdf.render_pdf(retro_doc)
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for heading in ("Summary", "Five whys", "Action items", "Where we got lucky"):
        assert heading in text
    assert text.count(PRIVILEGED) == 2 * len(reader.pages)  # header and footer of every page
    assert "eleven hours – the alert went to a “shared” inbox" in text  # en dash, curly quotes
    outline = [item["/Title"] for item in reader.outline if isinstance(item, dict)]
    assert outline == [retro_doc.title]
    nested = reader.outline[1]
    assert "Five whys" in [item["/Title"] for item in nested if isinstance(item, dict)]
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (
                font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                if ("/DescendantFonts" in font)
                else font["/FontDescriptor"]
            )
            assert "/FontFile2" in descriptor.get_object(), font["/BaseFont"]
    assert reader.metadata is not None
    assert reader.metadata.title == retro_doc.title


def test_first_pdf_page_is_saved_as_a_png_artifact(retro_doc: document.Document) -> None:
    data = pdf.render_pdf(retro_doc)
    pages = pypdfium2.PdfDocument(data)
    image = pages[0].render(scale=1.5).to_pil()
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "retro-report-page-1.png"
    image.save(target)
    assert target.stat().st_size > 10_000
    width, height = image.size
    assert height > width  # A4 portrait
    # the page is not blank: a good share of pixels carry ink
    grey = image.convert("L")
    inked = sum(grey.histogram()[:200])
    assert inked > 0.01 * width * height


def test_incident_report_in_all_three_formats(incident_doc: document.Document) -> None:
    md = reports.render(incident_doc, "md").decode()
    assert "## Response times" in md
    assert "| Time to contain | 2026-03-02 10:00 UTC | 2026-03-02 16:00 UTC | 6 h |" in md
    assert "late by 1 h" in md  # the contract notice went out an hour after its deadline
    assert "16 h to spare" in md
    assert PRIVILEGED not in md  # marking is off unless asked for
    read = docx.Document(io.BytesIO(reports.render(incident_doc, "docx")))
    assert "Obligations" in [p.text for p in read.paragraphs if p.style.name == "Heading 1"]
    pdf_text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(reports.render(incident_doc, "pdf"))).pages
    )
    assert "Timeline hash chain head" in pdf_text


def test_generic_markdown_renders_to_docx_and_pdf() -> None:
    source = (
        "# Counsel memo\n\nPrepared **for counsel** on 2026-03-04.\n\n## Facts\n\n"
        "1. Token leaked\n2. Token revoked\n   - within 90 minutes\n\n"
        "| Date | Event |\n|---|---|\n| 2 March | Declared |\n\n"
        "## Open questions\n\n> Were exports copied?\n"
    )
    doc = from_markdown(source, marking=PRIVILEGED)
    assert doc.title == "Counsel memo"
    assert doc.headings() == ["Facts", "Open questions"]
    read = docx.Document(io.BytesIO(word.render_docx(doc)))
    assert [p.text for p in read.paragraphs if p.style.name == "Heading 1"] == doc.headings()
    assert read.tables[0].rows[1].cells[1].text == "Declared"
    text = PdfReader(io.BytesIO(pdf.render_pdf(doc))).pages[0].extract_text()
    assert "Open questions" in text
    assert "within 90 minutes" in text


words = (
    st.text(
        st.characters(codec="utf-8", categories=("L", "N", "Zs", "P", "S")), min_size=1, max_size=30
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=60, deadline=None)
@example([document.Heading(1, "#")])  # once read back as "\\#": escaped twice
@example([document.Heading(1, "x\\#"), document.Heading(1, "# #")])
@given(
    st.lists(
        st.one_of(
            words.map(lambda w: document.Heading(1, w)),
            words.map(lambda w: document.Paragraph.of(w)),
            st.lists(words, min_size=1, max_size=4).map(document.Bullets.of),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_markdown_round_trips_text(blocks: list[document.Block]) -> None:
    doc = document.Document("Title", tuple(blocks))
    again = from_markdown(to_markdown(doc))
    assert again.title == "Title"
    assert [_text(b) for b in again.blocks] == [_text(b) for b in doc.blocks]


def _text(block: document.Block) -> str:
    if isinstance(block, document.Heading):
        return "h:" + block.text
    if isinstance(block, document.Paragraph):
        return "p:" + " ".join(block.text.split())
    if isinstance(block, document.Bullets):
        return "l:" + "|".join(" ".join(document.plain(i).split()) for i in block.items)
    return repr(block)


def test_public_writeup_names_no_people_and_no_internals() -> None:
    s = story()
    retro = retros.revise(
        written_retro(s),
        {
            "summary": "carol saw the token AKIAIOSFODNN7EXAMPLE used from 203.0.113.7 against "
            "exports.prod.acme.internal; bob revoked it.",
            "timeline": [
                {"at": m.at, "text": m.label, "milestone": m.milestone}
                for m in moments(s.incident, s.entries, communications=s.communications)
            ],
        },
        now=t(6, 10),
    )
    doc, counts = writeup.public_writeup(
        retro,
        incident=s.incident,
        organisation="Example SaaS Inc.",
        scrubber=Scrubber(people=PEOPLE, internal_domains=["acme.internal"]),
    )
    text = to_markdown(doc)
    for secret in (
        "carol",
        "bob",
        "dave",
        "AKIAIOSFODNN7EXAMPLE",
        "203.0.113.7",
        "acme.internal",
        "tracker.example.com",
        "SEC-101",
    ):
        assert secret not in text, secret
    assert counts["[person]"] >= 2
    assert counts["[token]"] == 1
    assert "## What we are changing" in text
    assert "Enable secret scanning on all repositories" in text
    assert "Detection" in text  # the milestones, without the team's own timeline notes


def test_pdf_never_draws_a_missing_glyph() -> None:
    doc = document.Document(
        "Arrows → and ✓ marks",
        (document.Paragraph.of("why → because; 漢字 – “ok” € ≤ 5"),),
    )
    text = PdfReader(io.BytesIO(pdf.render_pdf(doc))).pages[0].extract_text()
    assert "why -> because; ?? – “ok” € ≤ 5" in text
    assert "Arrows -> and [x] marks" in text


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=40))
def test_printable_keeps_only_what_the_font_draws(text: str) -> None:
    out = pdf.printable(text)
    glyphs = {ord(c) for c in out if c not in "\n\t"}
    assert glyphs <= set(pdf._glyphs())
