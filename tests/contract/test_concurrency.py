"""Two responders editing one incident at the same time never silently overwrite each other."""

from __future__ import annotations

import threading

import pytest

from candor.domain.errors import Conflict
from candor.services import audit, incidents, timeline
from candor.services.context import Context
from tests.conftest import ADMIN, ALICE, BOB


def test_second_of_two_concurrent_updates_gets_a_conflict(sql_ctx: Context) -> None:
    made = incidents.declare(sql_ctx, ALICE, title="Exposed S3 bucket")
    # both read version 1 in their browsers, both save
    seen_by_alice = incidents.get(sql_ctx, ALICE, made.key).version
    seen_by_bob = incidents.get(sql_ctx, BOB, made.key).version
    incidents.update(sql_ctx, ALICE, made.key, {"severity": "SEV1"}, expected_version=seen_by_alice)
    with pytest.raises(Conflict) as caught:
        incidents.update(
            sql_ctx,
            BOB,
            made.key,
            {"summary": "Bucket was public 2 days"},
            expected_version=seen_by_bob,
        )
    assert made.key in caught.value.message
    after = incidents.get(sql_ctx, ALICE, made.key)
    assert after.severity.value == "SEV1"  # Alice's change kept
    assert after.summary == ""  # Bob's change refused, not merged silently
    assert after.version == 2


def test_parallel_writers_keep_every_change_and_the_chains_intact(sql_ctx: Context) -> None:
    made = incidents.declare(sql_ctx, ALICE, title="Parallel writers")
    errors: list[BaseException] = []
    conflicts: list[Conflict] = []

    def write(who: str, n: int) -> None:
        actor = ALICE if who == "a" else BOB
        for i in range(n):
            for _attempt in range(20):
                try:
                    timeline.add(sql_ctx, actor, made.key, kind="note", body=f"{who}{i}")
                    break
                except Conflict as exc:  # the database was busy: try again, as a client would
                    conflicts.append(exc)
            else:
                errors.append(RuntimeError(f"{who}{i} never written"))

    threads = [threading.Thread(target=write, args=(w, 15)) for w in ("a", "b", "c", "d")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    bodies = [e.body for e in timeline.show(sql_ctx, ALICE, made.key)][1:]
    assert sorted(bodies) == sorted(f"{w}{i}" for w in "abcd" for i in range(15))
    assert timeline.verify(sql_ctx, ALICE, made.key).ok
    assert audit.verify(sql_ctx, ADMIN).ok
