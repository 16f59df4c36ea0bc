"""docs/obligations.md documents every word a user can write: a new condition type, exception
type, rule key, facts key, sector or determination fails here until it is documented."""

from __future__ import annotations

import pytest

from candor.domain.obligations.conditions import CONDITIONS
from candor.domain.obligations.exceptions import EXCEPTIONS
from candor.domain.obligations.facts import INCIDENT_KEYS, ORGANIZATION_KEYS
from candor.domain.obligations.parsing import DEADLINE_KEYS, FILE_KEYS, RULE_KEYS, UNVERIFIABLE
from candor.domain.obligations.vocabulary import (
    Clock,
    DataElement,
    Determination,
    RecipientCategory,
    Sector,
    Unit,
)
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "obligations.md").read_text()

WORDS = sorted(
    {
        *CONDITIONS,
        *EXCEPTIONS,
        *RULE_KEYS,
        *FILE_KEYS,
        *DEADLINE_KEYS,
        *UNVERIFIABLE,
        *ORGANIZATION_KEYS,
        *INCIDENT_KEYS,
        *(s.value for s in Sector),
        *(d.value for d in Determination),
        *(e.value for e in DataElement),
        *(c.value for c in Clock),
        *(u.value for u in Unit),
        *(r.value for r in RecipientCategory),
    }
)


@pytest.mark.parametrize("word", WORDS)
def test_documented(word: str) -> None:
    assert f"`{word}`" in DOC or f"{word}:" in DOC or f" {word}," in DOC, word


def test_the_statement_that_this_is_not_legal_advice() -> None:
    assert "it is not legal advice" in DOC
