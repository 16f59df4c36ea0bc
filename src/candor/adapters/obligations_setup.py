"""What obligations in incidents are computed with, from the workspace settings: the built-in
rules plus the organisation's own files (``obligations.rules``), the holiday calendars, and the
organisation's profile (``[organization]`` name and time zone, ``[obligations]`` roles, sectors,
establishments and EU main establishment)."""

from __future__ import annotations

from pathlib import Path

from candor import config
from candor.adapters import calendars
from candor.adapters import rules as rule_files
from candor.domain.obligations.deadlines import CalendarProvider
from candor.domain.obligations.incident_facts import Profile
from candor.domain.obligations.model import RuleSet


class SettingsObligations:
    def __init__(self, settings: config.Settings) -> None:
        self.settings = settings
        self._calendars = calendars.HolidayCalendars()
        self._rules: tuple[tuple[tuple[str, float], ...], RuleSet] | None = None

    def _files(self) -> list[Path]:
        found: list[Path] = []
        for path in self.settings.obligations.rules:
            found.extend(rule_files.rule_files(path.expanduser()))
        return found

    def rules(self) -> RuleSet:
        """The rules, parsed again only when an organisation rule file changed (parsing every
        rule takes about a second; the page and every recomputation ask for them)."""
        files = self._files()
        stamp = tuple((str(p), p.stat().st_mtime if p.exists() else -1.0) for p in files)
        if self._rules is None or self._rules[0] != stamp:
            self._rules = (stamp, rule_files.load_with(files))
        return self._rules[1]

    def calendars(self) -> CalendarProvider:
        return self._calendars

    def profile(self) -> Profile:
        org = self.settings.organization
        ob = self.settings.obligations
        return Profile(
            name=org.name,
            roles=tuple(role.value for role in ob.roles),
            sectors=tuple(sector.value for sector in ob.sectors),
            establishments=tuple(ob.establishments),
            eu_main_establishment=ob.eu_main_establishment,
            timezone=org.timezone,
        )
