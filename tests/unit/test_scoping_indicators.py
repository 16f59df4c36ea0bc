"""The indicators file: validation, every problem at once, file:line, and Hypothesis."""

from __future__ import annotations

import ipaddress
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from candor.adapters.logs import load_indicators, load_mapping
from candor.domain.errors import InvalidInput, RuleFileError
from candor.domain.scoping.indicators import (
    Indicator,
    IndicatorType,
    Match,
    parse_indicators_file,
    parse_ip,
)
from candor.domain.scoping.mapping import TimeFormat


def _one(item: dict[str, object]) -> Indicator:
    return parse_indicators_file({"indicators": [item]}).indicators[0]


def test_the_example_from_the_issue_parses() -> None:
    found = parse_indicators_file(
        {
            "window": {"start": "2026-03-01T00:00:00Z", "end": "2026-03-03T00:00:00Z"},
            "indicators": [
                {"type": "aws_access_key_id", "value": "AKIAEXAMPLEKEY000001"},
                {"type": "ip", "value": "203.0.113.7"},
                {"type": "cidr", "value": "198.51.100.0/24"},
                {"type": "user_agent", "value": "python-requests", "match": "substring"},
                {"type": "principal_arn", "value": "arn:aws:iam::111122223333:user/ci"},
            ],
        }
    )
    assert [i.type for i in found.indicators] == list(IndicatorType)
    assert found.window.start == datetime(2026, 3, 1, tzinfo=UTC)
    assert found.indicators[3].match is Match.SUBSTRING
    assert found.window.contains(datetime(2026, 3, 2, 23, 59, tzinfo=UTC))
    assert not found.window.contains(datetime(2026, 3, 3, tzinfo=UTC))


def test_every_problem_is_reported_with_its_path() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_indicators_file(
            {
                "window": {"start": "yesterday"},
                "indicators": [
                    {"type": "aws_access_key_id", "value": "akiaexamplekey000001"},
                    {"type": "ip", "value": "203.0.113.0/24"},
                    {"type": "cidr", "value": "198.51.100.7/24"},
                    {"type": "hash", "value": "abc"},
                    {"type": "ip", "value": "1.2.3.4", "match": "substring"},
                    {"type": "principal_arn", "value": "ci-user"},
                    "203.0.113.9",
                ],
                "extra": 1,
            }
        )
    problems = {p.path: p for p in caught.value.problems}
    assert problems[("window", "start")].message.startswith("not an ISO 8601 time")
    assert "upper case: AKIAEXAMPLEKEY000001" in (problems[("indicators", 0, "value")].hint or "")
    assert "use type: cidr" in (problems[("indicators", 1, "value")].hint or "")
    assert "did you mean 198.51.100.0/24" in (problems[("indicators", 2, "value")].hint or "")
    assert problems[("indicators", 3, "type")].message == "unknown type 'hash'"
    assert problems[("indicators", 4, "match")].message.startswith("only user_agent")
    assert problems[("indicators", 5, "value")].message.startswith("not an ARN")
    assert problems[("indicators", 6)].message.startswith("each indicator is a mapping")
    assert problems[("extra",)].message == "unknown key 'extra'"
    assert len(caught.value.problems) == 9


def test_a_repeated_value_is_kept_once() -> None:
    found = parse_indicators_file({"indicators": [{"type": "ip", "value": "203.0.113.7"}] * 3})
    assert len(found.indicators) == 1


def test_zero_padded_octets_read_as_decimal_and_keep_their_spelling() -> None:
    # LogLicker-anonymised CloudTrail (the Stratus fixtures) writes 075.050.255.67
    indicator = _one({"type": "ip", "value": "075.050.255.67"})
    assert indicator.value == "75.50.255.67"
    assert indicator.raw == "075.050.255.67"
    assert indicator.matches_value("075.050.255.67")


