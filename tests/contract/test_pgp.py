"""The PGP adapter against the real library: round trips and the errors a responder sees."""

from __future__ import annotations

from pathlib import Path

import pysequoia
import pytest

from candor.adapters.pgp import OrganisationKey
from candor.domain.armor import find_messages, has_unterminated_message
from candor.domain.errors import InvalidInput

TEST_KEY = Path(__file__).resolve().parents[1] / "data" / "pgp" / "TEST-ONLY-secret-key.pgp"
TEST_PASSPHRASE = "test-only-passphrase"  # see tests/data/pgp/README.md
REPORT = "Hello, we saw API calls with the AWS key we gave you from 198.51.100.7. — Ana"


def encrypt_to(key: pysequoia.Tsk | pysequoia.Cert, text: str = REPORT) -> str:
    cert = key.extract_certificate() if isinstance(key, pysequoia.Tsk) else key
    return pysequoia.encrypt(text.encode(), recipients=[cert]).decode()


@pytest.fixture(scope="module")
def throwaway() -> pysequoia.Tsk:
    return pysequoia.Tsk.generate("Throwaway <throwaway@candor.invalid>")


def test_round_trip_with_a_key_generated_now(throwaway: pysequoia.Tsk) -> None:
    key = OrganisationKey.from_bytes(bytes(throwaway))
    report = "Subject: security issue\n\n" + encrypt_to(throwaway) + "\n\nThanks!\n"
    result = key.decrypt(report)
    assert result.text == REPORT
    assert result.key_fingerprint == throwaway.extract_certificate().fingerprint


def test_round_trip_with_a_passphrase_protected_gnupg_key() -> None:
    key = OrganisationKey.from_file(TEST_KEY, passphrase=TEST_PASSPHRASE)
    assert key.fingerprint == "7db2abe6e5753cb471f68547fcd0c6e11b8e577a"
    assert key.public_key.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    message = encrypt_to(pysequoia.Cert.from_bytes(key.public_key.encode()))
    assert key.decrypt(message.encode()).text == REPORT


def test_wrong_or_missing_passphrase() -> None:
    with pytest.raises(InvalidInput, match="wrong passphrase") as caught:
        OrganisationKey.from_file(TEST_KEY, passphrase="guess")
    assert caught.value.problems[0].field == "pgp.passphrase"
    with pytest.raises(InvalidInput, match="protected by a passphrase; none given"):
        OrganisationKey.from_file(TEST_KEY)


def test_a_message_for_another_key_names_the_key(throwaway: pysequoia.Tsk) -> None:
    ours = OrganisationKey.from_file(TEST_KEY, passphrase=TEST_PASSPHRASE)
    with pytest.raises(InvalidInput, match="not encrypted to the organisation's key") as caught:
        ours.decrypt(encrypt_to(throwaway))
    problem = caught.value.problems[0]
    assert "it is for key ID" in problem.message
    assert ours.fingerprint in (problem.hint or "")


def test_corrupt_armour_gives_a_clear_error(throwaway: pysequoia.Tsk) -> None:
    key = OrganisationKey.from_bytes(bytes(throwaway))
    lines = encrypt_to(throwaway).splitlines()
    lines[3] = lines[3][:10] + "!!!!" + lines[3][14:]  # damage the base64 body
    with pytest.raises(InvalidInput, match="the PGP message is damaged") as caught:
        key.decrypt("\n".join(lines) + "\n")
    assert "send it again" in (caught.value.problems[0].hint or "")


def test_a_truncated_message_is_recognised(throwaway: pysequoia.Tsk) -> None:
    key = OrganisationKey.from_bytes(bytes(throwaway))
    cut = encrypt_to(throwaway)[:200]
    assert has_unterminated_message(cut)
    with pytest.raises(InvalidInput, match="cut off"):
        key.decrypt(cut)
    with pytest.raises(InvalidInput, match="holds no ASCII-armoured PGP message"):
        key.decrypt("just plain text")


def test_not_a_key() -> None:
    with pytest.raises(InvalidInput, match="not an OpenPGP private key"):
        OrganisationKey.from_bytes(b"this is not a key")
    with pytest.raises(InvalidInput, match="cannot read"):
        OrganisationKey.from_file("/nonexistent/key.asc")


def test_detection_finds_every_message_in_a_report(throwaway: pysequoia.Tsk) -> None:
    one, two = encrypt_to(throwaway, "a"), encrypt_to(throwaway, "b")
    report = f"first:\n{one}\nsecond:\r\n{two}"
    found = find_messages(report)
    assert [m.text.strip() for m in found] == [one.strip(), two.strip()]
    assert report[found[0].start : found[0].end] == found[0].text
    key = OrganisationKey.from_bytes(bytes(throwaway))
    with pytest.raises(InvalidInput, match="holds 2 PGP messages"):
        key.decrypt(report)
