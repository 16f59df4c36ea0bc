"""A workspace in a SQLite file runs in WAL mode, so reading (every page, the status site) goes
on while a write transaction is open, even one large enough to spill to disk before it commits
(which, in SQLite's default rollback journal, locks readers out until the commit)."""

from __future__ import annotations

from pathlib import Path

from candor.adapters.db.engine import for_writing, make_engine, sqlite_url

MANY_ROWS = """
INSERT INTO t (v)
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3000)
SELECT randomblob(1000) FROM n
"""


def test_a_file_workspace_is_in_wal_mode_and_readers_do_not_wait_for_a_writer(
    tmp_path: Path,
) -> None:
    engine = make_engine(sqlite_url(tmp_path / "candor.db"))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        with for_writing(engine).begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (v BLOB)")
            conn.exec_driver_sql("INSERT INTO t (v) VALUES (x'00')")

        with for_writing(engine).connect() as writer:
            # a cache of a few pages makes the writer spill its 3 MB of changes to disk now
            writer.exec_driver_sql("PRAGMA cache_size=10")
            writer.exec_driver_sql(MANY_ROWS)
            with engine.connect() as reader:
                # a blocked read fails at once instead of waiting the usual 30 seconds
                reader.exec_driver_sql("PRAGMA busy_timeout=100")
                seen = reader.exec_driver_sql("SELECT count(*) FROM t").scalar_one()
                assert seen == 1  # the last committed state, not the writer's
            writer.commit()

        with engine.connect() as reader:
            assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 3001
        assert (tmp_path / "candor.db-wal").exists()
    finally:
        engine.dispose()
