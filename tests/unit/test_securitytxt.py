"""security.txt (RFC 9116): generation, parsing with line numbers, and the expiry check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from candor.domain.errors import InvalidInput
from candor.domain.securitytxt import (
    SecurityTxt,
    check,
    generate,
    parse,
    values_from_settings,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

GOOD = """\
# Our security address
Contact: mailto:security@example.com
Contact: https://example.com/security/report
Expires: 2027-05-31T23:59:59Z
Encryption: https://example.com/pgp-key.txt
Preferred-Languages: en, de, pt-BR
Canonical: https://example.com/.well-known/security.txt
Policy: https://example.com/security/policy
"""


def values(**overrides: object) -> SecurityTxt:
    base: dict[str, object] = {
        "contact": ("mailto:security@example.com",),
        "expires": NOW + timedelta(days=180),
        "encryption": ("https://example.com/pgp-key.txt",),
        "preferred_languages": ("en", "de"),
        "canonical": ("https://example.com/.well-known/security.txt",),
        "policy": ("https://example.com/security/policy",),
        "acknowledgments": ("https://example.com/thanks",),
        "hiring": ("https://example.com/jobs",),
    }
    base.update(overrides)
    return SecurityTxt(**base)  # type: ignore[arg-type]


def test_generate_writes_every_configured_field() -> None:
    text = generate(values(comments=("Example Organisation",)), now=NOW)
    assert text == (
        "# Example Organisation\n"
        "Contact: mailto:security@example.com\n"
        "Expires: 2027-05-21T12:00:00Z\n"
        "Encryption: https://example.com/pgp-key.txt\n"
        "Preferred-Languages: en, de\n"
        "Canonical: https://example.com/.well-known/security.txt\n"
        "Policy: https://example.com/security/policy\n"
        "Acknowledgments: https://example.com/thanks\n"
        "Hiring: https://example.com/jobs\n"
    )


def test_what_we_generate_passes_our_own_check() -> None:
    report = check(generate(values(), now=NOW), now=NOW)
    assert report.valid
    assert report.warnings == ()
    assert report.expires == NOW + timedelta(days=180)


def test_generate_refuses_what_a_parser_would_reject() -> None:
    with pytest.raises(InvalidInput) as caught:
        generate(
            values(
                contact=("security@example.com",),
                policy=("http://example.com/policy",),
                preferred_languages=("english please",),
                expires=NOW - timedelta(days=1),
            ),
            now=NOW,
        )
    by_field = {p.field: p for p in caught.value.problems}
    assert by_field["security_txt.contact[0]"].hint == "write mailto:security@example.com"
    assert "https://" in by_field["security_txt.policy[0]"].message
    assert "security_txt.preferred_languages[0]" in by_field
    assert "in the past" in by_field["security_txt.expires"].message
    with pytest.raises(InvalidInput, match="more than a year"):
        generate(values(expires=NOW + timedelta(days=400)), now=NOW)
    with pytest.raises(InvalidInput, match="at least one contact"):
        generate(values(contact=()), now=NOW)


def test_settings_without_expires_say_where_to_set_it() -> None:
    with pytest.raises(InvalidInput, match="is not set") as caught:
        values_from_settings(contact=["mailto:a@example.com"], expires=None)
    assert "candor.toml" in (caught.value.problems[0].hint or "")


def test_parse_a_good_file() -> None:
    report = parse(GOOD)
    assert report.valid
    assert report.values("contact") == [
        "mailto:security@example.com",
        "https://example.com/security/report",
    ]
    assert report.expires == datetime(2027, 5, 31, 23, 59, 59, tzinfo=UTC)
    assert report.warnings == ()
    assert [n.message for n in report.notices] == [
        "the file is not signed (RFC 9116 recommends an OpenPGP cleartext signature)"
    ]


BAD = """\
Contact: security@example.com
Expires: 31 May 2027
Expires: 2027-05-31T23:59:59Z
Encryption: http://example.com/key.txt
Preferred-Languages: en
Preferred-Languages: de
Policy : https://example.com/policy
Hiring:https://example.com/jobs
this line is not a field
Acknowledgements: https://example.com/thanks
Canonical:
"""


def test_parse_reports_every_problem_with_its_line() -> None:
    report = parse(BAD)
    assert not report.valid
    found = {(p.line, p.message.split(":")[0].split(" (")[0]) for p in report.errors}
    assert found == {
        (1, "must be a URI"),
        (2, "Expires must be an RFC 3339 date and time"),
        (3, "Expires must not appear more than once"),
        (4, "web URIs must begin with 'https"),
        (6, "Preferred-Languages must not appear more than once"),
        (7, "no whitespace is allowed before the colon"),
        (8, "the colon must be followed by a space"),
        (9, "a line must be a field"),
        (11, "Canonical has no value"),
    }
    (typo,) = [n for n in report.notices if n.line == 10]
    assert typo.hint == "did you mean Acknowledgments?"


def test_required_fields() -> None:
    report = parse("# nothing here\n")
    assert {p.message for p in report.errors} == {
        "Contact is required (at least once)",
        "Expires is required",
    }


def test_encryption_is_recommended_for_mail_contacts() -> None:
    report = parse("Contact: mailto:security@example.com\nExpires: 2027-01-01T00:00:00Z\n")
    assert report.valid
    assert [w.line for w in report.warnings] == [1]
    assert "Encryption" in report.warnings[0].message


def test_signed_files_are_parsed_inside_the_signature() -> None:
    signed = (
        "-----BEGIN PGP SIGNED MESSAGE-----\n"
        "Hash: SHA512\n"
        "\n"
        "Contact: https://example.com/report\n"
        "Expires: 2027-05-31T23:59:59Z\n"
        "- -- a dash-escaped line is a comment only if it starts with #\n"
        "-----BEGIN PGP SIGNATURE-----\n"
        "\n"
        "iHUEARYKAB0WIQ\n"
        "-----END PGP SIGNATURE-----\n"
    )
    report = parse(signed)
    assert report.signed
    assert report.values("contact") == ["https://example.com/report"]
    # line numbers count from the top of the file, signature header included
    assert report.fields[0].line == 4
    (problem,) = report.errors
    assert problem.line == 6
    assert [w.message for w in report.warnings] == [
        "a signed file should name its Canonical location"
    ]


def test_a_signature_header_in_the_middle_is_an_error() -> None:
    report = parse("Contact: https://x.example\n-----BEGIN PGP SIGNED MESSAGE-----\n")
    assert any(p.line == 2 and "must start" in p.message for p in report.errors)


def test_missing_final_line_feed() -> None:
    report = parse("Contact: https://x.example\nExpires: 2027-01-01T00:00:00Z")
    assert [p.line for p in report.errors] == [2]


@pytest.mark.parametrize(
    ("expires", "errors", "warning"),
    [
        ("2027-05-31T23:59:59Z", 0, None),
        ("2026-12-10T12:00:00Z", 0, "expires in 18 days (2026-12-10T12:00:00Z)"),
        ("2026-11-23T11:00:00Z", 0, "expires in 1 day (2026-11-23T11:00:00Z)"),
        (
            "2028-01-01T00:00:00+01:00",
            0,
            "Expires is more than a year ahead; RFC 9116 recommends less",
        ),
        ("2026-11-22T12:00:00Z", 1, None),
        ("2025-01-01T00:00:00Z", 1, None),
    ],
)
def test_check_warns_when_expires_is_near_and_fails_when_past(
    expires: str, errors: int, warning: str | None
) -> None:
    text = f"Contact: https://example.com/report\nExpires: {expires}\n"
    report = check(text, now=NOW)
    assert len(report.errors) == errors
    if errors:
        assert report.errors[0].message.startswith("expired on")
        assert report.errors[0].line == 2
    assert [w.message for w in report.warnings] == ([warning] if warning else [])


def test_check_compares_the_location_with_canonical() -> None:
    report = check(GOOD, now=NOW, location="https://www.example.com/.well-known/security.txt")
    assert [w.message for w in report.warnings] == [
        "served from https://www.example.com/.well-known/security.txt, which is not a Canonical URI"
    ]
