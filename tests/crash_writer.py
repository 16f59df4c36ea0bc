"""A process that writes to a workspace without pause, for the crash test.

    python -m tests.crash_writer DATABASE_URL BLOB_DIR LOG_FILE SEED

It declares incidents, appends timeline entries and attaches files through the services, and
after each call returns (the change is committed) appends one line to LOG_FILE and flushes it
to disk. The crash test kills it with SIGKILL at random moments and then checks that every
logged change is in the database. When the web server exists, a process serving HTTP writes
driven by a client can take this one's place: all the test needs is "committed, then logged".
"""

from __future__ import annotations

import io
import os
import random
import sys

from candor.adapters.clock import SystemClock
from candor.adapters.db.engine import make_engine
from candor.adapters.db.uow import SqlUnitOfWorkFactory
from candor.adapters.records.blobs import LocalBlobStore
from candor.domain.access import Actor, OrgRole
from candor.domain.errors import Conflict
from candor.services import attachments, incidents, timeline
from candor.services.context import Context

WRITER = Actor("writer", OrgRole.ADMIN)


def main(url: str, blob_dir: str, log_path: str, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - seeded test data, not cryptography
    engine = make_engine(url)
    ctx = Context(
        uow=SqlUnitOfWorkFactory(engine),
        clock=SystemClock(),
        blobs=LocalBlobStore(__import__("pathlib").Path(blob_dir)),
    )
    keys = [i.key for i in incidents.list_incidents(ctx, WRITER)]
    with open(log_path, "a", encoding="utf-8") as log:

        def committed(line: str) -> None:
            log.write(line + "\n")
            log.flush()
            os.fsync(log.fileno())

        committed("ready")
        n = 0
        while True:
            n += 1
            choice = rng.random()
            try:
                if not keys or choice < 0.15:
                    made = incidents.declare(ctx, WRITER, title=f"Crash test {seed}-{n}")
                    keys.append(made.key)
                    committed(f"incident {made.key}")
                elif choice < 0.75:
                    key = rng.choice(keys)
                    entry = timeline.add(ctx, WRITER, key, kind="note", body=f"note {seed}-{n}")
                    committed(f"entry {key} {entry.seq} {entry.hash}")
                else:
                    key = rng.choice(keys)
                    data = os.urandom(rng.randint(1, 256 * 1024))
                    added = attachments.add_attachment(
                        ctx, WRITER, key, f"evidence-{seed}-{n}.bin", io.BytesIO(data)
                    )
                    committed(f"attachment {key} {added.seq} {added.sha256}")
            except Conflict:
                continue


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
