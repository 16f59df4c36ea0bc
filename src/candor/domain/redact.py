"""Scrub text meant for the public: the post-incident write-up drafted from a retro.

A retro is written for the team and names hosts, addresses, keys and people freely. Before any of
it leaves the company, these are replaced by a bracketed placeholder saying what was there:

    [private key]      PEM private-key blocks
    [token]            JSON Web Tokens, GitHub / Slack / Stripe-style tokens, AWS access key ids,
                       and any unbroken run of 32+ letters, digits and ``+/=_-`` with a digit in it
                       (secrets, hashes and session ids look like that)
    [email address]    e-mail addresses (they usually name a person)
    [internal URL]     URLs whose host is internal (see below)
    [internal host]    host names under the company's internal domains, or under the suffixes no
                       public name uses (.internal, .local, .lan, .corp, .intranet, .localdomain,
                       .home.arpa), and AWS-style ``ip-10-0-0-1`` names
    [IP address]       every IPv4 and IPv6 address, public or private: an address in a public
                       write-up helps an attacker more than a reader
    [person]           the names given (users and participants of the incident)

It is a draft: a person still reads it before it is published. Patterns catch the common forms,
not every secret a human can write, which is why the write-up is marked as a draft.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from candor.domain.fivewhys import person_patterns

INTERNAL_SUFFIXES = ("internal", "local", "lan", "corp", "intranet", "localdomain", "home.arpa")

PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL
)
TOKENS = [
    re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*"),  # JWT
    re.compile(r"\b(?:gh[pousr]|github_pat)_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"),
    re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    re.compile(r"(?<![\w+/=-])(?=[\w+/=-]*\d)[A-Za-z0-9+/=_-]{32,}"),
]
EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
IPV4 = re.compile(r"(?<!\d)(?:\d{1,3}\.){3}\d{1,3}(?!\d)")
# Candidates only: each is confirmed by the ipaddress module, so times like 12:30:45 stay.
IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
AWS_HOST = re.compile(r"\bip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}\b(?:\.[\w.-]+)?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Scrubbed:
    text: str
    counts: dict[str, int]  # placeholder → how many replacements

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _alternatives(names: Iterable[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))


def _host_pattern(domains: Iterable[str]) -> re.Pattern[str]:
    own = [d.strip().lower().strip(".") for d in domains if d.strip(" .")]
    end = r"(?![\w-])(?!\.[A-Za-z0-9])"
    # The company's own domains count bare too ("acme.io"); the reserved suffixes only with a
    # label before them, since "internal" or "local" alone are ordinary words.
    forms = [r"(?:[A-Za-z0-9-]+\.)+(?:" + _alternatives(INTERNAL_SUFFIXES) + ")" + end]
    if own:
        forms.insert(0, r"(?:[A-Za-z0-9-]+\.)*(?:" + _alternatives(own) + ")" + end)
    return re.compile(r"(?<![\w.-])(?:" + "|".join(forms) + ")", re.IGNORECASE)


class Scrubber:
    def __init__(self, *, people: Iterable[str] = (), internal_domains: Iterable[str] = ()) -> None:
        self._people = person_patterns(people)
        self._hosts = _host_pattern(internal_domains)
        self._url = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s<>\"')\]]+", re.IGNORECASE)

    def scrub(self, text: str) -> Scrubbed:
        counts: Counter[str] = Counter()

        def sub(pattern: re.Pattern[str], label: str, value: str) -> str:
            new, n = pattern.subn(label, value)
            counts[label] += n
            return new

        text = sub(PRIVATE_KEY, "[private key]", text)
        text = self._internal_urls(text, counts)
        for pattern in TOKENS:
            text = sub(pattern, "[token]", text)
        text = sub(EMAIL, "[email address]", text)
        text = sub(AWS_HOST, "[internal host]", text)
        text = sub(self._hosts, "[internal host]", text)
        text = self._ipv6(text, counts)
        # Replacing can join digits that were apart ("1.2.3.4.5"): repeat until none is left.
        # Each pass removes digits and the label has none, so this ends.
        while True:
            text, n = IPV4.subn("[IP address]", text)
            if not n:
                break
            counts["[IP address]"] += n
        for _name, pattern in self._people:
            text = sub(pattern, "[person]", text)
        return Scrubbed(text, {k: v for k, v in counts.items() if v})

    def _internal_urls(self, text: str, counts: Counter[str]) -> str:
        def replace(match: re.Match[str]) -> str:
            url = match.group(0)
            host = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
            host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
            if self._hosts.fullmatch(host) or AWS_HOST.fullmatch(host) or _is_ip(host):
                counts["[internal URL]"] += 1
                return "[internal URL]"
            return url

        return self._url.sub(replace, text)

    def _ipv6(self, text: str, counts: Counter[str]) -> str:
        def replace(match: re.Match[str]) -> str:
            candidate = match.group(0)
            if not any(c.isalnum() for c in candidate):
                return candidate
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                return candidate
            counts["[IP address]"] += 1
            return "[IP address]"

        return IPV6_CANDIDATE.sub(replace, text)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