def test_indicators_file_problems_name_file_and_line(tmp_path: Path) -> None:
    iocs = tmp_path / "iocs.yaml"
    iocs.write_text(
        "indicators:\n"
        "  - {type: ip, value: 203.0.113.7}\n"
        "  - {type: ip, value: not-an-ip}\n"
        "  - type: cidr\n"
        "    value: 10.0.0.1/8\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError) as caught:
        load_indicators(iocs)
    where = [(p.file, p.line) for p in caught.value.problems]
    assert where == [(str(iocs), 3), (str(iocs), 5)]
    assert f"{iocs}:3:" in caught.value.message


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    iocs = tmp_path / "iocs.yaml"
    iocs.write_text("indicators:\n  - {type: ip, value: [1.2.3.4\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_indicators(iocs)
    assert caught.value.problems[0].file == str(iocs)
    assert caught.value.problems[0].line is not None


def test_mapping_file_needs_time_and_a_field_to_match(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("fields:\n  time: ts\n  colour: red\ntime_format: julian\n", "utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_mapping(path)
    messages = sorted(p.message for p in caught.value.problems)
    assert messages == [
        "map at least one field to match on besides time",
        "unknown field 'colour'",
        "unknown time_format 'julian'",
    ]
    path.write_text("fields: {time: ts, source_ip: client.ip}\ntime_format: epoch_seconds\n")
    mapping = load_mapping(path)
    assert mapping.fields() == {"time": "ts", "source_ip": "client.ip"}
    assert mapping.time_format is TimeFormat.EPOCH_SECONDS


# -- Hypothesis ---------------------------------------------------------------------------------

keys = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(["AKIA", "ASIA"]),
    st.text(string.ascii_uppercase + string.digits, min_size=16, max_size=16),
)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).filter(lambda a: a.ipv4_mapped is None).map(str)
networks = st.builds(
    lambda address, prefix: str(ipaddress.ip_network(f"{address}/{prefix}", strict=False)),
    ipv4,
    st.integers(0, 32),
)
arns = st.builds(
    lambda account, kind, name: f"arn:aws:iam::{account}:{kind}/{name}",
    st.text(string.digits, min_size=12, max_size=12),
    st.sampled_from(["user", "role"]),
    st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=30),
)
agents = st.text(string.printable.strip(), min_size=1, max_size=40)
items = st.one_of(
    keys.map(lambda v: {"type": "aws_access_key_id", "value": v}),
    st.one_of(ipv4, ipv6).map(lambda v: {"type": "ip", "value": v}),
    networks.map(lambda v: {"type": "cidr", "value": v}),
    st.tuples(agents, st.sampled_from(["exact", "substring"])).map(
        lambda t: {"type": "user_agent", "value": t[0], "match": t[1]}
    ),
    arns.map(lambda v: {"type": "principal_arn", "value": v}),
)


@settings(max_examples=200)
@given(st.lists(items, min_size=1, max_size=12))
def test_valid_files_round_trip(listed: list[dict[str, str]]) -> None:
    first = parse_indicators_file({"indicators": listed})
    again = parse_indicators_file(first.as_dict())
    assert again == first
    for indicator in first.indicators:
        if indicator.type is IndicatorType.IP:
            assert indicator.matches_value(indicator.value)
        if indicator.type is IndicatorType.CIDR:
            assert indicator.matches_value(str(indicator.network.network_address))


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@settings(max_examples=300)
@given(junk)
def test_any_document_either_parses_or_names_its_problems(document: object) -> None:
    problems = []
    try:
        parse_indicators_file(document)
    except InvalidInput as exc:
        problems = exc.problems
        assert problems, "an error always says what is wrong"
    assert all(p.message for p in problems)


@given(st.text(max_size=20))
def test_ip_parsing_never_crashes_and_agrees_with_ipaddress(text: str) -> None:
    parsed = parse_ip(text)
    try:
        strict = ipaddress.ip_address(text)
    except ValueError:
        return
    assert parsed == strict
