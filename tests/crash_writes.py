"""`candor serve` in a process group of its own, and a stream of writes through its JSON API.

The crash test and the backup-under-load test start the real server (``python -m
candor.cli.app serve``, configured only through ``CANDOR_*`` variables, as an operator would),
drive writes at it from client threads, and keep every write the server acknowledged (a 2xx
answer): that is the change it promised is committed. A write whose answer never arrived (the
server was killed first) may or may not be there; the checks only hold the server to what it
acknowledged.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from candor import bootstrap, config
from candor.adapters.db import migrate
from candor.adapters.passwords import fast_hasher
from candor.domain.access import SYSTEM, Actor, OrgRole
from candor.services import accounts
from tests.conftest import ROOT
from tests.delivery.sink import free_port

WRITER = Actor("writer", OrgRole.ADMIN)


@dataclass
class Workspace:
    """A migrated workspace with one admin and an API token, set up in the test's process."""

    home: Path
    url: str
    token: str
    application: bootstrap.Application

    @classmethod
    def create(cls, home: Path, url: str) -> Workspace:
        home.mkdir(parents=True, exist_ok=True)
        application = bootstrap.build(
            config.Settings(home=home, database_url=url), hasher=fast_hasher()
        )
        migrate.upgrade(application.engine)
        accounts.create_user(
            application.context,
            SYSTEM,
            username=WRITER.username,
            password="correct horse battery staple",
            role=OrgRole.ADMIN,
        )
        made = accounts.create_token(
            application.context, WRITER, name="crash test", scopes=["read", "write"]
        )
        return cls(home, url, made.secret, application)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOR_")}
        env.update(
            PYTHONUNBUFFERED="1",
            CANDOR_HOME=str(self.home),
            CANDOR_DATABASE_URL=self.url,
            CANDOR_SECRET_KEY="crash-test-secret-key",
            CANDOR_USER=WRITER.username,
        )
        return env

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "candor.cli.app", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


class Server:
    """One ``candor serve`` process group on a free loopback port."""

    def __init__(self, workspace: Workspace, *, workers: int = 1) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.headers = {"Authorization": f"Bearer {workspace.token}"}
        self.log = workspace.home / f"serve-{self.port}.log"
        command = [sys.executable, "-m", "candor.cli.app", "serve", "--port", str(self.port)]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [*command, "--workers", str(workers)],
                cwd=ROOT,
                env=workspace.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one
            )
        self.killed = threading.Event()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"candor serve exited: {self.log.read_text()}")
            try:
                answer = httpx.get(f"{self.base}/api/v1/incidents", headers=self.headers)
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            assert answer.status_code == 200, answer.text
            return
        raise AssertionError("candor serve did not answer in time")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=self.headers, timeout=30)

    def kill(self) -> None:
        """SIGKILL to the whole group: no handler runs, no transaction is finished."""
        self.killed.set()
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        assert self.process.returncode == -signal.SIGKILL
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the workers too, before anyone looks
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)
        raise AssertionError("a process of the killed server is still there")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()
        else:
            with contextlib.suppress(ProcessLookupError):  # workers the parent left behind
                os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class Acknowledged:
    """Every write the server answered with 2xx, by what identifies it afterwards."""

    incidents: dict[str, str] = field(default_factory=dict)  # key → title
    entries: dict[tuple[str, int], str] = field(default_factory=dict)  # (key, seq) → hash
    tasks: dict[tuple[str, int], str] = field(default_factory=dict)  # → title
    done: set[tuple[str, int]] = field(default_factory=set)  # tasks acknowledged done
    closing: set[tuple[str, int]] = field(default_factory=set)  # tasks a client tried to close
    findings: dict[tuple[str, int], str] = field(default_factory=dict)  # → summary
    files: dict[tuple[str, int], str] = field(default_factory=dict)  # → sha256
    versions: dict[tuple[str, int], str] = field(default_factory=dict)  # → reason
    refused: list[str] = field(default_factory=list)  # answers that were neither 2xx nor 409
    unanswered: int = 0  # writes in flight when the server died
    lock: threading.Lock = field(default_factory=threading.Lock)

    def total(self) -> int:
        return sum(
            len(x)
            for x in (
                self.incidents,
                self.entries,
                self.tasks,
                self.done,
                self.findings,
                self.files,
                self.versions,
            )
        )


