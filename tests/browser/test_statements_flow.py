"""Acceptance: draft, review, approve and publish an update; publish a correction; the public
page shows both with the correction marked; the Atom feed parses as XML with both entries."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from playwright.sync_api import Browser, Page, expect

from candor.domain.access import Actor, OrgRole
from candor.services import incidents
from tests.browser.conftest import LiveServer, Shots, sign_in

pytestmark = pytest.mark.browser

ATOM = "{http://www.w3.org/2005/Atom}"


def as_user(chromium: Browser, server: LiveServer, username: str) -> Page:
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, server, username)
    return page


def review(chromium: Browser, server: LiveServer, url: str, shot: Shots, name: str) -> None:
    for person, step in (("carol", "counsel"), ("bob", "incident lead")):
        page = as_user(chromium, server, person)
        page.goto(url)
        page.get_by_role("button", name=f"Approve as {step}").click()
        expect(page.get_by_role("status")).to_have_text("Approved.")
        shot(page, f"{name}-approved-by-{person}")
        page.context.close()


def test_publish_an_update_and_a_correction_to_the_status_site(
    live_server: LiveServer, chromium: Browser, shot: Shots
) -> None:
    ctx = live_server.application.context
    alice = Actor("alice", OrgRole.RESPONDER)
    key = incidents.declare(ctx, alice, title="Internal: vault-prod read by attacker").key
    for role, person in (("counsel", "carol"), ("incident_lead", "bob"), ("comms_lead", "alice")):
        incidents.assign_role(ctx, alice, key, role, person)

    page = as_user(chromium, live_server, "alice")
    page.goto(f"{live_server.url}/incidents/{key}")
    page.get_by_role("link", name="Draft a statement").click()
    page.get_by_label("Statement title (without a template)").fill("Keys rotated")
    page.get_by_label("Statement text, Markdown (without a template)").fill(
        "We rotated **all 40** integration keys."
    )
    shot(page, "draft-form")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_have_text("Statement drafted.")
    first_url = page.url.split("?")[0]
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("status")).to_have_text("Sent for review.")
    shot(page, "in-review")

    review(chromium, live_server, first_url, shot, "update")

    page.goto(first_url)
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_role("status")).to_have_text("Published. It can no longer change.")
    expect(page.get_by_text("SHA-256")).to_be_visible()
    shot(page, "published")

    page.get_by_label("What was wrong").fill("It said 40 keys; 12 keys were affected.")
    page.get_by_label("Corrected text, Markdown").fill("We rotated the **12** affected keys.")
    page.get_by_role("button", name="Draft the correction").click()
    expect(page.get_by_role("status")).to_contain_text("Correction drafted")
    correction_url = page.url.split("?")[0]
    page.get_by_role("button", name="Submit for review").click()
    review(chromium, live_server, correction_url, shot, "correction")
    page.goto(correction_url)
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_role("status")).to_have_text("Published. It can no longer change.")
    shot(page, "correction-published")
    page.context.close()

    public = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    public.goto(f"{live_server.url}/status")
    expect(public.get_by_role("heading", name=re.compile("status$"))).to_be_visible()
    assert key not in public.content() and "vault-prod" not in public.content()
    shot(public, "status-index")
    public.get_by_role("link", name="Keys rotated").click()
    update = public.locator("li.status-update").first
    expect(update).to_contain_text("We rotated all 40 integration keys.")
    correction = update.locator("aside.correction")
    expect(correction).to_contain_text("Correction")
    expect(correction).to_contain_text("It said 40 keys; 12 keys were affected.")
    expect(correction).to_contain_text("We rotated the 12 affected keys.")
    expect(correction.locator("time")).to_have_count(2)  # its own time and the original's
    expect(update.locator(".correction-flag")).to_be_visible()
    shot(public, "status-incident-with-correction")

    feed = public.request.get(f"{live_server.url}/status/feed.atom")
    assert feed.ok and feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.body())  # noqa: S314 - the feed Candor wrote
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert titles == ["Correction: Keys rotated", "Keys rotated"]
    public.context.close()
