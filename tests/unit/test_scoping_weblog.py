"""The access-log line parser, against generated lines (Hypothesis) and the DuckDB engine."""

from __future__ import annotations

import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candor.adapters.logs import files
from candor.adapters.logs.duckdb_engine import DuckDBEngine
from candor.domain.scoping import weblog
from candor.domain.scoping.indicators import parse_indicators_file
from candor.domain.scoping.plan import SourceKind
from candor.services import scoping

token = st.text(string.ascii_letters + string.digits + "-._~/%", min_size=1, max_size=20)
quoted = st.text(
    st.characters(min_codepoint=32, max_codepoint=126, exclude_characters='"\\'), max_size=30
)
instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timedelta(minutes=m))


@st.composite
def lines(draw: st.DrawFn) -> tuple[str, weblog.WebRequest]:
    client = draw(st.ip_addresses().map(str))
    user = draw(st.one_of(st.just("-"), token.filter(lambda t: t != "-")))
    when = draw(instants)
    offset = draw(offsets)
    local = (when + offset).replace(tzinfo=None)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    stamp = (
        local.strftime("%d/%b/%Y:%H:%M:%S")
        + f" {sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    )
    method = draw(st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE"]))
    path = "/" + draw(token)
    query = draw(st.one_of(st.just(""), token.map(lambda t: "?" + t)))
    status = draw(st.integers(100, 599))
    agent = draw(st.one_of(st.just("-"), quoted.filter(lambda a: a not in ("", "-"))))
    tail = draw(st.booleans())
    line = f'{client} - {user} [{stamp}] "{method} {path}{query} HTTP/1.1" {status} 512'
    if tail:
        line += f' "-" "{agent}"'
    expected = weblog.WebRequest(
        client=client,
        user=None if user == "-" else user,
        time=when,
        method=method,
        path=path,
        status=status,
        user_agent=None if not tail or agent == "-" else agent,
    )
    return line, expected


@settings(max_examples=300)
@given(lines())
def test_generated_lines_parse_back(case: tuple[str, weblog.WebRequest]) -> None:
    line, expected = case
    assert weblog.parse_line(line) == expected


@given(st.text(max_size=120))
def test_garbage_never_crashes(text: str) -> None:
    parsed = weblog.parse_line(text)
    assert parsed is None or parsed.status >= 100


def test_escaped_quotes_in_the_user_agent() -> None:
    line = (
        '198.51.100.4 - - [17/May/2015:10:05:03 +0200] "GET /a?token=secret HTTP/1.1" 404 0 '
        '"-" "Mozilla \\"quoted\\""'
    )
    parsed = weblog.parse_line(line)
    assert parsed is not None
    assert parsed.time == datetime(2015, 5, 17, 8, 5, 3, tzinfo=UTC)
    assert parsed.path == "/a"  # the query string may carry secrets: never kept
    assert parsed.user_agent == 'Mozilla \\"quoted\\"'


# log lines hold no raw control characters (servers escape them); DuckDB and Python would also
# disagree on where a line ends if one held a bare carriage return
printable = st.text(st.characters(min_codepoint=32, blacklist_categories=["Cs", "Cc"]), max_size=60)


@pytest.fixture(scope="module")
def duck() -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(threads=1)
    yield engine
    engine.close()


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.one_of(lines().map(lambda c: c[0]), printable), min_size=1, max_size=20))
def test_the_engine_agrees_with_the_parser(
    duck: DuckDBEngine, tmp_path: Path, listed: list[str]
) -> None:
    # the engine compiles LINE_PATTERN into RE2; the reference is Python's re
    log = tmp_path / "access.log"
    log.write_text("\n".join(listed) + "\n", encoding="utf-8")
    parsed = [weblog.parse_line(line) for line in listed]
    good = [p for p in parsed if p is not None]
    bad = sum(1 for line, p in zip(listed, parsed, strict=True) if p is None and line.strip())
    found, _ = files.discover(SourceKind.WEB, [str(log)])
    plan = scoping.plan(
        source=SourceKind.WEB,
        files=found,
        indicators=parse_indicators_file({"indicators": [{"type": "cidr", "value": "0.0.0.0/0"}]}),
    )
    result = scoping.run(duck, plan)
    assert result.events_scanned == len(good)
    assert result.malformed_count == bad
    v4 = [p for p in good if ":" not in p.client]
    assert result.events_matched == len(v4)
    if v4:
        assert result.first_seen == min(p.time for p in v4)
