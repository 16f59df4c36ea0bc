"""The core flow in a real browser: sign in, declare, roles with the warning, timeline,
need-to-know."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import LiveServer, Shots, sign_in

pytestmark = pytest.mark.browser


def test_declare_assign_roles_and_add_to_the_timeline(
    live_server: LiveServer, context: BrowserContext, shot: Shots
) -> None:
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/signin\?next="))
    shot(page, "signin")
    sign_in(page, live_server, "alice")
    shot(page, "dashboard-empty")

    page.get_by_role("link", name="Declare", exact=True).click()
    page.get_by_label("Title").fill("Customer reports AWS activity tied to keys we hold")
    page.get_by_label("What is known so far").fill("A PGP-encrypted mail from a customer.")
    page.get_by_label(re.compile(r"^supply chain breach")).check()
    page.get_by_label(re.compile(r"^SEV1")).check()
    shot(page, "declare-form")
    page.get_by_role("button", name="Declare").click()
    expect(page.get_by_role("status")).to_have_text("Incident declared.")
    key = page.locator("h1 .key").inner_text()
    assert re.fullmatch(r"INC-\d{4}-\d+", key)
    expect(page.locator(".warning[data-code='no-lead']")).to_be_visible()

    for role, person in (
        ("incident lead", "alice"),
        ("technical lead", "alice"),
        ("comms lead", "bob"),
    ):
        page.get_by_label(f"Person for {role}").select_option(person)
        page.get_by_label(f"Person for {role}").locator("xpath=..").get_by_role(
            "button", name="Assign"
        ).click()
        expect(page.get_by_role("status")).to_have_text("Role updated.")
    warning = page.locator(".warning[data-code='lead-is-investigator']")
    expect(warning).to_contain_text("alice is both incident lead and technical lead")
    shot(page, "incident-lead-warning")

    page.get_by_label("Kind of entry").select_option("finding")
    page.get_by_label("Entry", exact=True).fill(
        "Key AKIA…EXAMPLE used from 203.0.113.7 at 02:14 UTC"
    )
    page.get_by_role("button", name="Add to timeline").click()
    expect(page.get_by_role("status")).to_have_text("Timeline entry added.")
    entry = page.locator("ol.timeline li").first
    expect(entry).to_contain_text("used from 203.0.113.7")
    expect(entry).to_contain_text("finding")
    shot(page, "incident-timeline")

    page.get_by_role("link", name="verify chain").click()
    expect(page.get_by_role("status")).to_contain_text("Verified")
    shot(page, "timeline-verified")

    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("link", name=key)).to_be_visible()
    shot(page, "dashboard")


def test_a_viewer_gets_404_for_a_restricted_incident(
    live_server: LiveServer,
    context: BrowserContext,
    chromium,
    shot: Shots,  # type: ignore[no-untyped-def]
) -> None:
    page = context.new_page()
    sign_in(page, live_server, "alice")
    page.get_by_role("link", name="Declare", exact=True).click()
    page.get_by_label("Title").fill("Insider exported customer data")
    page.get_by_label(re.compile(r"^Restricted")).check()
    page.get_by_role("button", name="Declare").click()
    key = page.locator("h1 .key").inner_text()

    viewer = chromium.new_context()
    try:
        other = viewer.new_page()
        sign_in(other, live_server, "val")
        expect(other.get_by_role("link", name=key)).to_have_count(0)
        response = other.goto(f"{live_server.url}/incidents/{key}")
        assert response is not None
        assert response.status == 404
        expect(other.get_by_role("heading", level=1)).to_have_text("Not found")
        shot(other, "viewer-restricted-404")
    finally:
        viewer.close()


def test_pages_are_usable_on_a_phone(live_server: LiveServer, chromium, shot: Shots) -> None:  # type: ignore[no-untyped-def]
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = phone.new_page()
        sign_in(page, live_server, "alice")
        page.goto(f"{live_server.url}/incidents/new")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, f"the declare form scrolls sideways ({width}px)"
        shot(page, "phone-declare")
    finally:
        phone.close()


def test_keyboard_users_can_skip_to_content(
    live_server: LiveServer,
    context: BrowserContext,
) -> None:
    page = context.new_page()
    sign_in(page, live_server, "alice")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
