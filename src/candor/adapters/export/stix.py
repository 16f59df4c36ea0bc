"""Share indicators as a STIX 2.1 bundle under TLP 2.0 markings, and check bundles we receive.

Built with the OASIS ``stix2`` library, so every object is checked by the reference
implementation as it is made, and patterns by ``stix2-patterns``. Markings are the five official
TLP 2.0 marking-definition objects (shipped in ``data/tlp-2.0``; their ids are fixed by OASIS,
so recipients' tools recognise them). A bundle is for sharing, so TLP:RED items are refused:
RED is for the people present only, never for a file that travels.

Patterns for each indicator type:

    ipv4 / ipv6          [ipv4-addr:value = '203.0.113.7']     (a network in CIDR form as well)
    domain               [domain-name:value = 'evil.example']
    url                  [url:value = 'https://…']
    md5 … sha512         [file:hashes.'SHA-256' = '…']
    email                [email-addr:value = '…']
    user_agent           [network-traffic:extensions.'http-request-ext'
                              .request_header.'User-Agent' = '…']   (one line in the bundle)
    aws_access_key_id    [user-account:x_aws_access_key_id = 'AKIA…']
                         STIX has no cloud-key object; a custom ``x_`` property is the form
                         STIX 2.1 allows for this
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import stix2
from stix2.exceptions import STIXError
from stix2patterns.validator import run_validator

from candor.domain.errors import InvalidInput, Problem
from candor.domain.indicators import Indicator, IndicatorType, Source, Tlp
from candor.domain.vocabulary import require_aware

DATA = Path(__file__).resolve().parent / "data" / "tlp-2.0"

TLP_IDS: dict[Tlp, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# TLP 1.0 ids defined in the STIX 2.1 specification itself: bundles from others may use them.
TLP1_IDS: dict[str, str] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "TLP:WHITE",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "TLP:GREEN",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "TLP:AMBER",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "TLP:RED",
}

HASH_NAMES = {
    IndicatorType.MD5: "MD5",
    IndicatorType.SHA1: "SHA-1",
    IndicatorType.SHA256: "SHA-256",
    IndicatorType.SHA512: "SHA-512",
}
NAMES = {
    IndicatorType.IPV4: "IPv4 address",
    IndicatorType.IPV6: "IPv6 address",
    IndicatorType.DOMAIN: "Domain",
    IndicatorType.URL: "URL",
    IndicatorType.EMAIL: "E-mail address",
    IndicatorType.AWS_ACCESS_KEY_ID: "AWS access key id",
    IndicatorType.USER_AGENT: "User agent",
}


@cache
def marking_definitions() -> dict[Tlp, dict[str, Any]]:
    """The official TLP 2.0 objects, read from the package (checked against ``TLP_IDS``)."""
    out: dict[Tlp, dict[str, Any]] = {}
    for level, stix_id in TLP_IDS.items():
        raw = json.loads((DATA / f"{stix_id}.json").read_text(encoding="utf-8"))
        objects = raw["objects"] if raw.get("type") == "bundle" else [raw]
        (obj,) = objects
        assert obj["id"] == stix_id, stix_id
        assert obj["name"] == level.label, stix_id
        out[level] = obj
    return out


def _quote(value: str) -> str:
    """A STIX pattern string literal: backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(item: Indicator) -> str:
    value = _quote(item.value)
    kind = item.type
    if kind is IndicatorType.IPV4:
        return f"[ipv4-addr:value = {value}]"
    if kind is IndicatorType.IPV6:
        return f"[ipv6-addr:value = {value}]"
    if kind is IndicatorType.DOMAIN:
        return f"[domain-name:value = {value}]"
    if kind is IndicatorType.URL:
        return f"[url:value = {value}]"
    if kind is IndicatorType.EMAIL:
        return f"[email-addr:value = {value}]"
    if kind in HASH_NAMES:
        return f"[file:hashes.'{HASH_NAMES[kind]}' = {value}]"
    if kind is IndicatorType.USER_AGENT:
        return (
            f"[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = {value}]"
        )
    assert kind is IndicatorType.AWS_ACCESS_KEY_ID
    return f"[user-account:x_aws_access_key_id = {value}]"


def _observable(item: Indicator) -> Any | None:
    """The cyber-observable for observed-data, for the types STIX models as plain values."""
    simple = {
        IndicatorType.IPV4: stix2.IPv4Address,
        IndicatorType.IPV6: stix2.IPv6Address,
        IndicatorType.DOMAIN: stix2.DomainName,
        IndicatorType.URL: stix2.URL,
        IndicatorType.EMAIL: stix2.EmailAddress,
    }
    make = simple.get(item.type)
    if make is not None:
        return make(value=item.value)
    if item.type in HASH_NAMES:
        return stix2.File(hashes={HASH_NAMES[item.type]: item.value})
    return None


def refuse_red(indicators: Iterable[Indicator], *, ceiling: Tlp = Tlp.AMBER_STRICT) -> None:
    """Refuse items marked above ``ceiling``, naming each; RED is always refused."""
    ceiling = min(ceiling, Tlp.AMBER_STRICT, key=lambda t: t.rank)
    over = [i for i in indicators if i.tlp.rank > ceiling.rank]
    if not over:
        return
    problems = []
    for item in over:
        if item.tlp is Tlp.RED:
            message = (
                f"{item.label} is TLP:RED: RED is for the people present only and never goes "
                "into a bundle for sharing"
            )
        else:
            message = f"{item.label} is {item.tlp.label}, above this bundle's {ceiling.label}"
        problems.append(
            Problem(
                message,
                field="indicators",
                hint="leave it out, or ask its source whether it may be downgraded",
            )
        )
    raise InvalidInput(problems)