class Stream:
    """Client threads writing at random until the server dies or ``stop`` is set."""

    def __init__(self, server: Server, acked: Acknowledged, *, seed: int, threads: int = 2):
        self.server = server
        self.acked = acked
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.threads = [
            threading.Thread(target=self._run, args=(seed * 100 + n,), daemon=True)
            for n in range(threads)
        ]

    def __enter__(self) -> Stream:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)
        if self.errors:
            raise self.errors[0]

    def _run(self, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - seeded test data, not cryptography
        try:
            with self.server.client() as http:
                n = 0
                while not self.stop.is_set():
                    n += 1
                    try:
                        self._write(http, rng, f"{seed}-{n}")
                    except httpx.ConnectError:
                        if self.server.killed.is_set():  # never sent: the server was gone
                            return
                        raise
                    except httpx.TransportError:
                        if self.server.killed.is_set():
                            with self.acked.lock:  # the answer never came: not acknowledged
                                self.acked.unanswered += 1
                            return
                        raise
        except BaseException as exc:  # reported by __exit__, on the test's thread
            self.errors.append(exc)

    def _ok(self, answer: httpx.Response, what: str) -> dict[str, Any] | None:
        if answer.is_success:
            body: dict[str, Any] = answer.json()
            return body
        if answer.status_code != 409:  # a conflict is a refusal the client expects
            with self.acked.lock:
                self.acked.refused.append(f"{what}: {answer.status_code} {answer.text[:300]}")
        return None

    def _write(self, http: httpx.Client, rng: random.Random, tag: str) -> None:
        acked = self.acked
        with acked.lock:
            keys = list(acked.incidents)
            open_tasks = [t for t in acked.tasks if t not in acked.closing]
        choice = rng.random()
        if not keys or choice < 0.12:
            title = f"Crash test {tag}"
            made = self._ok(http.post("/api/v1/incidents", json={"title": title}), "declare")
            if made:
                with acked.lock:
                    acked.incidents[made["key"]] = title
            return
        key = rng.choice(keys)
        base = f"/api/v1/incidents/{key}"
        if choice < 0.45:
            made = self._ok(http.post(f"{base}/timeline", json={"body": f"note {tag}"}), "note")
            if made:
                with acked.lock:
                    acked.entries[key, made["seq"]] = made["hash"]
        elif choice < 0.6:
            title = f"Task {tag}"
            made = self._ok(http.post(f"{base}/tasks", json={"title": title}), "task")
            if made:
                with acked.lock:
                    acked.tasks[key, made["seq"]] = title
        elif choice < 0.68 and open_tasks:
            task = rng.choice(open_tasks)
            with acked.lock:  # once: a close whose answer was lost may have been committed
                if task in acked.closing:
                    return
                acked.closing.add(task)
            answer = http.patch(
                f"/api/v1/incidents/{task[0]}/tasks/{task[1]}", json={"status": "done"}
            )
            if self._ok(answer, "task status"):
                with acked.lock:
                    acked.done.add(task)
        elif choice < 0.8:
            summary = f"Finding {tag}"
            answer = http.post(f"{base}/findings", json={"summary": summary, "source": "logs"})
            made = self._ok(answer, "finding")
            if made:
                with acked.lock:
                    acked.findings[key, made["number"]] = summary
        elif choice < 0.9:
            current = self._ok(http.get(f"{base}/impact"), "impact")
            if current is None:
                return
            latest = current["current"]["number"] if current["current"] else None
            reason = f"Impact {tag}"
            body = {"sections": {"what_happened": f"As of {tag}"}, "reason": reason}
            made = self._ok(http.post(f"{base}/impact", json={**body, "based_on": latest}), "v")
            if made:
                with acked.lock:
                    acked.versions[key, made["number"]] = reason
        else:
            data = rng.randbytes(rng.randint(1, 256 * 1024))
            files = {"file": (f"evidence-{tag}.bin", data, "application/octet-stream")}
            made = self._ok(http.post(f"{base}/attachments", files=files), "attachment")
            if made:
                assert made["sha256"] == hashlib.sha256(data).hexdigest()
                number = int(made["attachment"].rsplit("/", 1)[1])
                with acked.lock:
                    acked.files[key, number] = made["sha256"]
