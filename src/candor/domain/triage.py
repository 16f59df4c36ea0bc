"""The triage questionnaire: the questions, their answer scales and a parser for answers.

Every question has an *ordered* scale, from the least to the most worrying answer. The policy
(``triage_policy``) may only ask "is the answer at least X" or "does the set include Y", so a
more worrying answer can never make a rule stop firing: more severe answers never lower the
severity. ``unknown`` sits between "ruled out" and "suspected" because not knowing is more
worrying than knowing it did not happen, and less than having evidence that it did.

Unanswered questions are ``unknown`` (or empty / no count) and are listed as open questions in the
result, so the team sees what it still has to find out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

from candor.domain.errors import InvalidInput, Problem, ProblemCollector


class Tri(StrEnum):
    """A yes/no question that may not be answerable yet. Ordered no < unknown < yes."""

    NO = "no"
    UNKNOWN = "unknown"
    YES = "yes"


class Confirmation(StrEnum):
    """How sure we are that something happened. Ordered ruled_out < unknown < suspected <
    confirmed."""

    RULED_OUT = "ruled_out"
    UNKNOWN = "unknown"
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"


class DataElement(StrEnum):
    """Personal-data elements, in the words the obligations rules use."""

    NAME = "name"
    SSN = "ssn"
    DRIVERS_LICENSE = "drivers_license"
    GOVERNMENT_ID = "government_id"
    PASSPORT = "passport"
    TAX_ID = "tax_id"
    FINANCIAL_ACCOUNT = "financial_account"
    FINANCIAL_ACCOUNT_WITH_ACCESS_CODE = "financial_account_with_access_code"
    PAYMENT_CARD = "payment_card"
    PAYMENT_CARD_WITH_SECURITY_CODE = "payment_card_with_security_code"
    ACCOUNT_CREDENTIALS = "account_credentials"
    MEDICAL = "medical"
    HEALTH_INSURANCE = "health_insurance"
    BIOMETRIC = "biometric"
    GENETIC = "genetic"
    DATE_OF_BIRTH = "date_of_birth"
    EMAIL_ADDRESS = "email_address"
    PHONE_NUMBER = "phone_number"
    POSTAL_ADDRESS = "postal_address"
    IP_ADDRESS = "ip_address"
    PRECISE_GEOLOCATION = "precise_geolocation"
    THIRD_PARTY_CREDENTIALS = "third_party_credentials"
    SPECIAL_CATEGORY = "special_category"


class CustomerSecret(StrEnum):
    """What we hold for customers that lets its holder act as them (the supply-chain question)."""

    CLOUD_KEYS = "cloud_keys"
    TOKENS = "tokens"
    SOURCE_CODE = "source_code"


class RegulatedData(StrEnum):
    HEALTH = "health"
    PAYMENT_CARDS = "payment_cards"
    FINANCE = "finance"


class Scale(StrEnum):
    """How a question is answered, and therefore which policy tests apply to it."""

    TRI = "tri"
    CONFIRMATION = "confirmation"
    SET = "set"
    COUNT = "count"


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    prompt: str
    help: str
    scale: Scale
    # the allowed words, least worrying first (for SET: the members, in no particular order)
    choices: tuple[str, ...] = ()


QUESTIONS: tuple[Question, ...] = (
    Question(
        "personal_data",
        "Is personal data involved?",
        "Data about an identifiable person: customers' end users, employees, contacts.",
        Scale.TRI,
        tuple(Tri),
    ),
    Question(
        "data_elements",
        "Which personal-data elements may be involved?",
        "Pick every element that may be in the affected data; the obligations engine uses them.",
        Scale.SET,
        tuple(DataElement),
    ),
    Question(
        "access",
        "Was there unauthorised access to our systems or data?",
        "Confirmed: evidence shows it. Suspected: signs point to it. Ruled out: evidence shows "
        "it did not happen.",
        Scale.CONFIRMATION,
        tuple(Confirmation),
    ),
    Question(
        "exfiltration",
        "Was data copied out (exfiltrated)?",
        "Same words as for access.",
        Scale.CONFIRMATION,
        tuple(Confirmation),
    ),
    Question(
        "customer_secrets",
        "Are secrets or code we hold for customers involved?",
        "Cloud keys, API tokens or source code that customers gave us: their exposure is a "
        "breach of the customers themselves (the supply-chain question).",
        Scale.SET,
        tuple(CustomerSecret),
    ),
    Question(
        "shipped_code_affected",
        "Is code we ship to customers affected?",
        "SDKs, agents, libraries or scripts that run inside customers' products or systems.",
        Scale.TRI,
        tuple(Tri),
    ),
    Question(
        "attacker_active",
        "Is the attacker still active?",
        "Yes when there is access now or a foothold not yet removed.",
        Scale.TRI,
        tuple(Tri),
    ),
    Question(
        "customers_affected",
        "How many customers may be affected?",
        "Best current estimate; leave empty when unknown.",
        Scale.COUNT,
    ),
    Question(
        "people_affected",
        "How many people may be affected?",
        "Individuals whose personal data may be involved; leave empty when unknown.",
        Scale.COUNT,
    ),
    Question(
        "regulated_data",
        "Is regulated data involved?",
        "Health (e.g. HIPAA), payment cards (PCI DSS), finance (e.g. GLBA, DORA).",
        Scale.SET,
        tuple(RegulatedData),
    ),
    Question(
        "public_attention",
        "Is there public attention (press, social media, a public post)?",
        "Attention changes how fast customers need an authoritative word from us.",
        Scale.TRI,
        tuple(Tri),
    ),
)

QUESTIONS_BY_ID: dict[str, Question] = {q.id: q for q in QUESTIONS}


@dataclass(frozen=True, slots=True)
class Answers:
    """The answers to the questionnaire. Unset answers mean "not answered yet"."""

    personal_data: Tri = Tri.UNKNOWN
    data_elements: frozenset[DataElement] = frozenset()
    access: Confirmation = Confirmation.UNKNOWN
    exfiltration: Confirmation = Confirmation.UNKNOWN
    customer_secrets: frozenset[CustomerSecret] = frozenset()
    shipped_code_affected: Tri = Tri.UNKNOWN
    attacker_active: Tri = Tri.UNKNOWN
    customers_affected: int | None = None
    people_affected: int | None = None
    regulated_data: frozenset[RegulatedData] = frozenset()
    public_attention: Tri = Tri.UNKNOWN
    # questions explicitly answered; for sets this tells "none" from "not asked yet"
    answered: frozenset[str] = field(default=frozenset(), compare=False)

    def value(self, question: str) -> Any:
        return getattr(self, question)

    def unanswered(self) -> tuple[str, ...]:
        """Questions still open: never answered, or answered "unknown"."""
        out = []
        for question in QUESTIONS:
            value = self.value(question.id)
            if question.scale is Scale.SET:
                if not value and question.id not in self.answered:
                    out.append(question.id)
            elif question.scale is Scale.COUNT:
                if value is None:
                    out.append(question.id)
            elif value in (Tri.UNKNOWN, Confirmation.UNKNOWN):
                out.append(question.id)
        return tuple(out)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able values in questionnaire order; ``parse_answers`` reads them back.

        A list never answered is None, so storing and reloading keeps "none" apart from "not
        asked yet"."""
        out: dict[str, Any] = {}
        for question in QUESTIONS:
            value = self.value(question.id)
            if question.scale is Scale.SET and not value and question.id not in self.answered:
                out[question.id] = None
            else:
                out[question.id] = display_value(value)
        return out


