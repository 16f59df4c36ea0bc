"""The one place that wires adapters into services."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from sqlalchemy import Engine

from candor import config
from candor.adapters import pgp, retro_rules, rules_files
from candor.adapters.clock import SystemClock
from candor.adapters.db import advisories as _advisories  # noqa: F401 - registers advisories
from candor.adapters.db import delivery as _delivery  # noqa: F401 - registers the outbox
from candor.adapters.db import intake as _intake  # noqa: F401 - registers reports, assessments
from candor.adapters.db import migrate
from candor.adapters.db import obligations as _obligations  # noqa: F401 - registers obligations
from candor.adapters.db import prepare as _prepare  # noqa: F401 - registers contacts, exercises
from candor.adapters.db import statements as _statements  # noqa: F401 - registers statements
from candor.adapters.db.chains import audit_head_seq
from candor.adapters.db.engine import make_engine, version_engine
from candor.adapters.db.uow import SqlUnitOfWorkFactory
from candor.adapters.export.csaf_provider import ProviderSettings
from candor.adapters.export.publication import AdvisoryExports
from candor.adapters.notify.smtp import SmtpTransport
from candor.adapters.notify.webhook import WebhookTransport
from candor.adapters.obligations_setup import SettingsObligations
from candor.adapters.passwords import Argon2Hasher
from candor.adapters.records.blobs import LocalBlobStore
from candor.adapters.statement_templates import JinjaStatementTemplates
from candor.domain.access import OrgRole
from candor.domain.advisories import Publisher
from candor.domain.errors import CandorError, InvalidInput, Problem
from candor.domain.fivewhys import BlamelessPolicy
from candor.domain.outbox import Channel
from candor.domain.reports import RateLimit
from candor.domain.secrets import Catalogue
from candor.domain.securitytxt import generate, values_from_settings
from candor.domain.triage_policy import Policy
from candor.services import accounts, impact, inventory
from candor.services import obligations as _recompute  # noqa: F401 - recompute on clock changes
from candor.services import statement_delivery as _deliver  # noqa: F401 - statements → outbox
from candor.services.context import Context
from candor.services.notice_records import StatementNoticeRecords
from candor.services.obligation_records import TrackedObligationRecords
from candor.services.ports import BlobStore, Clock, PasswordHasher
from candor.services.ports_advisories import AdvisorySetup
from candor.services.ports_delivery import DeliverySetup, Transport, with_delivery
from candor.services.ports_prepare import Signals
from candor.services.ports_statements import CommsSetup
from candor.services.retros import RetroActionItems

# The modules whose ``@jobs.job`` functions `candor worker` runs: the one list of them.
JOB_MODULES: tuple[str, ...] = ("candor.services.delivery_jobs",)


def load_jobs() -> None:
    for name in JOB_MODULES:
        importlib.import_module(name)


# The modules that register an incident exporter (``services.export.register_exporter``) for
# their feature's records: imported here, so every process that exports (the CLI, the web
# server, the worker) has every section. A feature with records about an incident adds its
# module here; ``tests/integration/test_export_records.py`` checks a fresh process has them all.
EXPORT_MODULES: tuple[str, ...] = (
    "candor.services.impact",
    "candor.services.statement_delivery",
    "candor.services.obligation_views",
    "candor.services.scope",
    "candor.services.views_learn",
    "candor.services.views_intake",
    "candor.services.advisory_views",
    "candor.services.prepare_views",
)
for _module in EXPORT_MODULES:
    importlib.import_module(_module)


class NotInitialised(CandorError):
    status = 503
    title = "Workspace not initialised"
    code = "not-initialised"


@dataclass
class Application:
    settings: config.Settings
    clock: Clock
    hasher_override: PasswordHasher | None = None

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database)

    @cached_property
    def _version_engine(self) -> Engine:
        return version_engine(self.engine)

    @cached_property
    def version_read_is_local(self) -> bool:
        """Whether reading the workspace version is a local file read (SQLite) rather than a
        round trip to a database server: the web layer then reads it on the event loop."""
        return self.engine.dialect.name == "sqlite"

    def workspace_version(self) -> int:
        """The audit chain's length (``services.audit.version``) read without a unit of work:
        the web layer reads it on every request to key its caches."""
        return audit_head_seq(self._version_engine)

    @cached_property
    def blobs(self) -> BlobStore:
        return blob_store(self.settings)

    @cached_property
    def context(self) -> Context:
        return Context(
            uow=SqlUnitOfWorkFactory(self.engine),
            clock=self.clock,
            organization=self.settings.organization.name,
            hasher=self.hasher,
            session_hours=self.settings.web.session_hours,
            blobs=self.blobs,
            max_attachment_bytes=self.settings.attachments.max_size_mb * 1024 * 1024,
            obligations=self.obligations,
            secrets=lambda: self.secret_catalogue,
            comms=self.comms,
            delivery=self.delivery,
        )

    @cached_property
    def comms(self) -> CommsSetup:
        catalogue = self.secret_catalogue
        return CommsSetup(
            review_chain=tuple(self.settings.comms.review_chain),
            templates=JinjaStatementTemplates(self.settings.comms.templates_dir),
            secret_rotation={t.id: t.rotate for t in catalogue.types},
            secret_names={t.id: t.name for t in catalogue.types},
        )

    @cached_property
    def delivery(self) -> DeliverySetup:
        conf = self.settings.delivery
        return DeliverySetup(
            own_domains=tuple(d.lower().lstrip("@") for d in conf.own_domains),
            from_address=self.settings.smtp.from_address,
            batch=conf.batch,
            lease_seconds=conf.lease_seconds,
            retry_base_seconds=conf.retry_base_seconds,
            retry_cap_seconds=conf.retry_cap_seconds,
            max_attempts=conf.max_attempts,
            public_url=self.settings.web.public_url.rstrip("/"),
            link_key=self.client_key,
        )

    def transports(self) -> Callable[[Channel], Transport]:
        """A transport per channel, made on first use and kept (the SMTP connection is reused
        across batches)."""
        made: dict[Channel, Transport] = {}

        def get(channel: Channel) -> Transport:
            if channel not in made:
                made[channel] = self._transport(channel)
            return made[channel]

        return get

    def _transport(self, channel: Channel) -> Transport:
        if channel is Channel.EMAIL:
            smtp = self.settings.smtp
            return SmtpTransport(
                host=smtp.host,
                port=smtp.port,
                sender=smtp.from_address,
                starttls=smtp.starttls,
                ca_file=smtp.ca_file,
                username=smtp.username,
                password=smtp.password,
                timeout=smtp.timeout_seconds,
                max_per_connection=smtp.messages_per_connection,
            )
        return WebhookTransport(
            self._webhook_target, timeout=self.settings.delivery.webhook_timeout_seconds
        )

    def _webhook_target(self, subscription: str) -> tuple[str, str] | None:
        try:
            wanted = uuid.UUID(subscription)
        except ValueError:
            return None
        with self.context.uow() as base:
            hook = with_delivery(base).webhooks.get(wanted)
        if hook is None or not hook.active:
            return None
        return hook.url, hook.secret

    @cached_property
    def obligations(self) -> SettingsObligations:
        return SettingsObligations(self.settings)

    @cached_property
    def hasher(self) -> PasswordHasher:
        return self.hasher_override or Argon2Hasher()

    def user_role(self, username: str) -> OrgRole | None:
        return accounts.role_of(self.context, username)

    @cached_property
    def signals(self) -> Signals:
        # What exercises and readiness read from the other features' own records
        # (``adapters.untracked`` keeps the "not measured" stand-ins the tests score without)
        return Signals(
            impact=impact.ImpactRecords(),
            obligations=TrackedObligationRecords(),
            notices=StatementNoticeRecords(),
            customers=inventory.CustomerContactRecords(),
            inventory=inventory.InventoryRecords(),
            action_items=RetroActionItems(),
        )

    @cached_property
    def advisories(self) -> AdvisorySetup:
        return AdvisorySetup(
            documents=AdvisoryExports(),
            id_prefix=advisory_id_prefix(self.settings),
            publisher=advisory_publisher(self.settings),
        )

    @cached_property
    def csaf_provider(self) -> ProviderSettings:
        publisher = advisory_publisher(self.settings)
        csaf: dict[str, str] = {
            "category": publisher.category,
            "name": publisher.name,
            "namespace": publisher.namespace or self.settings.web.public_url,
        }
        if publisher.contact:
            csaf["contact_details"] = publisher.contact
        conf = self.settings.advisories
        return ProviderSettings(
            public_url=self.settings.web.public_url.rstrip("/"),
            publisher=csaf,
            list_on_aggregators=conf.list_on_aggregators,
            mirror_on_aggregators=conf.mirror_on_aggregators,
        )

    @cached_property
    def blameless_policy(self) -> BlamelessPolicy:
        """The team's blameless-language file when configured, else the packaged one."""
        path = self.settings.learn.blameless
        return retro_rules.load_policy(path) if path else retro_rules.default_policy()

    @cached_property
    def triage_policy(self) -> Policy:
        """The organisation's policy when configured, else the packaged one (read once)."""
        return rules_files.load_triage_policy(self.settings.triage.policy)

    @cached_property
    def secret_catalogue(self) -> Catalogue:
        return rules_files.load_secret_catalogue()

    @cached_property
    def report_rate(self) -> RateLimit:
        conf = self.settings.intake
        return RateLimit(conf.rate_limit, timedelta(minutes=conf.rate_window_minutes))

    @property
    def client_key(self) -> bytes:
        # keys the hash of reporters' addresses; `candor init` always writes a secret_key
        return (self.settings.secret_key or "").encode("utf-8")

    def organisation_key(self) -> pgp.OrganisationKey | None:
        """The private key for encrypted reports, or None when none is configured. Read at each
        use: the unlocked key is not kept in the server's memory between decryptions, and a
        replaced key or passphrase needs no restart."""
        conf = self.settings.pgp
        if conf.private_key is None:
            return None
        return pgp.OrganisationKey.from_file(conf.private_key, passphrase=conf.passphrase())

    def security_txt(self, *, expires: datetime | None = None) -> str:
        """/.well-known/security.txt from the [security_txt] settings: what the web server
        serves and what `candor securitytxt generate` and `check` read."""
        conf = self.settings.security_txt
        canonical = list(conf.canonical)
        public = self.settings.web.public_url.rstrip("/")
        if not canonical and public.startswith("https://"):
            canonical = [f"{public}/.well-known/security.txt"]
        values = values_from_settings(
            contact=conf.contact,
            expires=expires or conf.expires,
            encryption=conf.encryption,
            acknowledgments=conf.acknowledgments,
            preferred_languages=conf.preferred_languages,
            canonical=canonical,
            policy=conf.policy,
            hiring=conf.hiring,
            comments=[f"security.txt for {self.settings.organization.name} (RFC 9116)"],
        )
        return generate(values, now=self.clock.now())

    def require_schema(self) -> None:
        if not migrate.is_current(self.engine):
            raise NotInitialised(
                f"the database at {self.engine.url.render_as_string(hide_password=True)} is not "
                "initialised or needs an upgrade: run `candor init` (new workspace) or "
                "`candor db upgrade`"
            )

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
        version = self.__dict__.get("_version_engine")
        if version is not None and version.dialect.name == "sqlite":  # its own (PostgreSQL's
            version.dispose()  # is shared by the process)


