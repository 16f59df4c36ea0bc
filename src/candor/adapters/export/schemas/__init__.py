"""The official schemas, vendored (see NOTICE.md here), as ready validators.

Every ``$ref`` resolves through a ``referencing`` registry built from these files, so nothing is
fetched from the network and nothing outside the package is read.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Literal

from jsonschema import Draft4Validator, Draft7Validator, Draft202012Validator
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT7

Format = Literal["cve", "csaf", "osv"]
FORMATS: tuple[Format, ...] = ("cve", "csaf", "osv")

# The URIs CSAF 2.0 uses in its $refs, and the vendored file each one names.
FIRST_SCHEMAS = {
    "https://www.first.org/cvss/cvss-v2.0.json": ("cvss-v2.0.json", DRAFT4),
    "https://www.first.org/cvss/cvss-v3.0.json": ("cvss-v3.0.json", DRAFT4),
    "https://www.first.org/cvss/cvss-v3.1.json": ("cvss-v3.1.json", DRAFT7),
}


def load(*parts: str) -> Any:
    path = resources.files(__name__).joinpath(*parts)
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def validator(fmt: Format) -> Validator:
    if fmt == "cve":
        return Draft7Validator(load("cve", "CVE_JSON_bundled_5.1.1.json"))
    if fmt == "osv":
        return Draft202012Validator(load("osv", "schema.json"))
    registry: Registry[Any] = Registry()
    for uri, (name, spec) in FIRST_SCHEMAS.items():
        resource = Resource.from_contents(load("csaf", "first", name), default_specification=spec)
        registry = registry.with_resource(uri, resource)
    return Draft202012Validator(load("csaf", "csaf_json_schema.json"), registry=registry)


# The provider metadata schema takes its publisher object from the CSAF schema, by this URI.
CSAF_SCHEMA_URI = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"


@cache
def provider_validator() -> Validator:
    """CSAF 2.0 provider metadata (``provider-metadata.json``), for the provider directory."""
    csaf = Resource.from_contents(load("csaf", "csaf_json_schema.json"))
    registry: Registry[Any] = Registry().with_resource(CSAF_SCHEMA_URI, csaf)
    return Draft202012Validator(load("csaf", "provider_json_schema.json"), registry=registry)


@cache
def cvss_validator(version: str) -> Validator:
    """The FIRST schema of one CVSS version (``2.0``, ``3.0``, ``3.1``), for CSAF test 6.1.8."""
    name = f"cvss-v{version}.json"
    schema = load("csaf", "first", name)
    return Draft4Validator(schema) if version in ("2.0", "3.0") else Draft7Validator(schema)
