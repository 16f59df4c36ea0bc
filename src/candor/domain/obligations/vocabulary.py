"""The words of the obligations engine: the same spelling in rule files, facts files and output.

Adding a word is backwards compatible; renaming one breaks every rule and facts file, so don't.
"""

from __future__ import annotations

from enum import StrEnum


class DataRole(StrEnum):
    """What the organisation is for the data: owner, or holder on someone else's behalf."""

    CONTROLLER = "controller"  # owns or licenses the data (GDPR controller, US "owner")
    PROCESSOR = "processor"  # GDPR processor
    VENDOR = "vendor"  # US "maintains data for another owner" (service provider, agent)


class Sector(StrEnum):
    HIPAA_COVERED_ENTITY = "hipaa_covered_entity"
    HIPAA_BUSINESS_ASSOCIATE = "hipaa_business_associate"
    SEC_REGISTRANT = "sec_registrant"
    NYDFS_COVERED_ENTITY = "nydfs_covered_entity"
    GLBA_FINANCIAL_INSTITUTION = "glba_financial_institution"
    US_BANK = "us_bank"
    BANK_SERVICE_PROVIDER = "bank_service_provider"
    NIS2_ESSENTIAL = "nis2_essential"
    NIS2_IMPORTANT = "nis2_important"
    DORA_FINANCIAL_ENTITY = "dora_financial_entity"
    TELECOM_CARRIER = "telecom_carrier"
    TRUST_SERVICE_PROVIDER = "trust_service_provider"
    CARD_MERCHANT = "card_merchant"
    HEALTH_APP_VENDOR = "health_app_vendor"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure"
    # Added beyond the list because a rule's scope depends on them (docs/obligations.md).
    CREDIT_INSTITUTION = "credit_institution"  # DORA Art. 5(5): no weekend relief
    CENTRAL_COUNTERPARTY = "central_counterparty"  # DORA Art. 5(5)
    TRADING_VENUE = "trading_venue"  # DORA Art. 5(5)
    INFORMATION_BROKER = "information_broker"  # Georgia's statute; Maine's no-harm carve-out
    GOVERNMENT_AGENCY = "government_agency"  # state agency rules (HI, ID, UT, GA)
    CONSUMER_REPORTING_AGENCY = "consumer_reporting_agency"  # Oklahoma's 1,000 threshold
    MORTGAGE_LICENSEE = "mortgage_licensee"  # Arkansas Fair Mortgage Lending Act licensees
    LICENSED_HEALTH_FACILITY = "licensed_health_facility"  # Cal. Health & Safety Code 1280.15


class DataElement(StrEnum):
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


# An account number taken together with its code is also an account number taken: a law that
# covers the number alone is met by the stronger element too.
IMPLIES: dict[DataElement, frozenset[DataElement]] = {
    DataElement.FINANCIAL_ACCOUNT_WITH_ACCESS_CODE: frozenset({DataElement.FINANCIAL_ACCOUNT}),
    DataElement.PAYMENT_CARD_WITH_SECURITY_CODE: frozenset({DataElement.PAYMENT_CARD}),
}

# Customers' cloud keys and tokens are secrets we hold, not information about a person: they
# trigger contracts and incident-reporting rules, not personal-data rules.
NOT_PERSONAL: frozenset[DataElement] = frozenset({DataElement.THIRD_PARTY_CREDENTIALS})


def expand_elements(elements: frozenset[DataElement]) -> frozenset[DataElement]:
    out = set(elements)
    for element in elements:
        out |= IMPLIES.get(element, frozenset())
    return frozenset(out)


class RiskLevel(StrEnum):
    UNLIKELY = "unlikely"
    LIKELY = "likely"
    HIGH = "high"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        return {"unlikely": 0, "likely": 1, "high": 2, "unknown": -1}[self.value]


class RecipientCategory(StrEnum):
    AUTHORITY = "authority"
    INDIVIDUALS = "individuals"
    CONSUMER_REPORTING_AGENCIES = "consumer_reporting_agencies"
    MEDIA = "media"
    UPSTREAM = "upstream"  # the controller, covered entity or data owner we serve
    CONTRACTUAL = "contractual"  # customers under contracts, the insurer under its policy


class Status(StrEnum):
    REQUIRED = "required"
    REQUIRED_UNLESS_EXCEPTION = "required_unless_exception"
    PENDING_TRIGGER = "pending_trigger"


class Unit(StrEnum):
    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    BUSINESS_DAYS = "business_days"
    CALENDAR_MONTHS = "calendar_months"
    NONE = "none"  # the law sets only a standard ("without unreasonable delay")


class Clock(StrEnum):
    """Times recorded on the incident that can start a legal clock."""

    DISCOVERED_AT = "discovered_at"
    AWARE_AT = "aware_at"
    BREACH_DETERMINED_AT = "breach_determined_at"
    MATERIALITY_DETERMINED_AT = "materiality_determined_at"
    CLASSIFIED_MAJOR_AT = "classified_major_at"
    RANSOM_PAID_AT = "ransom_paid_at"
    # derived: the last minute of the calendar year in which the incident was discovered
    # (HIPAA's annual log of small breaches)
    DISCOVERY_YEAR_END = "discovery_year_end"


RECORDED_CLOCKS = (
    Clock.BREACH_DETERMINED_AT,
    Clock.MATERIALITY_DETERMINED_AT,
    Clock.CLASSIFIED_MAJOR_AT,
    Clock.RANSOM_PAID_AT,
)


class Determination(StrEnum):
    """Yes/no findings a rule can depend on. Unrecorded means "not determined yet"."""

    SIGNIFICANT_INCIDENT = "significant_incident"  # NIS2 Art. 23(3); eIDAS significant impact
    SERVICE_RECIPIENTS_AFFECTED = "service_recipients_affected"  # NIS2 Art. 23(1) 2nd sentence
    NOTIFICATION_INCIDENT = "notification_incident"  # US bank 36-hour rule
    MATERIAL_SERVICE_DISRUPTION = "material_service_disruption"  # bank service providers, ≥ 4 h
    CYBERSECURITY_INCIDENT = "cybersecurity_incident"  # NYDFS 500.1 definition
    RELATIVELY_MAJOR_INCIDENT = "relatively_major_incident"  # China CAC classification
    MALICIOUS_ACT = "malicious_act"  # unauthorised access, ransomware, unlawful purpose
    LARGE_SCALE = "large_scale"  # Brazil ANPD Res. 15/2024
    NOTICE_NEEDED_FOR_PROTECTION = "notice_needed_for_protection"  # Swiss FADP Art. 24(4)
    AU_APP_ENTITY = "au_app_entity"  # Australian Privacy Act covers the organisation


class RuleKind(StrEnum):
    NOTICE = "notice"  # tell someone: the obligations proper
    ASSESSMENT = "assessment"  # an internal assessment due by a deadline
    RECORD = "record"  # keep a record; the period is a retention period
    DELAY_RULE = "delay_rule"  # changes other rules' deadlines (law-enforcement delay)


class Comparison(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="

    def holds(self, left: int, right: int) -> bool:
        if self is Comparison.GT:
            return left > right
        if self is Comparison.GE:
            return left >= right
        if self is Comparison.LT:
            return left < right
        return left <= right
