"""The prepare pages on SQLite and PostgreSQL: playbooks (library, declare form, apply later),
the contacts directory (forms, staleness, import, permissions, CSRF), whom to call on an
incident, the readiness page and its dashboard panel, and the navigation."""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import escape

from candor.adapters import prepare_files
from tests.fakes import FakeClock
from tests.web.conftest import Browser
from tests.web.test_pages import declare

LEAKED_SECRET = prepare_files.load_playbooks().require().get("leaked-secret").value

COUNSEL = {
    "handle": "acme-law",
    "category": "outside_counsel",
    "organisation": "Acme LLP",
    "purpose": "Breach counsel",
    "person-0-name": "Dana Reyes",
    "person-0-role": "Partner",
    "person-0-email": "dana@acme.example",
    "oob_phone": "+1 555 0199",
    "oob_signal": "dana.42",
    "retainer_in_place": "yes",
    "retainer_number": "R-17",
    "retainer_hours": "40",
    "retainer_expires_on": "2027-06-30",
    "last_verified_on": "2026-02-01",
}
INSURER = {
    "handle": "cover-co",
    "category": "insurer",
    "organisation": "Cover Co",
    "oob_phone": "+44 20 7946 0000",
    "notice_text": "Notify the claims line of any suspected breach.",
    "notice_hours": "48",
}


def add_contact(browser: Browser, data: dict[str, str]) -> None:
    response = browser.post("/contacts/new", data=data)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(f"/contacts/{data['handle']}")


def test_the_playbook_library_and_one_playbook(browser: Callable[[str], Browser]) -> None:
    val = browser("val")
    page = val.get("/playbooks").text
    names = re.findall(r'href="/playbooks/([a-z0-9-]+)"', page)
    assert names == sorted(names)
    assert {"leaked-secret", "ransomware", "vendor-breach"} <= set(names)
    assert len(names) == len(prepare_files.load_playbooks().entries)
    one = val.get("/playbooks/leaked-secret").text
    assert escape(LEAKED_SECRET.title) in one
    assert all(escape(task.title) in one for task in LEAKED_SECRET.tasks)
    assert "within 15 min" in one or "within 15m" in one
    assert val.get("/playbooks/no-such-book").status_code == 404