def advisory_id_prefix(settings: config.Settings) -> str:
    """The configured prefix, else the first word of the organisation's name (``Example SaaS
    Inc.`` → ``EXAMPLE``), else ``CANDOR``."""
    if settings.advisories.id_prefix:
        return settings.advisories.id_prefix
    words = settings.organization.name.split()
    first = "".join(c for c in (words[0] if words else "") if c.isascii() and c.isalnum())
    first = first.upper()[:16]
    return first if len(first) >= 2 and first[0].isalpha() else "CANDOR"


def advisory_publisher(settings: config.Settings) -> Publisher:
    conf = settings.advisories
    return Publisher(
        name=conf.publisher_name or settings.organization.name,
        namespace=conf.publisher_namespace or settings.web.public_url.rstrip("/"),
        category=conf.publisher_category,
        contact=conf.publisher_contact,
        cna_org_id=conf.cna_org_id,
        cna_short_name=conf.cna_short_name,
    )


def build(
    settings: config.Settings | None = None,
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
) -> Application:
    return Application(
        settings=settings or config.load(), clock=clock or SystemClock(), hasher_override=hasher
    )


def blob_store(settings: config.Settings) -> BlobStore:
    """The attachment store the settings name."""
    chosen = settings.attachments
    if chosen.storage == "s3":
        if not chosen.s3.bucket:
            raise InvalidInput(
                Problem("is required when attachments.storage is s3", field="attachments.s3.bucket")
            )
        from candor.adapters.records.s3 import S3BlobStore

        return S3BlobStore(
            bucket=chosen.s3.bucket,
            prefix=chosen.s3.prefix,
            endpoint_url=chosen.s3.endpoint_url,
            region=chosen.s3.region,
        )
    return LocalBlobStore(settings.attachment_directory)
