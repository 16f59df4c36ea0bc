"""Settings: ``candor.toml`` in the workspace, overridden by ``CANDOR_*`` environment variables.

The workspace (``CANDOR_HOME``, default ``~/.candor``) holds ``candor.toml``, the SQLite database
and attachments. Every setting is documented in ``docs/configuration.md``; a test fails when one
is not.
"""

from __future__ import annotations

import os
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from candor.domain.errors import InvalidInput, Problem
from candor.domain.obligations import jurisdictions
from candor.domain.obligations.vocabulary import DataRole, Sector
from candor.domain.vocabulary import Role

CONFIG_NAME = "candor.toml"


def default_home() -> Path:
    return Path(os.environ.get("CANDOR_HOME") or Path.home() / ".candor").expanduser()


class OrganizationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        "Example Organisation",
        description="The organisation's name, shown on pages, notices and reports.",
    )
    timezone: str = Field(
        "UTC", description="IANA time zone for showing times and deadlines (e.g. America/New_York)."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Europe/Dublin"
            ) from None
        return value


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the web server listens on.")
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="The address people use to reach Candor; used in links in e-mails and feeds.",
    )
    secure_cookies: bool = Field(
        False,
        description="Send session cookies only over HTTPS. "
        "Turn on whenever Candor is served over HTTPS (it should be).",
    )
    session_hours: int = Field(12, ge=1, le=24 * 30, description="How long a sign-in lasts.")
    workers: int = Field(1, ge=1, le=64, description="Web server worker processes.")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or CIDR ranges of reverse proxies in front of Candor (e.g. "
        '["10.0.0.5"]). Only connections from these may say who the client is with '
        "X-Forwarded-For and X-Forwarded-Proto; without it, behind a proxy every client shares "
        "the proxy's address and sign-in throttling and report rate limits treat them as one.",
    )
    page_cache: bool = Field(
        True,
        description="Keep rendered pages and list responses until anything in the workspace "
        "changes (every change bumps the audit log's length, which keys the cache).",
    )


class SecurityTxtSettings(BaseModel):
    """What /.well-known/security.txt says (RFC 9116); checked by `candor securitytxt check`."""

    model_config = ConfigDict(extra="forbid")

    contact: list[str] = Field(
        default_factory=list,
        description="Where to report security issues, preferred first: mailto:, https: or tel: "
        "URIs.",
    )
    expires: datetime | None = Field(
        None,
        description="When the file goes stale (RFC 3339, e.g. 2027-05-31T23:59:59Z); less than a "
        "year ahead. Renew it before it passes.",
    )
    encryption: list[str] = Field(
        default_factory=list, description="https: URI of the OpenPGP key reporters should use."
    )
    policy: list[str] = Field(default_factory=list, description="Disclosure policy page.")
    preferred_languages: list[str] = Field(
        default_factory=list, description='Language tags, e.g. ["en", "de"].'
    )
    canonical: list[str] = Field(
        default_factory=list,
        description="Where the file is published; default: web.public_url + "
        "/.well-known/security.txt when that is https.",
    )
    acknowledgments: list[str] = Field(default_factory=list, description="Hall-of-fame page.")
    hiring: list[str] = Field(default_factory=list, description="Security job openings.")


