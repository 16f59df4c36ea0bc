"""Issue 5's acceptance test in a real browser: three findings, one integrated into a new
impact-statement version, one dismissed, one left until it is overdue; the page shows the
overdue badge and the diff between the versions shows the change."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import LiveServer, ShiftedClock, Shots, serving, sign_in
from tests.browser.steps import add_finding, review

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture(scope="module")
def server(clock: ShiftedClock) -> Iterator[LiveServer]:
    with serving(clock=clock) as live:
        yield live


def test_findings_integrated_dismissed_and_overdue_with_the_diff(
    server: LiveServer, clock: ShiftedClock, context: BrowserContext, shot: Shots
) -> None:
    page = context.new_page()
    sign_in(page, server, "alice")
    page.get_by_role("link", name="Declare", exact=True).click()
    page.get_by_label("Title").fill("Unusual reads from the integrations store")
    page.get_by_label(re.compile(r"^SEV3")).check()
    page.get_by_role("button", name="Declare").click()
    expect(page.get_by_role("status")).to_have_text("Incident declared.")
    key = page.locator("h1 .key").inner_text()

    # version 1 of the impact statement
    page.get_by_role("link", name="Write the impact statement").click()
    page.locator("#text_what_happened").fill(
        "A customer saw calls with the key they gave us. We stopped the integration workers."
    )
    page.locator("#confidence_what_happened").select_option("suspected")
    page.locator("#text_not_affected").fill("Passwords are stored elsewhere.")
    page.get_by_label("Why this version").fill("first take")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#impact .meta")).to_contain_text("Version 1")

    # three findings of unknown relevance
    add_finding(page, "The store's audit log shows a full table read at 02:03 UTC.", "audit log")
    add_finding(page, "A forum post claims all passwords were lost.", "social media")
    add_finding(page, "A second customer saw the same address.", "customer e-mail")
    expect(page.locator("ol.findings > li")).to_have_count(3)
    expect(page.locator(".overdue-badge")).to_have_count(0)
    shot(page, "three-findings", guide="findings-new")

    # #1 changes customer impact: reviewed, then taken into version 2
    review(page, 1, changes_customer_impact="yes", new_access_path="no", new_data="yes")
    page.get_by_role("link", name="Update the impact statement").click()
    page.locator("#text_what_happened").fill(
        "An attacker read the whole integrations store. We stopped the integration workers."
    )
    page.locator("#confidence_what_happened").select_option("confirmed")
    page.get_by_label(re.compile(r"^#1 The store's audit log")).check()
    page.get_by_label("Why this version").fill("the whole store was read")
    shot(page, "impact-edit", guide="impact-edit")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#impact .meta")).to_contain_text("Version 2")
    expect(page.locator("#finding-1")).to_contain_text("Integrated by alice into version 2")

    # #2 is not relevant: dismissed with the reason
    review(page, 2, changes_customer_impact="no", new_access_path="no", new_data="no")
    page.locator("#finding-2 summary", has_text="Review #2").click()
    page.get_by_label("Dismiss because").fill("Passwords are in another store.")
    page.locator("#finding-2").get_by_role("button", name="Dismiss").click()
    expect(page.locator("#finding-2")).to_contain_text(
        "Dismissed by alice: Passwords are in another store."
    )

    # #3 is left alone; five hours later (SEV3 reviews every 4 hours) it is overdue
    clock.advance(hours=5)
    page.reload()
    expect(page.locator("#finding-3 .overdue-badge")).to_have_text("overdue")
    expect(page.locator("#finding-1 .overdue-badge")).to_have_count(0)
    expect(page.locator("#finding-2 .overdue-badge")).to_have_count(0)
    page.locator("#findings").scroll_into_view_if_needed()
    shot(page, "overdue-badge", guide="findings-overdue")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_text("1 overdue")).to_be_visible()

    # the diff between version 1 and 2 shows the change, word by word
    page.goto(f"{server.url}/incidents/{key}")
    page.get_by_role("link", name="what changed").click()
    expect(page.locator("h1")).to_contain_text("version 1 → 2")
    changed = page.locator(".diff-section", has_text="What happened")
    expect(changed.locator("ins").first).to_be_visible()
    inserted = " ".join(changed.locator("ins").all_inner_texts())
    removed = " ".join(changed.locator("del").all_inner_texts())
    assert "whole integrations store" in inserted and "customer saw calls" in removed
    assert "stopped the integration workers" not in inserted + removed  # unchanged: plain
    expect(changed.locator("p.diff")).to_contain_text("We stopped the integration workers.")
    expect(changed).to_contain_text("Confidence: suspected → confirmed")
    shot(page, "impact-diff", guide="impact-diff")
