"""The impact statement and findings in the browser-facing pages."""

from __future__ import annotations

from collections.abc import Callable

from tests.fakes import FakeClock
from tests.web.conftest import Browser
from tests.web.test_pages import declare

SECTIONS = (
    "what_happened",
    "who_is_affected",
    "what_data",
    "not_affected",
    "what_we_did",
    "what_customers_should_do",
    "open_questions",
)


def impact_form(reason: str, based_on: str = "", **texts: str) -> dict[str, str]:
    form = {"reason": reason, "based_on": based_on}
    for name in SECTIONS:
        form[f"text_{name}"] = texts.get(name, "")
        form[f"confidence_{name}"] = "suspected" if name in texts else "unknown"
    return form


def test_write_revise_compare_and_export(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    key = declare(alice, "Keys read from the integrations store")
    assert "No impact statement yet" in alice.get(f"/incidents/{key}").text
    assert alice.get(f"/incidents/{key}/impact/edit").status_code == 200
    saved = alice.post(
        f"/incidents/{key}/impact",
        data=impact_form(
            "first take",
            what_happened="An attacker read customer keys. We rotated them.",
            not_affected="Passwords are not affected.",
        ),
    )
    assert saved.status_code == 303
    page = alice.get(f"/incidents/{key}").text
    assert "Passwords are not affected." in page
    assert "Version 1" in page
    again = alice.post(
        f"/incidents/{key}/impact",
        data=impact_form(
            "narrowed",
            based_on="1",
            what_happened="We rotated them. An attacker read the keys of 12 customers.",
            not_affected="Passwords are not affected.",
        ),
    )
    assert again.status_code == 303
    diff = alice.get(f"/incidents/{key}/impact/diff?a=1&b=2").text
    assert '<ins class="moved"' in diff  # "We rotated them." moved
    assert "<ins>" in diff
    stale = alice.post(
        f"/incidents/{key}/impact",
        data=impact_form("from an old tab", based_on="1", what_happened="Something else."),
    )
    assert stale.status_code == 409
    assert "changed while you edited it" in stale.text
    md = alice.get(f"/incidents/{key}/impact.md?version=1")
    assert md.headers["content-type"].startswith("text/markdown")
    assert "An attacker read customer keys." in md.text


def test_findings_flow_and_overdue_badge(
    browser: Callable[[str], Browser], clock: FakeClock
) -> None:
    alice = browser("alice")
    key = declare(alice, "Odd logins", severity="SEV1")
    for summary in (
        "Attacker IP also hit the VPN",
        "Old bucket was public",
        "A customer saw a login from Ohio",
    ):
        assert (
            alice.post(
                f"/incidents/{key}/findings", data={"summary": summary, "source": "logs"}
            ).status_code
            == 303
        )
    answers = {"changes_customer_impact": "yes", "new_access_path": "yes", "new_data": "no"}
    assert alice.post(f"/incidents/{key}/findings/1/review", data=answers).status_code == 303
    form = impact_form("VPN path found", what_happened="The attacker came in over the VPN.")
    form["findings"] = "1"
    assert alice.post(f"/incidents/{key}/impact", data=form).status_code == 303
    alice.post(
        f"/incidents/{key}/findings/2/review",
        data={"changes_customer_impact": "no", "new_access_path": "no", "new_data": "no"},
    )
    assert (
        alice.post(
            f"/incidents/{key}/findings/2/dismiss", data={"reason": "another account"}
        ).status_code
        == 303
    )
    clock.advance(hours=2)
    page = alice.get(f"/incidents/{key}").text
    assert page.count("overdue-badge") == 1
    assert "integrated" in page
    assert "dismissed" in page
    assert "Findings waiting for review" in alice.get("/").text
    assert alice.post(f"/incidents/{key}/status-report").status_code == 303
    assert "Status report" in alice.get(f"/incidents/{key}/timeline").text


def test_dismissing_without_review_shows_the_reason(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    key = declare(alice, "Scan")
    alice.post(f"/incidents/{key}/findings", data={"summary": "x", "source": "y"})
    response = alice.post(f"/incidents/{key}/findings/1/dismiss", data={"reason": "noise"})
    assert response.status_code == 409
    assert "review the finding first" in response.text
