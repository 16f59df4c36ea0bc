"""VERIS 1.4: exports valid against the schema, real VCDB records round-trip, bad records refused
with the field named."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from candor.adapters.export import veris
from candor.domain.errors import InvalidInput
from candor.domain.vocabulary import Kind
from tests.conftest import FIXTURES
from tests.learn_story import FIRST_ACTIVITY, story, t

SHARED_SCHEMA = FIXTURES / "schemas" / "veris-1.4" / "verisc-merged.json"
VCDB = sorted(
    p for p in (FIXTURES / "samples" / "veris" / "vcdb-records").iterdir() if p.suffix != ".md"
)
INVALID = sorted((FIXTURES / "samples" / "veris" / "invalid-by-design").glob("*.json"))


def shared_schema_errors(record: dict[str, Any]) -> list[str]:
    schema = json.loads(SHARED_SCHEMA.read_text(encoding="utf-8"))
    return [e.message for e in Draft4Validator(schema).iter_errors(record)]


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


TOKEN_LEAK = veris.Classification(
    actor={"external": {"variety": ["Unknown"], "motive": ["Financial"], "country": ["Unknown"]}},
    action={
        "hacking": {"variety": ["Use of stolen creds"], "vector": ["Web application"]},
        "error": {"variety": ["Publishing error"], "vector": ["Carelessness"]},
    },
    asset={"assets": [{"variety": "S - Web application"}], "cloud": ["External Cloud Asset(s)"]},
    attribute={
        "confidentiality": {
            "data_disclosure": "Yes",
            "data": [{"variety": "Secrets"}, {"variety": "Personal", "amount": 1200}],
            "data_victim": ["Customer"],
        }
    },
    discovery_method={"internal": {"variety": ["Log review"]}},
    victim={
        "industry": "518210",
        "country": ["US"],
        "employee_count": "101 to 1000",
        "government": ["NA"],
    },
    impact={"overall_rating": "Painful"},
    confidence="High",
    targeted="Opportunistic",
)


def test_the_package_ships_the_same_schema_as_the_shared_copy() -> None:
    assert veris.schema() == load(SHARED_SCHEMA)


def test_an_incident_exports_to_a_valid_veris_1_4_record() -> None:
    s = story()
    record = veris.incident_record(
        s.incident, TOKEN_LEAK, now=t(9, 9), first_activity_at=FIRST_ACTIVITY
    )
    assert shared_schema_errors(record) == []
    assert record["schema_version"] == "1.4.0"
    assert record["incident_id"] == str(s.incident.id)
    assert record["timeline"]["incident"] == {"year": 2026, "month": 3, "day": 1}
    assert record["timeline"]["discovery"] == {"unit": "Hours", "value": 11}
    assert record["timeline"]["containment"] == {"unit": "Hours", "value": 6}
    assert record["security_incident"] == "Confirmed"
    assert record["plus"]["candor_incident_key"] == "INC-2026-7"


def test_an_invalid_classification_is_refused_naming_the_field() -> None:
    bad = veris.Classification(
        actor={"external": {"variety": ["Space aliens"], "motive": ["Showing off"]}},
        action={"hacking": {"variety": ["Unknown"], "vector": ["Unknown"]}},
        asset={"assets": [{"variety": "S - Web application"}], "cloud": ["Unknown"]},
    )
    with pytest.raises(InvalidInput) as caught:
        veris.incident_record(story().incident, bad, now=t(9, 9))
    fields = {p.field for p in caught.value.problems}
    assert fields == {"actor.external.variety[0]", "actor.external.motive[0]"}


@pytest.mark.parametrize("path", VCDB, ids=lambda p: p.stem[:8])
def test_real_vcdb_records_import_and_reexport_equal(path: Path) -> None:
    original = load(path)
    imported = veris.import_record(original)
    again = veris.reexport(imported, now=t(9, 9))
    assert shared_schema_errors(again) == []
    assert veris.essentials(again) == veris.essentials(original)
    assert again["schema_version"] == "1.4.0"


def test_vcdb_imports_map_to_candor_terms() -> None:
    by_id = {p.stem[:8]: veris.import_record(load(p)) for p in VCDB}
    medical = by_id["02743f06"]
    assert medical.kind is Kind.PERSONAL_DATA_BREACH
    assert by_id["0001AA7F"].occurred.as_dict() == {"year": 2010, "month": 4, "day": 9}
    assert by_id["0001AA7F"].title.startswith("A billing clerk filed a claim")
    # plus fields beyond VERIS 1.4 (real drift in VCDB) are kept as notes, not refusals
    drift = {p.field for p in by_id["00088c89"].notes}
    assert drift == {"plus.attribute.confidentiality.partner_data"}


SUFFIX = re.compile(
    r"(?:_(?:empty|missing|duplicate|invalid|unrecognized|not_array|long|short|numbers|alpha"
    r"|present|high|low|range|two)|\.(?:high|low))$"
)


def named_field(stem: str) -> str:
    """``action.error.variety_empty`` → ``action.error.variety``; ``asset.assets.0`` → ``[0]``."""
    text = ""
    for part in SUFFIX.sub("", stem).split("."):
        text += f"[{part}]" if part.isdigit() else ("." if text else "") + part
    return text


# Where the test record and its name disagree (upstream copy-paste), or VERIS 1.4 changed the
# rule since the test was written for 1.3, our message names the field that is really wrong.
KNOWN_DIFFERENCES = {
    "action.error.vector_empty": ("action.misuse.vector", "record puts it under misuse"),
    "action.error.vector_missing": ("action.misuse.vector", "record puts it under misuse"),
    "action.physical_unrecognized": ("action.social.test", "record puts it under social"),
    "attribute.availability_unrecognized": ("attribute.test", "unknown key beside availability"),
    "impact_unrecognized": ("test", "record puts the unknown key at the top level"),
    "root_unrecognized": ("test", "'root' is the top level; the unknown key there is 'test'"),
    "actor.external.name_empty": ("actor.external.region", "1.4 allows an empty name list"),
    "ioc.0.variety_missing": ("ioc[0].indicator", "1.4 renamed it to indicator"),
    "impact.loss.overall_rating_missing": ("impact.overall_rating", "1.4 moved it to impact"),
}
# Rules VERIS 1.4 dropped: these records are still refused (for other fields) but the named field
# is valid now, so no message can name it.
NO_LONGER_INVALID = {
    "actor.external.country_missing",  # 1.4 no longer requires actor.external.country
    "timeline.incident.year_high",  # its year, 2020, was "too high" only for the 1.3 schema
}


def names(fields: list[str], wanted: str) -> bool:
    return any(f == wanted or f.startswith((wanted + ".", wanted + "[")) for f in fields)


def test_every_invalid_by_design_record_is_refused_naming_its_field() -> None:
    used = set()
    missing = []
    for path in INVALID:
        case = load(path)
        with pytest.raises(InvalidInput) as caught:
            veris.import_record(case["incident"])
        problems = caught.value.problems
        assert all(p.field and p.field in str(p) for p in problems), path.name
        if case["should"] != "fail":
            continue  # written for VERIS 1.3: refused by 1.4 (discovery_method is an object now)
        fields = [p.field or "" for p in problems]
        if path.stem in NO_LONGER_INVALID:
            assert not names(fields, named_field(path.stem)), "1.4 refuses it again: move it"
            continue
        if names(fields, named_field(path.stem)):
            continue
        if path.stem in KNOWN_DIFFERENCES and names(fields, KNOWN_DIFFERENCES[path.stem][0]):
            used.add(path.stem)
            continue
        missing.append((path.stem, fields))
    assert missing == []
    assert used == set(KNOWN_DIFFERENCES), "stale entries in KNOWN_DIFFERENCES"
    assert len(INVALID) == 222
