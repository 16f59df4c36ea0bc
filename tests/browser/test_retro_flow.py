"""The learn acceptance test in a real browser: after a breach whose notice to the Texas
attorney general was filed, write a retro with two five-whys chains and three action items, and
see the incident's response times and obligation margins on the metrics page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, Shots, serving, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with serving(
        organization={"name": "Example SaaS Inc.", "timezone": "America/New_York"},
        obligations={"establishments": ["US-DE"]},
    ) as live:
        yield live


CHAINS = [
    (
        "An API token was pushed to a public repository",
        [
            ("Why was the token in the repository?", "No review caught the configuration file"),
            ("Why did no review catch it?", "No tool checks commits for secrets"),
            ("Why is there no such tool?", "Secret scanning was never budgeted"),
        ],
    ),
    (
        "Nobody noticed the leak for eleven hours",
        [("Why did nobody notice?", "Alerts on token use from new networks did not exist")],
    ),
]
ACTIONS = [
    ("Add secret scanning to CI", "detect", "bob"),
    ("Replace long-lived tokens with workload identity", "prevent", "alice"),
    ("Write the token-leak runbook", "process", "bob"),
]


def add_chain(page: Page, problem: str, steps: list[tuple[str, str]]) -> None:
    form = page.locator("#chains form")
    if not form.is_visible():
        page.locator("#chains summary").click()
    form.get_by_label("Problem (what went wrong)").fill(problem)
    for level, (why, because) in enumerate(steps, start=1):
        form.get_by_label(f"Why {level}?").fill(why)
        form.get_by_label(f"Because {level}", exact=True).fill(because)
    form.get_by_role("button", name="Add chain").click()
    expect(page.get_by_role("status")).to_have_text("Five-whys chain added.")


def test_retro_with_chains_actions_and_the_metrics_page(
    server: LiveServer, context: BrowserContext, shot: Shots
) -> None:
    page = context.new_page()
    sign_in(page, server, "alice")
    now = datetime.now(UTC)
    detected = (now - timedelta(hours=30)).strftime("%Y-%m-%dT%H:%MZ")
    aware = (now - timedelta(hours=26)).strftime("%Y-%m-%dT%H:%MZ")
    page.get_by_role("link", name="Declare", exact=True).click()
    page.get_by_label("Title").fill("Token leak exposed customer records")
    page.get_by_label(re.compile(r"^personal data breach")).check()
    page.get_by_label(re.compile(r"^SEV1")).check()
    page.get_by_label("Detected at (optional)").fill(detected)
    page.get_by_label("Aware at (optional)").fill(aware)
    page.get_by_role("button", name="Declare").click()
    key = page.locator("h1 .key").inner_text()

    section = page.locator("#obligations")
    for element in ("name", "ssn"):
        section.get_by_label(element, exact=True).check()
    section.get_by_label(re.compile(r"^People affected by jurisdiction")).fill("US-TX 1200")
    section.get_by_label(re.compile(r"^Risk of harm")).select_option("likely")
    section.get_by_label("Why the facts changed").fill("first count")
    section.get_by_role("button", name="Save facts and recompute").click()
    regulator = page.locator('tr.obligation[data-rule="us-tx-regulator"]')
    regulator.locator("summary").click()
    regulator.locator("input[name=reference]").fill("AG portal receipt 77")
    regulator.get_by_role("button", name="Record as filed").click()
    expect(page.get_by_role("status")).to_have_text("Filing recorded.")

    page.locator("#retro").get_by_role("button", name="Start the retro").click()
    expect(page.get_by_role("status")).to_have_text("Retro started as a draft.")
    expect(page.locator(".retro-timeline")).to_contain_text("Declaration")
    expect(page.locator(".retro-timeline")).to_contain_text("Filing")
    for problem, steps in CHAINS:
        add_chain(page, problem, steps)
    expect(page.locator(".chain")).to_have_count(2)
    # the second chain stops at the first level: the page asks for more
    expect(page.locator(".review-aids")).to_contain_text("Chain 2: This chain stops after 1 level")
    for title, kind, owner in ACTIONS:
        page.locator("#actions summary").click()
        form = page.locator("#actions form").last
        form.get_by_label("Action item", exact=True).fill(title)
        form.get_by_label("Kind").select_option(kind)
        form.get_by_label("Owner").select_option(owner)
        form.get_by_label("Due on (UTC date)").fill((now + timedelta(days=30)).strftime("%Y-%m-%d"))
        form.get_by_role("button", name="Add action item").click()
        expect(page.get_by_role("status")).to_have_text("Action item added.")
    expect(page.locator("#actions table.action-items tbody tr")).to_have_count(3)
    # a retro without a summary is not ready for review: the page says which field
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_role("alert")).to_contain_text("summary")
    page.get_by_label("Summary", exact=True).fill(
        "A CI token leaked through a public repository and was used to read customer records."
    )
    page.get_by_label("What went well (one per line)").fill("Paging reached the lead in minutes")
    page.get_by_label("Where we got lucky (one per line)").fill("The token could only read")
    page.get_by_label(re.compile(r"^#4 .* Filed: obligation")).check()  # from the timeline
    page.get_by_role("button", name="Save the retro").click()
    expect(page.get_by_role("status")).to_have_text("Retro saved.")
    expect(page.locator(".retro-timeline")).to_contain_text("(entry #4)")
    page.get_by_role("button", name="Send for review").click()
    expect(page.locator("strong.retro-status")).to_have_text("in review")
    shot(page, "retro")

    page.get_by_role("link", name="Action items", exact=True).click()
    for title, _, _ in ACTIONS:
        expect(page.locator("table.action-items")).to_contain_text(title)

    page.get_by_role("link", name="Metrics", exact=True).click()
    page.get_by_role("link", name=key, exact=True).click()
    times = page.locator("table.metrics-times")
    expect(times.locator("tr", has_text="Time to declare")).to_contain_text(re.compile(r"\d+ h"))
    margins = page.locator("table.metrics-obligations")
    filed = margins.locator("tr", has_text="us-tx-regulator")
    expect(filed).to_contain_text("met")
    expect(filed).to_contain_text("to spare")
    expect(page.locator(".metrics-incident svg.candor-chart")).to_have_count(3)
    shot(page, "metrics")
