"""Tampering with stored timeline and audit rows is detected, on SQLite and PostgreSQL.

These tests edit the database directly, as an attacker or a careless administrator would, and
check that verification names the first bad entry.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from candor.domain import chain
from candor.domain.timeline import hashed_fields
from candor.services import audit, incidents, timeline
from candor.services.context import Context
from tests.conftest import ADMIN, ALICE

# column -> the characters a replacement may use, so the edited value stays storable
TEXT_COLUMNS = {
    "body": string.ascii_letters + " .,é",
    "author": string.ascii_lowercase,
    "kind": string.ascii_lowercase,
    "data_json": string.ascii_letters + string.digits + "{}[]:,",
    "content_hash": "0123456789abcdef",
    "prev_hash": "0123456789abcdef",
    "hash": "0123456789abcdef",
    "occurred_at": string.digits + "T Z:-.+",
    "recorded_at": string.digits + "T Z:-.+",
    "id": "0123456789abcdef",
}
CASTS = {"occurred_at": "timestamptz", "recorded_at": "timestamptz", "id": "uuid"}


def read_text(
    engine: Engine, table: str, column: str, where: str, params: dict[str, object]
) -> str:
    with engine.connect() as conn:
        value = conn.execute(
            text(f"SELECT CAST({column} AS TEXT) FROM {table} WHERE {where}"), params
        ).scalar_one()
    return str(value)


def write_text(
    engine: Engine, table: str, column: str, value: str, where: str, params: dict[str, object]
) -> None:
    target = ":value"
    if engine.dialect.name == "postgresql" and column in CASTS:
        target = f"CAST(:value AS {CASTS[column]})"
    with engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {table} SET {column} = {target} WHERE {where}"),
            {**params, "value": value},
        )


@pytest.fixture
def filled(sql_ctx: Context) -> tuple[Context, str, int]:
    made = incidents.declare(sql_ctx, ALICE, title="Tamper target")
    for i in range(6):
        timeline.add(sql_ctx, ALICE, made.key, kind="note", body=f"Entry body number {i}")
    return sql_ctx, made.key, 7


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_character_change_is_named_by_verify(
    filled: tuple[Context, str, int], engine: Engine, data: st.DataObject
) -> None:
    ctx, key, count = filled
    assert timeline.verify(ctx, ALICE, key).ok
    seq = data.draw(st.integers(1, count), label="entry")
    column = data.draw(st.sampled_from(sorted(TEXT_COLUMNS)), label="column")
    where = "seq = :seq AND incident_id = (SELECT id FROM incidents WHERE key = :key)"
    params: dict[str, object] = {"seq": seq, "key": key}
    original = read_text(engine, "timeline_entries", column, where, params)
    alphabet = TEXT_COLUMNS[column]
    positions = [i for i, ch in enumerate(original) if ch in alphabet]
    pos = data.draw(st.sampled_from(positions), label="position")
    new_char = data.draw(
        st.sampled_from([c for c in alphabet if c != original[pos]]), label="character"
    )
    changed = original[:pos] + new_char + original[pos + 1 :]
    try:
        write_text(engine, "timeline_entries", column, changed, where, params)
    except Exception:  # the database itself refused the value (e.g. month 13): nothing changed
        return
    try:
        stored_now = read_text(engine, "timeline_entries", column, where, params)
        if stored_now == original:  # e.g. a timestamp that normalises back to the same value
            return
        result = timeline.verify(ctx, ALICE, key)
        assert not result.ok, f"{column} change at {pos} went unnoticed"
        assert result.first_bad is not None
        assert result.first_bad.seq == seq
        assert result.first_bad.label == f"{key} #{seq}"
    finally:
        write_text(engine, "timeline_entries", column, original, where, params)
    assert timeline.verify(ctx, ALICE, key).ok


def test_deleting_an_entry_names_the_one_after_the_gap(
    filled: tuple[Context, str, int], engine: Engine
) -> None:
    ctx, key, _ = filled
    with engine.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM timeline_entries WHERE seq = 3 AND incident_id = "
                "(SELECT id FROM incidents WHERE key = :key)"
            ),
            {"key": key},
        )
    result = timeline.verify(ctx, ALICE, key)
    assert result.first_bad is not None
    assert result.first_bad.seq == 4
    assert "gap" in result.first_bad.reason


def test_rewriting_an_entry_with_a_fresh_content_hash_breaks_the_link(
    filled: tuple[Context, str, int], engine: Engine
) -> None:
    """A forger who recomputes the content hash still cannot fix the chain hash chain-wide."""
    ctx, key, _ = filled
    entry = timeline.show(ctx, ALICE, key)[2]
    body = "Nothing happened here"
    forged = chain.content_hash(
        hashed_fields(
            id=entry.id,
            incident_id=entry.incident_id,
            seq=entry.seq,
            kind=entry.kind.value,
            author=entry.author,
            occurred_at=entry.occurred_at,
            recorded_at=entry.recorded_at,
            body=body,
            data_json=entry.data_json,
            corrects=entry.corrects,
        )
    )
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE timeline_entries SET body = :b, content_hash = :c WHERE id = :i"),
            {
                "b": body,
                "c": forged,
                "i": entry.id.hex if engine.dialect.name == "sqlite" else entry.id,
            },
        )
    result = timeline.verify(ctx, ALICE, key)
    assert result.first_bad is not None
    assert result.first_bad.seq == entry.seq
    assert "hash" in result.first_bad.reason


def test_a_changed_audit_row_is_named(filled: tuple[Context, str, int], engine: Engine) -> None:
    ctx, _, _ = filled
    assert audit.verify(ctx, ADMIN).ok
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
    result = audit.verify(ctx, ADMIN)
    assert result.first_bad is not None
    assert result.first_bad.label == "audit #3"
