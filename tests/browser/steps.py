"""Steps several browser tests take the same way (a team member's clicks, not shortcuts)."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, sign_in


def add_finding(page: Page, summary: str, source: str, evidence: str = "") -> None:
    page.locator("#findings summary", has_text="Add a finding").click()
    page.get_by_label("What was learned").fill(summary)
    page.get_by_label("Source", exact=True).fill(source)
    if evidence:
        page.get_by_label("Evidence reference (optional)").fill(evidence)
    page.get_by_role("button", name="Add finding").click()
    expect(page.locator("ol.findings li", has_text=summary)).to_be_visible()


def review(page: Page, number: int, **answers: str) -> None:
    """Answer the three review questions of finding ``number``."""
    item = page.locator(f"#finding-{number}")
    item.locator("summary", has_text=f"Review #{number}").click()
    for name, answer in answers.items():
        page.locator(f"#f{number}-{name}").select_option(answer)
    item.get_by_role("button", name="Save review").click()
    expect(page.locator(f"#finding-{number} .tag").first).to_have_text("reviewed")


def assign(page: Page, role: str, person: str) -> None:
    """Give ``role`` (as the page says it: "incident lead") to ``person``."""
    field = page.get_by_label(f"Person for {role}")
    field.select_option(person)
    field.locator("xpath=..").get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_have_text("Role updated.")


def move_to(page: Page, phase: str, reason: str) -> None:
    page.locator("#phase-target").select_option(phase)
    page.locator("#phase-reason").fill(reason)
    page.get_by_role("button", name="Change phase").click()
    expect(page.locator("#phase-h")).to_have_text(f"Phase: {phase.replace('_', ' ')}")


def approve_as(chromium: Browser, server: LiveServer, url: str, person: str, step: str) -> None:
    """``person`` signs in in a browser of their own and approves the statement at ``url`` as
    the review step ``step`` ("counsel", "incident lead")."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, server, person)
        page.goto(url)
        page.get_by_role("button", name=f"Approve as {step}").click()
        expect(page.get_by_role("status")).to_have_text("Approved.")
    finally:
        context.close()