class IntakeSettings(BaseModel):
    """The public "report a security issue" form and API (docs/intake.md)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        True,
        description="Accept reports from anyone at /report and POST /api/v1/reports; when false "
        "both answer 404.",
    )
    rate_limit: int = Field(
        5,
        ge=1,
        le=1000,
        description="Reports accepted from one client address per window; more get 429 with "
        "Retry-After.",
    )
    rate_window_minutes: int = Field(
        10, ge=1, le=24 * 60, description="The rate limit's window, in minutes."
    )


class PgpSettings(BaseModel):
    """The organisation's OpenPGP key, for decrypting encrypted reports (docs/intake.md).

    The passphrase is never a setting of its own, so it cannot end up in candor.toml: it comes
    from the environment variable named here, or from a file.
    """

    model_config = ConfigDict(extra="forbid")

    private_key: Path | None = Field(
        None,
        description="The armoured OpenPGP private key (a file readable by Candor only); unset: "
        "reports cannot be decrypted in Candor.",
    )
    passphrase_env: str = Field(
        "CANDOR_PGP_PASSPHRASE",
        description="The environment variable that holds the key's passphrase.",
    )
    passphrase_file: Path | None = Field(
        None,
        description="A file holding the passphrase (e.g. a container secret), read when the "
        "environment variable is not set.",
    )

    def passphrase(self) -> str | None:
        value = os.environ.get(self.passphrase_env) if self.passphrase_env else None
        if value:
            return value
        if self.passphrase_file is None:
            return None
        try:
            return self.passphrase_file.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(
                Problem(f"cannot read the passphrase file: {exc}", field="pgp.passphrase_file")
            ) from None


class SmtpSettings(BaseModel):
    """The mail server the worker sends through (docs/delivery.md).

    The password is never a setting of its own, so it cannot end up in candor.toml or in
    `candor settings`: it comes from the environment variable named here, or from a file.
    """

    model_config = ConfigDict(extra="forbid")

    host: str = Field("localhost", description="The SMTP server's host name.")
    port: int = Field(25, ge=1, le=65535, description="The SMTP server's port (587: submission).")
    starttls: bool = Field(
        False, description="Upgrade the connection with STARTTLS before signing in."
    )
    ca_file: Path | None = Field(
        None,
        description="A PEM file of the certificate authorities to trust for STARTTLS, for a "
        "server whose certificate a private CA signed; unset: the system's.",
    )
    username: str | None = Field(None, description="The user name to sign in with; unset: none.")
    password_env: str = Field(
        "CANDOR_SMTP_PASSWORD",
        description="The environment variable that holds the SMTP password.",
    )
    password_file: Path | None = Field(
        None,
        description="A file holding the SMTP password (e.g. a container secret), read when the "
        "environment variable is not set.",
    )
    from_address: str = Field(
        "candor@localhost",
        description="The From address of every email Candor sends; its domain names the "
        "Message-IDs.",
    )
    timeout_seconds: float = Field(
        30.0, gt=0, le=600, description="How long to wait for the server before giving up."
    )
    messages_per_connection: int = Field(
        1000, ge=1, le=100000, description="Messages sent over one connection before a new one."
    )

    def password(self) -> str | None:
        value = os.environ.get(self.password_env) if self.password_env else None
        if value:
            return value
        if self.password_file is None:
            return None
        try:
            return self.password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(
                Problem(f"cannot read the password file: {exc}", field="smtp.password_file")
            ) from None


class DeliverySettings(BaseModel):
    """The outbox and `candor worker` (docs/delivery.md)."""

    model_config = ConfigDict(extra="forbid")

    own_domains: list[str] = Field(
        default_factory=list,
        description="The organisation's own email domains. Messages of exercise incidents to any "
        "other address are held, never sent.",
    )
    batch: int = Field(
        100, ge=1, le=10000, description="Messages the worker claims and sends per batch."
    )
    lease_seconds: float = Field(
        120.0,
        gt=0,
        le=3600,
        description="How long a worker holds a job or a batch without renewing it; after that "
        "another worker takes over and the batch's unsettled messages become unconfirmed.",
    )
    retry_base_seconds: float = Field(
        30.0, gt=0, description="The first wait after a temporary failure; doubles each time."
    )
    retry_cap_seconds: float = Field(
        3600.0, gt=0, description="The longest wait between two attempts."
    )
    max_attempts: int = Field(
        12, ge=1, le=1000, description="Attempts before a message is given up (dead)."
    )
    webhook_allow_http: bool = Field(
        False, description="Accept http:// webhook URLs (for testing; production uses https)."
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, le=120, description="How long to wait for a webhook receiver."
    )
    subscribe_rate_limit: int = Field(
        5, ge=1, description="Subscription requests accepted per client address per window."
    )
    subscribe_rate_window_minutes: int = Field(
        10,
        ge=1,
        le=24 * 60,
        description="The window of the subscription form's rate limit, in minutes (attempts are "
        "kept with the report form's, which forgets them after intake.rate_window_minutes: "
        "keep this no longer).",
    )


class TriageSettings(BaseModel):
    """Triage in incidents (docs/triage.md)."""

    model_config = ConfigDict(extra="forbid")

    policy: Path | None = Field(
        None,
        description="The organisation's triage policy file; it replaces the packaged policy as "
        "a whole. Unset: the packaged policy.",
    )


class LearnSettings(BaseModel):
    """Retros and the public write-up (docs/learn.md)."""

    model_config = ConfigDict(extra="forbid")

    blameless: Path | None = Field(
        None,
        description="The team's own blameless-language file (the words the five-whys nudges and "
        "hints look for, like rules/retros/blameless.yaml). Unset: the packaged one.",
    )
    internal_domains: list[str] = Field(
        default_factory=list,
        description='Your internal DNS domains, e.g. ["corp.example.com"]: names under them are '
        "replaced by [internal host] in the public write-up draft.",
    )


class PrepareSettings(BaseModel):
    """Playbooks, scenarios and what the readiness score reads from settings (docs/prepare.md)."""

    model_config = ConfigDict(extra="forbid")

    playbooks_dir: Path | None = Field(
        None,
        description="The organisation's playbooks (*.yaml): a file with the name of a packaged "
        "playbook replaces it, a new name adds one.",
    )
    scenarios_dir: Path | None = Field(
        None,
        description="The organisation's tabletop scenarios (*.yaml), added to or replacing the "
        "packaged ones by name.",
    )
    response_plan: str | None = Field(
        None, description="Where the written incident-response plan lives (a link or a path)."
    )
    incident_leads: list[str] = Field(
        default_factory=list,
        description="User names of the people designated to lead a response (at least two, so "
        "one can lead while another investigates).",
    )
    cyber_insurance: bool = Field(
        True,
        description="Whether the organisation holds a cyber-insurance policy; when false the "
        "readiness score does not ask for the insurer's notice terms.",
    )


class S3Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bucket: str = Field("", description="Bucket that holds attachment content.")
    prefix: str = Field(
        "candor/", description="Key prefix inside the bucket (end it with a slash)."
    )
    endpoint_url: str | None = Field(
        None,
        description="Endpoint of an S3-compatible service (MinIO, Ceph, R2 …); empty for AWS. "
        "Credentials come from the usual AWS variables or files, never from this file.",
    )
    region: str | None = Field(None, description="Region name, when the service needs one.")


class AttachmentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    storage: Literal["local", "s3"] = Field(
        "local",
        description="Where attachment content is stored: local (the workspace's disk) or s3.",
    )
    directory: Path | None = Field(
        None, description="Local storage directory. Default: HOME/attachments."
    )
    max_size_mb: int = Field(
        100,
        ge=1,
        le=100_000,
        description="Largest attachment accepted (command line, incident page and API), in MiB; "
        "a larger upload is refused with 413.",
    )
    s3: S3Settings = Field(default_factory=S3Settings)


class RetentionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    years: int = Field(
        7,
        ge=1,
        le=100,
        description="Years after closing after which `candor retention run` removes the "
        "personal data of an incident not on legal hold.",
    )


class AdvisorySettings(BaseModel):
    """Advisories kept in the workspace and where they are published (docs/advisories.md)."""

    model_config = ConfigDict(extra="forbid")

    id_prefix: str | None = Field(
        None,
        description="The ORG of advisory ids ORG-SA-YEAR-SEQ: 2 to 16 capital letters or "
        "digits, starting with a letter. Default: the first word of the organisation's name.",
        pattern=r"^[A-Z][A-Z0-9]{1,15}$",
    )
    publisher_name: str | None = Field(
        None, description="Publisher of the advisories; default: the organisation's name."
    )
    publisher_namespace: str | None = Field(
        None, description="The publisher's web address (CSAF needs it); default: web.public_url."
    )
    publisher_category: str = Field(
        "vendor",
        description="CSAF publisher category: vendor, coordinator, discoverer, other, "
        "translator or user.",
    )
    publisher_contact: str | None = Field(
        None, description="How to reach the publisher, e.g. security@example.com."
    )
    cna_org_id: str | None = Field(
        None,
        description="Your CNA's organisation UUID, if you are a CVE Numbering Authority: "
        "published revisions then carry CVE records too.",
    )
    cna_short_name: str | None = Field(None, description="Your CNA's short name.")
    list_on_aggregators: bool = Field(
        True, description="CSAF provider metadata: may aggregators list this provider."
    )
    mirror_on_aggregators: bool = Field(
        True, description="CSAF provider metadata: may aggregators mirror the documents."
    )


class ObligationsSettings(BaseModel):
    """The organisation's part of every incident's obligations facts (docs/obligations.md); the
    name and time zone come from [organization]."""

    model_config = ConfigDict(extra="forbid")

    roles: list[DataRole] = Field(
        default_factory=lambda: [DataRole.CONTROLLER],
        description="What the organisation is for the data it holds: controller (owns it), "
        "processor (GDPR), vendor (US: maintains it for another owner).",
    )
    sectors: list[Sector] = Field(
        default_factory=list,
        description="Regulated sectors the organisation is in (sec_registrant, "
        "hipaa_business_associate, nis2_important …; the list is in docs/obligations.md).",
    )
    establishments: list[str] = Field(
        default_factory=list,
        description="Where the organisation is established: ISO 3166-1 countries or ISO 3166-2 "
        'subdivisions, e.g. ["US-DE", "IE"].',
    )
    eu_main_establishment: str | None = Field(
        None, description="The EU/EEA member state of the main establishment (GDPR, NIS2, DORA)."
    )
    rules: list[Path] = Field(
        default_factory=list,
        description="The organisation's own obligations (customer contracts, the insurance "
        "policy): rule files or directories, evaluated with the built-in rules in every incident.",
    )

    @field_validator("establishments")
    @classmethod
    def _places(cls, value: list[str]) -> list[str]:
        for code in value:
            trouble = jurisdictions.check_place(code)
            if trouble is not None:
                raise ValueError(trouble)
        return value

    @field_validator("eu_main_establishment")
    @classmethod
    def _eea(cls, value: str | None) -> str | None:
        if value is not None and value not in jurisdictions.EEA:
            raise ValueError(f"{value!r} is not an EU/EEA member state")
        return value


class CommsSettings(BaseModel):
    """Statements: who reviews them and which templates they start from (docs/communications.md)."""

    model_config = ConfigDict(extra="forbid")

    review_chain: list[str] = Field(
        default_factory=lambda: ["counsel", "incident_lead"],
        description="Incident roles that approve every statement, in order, before the "
        "communications lead publishes it (roles: incident_lead, technical_lead, comms_lead, "
        "scribe, counsel, exec_sponsor).",
    )
    templates_dir: Path | None = Field(
        None,
        description="A directory of statement templates (NAME.md.j2) that replace the packaged "
        "ones of the same name: acknowledgement, update, resolution, customer_notice, "
        "credential_rotation, regulator_notice.",
    )

    @field_validator("review_chain")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        known = {r.value for r in Role}
        for step in value:
            if step not in known:
                raise ValueError(
                    f"unknown incident role {step!r}; roles: {', '.join(sorted(known))}"
                )
        if len(set(value)) != len(value):
            raise ValueError("names a role twice")
        if not value:
            raise ValueError("names no reviewer")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CANDOR_", env_nested_delimiter="__", extra="forbid"
    )

    home: Path = Field(
        default_factory=default_home,
        description="The workspace directory: configuration, SQLite database, attachments.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database. Default: "
        "SQLite at HOME/candor.db. For teams: "
        "postgresql://USER@HOST/DB.",
    )
    secret_key: str | None = Field(
        None,
        description="A random secret generated by `candor init`, used where Candor needs a keyed "
        "hash (never for passwords or tokens, which are hashed on their own). Keep it secret.",
    )
    user: str | None = Field(
        None,
        description="The user name the CLI acts as (default: the operating-system login name).",
    )
    organization: OrganizationSettings = Field(default_factory=OrganizationSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    security_txt: SecurityTxtSettings = Field(default_factory=SecurityTxtSettings)
    prepare: PrepareSettings = Field(default_factory=PrepareSettings)
    attachments: AttachmentSettings = Field(default_factory=AttachmentSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    advisories: AdvisorySettings = Field(default_factory=AdvisorySettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    pgp: PgpSettings = Field(default_factory=PgpSettings)
    triage: TriageSettings = Field(default_factory=TriageSettings)
    obligations: ObligationsSettings = Field(default_factory=ObligationsSettings)
    learn: LearnSettings = Field(default_factory=LearnSettings)
    comms: CommsSettings = Field(default_factory=CommsSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_NAME

    @property
    def attachment_directory(self) -> Path:
        return self.attachments.directory or self.home / "attachments"

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'candor.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _config_file()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def _config_file() -> Path | None:
    explicit = os.environ.get("CANDOR_CONFIG")
    if explicit:
        return Path(explicit)
    candidate = default_home() / CONFIG_NAME
    return candidate if candidate.exists() else None


def load(**overrides: Any) -> Settings:
    """Load settings, turning every problem into one clear error naming the file and field."""
    path = _config_file()
    if path is not None:
        if not path.exists():
            raise InvalidInput(Problem("configuration file not found", file=str(path)))
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput(Problem(f"not valid TOML: {exc}", file=str(path))) from None
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = [
            Problem(
                error["msg"],
                field=".".join(str(p) for p in error["loc"]),
                file=str(path) if path else None,
            )
            for error in exc.errors()
        ]
        raise InvalidInput(problems) from None


def render_toml(settings: Settings, *, secret_key: str) -> str:
    """The ``candor.toml`` written by ``candor init``."""
    lines = [
        "# Candor workspace configuration. Every setting: docs/configuration.md",
        "# Environment variables CANDOR_<NAME> (nested: CANDOR_WEB__PORT) override this file.",
        "",
        f'secret_key = "{secret_key}"',
    ]
    if settings.database_url:
        lines.append(f'database_url = "{settings.database_url}"')
    lines += [
        "",
        "[organization]",
        f'name = "{settings.organization.name}"',
        f'timezone = "{settings.organization.timezone}"',
        "",
        "[web]",
        f'host = "{settings.web.host}"',
        f"port = {settings.web.port}",
        f'public_url = "{settings.web.public_url}"',
        "",
    ]
    return "\n".join(lines)
