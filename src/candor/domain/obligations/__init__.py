"""The obligations engine: who must be notified, by when, with what.

    facts.py        the incident and the organisation (parsed from the facts file)
    vocabulary.py   the words: data elements, sectors, roles, units, clocks, determinations
    jurisdictions   country, subdivision and group codes (@EEA, @US_STATES)
    conditions.py   when a rule applies (registry keyed by ``type:``)
    exceptions.py   why a notice is not owed or owed later (same registry pattern)
    deadlines.py    deadline arithmetic and the business-calendar protocol
    model.py        rules as frozen values; parsing.py builds them from rule-file data
    engine.py       evaluate(facts, rules, calendars) -> Evaluation (results.py)

In an incident:

    incident_facts  its facts: entered (versioned, each with its source) and composed
    tracking        its obligations and what was done about them (filed, not required)
    reconcile.py    a new evaluation merged into them, with the difference
    needed.py       the determinations still needed
    reminders.py    deadline reminders at 72, 24 and 4 hours and when overdue

Pure: no I/O, no clock reads, no third-party imports. Calendars come in through the
``CalendarProvider`` protocol (``candor.adapters.calendars`` implements it with ``holidays``).
"""
