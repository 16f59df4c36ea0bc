"""A live Candor server on loopback and Debian's Chromium driven by Playwright.

Screenshots of every page a test visits are saved under ``test-artifacts/screenshots/``. The
user guide's pictures come from here too: ``shot(page, name, guide="file-name")`` also writes
``docs/guide/img/file-name.png`` when ``CANDOR_GUIDE_SCREENSHOTS`` names that directory
(``make screenshots`` sets it), so the guide always shows the product as it is.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from candor import bootstrap, config
from candor.adapters.db import migrate
from candor.adapters.passwords import fast_hasher
from candor.web.app import create_app
from tests.web.conftest import PASSWORD, seed_users

CHROMIUM = os.environ.get("CANDOR_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
GUIDE_SHOTS = os.environ.get("CANDOR_GUIDE_SCREENSHOTS", "")

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    application: bootstrap.Application
    home: Path


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    with serving() as server:
        yield server


class ShiftedClock:
    """The real time plus an offset a test moves forward: "five hours later" without waiting."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@contextmanager
def serving(clock: ShiftedClock | None = None, **settings_values: Any) -> Iterator[LiveServer]:
    """A server on a fresh workspace with these settings, stopped and removed afterwards."""
    home = Path(tempfile.mkdtemp(prefix="candor-browser-"))
    settings = config.Settings(home=home, **settings_values)
    application = bootstrap.build(settings, hasher=fast_hasher(), clock=clock)
    migrate.upgrade(application.engine)
    seed_users(application)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(application), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", application, home)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        application.close()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-background-networking",
            "--disable-gpu",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    made = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield made
    made.close()


class Shots:
    def __init__(self, test: str) -> None:
        self.test = test
        self.count = 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Page, name: str, *, guide: str = "") -> Path:
        """Save a full-page screenshot; with ``guide``, also the visible part of the page as
        the guide's picture of that name (when ``CANDOR_GUIDE_SCREENSHOTS`` is set)."""
        self.count += 1
        path = ARTIFACTS / f"{self.test}-{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if guide and GUIDE_SHOTS:
            target = Path(GUIDE_SHOTS) / f"{guide}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target), animations="disabled", caret="hide")
        return path


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name.replace("[", "-").replace("]", ""))


def sign_in(page: Page, server: LiveServer, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/signin")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/")