def display_value(value: object) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(str(v) for v in value)
    if isinstance(value, StrEnum):
        return value.value
    return value


def rank(question: str, value: object) -> int:
    """Position of an answer on its question's scale (higher is more worrying)."""
    spec = QUESTIONS_BY_ID[question]
    if spec.scale is Scale.COUNT:
        return -1 if value is None else int(value)  # type: ignore[call-overload]
    if spec.scale is Scale.SET:
        raise ValueError("sets are ordered by inclusion, not by rank")
    return spec.choices.index(str(value))


SET_TYPES: dict[str, type[StrEnum]] = {
    "data_elements": DataElement,
    "customer_secrets": CustomerSecret,
    "regulated_data": RegulatedData,
}
SCALAR_TYPES: dict[str, type[StrEnum]] = {
    "personal_data": Tri,
    "shipped_code_affected": Tri,
    "attacker_active": Tri,
    "public_attention": Tri,
    "access": Confirmation,
    "exfiltration": Confirmation,
}
_BOOL_WORDS: dict[bool, str] = {True: "yes", False: "no"}


def answer_word(value: object) -> str:
    # YAML turns unquoted yes/no into booleans; people write them that way, so accept it.
    if isinstance(value, bool):
        return _BOOL_WORDS[value]
    return str(value).strip().lower()


