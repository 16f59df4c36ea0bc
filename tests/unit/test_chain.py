"""Hash chains: any change to any stored byte is detected and the first bad record is named."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from candor.domain import chain, timeline
from candor.domain.chain import GENESIS, StoredLink

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
INCIDENT = uuid.UUID(int=7)


def build(bodies: list[str]) -> list[timeline.Entry]:
    entries: list[timeline.Entry] = []
    prev = GENESIS
    for i, body in enumerate(bodies, start=1):
        draft = timeline.draft(
            kind="note",
            author="alice",
            occurred_at=T0 + timedelta(minutes=i),
            body=body,
            data={"n": i},
        )
        entry = timeline.seal(
            draft,
            id=uuid.UUID(int=i),
            incident_id=INCIDENT,
            seq=i,
            prev_hash=prev,
            recorded_at=T0 + timedelta(minutes=i),
        )
        prev = entry.hash
        entries.append(entry)
    return entries


def links(entries: list[timeline.Entry]) -> list[StoredLink]:
    return [
        StoredLink(
            seq=e.seq,
            content=chain.canonical(
                timeline.hashed_fields(
                    id=e.id,
                    incident_id=e.incident_id,
                    seq=e.seq,
                    kind=e.kind.value,
                    author=e.author,
                    occurred_at=e.occurred_at,
                    recorded_at=e.recorded_at,
                    body=e.body,
                    data_json=e.data_json,
                    corrects=e.corrects,
                )
            ),
            content_hash=e.content_hash,
            prev_hash=e.prev_hash,
            hash=e.hash,
        )
        for e in entries
    ]


def test_an_intact_chain_verifies_and_reports_its_head() -> None:
    entries = build(["a", "b", "c"])
    result = chain.verify(links(entries))
    assert result.ok and result.checked == 3 and result.head == entries[-1].hash


def test_encoding_is_unambiguous() -> None:
    assert chain.encode(["ab", "c"]) != chain.encode(["a", "bc"])
    assert chain.encode([None]) != chain.encode([""])
    assert chain.encode([1]) == chain.encode(["1"])  # typed columns store one form


def test_canonical_instant_is_the_same_for_equal_instants() -> None:
    a = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    b = datetime.fromisoformat("2026-03-02T16:00:00+01:00")
    assert chain.canonical_instant(a) == chain.canonical_instant(b)
    assert chain.canonical_instant("2026-03-02T15:00:00.000000Z") == chain.canonical_instant(a)
    assert chain.canonical_instant("garbage").startswith("invalid:")


def test_canonical_instant_is_fixed_width_before_the_year_1000() -> None:
    # Go's OSV records date unknown publication as 0001-01-01T00:00:00Z; stored, it must read back
    text = chain.canonical_instant(datetime(1, 1, 1, tzinfo=UTC))
    assert text == "0001-01-01T00:00:00.000000Z"
    assert datetime.fromisoformat(text) == datetime(1, 1, 1, tzinfo=UTC)


@given(
    bodies=st.lists(
        st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=40).filter(
            str.strip
        ),
        min_size=1,
        max_size=8,
    ),
    data=st.data(),
)
def test_changing_any_character_of_any_field_is_detected_at_that_entry(
    bodies: list[str], data: st.DataObject
) -> None:
    entries = build(bodies)
    stored = links(entries)
    index = data.draw(st.integers(0, len(stored) - 1))
    target = stored[index]
    text = target.content
    pos = data.draw(st.integers(0, len(text) - 1))
    replacement = data.draw(st.characters().filter(lambda c: c != text[pos]))
    stored[index] = target._replace(content=text[:pos] + replacement + text[pos + 1 :])
    result = chain.verify(stored)
    assert result.first_bad is not None
    assert result.first_bad.seq == target.seq
    assert result.checked == index


def test_a_deleted_entry_is_named() -> None:
    stored = links(build(["a", "b", "c", "d"]))
    del stored[1]
    result = chain.verify(stored)
    assert result.first_bad is not None and result.first_bad.seq == 3
    assert "gap" in result.first_bad.reason


def test_an_edited_hash_is_named() -> None:
    stored = links(build(["a", "b"]))
    stored[1] = stored[1]._replace(hash="f" * 64)
    result = chain.verify(stored)
    assert result.first_bad is not None and result.first_bad.seq == 2
