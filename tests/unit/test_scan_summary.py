"""A scan result attached by hand is checked entry by entry before anything reads it."""

from __future__ import annotations

from typing import Any

import pytest

from candor.domain.errors import InvalidInput
from candor.domain.scan_summary import check, hashes, key_facts, rows

GOOD: dict[str, Any] = {
    "source": "cloudtrail",
    "events_scanned": 10,
    "events_matched": 2,
    "by_indicator": [{"type": "aws_access_key_id", "value": "AKIAEXAMPLE", "hits": 2}],
    "accounts": [{"account": "111122223333", "events": 2, "failed_events": 0}],
    "principals": [{"principal_arn": "arn:aws:iam::1:user/x", "access_key_ids": ["AKIAEXAMPLE"]}],
}


def test_a_good_result_is_kept_and_read() -> None:
    kept = check(GOOD, file="scan.json")
    assert len(hashes(kept)) == 1
    assert key_facts(kept) and list(rows(kept))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"by_indicator": [1]}, "by_indicator[0]"),
        ({"by_indicator": [{"type": "aws_access_key_id", "hits": "many"}]}, "by_indicator[0].hits"),
        ({"accounts": [{"account": "1", "events": "x"}]}, "accounts[0].events"),
        ({"accounts": [{"account": "1", "failed_events": True}]}, "accounts[0].failed_events"),
        ({"principals": [{"access_key_ids": "AKIA"}]}, "principals[0].access_key_ids"),
        ({"pivots": ["a"]}, "pivots[0]"),
    ],
)
def test_a_bad_entry_is_named_not_a_crash(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check({**GOOD, **change}, file="scan.json")
    assert field in [p.field for p in caught.value.problems]
