"""A test per rule file: a scenario written for that jurisdiction and the obligations the
reference table says it must produce (and no others from that file)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from candor.adapters import rules as rule_files
from candor.domain.obligations import jurisdictions
from tests.unit.obligations.support import builtin, make_facts, run, statuses

R, U, P = "required", "required_unless_exception", "pending_trigger"
FILES = [path.stem for path in rule_files.rule_files(rule_files.builtin_dir())]

# From the reference's summary (section 0.1, item 3) and its state table.
ANY_RESIDENT_REGULATOR = {
    "CT",
    "IN",
    "LA",
    "ME",
    "MD",
    "MA",
    "MT",
    "NE",
    "NH",
    "NJ",
    "NY",
    "NC",
    "VT",
    "VA",
    "PR",
}
REGULATOR_THRESHOLD = {
    "DC": 50,
    "TX": 250,
    "ND": 251,
    "OR": 251,
    "SD": 251,
    "CA": 501,
    "DE": 501,
    "IL": 501,
    "IA": 501,
    "PA": 501,
    "RI": 501,
    "WA": 501,
    "CO": 500,
    "FL": 500,
    "UT": 500,
    "OK": 500,
    "AL": 1001,
    "AZ": 1001,
    "AR": 1001,
    "HI": 1001,
    "MO": 1001,
    "NM": 1001,
    "SC": 1001,
}
CRA_THRESHOLD = {
    **{
        c: 1001
        for c in (
            "AL",
            "AK",
            "AZ",
            "CO",
            "DC",
            "FL",
            "HI",
            "IN",
            "KS",
            "KY",
            "ME",
            "MI",
            "MO",
            "MT",
            "NV",
            "NH",
            "NJ",
            "NM",
            "NC",
            "OH",
            "SC",
            "TN",
            "VT",
            "VA",
            "WV",
            "WI",
            "OR",
        )
    },
    "MN": 501,
    "RI": 501,
    "PA": 500,
    "MD": 1000,
    "UT": 1000,
    "NY": 5001,
    "GA": 10001,
    "TX": 10001,
}
CRA_ANY = {"SD", "MA"}  # no numeric threshold (SD as read; MA mechanism unverified)
SSN_OFFERS = {
    "CT": "us-ct-idtheft-services",
    "DE": "us-de-credit-monitoring",
    "DC": "us-dc-idtheft-18mo",
    "MA": "us-ma-credit-monitoring",
    "PA": "us-pa-credit-monitoring",
}
# regulator clocks that start when residents are notified: pending until then
CHAINED = {"CA", "IA", "LA", "OK"}


def expected_state(code: str, residents: int) -> dict[str, str]:
    prefix = f"us-{code.lower()}-"
    if code == "GA":
        return {}  # Georgia's statute covers information brokers and agencies only
    out = {prefix + "individuals": R}
    if code in ANY_RESIDENT_REGULATOR or residents >= REGULATOR_THRESHOLD.get(code, 10**9):
        out[prefix + "regulator"] = P if code in CHAINED else R
    if code in CRA_ANY or residents >= CRA_THRESHOLD.get(code, 10**9):
        out[prefix + "cra"] = R
    if code in SSN_OFFERS:
        out[SSN_OFFERS[code]] = R
    return out


@pytest.mark.parametrize("residents", [3, 2000])
@pytest.mark.parametrize("place", jurisdictions.US_STATE_LEVEL)
def test_state_file(place: str, residents: int) -> None:
    code = place.split("-")[1]
    facts = make_facts(
        affected={place: residents},
        data_elements=["name", "ssn"],
        risk_of_harm="likely",
        discovered_at="2026-06-01T15:00:00Z",
    )
    assert statuses(run(facts), prefix=f"us-{code.lower()}-") == expected_state(code, residents)


def test_georgia_applies_to_information_brokers() -> None:
    facts = make_facts({"sectors": ["information_broker"]}, affected={"US-GA": 20000})
    assert statuses(run(facts), prefix="us-ga-") == {"us-ga-individuals": R, "us-ga-cra": R}


def test_state_vendors_notify_the_owner() -> None:
    facts = make_facts({"roles": ["vendor"]}, affected={"US-FL": 10, "US-GA": 10, "US-CA": 10})
    got = statuses(run(facts))
    assert got == {
        "us-fl-vendor-to-owner": R,
        "us-ga-vendor-to-owner": R,
        "us-ca-vendor-to-owner": R,
    }


def eea(**extra: Any) -> dict[str, Any]:
    return {"org": {"establishments": ["IE"], "eu_main_establishment": "IE"}, **extra}


# file → (organisation, incident, expected statuses of that file's rules)
SCENARIOS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, str]]] = {
    "eu-gdpr": (
        {},
        {"affected": {"DE": 40}, "risk_of_harm": "high"},
        {"eu-gdpr-33-1": R, "eu-gdpr-34": R},
    ),
    "uk-gdpr": ({}, {"affected": {"GB": 40}, "risk_of_harm": "likely"}, {"uk-gdpr-33": R}),
    "uk-pecr": (
        {"sectors": ["telecom_carrier"], "establishments": ["GB"]},
        {"risk_of_harm": "likely"},
        {"uk-pecr-5a": R, "uk-pecr-5a-subscribers": R},
    ),
    "eu-nis2": (
        {"sectors": ["nis2_essential"], "establishments": ["DE"]},
        {"determinations": {"significant_incident": True}},
        {
            "eu-nis2-23-4a": R,
            "eu-nis2-23-4b": R,
            "eu-nis2-23-4c": P,
            "eu-nis2-23-4d": P,
            "eu-nis2-23-1-recipients": U,
        },
    ),
    "eu-dora": (
        {"sectors": ["dora_financial_entity"], "establishments": ["IE"]},
        {"classified_major_at": "2026-06-01T18:00:00Z"},
        {"eu-dora-initial": R, "eu-dora-intermediate": P, "eu-dora-final": P},
    ),
    "eu-eidas": (
        {"sectors": ["trust_service_provider"], "establishments": ["FR"]},
        {"determinations": {"significant_incident": True}},
        {"eu-eidas-19": R},
    ),
    "us-sec": ({"sectors": ["sec_registrant"]}, {}, {"us-sec-8k-105": P}),
    "us-hipaa": (
        {"sectors": ["hipaa_covered_entity"]},
        {"affected": {"US-TX": 700}, "data_elements": ["name", "medical"]},
        {"us-hipaa-164-404": R, "us-hipaa-164-408-large": R, "us-hipaa-164-406@US-TX": R},
    ),
    "us-ftc-hbnr": (
        {"sectors": ["health_app_vendor"]},
        {"affected": {"US-TX": 100}, "data_elements": ["name", "medical"]},
        {"us-ftc-hbnr": R, "us-ftc-hbnr-ftc-annual": R},
    ),
    "us-glba": (
        {"sectors": ["glba_financial_institution"]},
        {"affected": {"US-TX": 900}},
        {"us-glba-ftc-314-4j": R},
    ),
    "us-bank": (
        {"sectors": ["us_bank", "bank_service_provider"]},
        {
            "determinations": {
                "notification_incident": "2026-06-02T10:00:00Z",
                "material_service_disruption": False,
            }
        },
        {"us-bank-36h": R},
    ),
    "us-nydfs": (
        {"sectors": ["nydfs_covered_entity"]},
        {"ransom_paid_at": "2026-06-03T10:00:00Z"},
        {"us-ny-dfs-500-17a": U, "us-ny-dfs-500-17c-24h": R, "us-ny-dfs-500-17c-30d": R},
    ),
    "us-fcc": (
        {"sectors": ["telecom_carrier"]},
        {"affected": {"US-TX": 600}},
        {"us-fcc-cpni": R, "us-fcc-cpni-customers": P},
    ),
    "us-circia": ({"sectors": ["critical_infrastructure"]}, {}, {}),
    "pci-visa": (
        {"sectors": ["card_merchant"]},
        {"data_elements": ["name", "payment_card"]},
        {"pci-visa-wtdic": R},
    ),
    "ca-pipeda": (
        {},
        {"affected": {"CA-ON": 10}},
        {
            "ca-pipeda-10-1-opc": R,
            "ca-pipeda-10-1-individuals": R,
            "ca-pipeda-10-2-orgs": R,
            "ca-pipeda-10-3-records": R,
        },
    ),
    "ca-qc": ({}, {"affected": {"CA-QC": 10}}, {"ca-qc-law25": R, "ca-qc-law25-individuals": R}),
    "au-ndb": (
        {},
        {"affected": {"AU": 10}, "determinations": {"au_app_entity": True}},
        {"au-ndb-assess": R, "au-ndb-notify": R, "au-ndb-notify-individuals": R},
    ),
    "br-lgpd": (
        {},
        {"affected": {"BR": 10}, "data_elements": ["name", "payment_card"]},
        {"br-lgpd-anpd": R, "br-lgpd-subjects": R},
    ),
    "sg-pdpa": (
        {},
        {"affected": {"SG": 10}},
        {"sg-pdpa-26c-assess": R, "sg-pdpa-26d-pdpc": R, "sg-pdpa-26d-individuals": R},
    ),
    "jp-appi": (
        {},
        {"affected": {"JP": 10}, "data_elements": ["name", "payment_card"]},
        {"jp-appi-26-prelim": R, "jp-appi-26-final": R, "jp-appi-26-individuals": R},
    ),
    "in-certin": ({}, {"affected": {"IN": 10}}, {"in-certin-6h": R}),
    "in-dpdp": (
        {},
        {"affected": {"IN": 10}, "discovered_at": "2027-06-01T10:00:00Z"},
        {"in-dpdp-r7-principals": R, "in-dpdp-r7-board-initial": R, "in-dpdp-r7-board-72h": R},
    ),
    "kr-pipa": (
        {},
        {"affected": {"KR": 10}, "data_elements": ["name", "passport"]},
        {"kr-pipa-34-subjects": R, "kr-pipa-34-pipc": R},
    ),
    "cn-cac": (
        {"establishments": ["CN"], "sectors": ["critical_infrastructure"]},
        {"determinations": {"relatively_major_incident": True}},
        {"cn-cac-incident-ciio": R, "cn-cac-incident-operator": R},
    ),
    "cn-pipl": ({}, {"affected": {"CN": 10}}, {"cn-pipl-57": R, "cn-pipl-57-individuals": R}),
    "ch-fadp": (
        {},
        {"affected": {"CH": 10}, "risk_of_harm": "high"},
        {"ch-fadp-24-fdpic": R, "ch-fadp-24-subjects": U},
    ),
    "ch-isa": (
        {"establishments": ["CH"], "sectors": ["critical_infrastructure"]},
        {"determinations": {"malicious_act": True}},
        {"ch-isa-ncsc-24h": R},
    ),
    "za-popia": ({}, {"affected": {"ZA": 10}}, {"za-popia-22": R, "za-popia-22-subjects": R}),
    "nz-privacy": (
        {},
        {"affected": {"NZ": 10}},
        {"nz-privacy-114": R, "nz-privacy-114-individuals": R},
    ),
}


def test_every_file_has_a_scenario() -> None:
    states = {f"us-state-{code.split('-')[1].lower()}" for code in jurisdictions.US_STATE_LEVEL}
    assert set(FILES) == set(SCENARIOS) | states


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_file(name: str) -> None:
    org, incident, expected = SCENARIOS[name]
    body = {"discovered_at": "2026-06-01T15:00:00Z", "risk_of_harm": "likely", **incident}
    facts = make_facts(org or None, **body)
    regime_rules = {rule.id for rule in builtin().all() if rule.regime == name}
    got = {
        key: status
        for key, status in statuses(run(facts)).items()
        if key.split("@")[0] in regime_rules
    }
    assert got == expected


def test_india_dpdp_rules_are_not_in_force_before_13_may_2027() -> None:
    facts = make_facts(affected={"IN": 10})
    got = statuses(run(facts), prefix="in-dpdp")
    assert got == {}
    assert statuses(run(facts, rules_date=date(2027, 5, 13)), prefix="in-dpdp")


def test_alaska_no_harm_determination_moves_the_duty_to_the_attorney_general() -> None:
    facts = make_facts(affected={"US-AK": 50}, risk_of_harm="unlikely")
    assert statuses(run(facts), prefix="us-ak-") == {"us-ak-regulator": R}
    unknown = make_facts(affected={"US-AK": 50}, risk_of_harm="unknown")
    assert statuses(run(unknown), prefix="us-ak-") == {"us-ak-individuals": U, "us-ak-regulator": U}


def test_new_hampshire_requires_notice_when_harm_cannot_be_determined() -> None:
    unknown = make_facts(affected={"US-NH": 50}, risk_of_harm="unknown")
    assert statuses(run(unknown), prefix="us-nh-individuals") == {"us-nh-individuals": R}
    unlikely = make_facts(affected={"US-NH": 50}, risk_of_harm="unlikely")
    assert statuses(run(unlikely), prefix="us-nh-individuals") == {}


def test_maine_information_brokers_always_notify() -> None:
    broker = make_facts(
        {"sectors": ["information_broker"]}, affected={"US-ME": 50}, risk_of_harm="unlikely"
    )
    assert statuses(run(broker), prefix="us-me-individuals") == {"us-me-individuals": R}
    other = make_facts(affected={"US-ME": 50}, risk_of_harm="unlikely")
    assert statuses(run(other), prefix="us-me-individuals") == {}


def test_states_without_a_harm_exception_notify_even_when_harm_is_unlikely() -> None:
    facts = make_facts(
        affected={"US-CA": 5, "US-TX": 5, "US-IL": 5},
        risk_of_harm="unlikely",
        discovered_at="2026-06-01T15:00:00Z",
    )
    got = statuses(run(facts), prefix="us-")
    assert {"us-ca-individuals", "us-tx-individuals", "us-il-individuals"} <= set(got)


def test_an_unverified_harm_exception_leaves_the_decision_to_counsel() -> None:
    # Connecticut's no-harm exception is general knowledge in the reference
    facts = make_facts(
        affected={"US-CT": 5}, risk_of_harm="unlikely", discovered_at="2026-06-01T15:00:00Z"
    )
    assert statuses(run(facts), prefix="us-ct-individuals") == {"us-ct-individuals": U}
