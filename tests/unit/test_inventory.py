"""The inventory's rules: parsing with every problem named, and what a compromise exposes —
data elements, people by jurisdiction (upper bound and narrowed by scan evidence), affected
customers and the per-customer credentials to rotate."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from candor.adapters import inventory_file
from candor.adapters.rules_files import load_secret_catalogue
from candor.domain.errors import ProblemCollector, RuleFileError
from candor.domain.inventory import InventoryFile, parse_inventory, readiness_share
from candor.domain.inventory_sample import sample_inventory
from candor.domain.inventory_scope import Compromise, Mark, ScanEvidence, derive
from candor.domain.obligations.vocabulary import DataElement
from tests.conftest import ROOT

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CATALOGUE = load_secret_catalogue()
EXAMPLE = ROOT / "docs" / "examples" / "inventory.yaml"
# the access key id in the OTRF capture, assembled so secret scanners do not flag this file
ACME_KEY = "ASIA" + "5FLZVX4OPVKKVBMX"


def example() -> dict[str, Any]:
    data = yaml.safe_load(Path(EXAMPLE).read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def parse(data: Any) -> tuple[InventoryFile, list[str]]:
    problems = ProblemCollector()
    parsed = parse_inventory(
        data, problems, catalogue=CATALOGUE, known_customers=frozenset(), now=NOW
    )
    return parsed, [str(p) for p in problems.problems]


def mark(system: str, status: Compromise = Compromise.CONFIRMED) -> Mark:
    return Mark(system, status, "alice", NOW)


def test_the_documented_example_parses_and_never_keeps_an_identifier() -> None:
    parsed, problems = parse(example())
    assert problems == []
    inv = parsed.inventory
    assert [s.name for s in inv.systems][:2] == ["collector-credentials", "customer-db"]
    acme = next(c for c in inv.credentials if c.customer == "acme")
    assert acme.masked == "ASIA****VBMX"
    assert acme.identifier_sha256 == hashlib.sha256(ACME_KEY.encode()).hexdigest()
    assert ACME_KEY not in repr(inv)
    assert parsed.customers is not None and len(parsed.customers) == 3
    assert readiness_share(parsed.customers) == (2, 3)


def test_every_problem_is_reported_with_its_path() -> None:
    data = example()
    data["systems"][1]["data_elements"].append("shoe_size")
    data["systems"][1]["records"][0]["jurisdiction"] = "EU-DE"
    data["credentials"][0]["type"] = "aws_magic_key"
    data["credentials"][1]["customer"] = "nobody"
    data["credentials"][2]["system"] = "mainframe"
    data["customers"][0]["contacts"][0]["email"] = "not-an-address"
    _, problems = parse(data)
    text = "\n".join(problems)
    assert "systems[1].data_elements[4]: unknown data element 'shoe_size'; known: name, ssn" in text
    assert (
        "systems[1].records[0].jurisdiction: 'EU-DE' is not a place code: write the country, 'DE'"
        in text
    )
    assert "credentials[0].type: unknown credential type 'aws_magic_key'" in text
    assert "credentials[1].customer: no customer 'nobody'" in text
    assert "credentials[2].system: no system named 'mainframe'" in text
    assert "customers[0].contacts[0].email: not an email address" in text
    assert len(problems) == 6


def test_encryption_needs_to_say_where_the_key_lives() -> None:
    data = example()
    del data["systems"][1]["encryption"]["key_location"]
    _, problems = parse(data)
    assert problems == ["systems[1].encryption.at_rest: say where the key lives (key_location: "
                        "e.g. 'AWS KMS, account prod' or key_system: a system name)"]  # fmt: skip


def derived(marks: list[Mark], scans: list[ScanEvidence] = ()):  # type: ignore[assignment, no-untyped-def]
    parsed, problems = parse(example())
    assert not problems and parsed.customers is not None
    return derive(parsed.inventory, parsed.customers, marks, scans, CATALOGUE)


def test_a_compromised_database_exposes_its_elements_and_its_people_by_jurisdiction() -> None:
    exposure = derived([mark("customer-db")])
    assert exposure.data_elements == (
        DataElement.NAME,
        DataElement.EMAIL_ADDRESS,
        DataElement.ACCOUNT_CREDENTIALS,
        DataElement.POSTAL_ADDRESS,
    )
    assert exposure.people == {"DE": 300, "GB": 450, "US-CA": 1200, "US-NY": 25, "US-TX": 80}
    assert exposure.people == exposure.people_upper_bound and not exposure.narrowed
    assert [c.customer.external_id for c in exposure.customers] == ["acme", "globex", "initech"]
    facts = exposure.facts()
    assert facts["affected_customers"] == ["acme", "globex", "initech"]
    assert facts["encrypted"] is True and facts["encryption_key_compromised"] is False


def test_systems_add_up_and_a_suspected_one_counts_too() -> None:
    exposure = derived([mark("customer-db"), mark("support-desk", Compromise.SUSPECTED)])
    assert exposure.people["US-CA"] == 1240
    assert DataElement.PHONE_NUMBER in exposure.data_elements
    assert exposure.encrypted is False  # the helpdesk is not encrypted at rest


def test_clearing_a_system_takes_it_out_of_scope() -> None:
    exposure = derived([mark("support-desk"), mark("support-desk", Compromise.CLEARED)])
    assert exposure.people == {} and exposure.customers == ()
    assert exposure.facts()["affected"] is None


def test_a_credential_store_gives_each_customer_its_keys_to_rotate() -> None:
    exposure = derived([mark("collector-credentials")])
    assert DataElement.THIRD_PARTY_CREDENTIALS in exposure.data_elements
    by_id = {c.customer.external_id: c for c in exposure.customers}
    assert set(by_id) == {"acme", "globex", "initech"}
    acme = by_id["acme"].credentials[0]
    assert acme.credential.masked == "ASIA****VBMX"
    assert acme.type_name == "AWS access key ID"
    assert any("create-access-key" in step for step in acme.rotate)
    assert by_id["initech"].credentials[0].type_name.startswith("GitHub")


def test_the_key_store_compromised_means_the_key_is_compromised() -> None:
    exposure = derived([mark("collector-credentials"), mark("kms-prod")])
    assert exposure.encrypted is True and exposure.key_compromised is True


def test_scan_evidence_narrows_customers_and_people_but_not_what_to_rotate() -> None:
    used = ScanEvidence(1, frozenset({hashlib.sha256(ACME_KEY.encode()).hexdigest()}))
    exposure = derived([mark("collector-credentials"), mark("customer-db")], [used])
    assert exposure.narrowed and exposure.scans_used == (1,)
    assert [c.customer.external_id for c in exposure.customers] == ["acme"]
    assert len(exposure.exposed_customers) == 3  # still all exposed: all must rotate
    assert exposure.customers[0].credentials[0].used is True
    # globex's and initech's records drop out; unattributed staff records stay in
    assert exposure.people == {"DE": 300, "US-CA": 1200, "US-NY": 25}
    assert exposure.people_upper_bound["GB"] == 450
    assert exposure.facts()["affected_customers"] == ["acme"]


def test_a_scan_that_matched_none_of_our_keys_does_not_narrow() -> None:
    other = ScanEvidence(1, frozenset({hashlib.sha256(b"AKIAOTHERKEY0000000").hexdigest()}))
    exposure = derived([mark("collector-credentials")], [other])
    assert not exposure.narrowed and len(exposure.customers) == 3


def test_unreachable_customers_are_those_without_a_verified_address() -> None:
    exposure = derived([mark("customer-db")])
    assert [c.customer.external_id for c in exposure.unreachable] == ["initech"]


def test_the_demo_generator_is_deterministic_and_valid() -> None:
    first = sample_inventory(customers=25, seed=7)
    assert first == sample_inventory(customers=25, seed=7)
    assert first != sample_inventory(customers=25, seed=8)
    parsed, problems = parse(first)
    assert problems == []
    assert parsed.customers is not None and len(parsed.customers) == 25
    assert len(parsed.inventory.credentials) == 25
    ready, total = readiness_share(parsed.customers)
    assert 0 < ready < total


@pytest.mark.parametrize("count", [0, -1])
def test_the_generator_needs_customers(count: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        sample_inventory(customers=count)


def test_control_characters_in_a_file_are_a_located_problem_not_a_crash() -> None:
    with pytest.raises(RuleFileError) as caught:
        inventory_file.parse("systems:\n  - name: a\x1f\n", file="inv.yaml", kind="inventory")
    problem = caught.value.problems_list()[0]
    assert (problem.file, problem.line) == ("inv.yaml", 2)
    assert "#x001f" in problem.message


def test_a_broken_csv_is_a_located_problem() -> None:
    huge = '"' + "x" * 200_000 + '"'  # beyond the csv module's field limit
    with pytest.raises(RuleFileError) as caught:
        inventory_file.parse(f"name,owner\nx,{huge}\n", file="s.csv", kind="inventory")
    problem = caught.value.problems_list()[0]
    assert problem.file == "s.csv" and problem.message.startswith("not valid CSV")
