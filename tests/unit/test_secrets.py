"""The secret catalogue: recognition, near-misses, masking.

Sample values are invented and assembled at run time from a seeded generator, so no string in
this file looks like a secret to the scanners that run over the repository.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor.adapters.rules_files import load_secret_catalogue
from candor.domain.errors import InvalidInput, RuleFileError
from candor.domain.secrets import MASK, identify, mask, revealed

CATALOGUE = load_secret_catalogue()
UPPER = string.ascii_uppercase
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"


def rnd(alphabet: str, n: int, seed: int) -> str:
    # invented, reproducible sample data, never a real credential: no cryptography here
    gen = random.Random(seed)  # noqa: S311
    return "".join(gen.choice(alphabet) for _ in range(n))


def b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def pem(label: str) -> str:
    body = "\n".join(rnd(B64, 64, 40 + i) for i in range(6))
    dashes = "-" * 5
    return f"{dashes}BEGIN {label}{dashes}\n{body}\n{dashes}END {label}{dashes}\n"


def gcp_json(kind: str) -> str:
    data: dict[str, str] = {"type": kind, "project_id": "acme-prod-4711"}
    data["private_key_id"] = rnd(HEX, 40, 31)
    if kind == "service_account":
        data["private_key"] = pem("PRIVATE" + " KEY")
    data["client_email"] = "exporter@acme-prod-4711.iam.gserviceaccount.com"
    return json.dumps(data, indent=2)


def jwt(header: dict[str, object] | None = None) -> str:
    head = b64url(header or {"alg": "HS256", "typ": "JWT"})
    payload = b64url(
        {"iss": "https://auth.example.com", "aud": "api", "sub": "user-42", "exp": 1_900_000_000}
    )
    return f"{head}.{payload}.{rnd(URLSAFE, 43, 50)}"


# type id -> (text containing one secret, the part that is secret)
SAMPLES: dict[str, Callable[[], tuple[str, str]]] = {
    "aws_access_key_id": lambda: _plain(
        "AK" + "IA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 1)
    ),
    "aws_secret_access_key": lambda: _labelled("aws_secret_access_key = ", rnd(B64, 40, 2)),
    "github_pat_classic": lambda: _plain("gh" + "p_" + rnd(ALNUM, 36, 3)),
    "github_pat_fine_grained": lambda: _plain(
        "github" + "_pat_" + rnd(ALNUM, 22, 4) + "_" + rnd(ALNUM, 59, 5)
    ),
    "github_oauth_token": lambda: _plain("gh" + "o_" + rnd(ALNUM, 36, 6)),
    "github_app_token": lambda: _plain("gh" + "s_" + rnd(ALNUM, 36, 7)),
    "gitlab_pat": lambda: _plain(
        "gl"
        + "pat-"
        + rnd(URLSAFE, 27, 8)
        + "."
        + rnd(string.ascii_lowercase + string.digits, 9, 9)
    ),
    "slack_bot_token": lambda: _plain(
        "xo"
        + "xb-"
        + rnd(string.digits, 12, 10)
        + "-"
        + rnd(string.digits, 13, 11)
        + "-"
        + rnd(ALNUM, 24, 12)
    ),
    "slack_user_token": lambda: _plain(
        "xo"
        + "xp-"
        + rnd(string.digits, 12, 13)
        + "-"
        + rnd(string.digits, 12, 14)
        + "-"
        + rnd(string.digits, 12, 15)
        + "-"
        + rnd(HEX, 32, 16)
    ),
    "slack_app_token": lambda: _plain(
        "xa"
        + "pp-1-A"
        + rnd(UPPER + string.digits, 10, 17)
        + "-"
        + rnd(string.digits, 13, 18)
        + "-"
        + rnd(HEX, 64, 19)
    ),
    "slack_webhook": lambda: _url_part(
        "https://hooks.slack" + ".com/services/",
        "T" + rnd(UPPER, 8, 20) + "/B" + rnd(UPPER, 10, 21) + "/" + rnd(ALNUM, 24, 22),
    ),
    "stripe_secret_key": lambda: _plain("sk" + "_live_" + rnd(ALNUM, 24, 23)),
    "stripe_restricted_key": lambda: _plain("rk" + "_live_" + rnd(ALNUM, 24, 24)),
    "google_api_key": lambda: _plain("AI" + "za" + rnd(URLSAFE, 35, 25)),
    "gcp_service_account_key": lambda: (gcp_json("service_account"), ""),
    "azure_storage_connection_string": lambda: _url_part(
        "DefaultEndpointsProtocol=https;AccountName=acmeprodlogs;Account" + "Key=",
        rnd(B64, 86, 26) + "==",
    ),
    "twilio_api_key": lambda: _plain("SK" + rnd(HEX, 32, 27)),
    "twilio_auth_token": lambda: _labelled("TWILIO_AUTH_TOKEN=", rnd(HEX, 32, 28)),
    "sendgrid_api_key": lambda: _plain(
        "SG" + "." + rnd(URLSAFE, 22, 29) + "." + rnd(URLSAFE, 43, 30)
    ),
    "npm_token": lambda: _plain("np" + "m_" + rnd(ALNUM, 36, 32)),
    "pypi_token": lambda: _plain("py" + "pi-AgEIcHlwaS5vcmc" + rnd(URLSAFE, 60, 33)),
    "database_url": lambda: _url_part(
        "postgres" + "ql://billing:", rnd(ALNUM, 18, 34), "@db.internal:5432/prod"
    ),
    "private_key": lambda: (pem("RSA PRIVATE" + " KEY"), ""),
    "jwt": lambda: _plain(jwt()),
}


def _plain(secret: str) -> tuple[str, str]:
    return f"found in config: {secret}\n", secret


def _labelled(label: str, secret: str) -> tuple[str, str]:
    return f"{label}{secret}\n", secret


def _url_part(before: str, secret: str, after: str = "") -> tuple[str, str]:
    return f"{before}{secret}{after}", secret


def test_the_catalogue_recognises_at_least_twelve_types_and_each_has_a_sample() -> None:
    assert len(CATALOGUE.types) >= 12
    assert set(SAMPLES) == {t.id for t in CATALOGUE.types}


@pytest.mark.parametrize("type_id", sorted(SAMPLES))
def test_each_type_is_recognised_and_masked(type_id: str) -> None:
    text, secret = SAMPLES[type_id]()
    matches = identify(text, CATALOGUE)
    assert [m.type.id for m in matches] == [type_id]
    (match,) = matches
    assert MASK in match.masked
    if secret:
        assert secret not in match.masked
        assert secret not in json.dumps(match.as_dict())
    info = match.as_dict()
    assert info["grants"]
    assert info["revoke"]
    assert info["rotate"]
    assert info["docs"].startswith("https://")


def test_masks_show_the_identifying_prefix_and_last_four() -> None:
    token = "gh" + "p_" + rnd(ALNUM, 36, 3)
    (match,) = identify(token, CATALOGUE)
    assert match.masked == "ghp_" + MASK + token[-4:]


def test_context_types_show_the_place_but_not_the_secret() -> None:
    text, password = SAMPLES["database_url"]()
    (match,) = identify(text, CATALOGUE)
    assert password not in match.masked
    assert match.masked == "postgresql://billing:" + MASK + "@db.internal"
    assert dict(match.details) == {"scheme": "postgresql", "user": "billing", "host": "db.internal"}
    (key,) = identify(SAMPLES["private_key"]()[0], CATALOGUE)
    assert key.masked.startswith("-----BEGIN RSA PRIVATE KEY-----" + MASK)
    assert dict(key.details) == {"format": "RSA"}


def test_details_name_whose_credential_it_is() -> None:
    (sa,) = identify(gcp_json("service_account"), CATALOGUE)
    assert dict(sa.details)["client_email"].endswith(".iam.gserviceaccount.com")
    (token,) = identify(jwt(), CATALOGUE)
    details = dict(token.details)
    assert details == {
        "alg": "HS256",
        "iss": "https://auth.example.com",
        "aud": "api",
        "expires": "2030-03-17T17:46:40+00:00",
    }
    assert "user-42" not in json.dumps(token.as_dict())  # the subject may be personal data


def test_several_secrets_in_one_paste_are_all_found_in_order() -> None:
    key_id = "AK" + "IA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 1)
    secret = rnd(B64, 40, 2)
    text = f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
    found = identify(text, CATALOGUE)
    assert [m.type.id for m in found] == ["aws_access_key_id", "aws_secret_access_key"]


NEAR_MISSES: dict[str, str] = {
    "aws key id with 0/1/8/9": "AK" + "IA" + "0123456789ABCDEF",
    "aws key id too short": "AK" + "IA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 15, 60),
    "aws documentation example": "AK" + "IA" + "IOSFODNN7" + "EXAMPLE",
    "aws documentation secret": "aws_secret_access_key = " + rnd(B64, 30, 77) + "EXAMPLE" + "KEY",
    "aws secret without a label": rnd(B64, 40, 61),
    "aws secret one character long": "aws_secret_access_key = " + rnd(B64, 41, 62),
    "github token too short": "gh" + "p_" + rnd(ALNUM, 35, 63),
    "github unknown prefix": "gh" + "x_" + rnd(ALNUM, 36, 64),
    "slack placeholder": "xo" + "xb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx",
    "slack short": "xo" + "xb-12345-abcd234",
    "slack webhook placeholder": "https://hooks.slack" + ".com/services/TXXXX/BXXXX/XXXX",
    "stripe publishable key": "pk" + "_live_" + rnd(ALNUM, 24, 65),
    "stripe key too short": "sk" + "_live_" + rnd(ALNUM, 10, 66),
    "google key too short": "AI" + "za" + rnd(URLSAFE, 20, 67),
    "gcp key id in another kind of json": gcp_json("external_account"),
    "azure emulator account": "AccountName=devstoreaccount1;Account"
    + "Key="
    + rnd(B64, 86, 68)
    + "==",
    "twilio sid too short": "SK" + rnd(HEX, 31, 69),
    "twilio token without a label": rnd(HEX, 32, 70),
    "sendgrid wrong shape": "SG" + "." + rnd(URLSAFE, 40, 71),
    "npm too short": "np" + "m_" + rnd(ALNUM, 20, 72),
    "pypi test prefix": "py" + "pi-" + rnd(URLSAFE, 60, 73),
    "database url without password": "postgres" + "ql://billing@db.internal/prod",
    "database url with a template": "postgres" + "ql://billing:${DB_PASSWORD}@db.internal/prod",
    "public key": pem("PUBLIC" + " KEY"),
    "jwt-looking junk": "ey" + "J" + rnd(ALNUM, 20, 74) + ".ey" + "J" + rnd(ALNUM, 20, 75) + ".abc",
    "uuid": "3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b",
    "git commit hash": rnd(HEX, 40, 76),
}


@pytest.mark.parametrize("label", sorted(NEAR_MISSES))
def test_near_misses_do_not_match(label: str) -> None:
    assert identify(NEAR_MISSES[label], CATALOGUE) == ()


def test_huge_input_is_refused_clearly() -> None:
    with pytest.raises(InvalidInput, match="at most"):
        identify("x" * 1_000_001, CATALOGUE)


@given(
    secret=st.text(min_size=0, max_size=300),
    prefix=st.integers(0, 24),
    keep_last=st.integers(0, 4),
)
def test_masking_never_reveals_more_than_allowed(secret: str, prefix: int, keep_last: int) -> None:
    masked = mask(secret, prefix=prefix, keep_last=keep_last)
    shown = revealed(secret, prefix=prefix, keep_last=keep_last)
    head = min(prefix, len(secret))
    assert masked.startswith(secret[:head] + MASK)
    assert shown <= head + min(keep_last, 4)
    # the tail is at most a quarter of what follows the prefix, so most stays hidden
    assert shown - head <= (len(secret) - head) // 4
    # the mask has one length, whatever the secret's length
    assert len(masked) == shown + len(MASK)
    if len(secret) - head >= 4:
        assert secret not in masked


def test_a_broken_catalogue_reports_all_problems_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "secrets.yaml"
    path.write_text(
        "catalogue: mine\nversion: '1'\ntypes:\n"
        "  - id: bad\n    name: Bad\n    provider: X\n    pattern: 'abc('\n"
        "    grants: g\n    revoke: [r]\n    rotate: [r]\n    docs: http://insecure\n"
        "  - id: nogroup\n    name: N\n    provider: X\n    pattern: 'tok_[a-z]+'\n"
        "    grants: g\n    revoke: []\n    rotate: [r]\n    docs: https://x\n    check: nope\n"
        "    keep_last: 9\n"
    )
    with pytest.raises(RuleFileError) as caught:
        load_secret_catalogue(path)
    found = {(p.line, p.message.split(":")[0]) for p in caught.value.problems}
    assert (7, "not a valid regular expression") in found
    assert (11, "must be an https") in found
    assert (15, "needs a named group (?P<secret>…) around the part to mask") in found
    assert (17, "must be a non-empty list of steps") in found
    assert (20, "unknown check 'nope'; known") in found
    assert (21, "must be a whole number from 0 to 4") in found


def test_the_repository_itself_holds_no_secret_shaped_text() -> None:
    # the same promise secret scanners check in CI: samples are assembled at run time
    root = Path(__file__).resolve().parents[2]
    hits = []
    for folder in ("src", "tests", "docs"):
        for path in (root / folder).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".md", ".yaml", ".toml", ".txt"):
                for match in identify(path.read_text(errors="replace"), CATALOGUE):
                    hits.append(f"{path.relative_to(root)}: {match.type.id} {match.masked}")
    assert hits == []