def test_declaring_with_a_playbook_creates_its_tasks(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    form = alice.get("/incidents/new").text
    assert '<select id="playbook" name="playbook"' in form
    key = declare(alice, "Token in a public repo", playbook="leaked-secret")
    page = alice.get(f"/incidents/{key}").text
    assert page.count("playbook:leaked-secret") == len(LEAKED_SECRET.tasks)
    assert 'href="/playbooks/leaked-secret"' in page  # the Playbook section names it
    timeline = alice.get(f"/incidents/{key}/timeline").text
    assert "Playbook leaked-secret" in timeline
    # applying it again is refused with the reason, on the incident page
    again = alice.post(f"/incidents/{key}/playbooks", data={"playbook": "leaked-secret"})
    assert again.status_code == 409
    assert "already applied" in again.text


def test_an_unknown_playbook_on_the_declare_form_says_the_incident_exists(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    response = alice.post(
        "/incidents/new",
        data={"title": "Odd", "kind": "event", "severity": "SEV4", "playbook": "nope"},
    )
    assert response.status_code == 422
    key = re.search(r"(INC-\d{4}-\d+) was declared, but playbook", response.text)
    assert key, response.text
    assert alice.get(f"/incidents/{key.group(1)}").status_code == 200


def test_applying_a_playbook_later_and_who_may(browser: Callable[[str], Browser]) -> None:
    alice, val = browser("alice"), browser("val")
    key = declare(alice, "Laptop stolen from a car")
    alice.post(f"/incidents/{key}/roles", data={"role": "technical_lead", "person": "bob"})
    page = alice.get(f"/incidents/{key}").text
    assert "No playbook applied yet." in page
    assert f'action="/incidents/{key}/playbooks"' in page
    assert f'action="/incidents/{key}/playbooks"' not in val.get(f"/incidents/{key}").text
    assert (
        val.post(f"/incidents/{key}/playbooks", data={"playbook": "lost-device"}).status_code == 403
    )
    empty = alice.post(f"/incidents/{key}/playbooks", data={"playbook": ""})
    assert empty.status_code == 422 and "choose a playbook" in empty.text
    done = alice.post(f"/incidents/{key}/playbooks", data={"playbook": "lost-device"})
    assert done.status_code == 303
    assert done.headers["location"].endswith("#tasks")
    page = alice.get(f"/incidents/{key}").text
    assert "playbook:lost-device" in page
    assert re.search(r"<td>bob</td>", page)  # a task whose role is filled goes to that person


def test_contacts_add_show_edit_verify_remove(
    browser: Callable[[str], Browser], clock: FakeClock
) -> None:
    alice = browser("alice")
    assert "The directory is empty" in alice.get("/contacts").text
    add_contact(alice, COUNSEL)
    page = alice.get("/contacts/acme-law").text
    for text in ("Acme LLP", "Dana Reyes", "+1 555 0199", "dana.42", "no. R-17", "40 hours"):
        assert text in page
    listing = alice.get("/contacts").text
    assert 'href="/contacts/acme-law"' in listing and 'class="stale"' not in listing

    # a wrong e-mail names the field and keeps what was typed
    edit = alice.get("/contacts/acme-law/edit").text
    version = re.search(r'name="version" value="(\d+)"', edit)
    assert version and 'value="Dana Reyes"' in edit
    bad = alice.post(
        "/contacts/acme-law/edit",
        data={**COUNSEL, "person-0-email": "not-an-address", "version": version.group(1)},
    )
    assert bad.status_code == 422
    assert "people[0].email" in bad.text and 'value="not-an-address"' in bad.text
    good = alice.post(
        "/contacts/acme-law/edit",
        data={**COUNSEL, "person-1-name": "Sam Ortiz", "version": version.group(1)},
    )
    assert good.status_code == 303
    assert "Sam Ortiz" in alice.get("/contacts/acme-law").text
    stale = alice.post(
        "/contacts/acme-law/edit", data={**COUNSEL, "version": version.group(1)}
    )  # the version the first edit replaced
    assert stale.status_code == 409

    # 180 days later it is stale; verifying it makes it fresh again
    clock.advance(days=200)
    alice = browser("alice")  # the old session expired long ago
    assert '<span class="warn-tag">stale</span>' in alice.get("/contacts").text
    assert 'href="/contacts/acme-law"' in alice.get("/contacts?stale=1").text
    assert "Stale:" in alice.get("/contacts/acme-law").text
    assert alice.post("/contacts/acme-law/verify", data={"note": "called Dana"}).status_code == 303
    assert "Stale:" not in alice.get("/contacts/acme-law").text
    assert 'href="/contacts/acme-law"' not in alice.get("/contacts?stale=1").text

    assert alice.post("/contacts/acme-law/remove", data={"reason": "firm changed"}).status_code
    assert alice.get("/contacts/acme-law").status_code == 404


def test_the_category_filter(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    add_contact(alice, COUNSEL)
    add_contact(alice, INSURER)
    insurers = alice.get("/contacts?category=insurer").text
    assert 'href="/contacts/cover-co"' in insurers and 'href="/contacts/acme-law"' not in insurers
    assert "cover is often a condition" in insurers.lower() or "condition of cover" in insurers
    both = alice.get("/contacts?category=nonsense").text
    assert 'href="/contacts/cover-co"' in both and 'href="/contacts/acme-law"' in both


def test_viewers_read_the_directory_but_cannot_change_it(
    browser: Callable[[str], Browser],
) -> None:
    alice, val = browser("alice"), browser("val")
    add_contact(alice, COUNSEL)
    listing = val.get("/contacts").text
    assert 'href="/contacts/acme-law"' in listing
    assert 'href="/contacts/new"' not in listing
    assert 'action="/contacts/acme-law/verify"' not in val.get("/contacts/acme-law").text
    assert val.get("/contacts/new").status_code == 403
    assert val.get("/contacts/import").status_code == 403
    assert val.post("/contacts/new", data={**COUNSEL, "handle": "val-law"}).status_code == 403
    assert val.post("/contacts/acme-law/verify").status_code == 403
    assert val.post("/contacts/acme-law/remove").status_code == 403
    assert val.post("/contacts/acme-law/edit", data=COUNSEL).status_code == 403
    assert alice.get("/contacts/acme-law").status_code == 200


def test_contact_forms_need_the_csrf_token(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    add_contact(alice, COUNSEL)
    forged = alice.client.post("/contacts/acme-law/remove", data={"reason": "x"})
    assert forged.status_code == 403
    forged = alice.client.post("/contacts/new", data={**INSURER, "csrf_token": "wrong"})
    assert forged.status_code == 403
    assert alice.get("/contacts/acme-law").status_code == 200
    assert alice.get("/contacts/cover-co").status_code == 404


def test_importing_a_file_checks_all_of_it_first(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    bad = (
        "contacts:\n"
        "  - handle: acme-law\n"
        "    category: outside_counsel\n"
        "    organisation: Acme LLP\n"
        "  - handle: certs\n"
        "    category: cert\n"
        "    organisation: National CERT\n"
        "    out_of_band: {phone: call me}\n"
    )
    response = alice.post("/contacts/import", data={"text": bad})
    assert response.status_code == 422
    assert "pasted text:8:" in response.text and "not a phone number" in response.text
    assert alice.get("/contacts/acme-law").status_code == 404  # nothing was written
    good = bad.replace("call me", "+31 70 000 0000")
    response = alice.client.post(
        "/contacts/import",
        data={"csrf_token": alice.csrf},
        files={"file": ("contacts.yaml", good.encode(), "application/yaml")},
    )
    assert response.status_code == 200, response.text[-3000:]
    assert "2 added, 0 updated, 0 unchanged" in response.text
    again = alice.post("/contacts/import", data={"text": good})
    assert "0 added, 0 updated, 2 unchanged" in again.text
    latin1 = alice.client.post(
        "/contacts/import",
        data={"csrf_token": alice.csrf},
        files={"file": ("x.yaml", "organisation: Café".encode("latin-1"), "application/yaml")},
    )
    assert latin1.status_code == 422 and "not valid UTF-8" in latin1.text


def test_whom_to_call_on_an_incident(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    add_contact(alice, COUNSEL)
    add_contact(alice, INSURER)
    small = declare(alice, "Port scan", kind="event", severity="SEV4")
    assert "No outside contacts suggested" in alice.get(f"/incidents/{small}").text
    key = declare(
        alice,
        "Customers' AWS keys taken",
        kind="supply_chain_breach",
        severity="SEV1",
        aware_at="2026-03-02T14:00Z",
    )
    page = alice.get(f"/incidents/{key}").text
    section = page[page.index('id="contacts"') : page.index('id="tasks"')]
    assert "<strong>Outside counsel</strong>" in section and "Acme LLP" in section
    assert "phone" in section and "+1 555 0199" in section  # out of band
    assert "Retainer: in place, no. R-17, 40 hours" in section
    assert "within 48 hours" in section and "Notify the claims line" in section
    assert "by 2026-03-04 14:00" in section  # 48 hours from the recorded awareness time
    assert "<strong>National CERT</strong>" in section
    assert "<strong>Cloud provider</strong>" in section and "None in the directory." in section
    assert 'href="/contacts/new?category=cloud_provider"' in section


def test_readiness_page_and_dashboard_panel(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    page = alice.get("/readiness").text
    for check in ("response_plan", "contacts_verified", "retainers", "tabletop_recent"):
        assert f'id="check-{check}"' in page
    before = re.search(r"Score: <strong>(\d+)%", page)
    assert before
    assert "not measured" in page  # e.g. customer contacts: the feature is not installed
    row = page[page.index('id="check-retainers"') :]
    assert "status-fail" in row[: row.index("</tr>")]
    add_contact(alice, COUNSEL)
    after = re.search(r"Score: <strong>(\d+)%", alice.get("/readiness").text)
    assert after and int(after.group(1)) > int(before.group(1))
    dashboard = alice.get("/").text
    assert f'<a href="/readiness"><strong>{after.group(1)}%</strong></a>' in dashboard


def test_navigation_links(browser: Callable[[str], Browser]) -> None:
    page = browser("val").get("/").text
    for href, label in (
        ("/playbooks", "Playbooks"),
        ("/contacts", "Contacts"),
        ("/exercises", "Exercises"),
        ("/readiness", "Readiness"),
    ):
        assert f'<li><a href="{href}">{label}</a></li>' in page
