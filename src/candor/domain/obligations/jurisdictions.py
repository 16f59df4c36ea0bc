"""Jurisdiction codes: ISO 3166-1 alpha-2 countries, the ISO 3166-2 subdivisions our rules use
(US states and territories, Canadian provinces), named groups (``@EEA``) and a few pseudo-codes.

Counting residents: a count recorded for ``US-CA`` counts for ``US-CA`` and for ``US``; a count
recorded for ``US`` alone (no state) counts for the United States but for no state's law.
"""

from __future__ import annotations

from collections.abc import Iterable

# ISO 3166-1 alpha-2, as listed in the IANA time-zone database's iso3166.tab (249 codes).
# The code tables below are written as text because one code a line would run to 300 lines.
COUNTRIES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905 - see above: the table reads as text
)

# The 50 states, DC and the territories with their own breach laws (PR, GU, VI), which the
# reference table calls the 54 US state-level jurisdictions.
US_STATE_LEVEL: tuple[str, ...] = tuple(
    f"US-{code}"
    for code in """
    AL AK AZ AR CA CO CT DE DC FL GA GU HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV
    NH NJ NM NY NC ND OH OK OR PA PR RI SC SD TN TX UT VT VI VA WA WV WI WY
    """.split()  # noqa: SIM905 - see above
)
# Territories without a breach law of their own in the reference table: accepted, never matched.
US_OTHER_SUBDIVISIONS: tuple[str, ...] = ("US-AS", "US-MP", "US-UM")
CA_PROVINCES: tuple[str, ...] = tuple(
    f"CA-{code}"
    for code in "AB BC MB NB NL NS NT NU ON PE QC SK YT".split()  # noqa: SIM905
)
SUBDIVISIONS: frozenset[str] = frozenset(US_STATE_LEVEL + US_OTHER_SUBDIVISIONS + CA_PROVINCES)

EU: tuple[str, ...] = tuple(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()  # noqa: SIM905
)
EEA: tuple[str, ...] = (*EU, "IS", "LI", "NO")

# Named groups rule files may use as ``@NAME``.
GROUPS: dict[str, tuple[str, ...]] = {
    "EU": EU,
    "EEA": EEA,
    "US_STATES": US_STATE_LEVEL,
}

# Codes a rule may carry that are not places: the European Union as a legislator, rules that
# bind across borders by contract (card networks), and organisation-configured obligations.
PSEUDO: frozenset[str] = frozenset({"EU", "INTL", "ORG"})

# Capital's zone: where an EU-level rule is computed for the member state that supervises the
# organisation (DORA's "noon the next working day" is local to the competent authority).
COUNTRY_ZONES: dict[str, str] = {
    "AT": "Europe/Vienna",
    "BE": "Europe/Brussels",
    "BG": "Europe/Sofia",
    "HR": "Europe/Zagreb",
    "CY": "Asia/Nicosia",
    "CZ": "Europe/Prague",
    "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "DE": "Europe/Berlin",
    "GR": "Europe/Athens",
    "HU": "Europe/Budapest",
    "IE": "Europe/Dublin",
    "IT": "Europe/Rome",
    "LV": "Europe/Riga",
    "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg",
    "MT": "Europe/Malta",
    "NL": "Europe/Amsterdam",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "SK": "Europe/Bratislava",
    "SI": "Europe/Ljubljana",
    "ES": "Europe/Madrid",
    "SE": "Europe/Stockholm",
    "IS": "Atlantic/Reykjavik",
    "LI": "Europe/Vaduz",
    "NO": "Europe/Oslo",
}


def is_place(code: str) -> bool:
    """A country or a known subdivision: what facts may name."""
    return code in COUNTRIES or code in SUBDIVISIONS


def check_place(code: str) -> str | None:
    """None when ``code`` is a place facts may name, else what is wrong with it."""
    if is_place(code):
        return None
    if "-" in code:
        country = code.split("-", 1)[0]
        if country in ("US", "CA"):
            known = US_STATE_LEVEL + US_OTHER_SUBDIVISIONS if country == "US" else CA_PROVINCES
            return f"unknown subdivision {code!r}; allowed for {country}: {', '.join(known)}"
        if country in COUNTRIES:
            return f"no rules use subdivisions of {country}: write the country code {country!r}"
        return f"unknown jurisdiction code {code!r}"
    if code in PSEUDO or code in GROUPS:
        return f"{code!r} is not a place: name the countries (for the EU, e.g. DE, FR, IE)"
    return (
        f"unknown country code {code!r}; use ISO 3166-1 alpha-2 (e.g. US, DE, GB, BR) or "
        "ISO 3166-2 for US states and Canadian provinces (US-CA, CA-QC)"
    )


def expand(codes: Iterable[str]) -> tuple[str, ...]:
    """Codes with ``@GROUP`` references replaced by their members, in order, without repeats."""
    out: list[str] = []
    for code in codes:
        members = GROUPS[code[1:]] if code.startswith("@") else (code,)
        for member in members:
            if member not in out:
                out.append(member)
    return tuple(out)


def check_rule_code(code: str, *, allow_groups: bool) -> str | None:
    """None when a rule file may use ``code``, else what is wrong with it."""
    if code.startswith("@"):
        if not allow_groups:
            return f"a group ({code}) is not allowed here"
        if code[1:] in GROUPS:
            return None
        return f"unknown group {code!r}; allowed: " + ", ".join(f"@{g}" for g in GROUPS)
    if code in PSEUDO or is_place(code):
        return None
    return check_place(code)


def within(code: str, region: str) -> bool:
    """Is ``code`` (a place from the facts) inside ``region`` (a country or subdivision)?"""
    return code == region or ("-" not in region and code.startswith(region + "-"))
