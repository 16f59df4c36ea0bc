"""Indicators: canonical values, TLP levels, and whole-list validation with paths."""

from __future__ import annotations

import pytest

from candor.domain.errors import InvalidInput
from candor.domain.indicators import IndicatorType, Tlp, indicator, parse_list


@pytest.mark.parametrize(
    ("kind", "raw", "canonical"),
    [
        ("ipv4", " 203.0.113.7 ", "203.0.113.7"),
        ("ipv4", "198.51.100.0/24", "198.51.100.0/24"),
        ("ipv6", "2001:DB8:0:0::7", "2001:db8::7"),
        ("domain", "Evil.Example.COM.", "evil.example.com"),
        ("sha256", "A" * 64, "a" * 64),
        ("email", "Phish@Example.COM", "Phish@example.com"),
        ("aws_access_key_id", "akiaiosfodnn7example", "AKIAIOSFODNN7EXAMPLE"),
        ("user_agent", "python-requests/2.31.0", "python-requests/2.31.0"),
        ("url", "https://evil.example.com/x?a=1", "https://evil.example.com/x?a=1"),
    ],
)
def test_values_are_canonical(kind: str, raw: str, canonical: str) -> None:
    assert indicator(type=kind, value=raw, tlp="green").value == canonical


def test_tlp_accepts_the_label_form() -> None:
    assert indicator(type="domain", value="x.example", tlp="TLP:AMBER+STRICT").tlp is (
        Tlp.AMBER_STRICT
    )


def test_a_list_reports_every_bad_row_with_its_path() -> None:
    rows = [
        {"type": "ipv4", "value": "203.0.113.7", "tlp": "green"},
        {"type": "ipv4", "value": "300.1.1.1", "tlp": "green"},
        {"type": "md5", "value": "abc", "tlp": "purple"},
        {"type": "ipv4", "value": "203.0.113.7", "tlp": "amber"},
        {"type": "domain", "value": "ok.example", "first_seen": "yesterday"},
        {"type": "domain", "value": "x.example", "colour": "red"},
    ]
    with pytest.raises(InvalidInput) as caught:
        parse_list(rows, default_tlp="green")
    paths = {p.path for p in caught.value.problems}
    assert paths == {
        (1, "value"),
        (2, "value"),
        (2, "tlp"),
        (3, "value"),
        (4, "first_seen"),
        (5, "colour"),
    }


def test_a_good_list_parses() -> None:
    found = parse_list(
        [
            {"type": "aws_access_key_id", "value": "AKIAIOSFODNN7EXAMPLE", "tlp": "amber"},
            {"type": "user_agent", "value": "curl/8.5.0"},
        ],
        default_tlp="clear",
    )
    assert [(i.type, i.tlp) for i in found] == [
        (IndicatorType.AWS_ACCESS_KEY_ID, Tlp.AMBER),
        (IndicatorType.USER_AGENT, Tlp.CLEAR),
    ]