def build_bundle(
    indicators: Sequence[Indicator],
    *,
    organisation: str,
    now: datetime,
    ceiling: Tlp = Tlp.AMBER_STRICT,
    incident_key: str | None = None,
    sightings: bool = True,
    observed_data: bool = False,
    contact: str | None = None,
) -> dict[str, Any]:
    """A STIX 2.1 bundle (as plain JSON data) with one indicator per item.

    ``sightings`` adds a sighting for items scoping saw (with its count and times);
    ``observed_data`` adds observed-data with the observable for items that have first/last seen.
    """
    now = require_aware(now, field="now")
    if not indicators:
        raise InvalidInput(Problem("nothing to share: the list of indicators is empty"))
    refuse_red(indicators, ceiling=ceiling)
    identity = stix2.Identity(
        name=organisation,
        identity_class="organization",
        contact_information=contact,
        created=now,
        modified=now,
    )
    objects: list[Any] = [identity]
    used: set[Tlp] = set()
    for item in indicators:
        marking = [TLP_IDS[item.tlp]]
        used.add(item.tlp)
        description = item.description or None
        if incident_key and description:
            description = f"{description} (from {incident_key})"
        elif incident_key:
            description = f"Seen in {incident_key}"
        kinds = ["compromised"] if item.type is IndicatorType.AWS_ACCESS_KEY_ID else None
        try:
            sdo = stix2.Indicator(
                name=f"{NAMES.get(item.type, item.type.value.upper())}: {item.value}",
                description=description,
                indicator_types=kinds or ["malicious-activity"],
                pattern=pattern_for(item),
                pattern_type="stix",
                pattern_version="2.1",
                valid_from=item.first_seen or now,
                created=now,
                modified=now,
                created_by_ref=identity.id,
                object_marking_refs=marking,
            )
        except STIXError as exc:
            raise InvalidInput(Problem(f"{item.label}: {exc}", field="indicators")) from None
        objects.append(sdo)
        if sightings and item.source is Source.SCOPING and item.sightings > 0:
            objects.append(
                stix2.Sighting(
                    sighting_of_ref=sdo.id,
                    count=item.sightings,
                    first_seen=item.first_seen,
                    last_seen=item.last_seen,
                    where_sighted_refs=[identity.id],
                    created_by_ref=identity.id,
                    created=now,
                    modified=now,
                    object_marking_refs=marking,
                )
            )
        observable = _observable(item) if observed_data else None
        if observable is not None and item.first_seen is not None:
            objects.append(observable)
            objects.append(
                stix2.ObservedData(
                    first_observed=item.first_seen,
                    last_observed=item.last_seen or item.first_seen,
                    number_observed=max(1, item.sightings),
                    object_refs=[observable.id],
                    created_by_ref=identity.id,
                    created=now,
                    modified=now,
                    object_marking_refs=marking,
                )
            )
    definitions = marking_definitions()
    markings = [definitions[level] for level in sorted(used, key=lambda t: t.rank)]
    bundle = stix2.Bundle(*markings, *objects, allow_custom=False)
    data: dict[str, Any] = json.loads(bundle.serialize())
    return data


# ---- checking bundles ------------------------------------------------------------------------


def _where(index: int, obj: Mapping[str, Any]) -> str:
    return f"objects[{index}] ({obj.get('id', obj.get('type', '?'))})"


def validate_bundle(data: Any) -> list[Problem]:
    """Every problem in a bundle: objects the STIX 2.1 reference library refuses, patterns that
    do not parse, marking references that resolve to nothing. An empty list means valid."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping) or data.get("type") != "bundle":
        return [Problem("not a STIX bundle: the top level must have type 'bundle'", field="type")]
    if not str(data.get("id", "")).startswith("bundle--"):
        problems.append(Problem("must be bundle--<uuid>", field="id"))
    objects = data.get("objects")
    if not isinstance(objects, list) or not objects:
        problems.append(Problem("must be a non-empty list", field="objects"))
        return problems
    known = {str(o.get("id")) for o in objects if isinstance(o, Mapping)}
    known |= set(TLP1_IDS)
    for index, obj in enumerate(objects):
        if not isinstance(obj, Mapping):
            problems.append(Problem("must be a STIX object", field=f"objects[{index}]"))
            continue
        where = _where(index, obj)
        try:
            stix2.parse(dict(obj), allow_custom=False, version="2.1")
        except (STIXError, ValueError, TypeError) as exc:
            problems.append(Problem(str(exc).splitlines()[0], field=where))
        if obj.get("type") == "indicator" and obj.get("pattern_type") == "stix":
            for failure in run_validator(str(obj.get("pattern", ""))):
                problems.append(Problem(f"pattern: {failure}", field=f"{where}.pattern"))
        for ref in obj.get("object_marking_refs", []) or []:
            if ref not in known:
                problems.append(
                    Problem(
                        f"marking {ref} is neither in the bundle nor a TLP definition",
                        field=f"{where}.object_marking_refs",
                    )
                )
    return problems


def tlp_of(obj: Mapping[str, Any]) -> Tlp | None:
    """The TLP 2.0 level an object is marked with (the most restrictive, if several)."""
    levels = [t for t, i in TLP_IDS.items() if i in (obj.get("object_marking_refs") or [])]
    return max(levels, key=lambda t: t.rank) if levels else None