def parse_answers(data: Mapping[str, Any] | None) -> Answers:
    """Build answers from plain data (a YAML file, a form, JSON), reporting every problem.

    Problems carry a ``path`` (the question id, and the index for list items) so a file loader
    can turn them into file:line.
    """
    problems = ProblemCollector()
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise InvalidInput(Problem("answers must be a mapping of question: answer"))
    values: dict[str, Any] = {}
    answered: set[str] = set()
    for key, raw in data.items():
        question = QUESTIONS_BY_ID.get(str(key))
        if question is None:
            problems.add(
                f"unknown question {key!r}",
                path=(str(key),),
                hint="questions: " + ", ".join(QUESTIONS_BY_ID),
            )
            continue
        if raw is None:
            continue  # an empty answer is "not answered yet"
        answered.add(question.id)
        if question.scale is Scale.SET:
            values[question.id] = _parse_set(question, raw, problems)
        elif question.scale is Scale.COUNT:
            values[question.id] = _parse_count(question, raw, problems)
        else:
            enum = SCALAR_TYPES[question.id]
            word = answer_word(raw)
            try:
                values[question.id] = enum(word)
            except ValueError:
                problems.add(
                    f"unknown answer {raw!r}; allowed: {', '.join(question.choices)}",
                    path=(question.id,),
                )
    problems.raise_if_any()
    answers = Answers(**values, answered=frozenset(answered))
    return _check_consistency(answers)


def _parse_set(question: Question, raw: object, problems: ProblemCollector) -> frozenset[Any]:
    enum = SET_TYPES[question.id]
    items = raw if isinstance(raw, list | tuple | set | frozenset) else [raw]
    out = set()
    for index, item in enumerate(items):
        try:
            out.add(enum(answer_word(item)))
        except ValueError:
            problems.add(
                f"unknown value {item!r}; allowed: {', '.join(question.choices)}",
                path=(question.id, index) if isinstance(raw, list) else (question.id,),
            )
    return frozenset(out)


def _parse_count(question: Question, raw: object, problems: ProblemCollector) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        problems.add("must be a whole number (or empty when unknown)", path=(question.id,))
        return None
    text = str(raw).strip().replace("_", "").replace(",", "")
    if text.lower() in ("", "unknown"):
        return None
    if not text.isdigit():
        problems.add(
            f"must be a whole number ≥ 0, not {raw!r}",
            path=(question.id,),
            hint="leave empty when unknown",
        )
        return None
    return int(text)


def _check_consistency(answers: Answers) -> Answers:
    problems = ProblemCollector()
    if answers.data_elements and answers.personal_data is Tri.NO:
        problems.add(
            "lists personal-data elements while personal_data is 'no'",
            path=("data_elements",),
            hint="answer personal_data: yes, or remove the elements",
        )
    if answers.exfiltration in (Confirmation.SUSPECTED, Confirmation.CONFIRMED) and (
        answers.access is Confirmation.RULED_OUT
    ):
        problems.add(
            "data cannot have been taken if access is ruled out",
            path=("exfiltration",),
            hint="set access to suspected or confirmed, or exfiltration to ruled_out",
        )
    problems.raise_if_any()
    if answers.data_elements and answers.personal_data is Tri.UNKNOWN:
        # naming the elements answers the first question: personal data is involved
        answers = replace(
            answers, personal_data=Tri.YES, answered=answers.answered | {"personal_data"}
        )
    return answers


ANSWER_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Answers) if f.name != "answered")
assert tuple(q.id for q in QUESTIONS) == ANSWER_FIELDS, "questions and answers must agree"
