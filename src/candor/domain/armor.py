"""Find ASCII-armoured OpenPGP messages in submitted text.

Reports often arrive encrypted (the Datadog breach started with one). Intake stores the report
untouched; this tells the service and the pages that a report holds an encrypted message, and
where, so a responder can decrypt it with the organisation's key (``adapters.pgp``). Pure text
work, so services use it without an adapter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MESSAGE = re.compile(
    r"-----BEGIN PGP MESSAGE-----[ \t]*\r?\n.*?-----END PGP MESSAGE-----[ \t]*", re.S
)
_BEGIN = "-----BEGIN PGP MESSAGE-----"


@dataclass(frozen=True, slots=True)
class ArmoredMessage:
    text: str
    start: int
    end: int


def find_messages(text: str) -> tuple[ArmoredMessage, ...]:
    """Every complete armoured message, in order."""
    return tuple(ArmoredMessage(m.group(0), m.start(), m.end()) for m in _MESSAGE.finditer(text))


def has_unterminated_message(text: str) -> bool:
    """A BEGIN line without its END: usually a message cut off by copy and paste."""
    return text.count(_BEGIN) > len(find_messages(text))
