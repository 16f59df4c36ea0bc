"""Indicators read from a scoping result (``domain/scoping_indicators.py``)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor.domain.errors import InvalidInput
from candor.domain.indicators import IndicatorType, Source, Tlp
from candor.domain.scoping_indicators import from_scoping_result


def seen(ip: str, events: int, first: str, last: str) -> dict[str, object]:
    return {"ip": ip, "events": events, "first_seen": first, "last_seen": last}


def test_what_scoping_saw_becomes_indicators_with_sightings() -> None:
    result = {
        "by_indicator": [
            {
                "type": "aws_access_key_id",
                "value": "ASIA" + "5FLZVX4OPVKKVBMX",
                "label": "stolen",
                "match": "exact",
                "hits": 11,
                "first_seen": "2020-09-14T01:19:40Z",
                "last_seen": "2020-09-14T01:25:00Z",
            },
            {"type": "cidr", "value": "198.51.100.0/24", "hits": 0},
            {"type": "principal_arn", "value": "arn:aws:iam::111122223333:user/ci", "hits": 4},
            {
                "type": "ip",
                "value": "203.0.113.7",
                "hits": 2,
                "first_seen": "2020-09-14T01:00:00Z",
                "last_seen": "2020-09-14T01:10:00Z",
            },
        ],
        "source_ips": [
            seen("203.0.113.7", 5, "2020-09-14T00:50:00Z", "2020-09-14T01:05:00Z"),
            seen("08.1.250.216", 3, "2020-09-14T01:00:00Z", "2020-09-14T01:01:00Z"),
            {"ip": None, "events": 9},
        ],
    }
    items = {(i.type, i.value): i for i in from_scoping_result(result, tlp="amber")}
    assert set(items) == {
        (IndicatorType.AWS_ACCESS_KEY_ID, "ASIA" + "5FLZVX4OPVKKVBMX"),
        (IndicatorType.IPV4, "203.0.113.7"),
        (IndicatorType.IPV4, "8.1.250.216"),
    }
    merged = items[(IndicatorType.IPV4, "203.0.113.7")]
    assert merged.first_seen == datetime(2020, 9, 14, 0, 50, tzinfo=UTC)
    assert merged.last_seen == datetime(2020, 9, 14, 1, 10, tzinfo=UTC)
    assert merged.sightings == 5
    assert all(i.source is Source.SCOPING and i.tlp is Tlp.AMBER for i in items.values())


def test_every_problem_is_reported_with_its_path() -> None:
    with pytest.raises(InvalidInput) as caught:
        from_scoping_result(
            {
                "by_indicator": [
                    {"type": "hostname", "value": "x", "hits": 1},
                    {"type": "ip", "value": "300.1.1.1", "hits": 1},
                    {"type": "user_agent", "value": "curl", "hits": -1},
                ],
                "source_ips": [seen("192.0.2.1", 1, "yesterday", "2020-09-14T00:00:00Z")],
            },
            tlp="green",
        )
    paths = [p.path for p in caught.value.problems]
    assert ("by_indicator", 0, "type") in paths
    assert ("by_indicator", 1, "value") in paths
    assert ("by_indicator", 2, "hits") in paths
    assert ("source_ips", 0, "first_seen") in paths
    with pytest.raises(InvalidInput):
        from_scoping_result({"indicators": []}, tlp="green")
    with pytest.raises(InvalidInput) as caught:
        from_scoping_result({"by_indicator": [], "source_ips": []}, tlp="purple")
    assert [p.field for p in caught.value.problems] == ["tlp"]  # checked even with nothing seen
    assert from_scoping_result({"by_indicator": [], "source_ips": []}, tlp="green") == []


@given(st.lists(st.tuples(st.ip_addresses(v=4), st.integers(1, 1000)), max_size=20))
def test_one_indicator_per_distinct_address(
    addresses: list[tuple[ipaddress.IPv4Address, int]],
) -> None:
    rows = [seen(str(a), n, "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z") for a, n in addresses]
    items = from_scoping_result({"by_indicator": [], "source_ips": rows}, tlp="clear")
    assert sorted(i.value for i in items) == sorted({str(a) for a, _ in addresses})
    for item in items:
        assert item.sightings == max(n for a, n in addresses if str(a) == item.value)
