"""Status updates by email, in a real browser: a visitor subscribes, follows the confirmation
link from the outbox, an admin sees the subscriber and the outbox, the visitor unsubscribes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from candor.domain.outbox import State
from candor.services import outbox, subscriptions
from tests.browser.conftest import LiveServer, Shots, serving, sign_in
from tests.conftest import ADMIN

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with serving(secret_key="browser-test-secret-key") as live:
        yield live


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_subscribe_confirm_unsubscribe(
    server: LiveServer, context: BrowserContext, shot: Shots
) -> None:
    page: Page = context.new_page()
    page.goto(f"{server.url}/subscriptions")
    page.get_by_label("Your email address").fill("reader@news.example")
    shot(page, "subscribe-form")
    page.get_by_role("button", name="Subscribe to status updates").click()
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")

    ctx = server.application.context
    mail = next(
        m for m in outbox.messages(ctx, ADMIN, limit=10) if m.recipient == "reader@news.example"
    )
    assert mail.state is State.QUEUED
    link = re.search(r"https?://\S+/subscriptions/confirm/\S+", mail.body)
    assert link
    page.goto(server.url + path_of(link.group(0)))
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_role("status")).to_contain_text("confirmed")

    admin = context.browser.new_context() if context.browser else context
    panel = admin.new_page()
    sign_in(panel, server, "admin")
    panel.get_by_role("link", name="Outbox", exact=True).click()
    expect(panel.get_by_role("heading", name="Outbox", exact=True)).to_be_visible()
    expect(panel.locator("tr", has_text="reader@news.example")).to_contain_text("Confirm")
    panel.get_by_role("link", name="Subscribers", exact=True).click()
    expect(panel.locator("tr", has_text="reader@news.example")).to_contain_text("confirmed")
    shot(panel, "admin-subscribers")

    with ctx.uow() as uow:
        reader = subscriptions.subscribers_for(uow)[0]
    page.goto(server.url + path_of(subscriptions.unsubscribe_url(ctx.delivery, reader.id)))
    page.get_by_role("button", name="Unsubscribe from status updates").click()
    expect(page.get_by_role("status")).to_contain_text("unsubscribed")
    with ctx.uow() as uow:
        assert subscriptions.subscribers_for(uow) == []
