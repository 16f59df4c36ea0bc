"""STIX 2.1 bundles: valid against the OASIS JSON schemas, parsed by stix2, TLP 2.0 ids, no RED."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import stix2
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from candor.adapters.export import stix
from candor.domain.errors import InvalidInput
from candor.domain.indicators import Tlp, indicator
from tests.conftest import FIXTURES

SCHEMAS = FIXTURES / "schemas" / "stix-2.1" / "schemas"
TLP_DIR = FIXTURES / "schemas" / "tlp-2.0"
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@cache
def registry() -> Registry:
    resources = []
    for path in SCHEMAS.rglob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def schema_errors(bundle: dict[str, Any]) -> list[str]:
    schema = json.loads((SCHEMAS / "common" / "bundle.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, registry=registry())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(bundle)]


def official_tlp_ids() -> dict[str, str]:
    out = {}
    for path in TLP_DIR.glob("marking-definition--*.json"):
        (obj,) = json.loads(path.read_text(encoding="utf-8"))["objects"]
        out[obj["name"]] = obj["id"]
    return out


def sample() -> list[Any]:
    seen = datetime(2026, 3, 1, 22, 15, tzinfo=UTC)
    return [
        indicator(type="ipv4", value="203.0.113.7", tlp="green", source="scoping",
                  first_seen=seen, last_seen=NOW, sightings=14),
        indicator(type="ipv6", value="2001:db8::7", tlp="green"),
        indicator(type="domain", value="exfil.example.net", tlp="amber", first_seen=seen),
        indicator(type="url", value="https://exfil.example.net/up?id=1'x", tlp="amber"),
        indicator(type="sha256", value=EMPTY_SHA256, tlp="clear"),
        indicator(type="email", value="billing@phish.example", tlp="amber+strict"),
        indicator(type="aws_access_key_id", value="AKIAIOSFODNN7EXAMPLE", tlp="amber",
                  description="Leaked key, revoked 2 March"),
        indicator(type="user_agent", value="python-requests/2.31.0 'bot'", tlp="green"),
    ]  # fmt: skip


def test_bundle_validates_against_the_oasis_schemas_and_parses_with_stix2() -> None:
    bundle = stix.build_bundle(
        sample(), organisation="Example SaaS Inc.", now=NOW, incident_key="INC-2026-7",
        observed_data=True,
    )  # fmt: skip
    assert schema_errors(bundle) == []
    parsed = stix2.parse(bundle, allow_custom=False)
    types = [o.type for o in parsed.objects]
    assert types.count("indicator") == 8
    assert types.count("identity") == 1
    assert types.count("sighting") == 1
    assert types.count("observed-data") == 2  # the two items with a first-seen time and an SCO
    assert stix.validate_bundle(bundle) == []


def test_markings_are_the_official_tlp_2_objects() -> None:
    bundle = stix.build_bundle(sample(), organisation="Example SaaS Inc.", now=NOW)
    official = official_tlp_ids()
    definitions = {o["name"]: o for o in bundle["objects"] if o["type"] == "marking-definition"}
    assert set(definitions) == {"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT"}
    for name, obj in definitions.items():
        assert obj["id"] == official[name]
        extension = obj["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"]
        assert extension["tlp_2_0"] == name.removeprefix("TLP:").lower()
    by_value = {
        o["name"].split(": ", 1)[1]: o for o in bundle["objects"] if o["type"] == "indicator"
    }
    assert by_value["AKIAIOSFODNN7EXAMPLE"]["object_marking_refs"] == [official["TLP:AMBER"]]
    assert by_value["billing@phish.example"]["object_marking_refs"] == [
        official["TLP:AMBER+STRICT"]
    ]
    # the package's own copies are the same objects as the shared fixtures
    assert {level.label: stix.TLP_IDS[level] for level in Tlp} == official


def test_patterns_escape_quotes_and_name_the_right_objects() -> None:
    bundle = stix.build_bundle(sample(), organisation="Example SaaS Inc.", now=NOW)
    patterns = [o["pattern"] for o in bundle["objects"] if o["type"] == "indicator"]
    assert "[url:value = 'https://exfil.example.net/up?id=1\\'x']" in patterns
    assert "[user-account:x_aws_access_key_id = 'AKIAIOSFODNN7EXAMPLE']" in patterns
    assert (
        "[file:hashes.'SHA-256' = "
        "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']" in patterns
    )


def test_tlp_red_items_are_refused_by_name() -> None:
    items = [
        *sample(),
        indicator(type="ipv4", value="198.51.100.9", tlp="red"),
        indicator(type="domain", value="internal-only.example", tlp="TLP:RED"),
    ]
    with pytest.raises(InvalidInput) as caught:
        stix.build_bundle(items, organisation="Example SaaS Inc.", now=NOW)
    text = str(caught.value)
    assert "ipv4 198.51.100.9 is TLP:RED" in text
    assert "domain internal-only.example is TLP:RED" in text
    assert "203.0.113.7" not in text  # only the refused items are named


def test_a_green_ceiling_refuses_amber() -> None:
    with pytest.raises(InvalidInput, match=r"exfil\.example\.net is TLP:AMBER, above"):
        stix.build_bundle(sample(), organisation="X", now=NOW, ceiling=Tlp.GREEN)


def example_files(kind: str) -> list[Path]:
    paths = sorted((FIXTURES / "samples" / "stix-2.1").rglob("*.json"))
    return [p for p in paths if (json.loads(p.read_text(encoding="utf-8"))["type"] == "bundle")
            == (kind == "bundle")]  # fmt: skip


@pytest.mark.parametrize("path", example_files("bundle"), ids=lambda p: p.name)
def test_validate_accepts_the_oasis_example_bundles(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert stix.validate_bundle(data) == []


@pytest.mark.parametrize("path", example_files("object"), ids=lambda p: p.name)
def test_validate_says_a_lone_object_is_not_a_bundle(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [p.field for p in stix.validate_bundle(data)] == ["type"]


def test_validate_reports_every_broken_object() -> None:
    bundle = stix.build_bundle(sample()[:2], organisation="X", now=NOW)
    bundle["objects"][2]["pattern"] = "[ipv4-addr:value = "
    bundle["objects"][3]["object_marking_refs"] = [
        "marking-definition--00000000-0000-4000-8000-000000000000"
    ]
    del bundle["objects"][1]["name"]
    fields = [p.field or "" for p in stix.validate_bundle(bundle)]
    assert any(f.startswith("objects[1]") for f in fields)
    assert any(f.startswith("objects[2]") and f.endswith(".pattern") for f in fields)
    assert any(f.endswith("object_marking_refs") for f in fields)
