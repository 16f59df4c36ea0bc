"""SVG charts: well-formed, accessible (title, description with every value), no script."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from candor.adapters import charts
from candor.domain import metrics
from candor.domain.milestones import moments
from tests.learn_story import FIRST_ACTIVITY, story, t

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own chart output, not untrusted input
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    assert root.get("aria-labelledby") in ids
    assert root.get("aria-describedby") in ids
    assert "<script" not in svg
    assert "href" not in svg  # nothing is fetched or linked
    return root


def desc(root: ET.Element) -> str:
    node = root.find(f"{SVG}desc")
    assert node is not None
    return node.text or ""


def story_metrics() -> metrics.IncidentMetrics:
    s = story()
    return metrics.incident_metrics(
        s.incident,
        s.entries,
        now=t(5, 12),
        first_activity_at=FIRST_ACTIVITY,
        communications=s.communications,
        obligations=s.obligations,
    )


def test_obligation_margins_put_late_left_of_zero_and_say_so() -> None:
    root = parse(charts.obligation_margins_chart(story_metrics()))
    text = desc(root)
    assert "Customer contract notice (Example Corp): late by 1 h" in text
    assert "GDPR Art. 33 notification (Irish DPC): 16 h to spare" in text
    bars = {
        g.findtext(f"{SVG}title", "").split(":")[0]: g.find(f"{SVG}rect")
        for g in root.iter(f"{SVG}g")
    }
    line = root.find(f"{SVG}line")
    assert line is not None
    zero = float(line.get("x1", "0"))
    late, met = (
        bars["Customer contract notice (Example Corp)"],
        bars["GDPR Art. 33 notification (Irish DPC)"],
    )
    assert late is not None
    assert met is not None
    assert float(late.get("x", "0")) + float(late.get("width", "0")) <= zero + 0.1
    assert float(met.get("x", "0")) >= zero - 0.1
    assert late.get("fill") == charts.FILLS["late"]


def test_response_times_and_milestones() -> None:
    m = story_metrics()
    root = parse(charts.response_times_chart(m))
    assert "Time to contain: 6 h" in desc(root)
    assert len(list(root.iter(f"{SVG}rect"))) == 5
    s = story()
    timeline = parse(charts.milestones_chart(s.incident.key, moments(s.incident, s.entries)))
    assert "Declared INC-2026-7 at 2026-03-02 10:00" in desc(timeline)
    summary = parse(charts.summary_chart(metrics.summarise([m])))
    assert "median 20 min, p90 20 min (1 incidents)" in desc(summary)


def test_empty_charts_say_so() -> None:
    root = parse(charts.bar_chart("Nothing", [], empty="No obligation with a deadline."))
    assert desc(root) == "Nothing: No obligation with a deadline."


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
            st.floats(min_value=-1e6, max_value=1e6),
        ),
        max_size=8,
    ),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
)
def test_any_labels_give_well_formed_svg(rows: list[tuple[str, float]], title: str) -> None:
    bars = [charts.Bar(label, value, f"{value:.1f}") for label, value in rows]
    root = parse(charts.bar_chart(title, bars))
    for rect in root.iter(f"{SVG}rect"):
        assert float(rect.get("width", "0")) >= 1
    markers = [
        charts.Marker(t(1, 0) + timedelta(hours=i), label) for i, (label, _) in enumerate(rows)
    ]
    parse(charts.timeline_chart(title, markers))


def test_long_labels_are_shortened_to_fit_and_kept_whole_in_the_title() -> None:
    label = "us-tx-regulator (US-TX) (Texas Attorney General (AG website electronic form))"
    svg = charts.bar_chart("Margins", [charts.Bar(label, 3.0, "29 d 10 h to spare", "ok")])
    root = ET.fromstring(svg)  # noqa: S314 - our own chart output, not untrusted input
    shown = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(t.endswith("…") and len(t) * charts.CHAR_WIDTH <= 220 for t in shown)
    assert f"{label}: 29 d 10 h to spare" in svg  # the whole label in the bar's <title>
    assert charts.fit("short", 200) == "short"
