"""Federal and EU rules whose shape is the point: HIPAA's total versus per-state counts, the SEC
business-day clock, DORA's stages."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.unit.obligations.support import finding, make_facts, reason, run, statuses

HIPAA = {"sectors": ["hipaa_covered_entity"]}
PHI = ["name", "medical"]


def hipaa(affected: dict[str, int]) -> dict[str, str]:
    facts = make_facts(HIPAA, affected=affected, data_elements=PHI)
    return statuses(run(facts), prefix="us-hipaa")


def test_hipaa_500_in_one_state_tells_hhs_now_but_no_media() -> None:
    assert hipaa({"US-TX": 500}) == {
        "us-hipaa-164-404": "required",
        "us-hipaa-164-408-large": "required",
    }


def test_hipaa_501_in_one_state_adds_that_states_media() -> None:
    assert hipaa({"US-TX": 501, "US-CA": 20}) == {
        "us-hipaa-164-404": "required",
        "us-hipaa-164-408-large": "required",
        "us-hipaa-164-406@US-TX": "required",
    }


def test_hipaa_600_spread_over_two_states_hhs_now_no_media() -> None:
    assert hipaa({"US-TX": 300, "US-CA": 300}) == {
        "us-hipaa-164-404": "required",
        "us-hipaa-164-408-large": "required",
    }


def test_hipaa_499_goes_in_the_annual_log_due_60_days_after_the_year_ends() -> None:
    facts = make_facts(HIPAA, affected={"US-TX": 499}, data_elements=PHI)
    result = run(facts)
    small = finding(result, "us-hipaa-164-408-small")
    assert small.deadline == datetime(2027, 3, 2, 4, 59, tzinfo=UTC)  # 1 Mar 2027 23:59 EST
    assert "499 people in total (≥ 500 needed)" in reason(result, "us-hipaa-164-408-large")


def test_sec_is_pending_until_materiality_then_four_business_days() -> None:
    org = {"sectors": ["sec_registrant"]}
    pending = finding(run(make_facts(org)), "us-sec-8k-105")
    assert pending.status.value == "pending_trigger"
    assert pending.deadline is None
    # determined on Saturday 21 Nov 2026: counts as Monday 23; Thanksgiving on Thursday 26
    facts = make_facts(org, materiality_determined_at="2026-11-21T15:00:00-05:00")
    due = finding(run(facts), "us-sec-8k-105")
    assert due.status.value == "required"
    assert due.deadline == datetime(2026, 12, 1, 4, 59, tzinfo=UTC)  # Mon 30 Nov 23:59 EST


def test_dora_stages_chain_on_recorded_reports() -> None:
    org = {"sectors": ["dora_financial_entity"], "establishments": ["IE"]}
    base = {"discovered_at": "2026-06-02T08:00:00Z", "classified_major_at": "2026-06-02T10:00:00Z"}
    first = run(make_facts(org, **base))
    assert finding(first, "eu-dora-initial").deadline == datetime(2026, 6, 2, 14, 0, tzinfo=UTC)
    assert finding(first, "eu-dora-intermediate").status.value == "pending_trigger"
    second = run(make_facts(org, **base, notified={"eu-dora-initial": "2026-06-02T13:00:00Z"}))
    assert finding(second, "eu-dora-intermediate").deadline == datetime(
        2026, 6, 5, 13, 0, tzinfo=UTC
    )
    third = run(
        make_facts(
            org,
            **base,
            notified={
                "eu-dora-initial": "2026-06-02T13:00:00Z",
                "eu-dora-intermediate": "2026-06-05T09:00:00Z",
            },
        )
    )
    # one month after Friday 5 June: Sunday 5 July ends 23:59 Dublin; rolled to noon Monday 6
    final = finding(third, "eu-dora-final")
    assert final.deadline == datetime(2026, 7, 6, 11, 0, tzinfo=UTC)


def test_dora_initial_report_due_on_an_irish_bank_holiday_rolls_to_noon_next_day() -> None:
    org = {"sectors": ["dora_financial_entity"], "establishments": ["IE"]}
    facts = make_facts(
        org, discovered_at="2026-06-01T08:00:00Z", classified_major_at="2026-06-01T10:00:00Z"
    )  # June Bank Holiday
    initial = finding(run(facts), "eu-dora-initial")
    assert initial.deadline == datetime(2026, 6, 2, 11, 0, tzinfo=UTC)  # Tue 12:00 IST
    bank = make_facts(
        {**org, "sectors": ["dora_financial_entity", "credit_institution"]},
        discovered_at="2026-06-01T08:00:00Z",
        classified_major_at="2026-06-01T10:00:00Z",
    )
    assert finding(run(bank), "eu-dora-initial").deadline == datetime(2026, 6, 1, 14, 0, tzinfo=UTC)


def test_nis2_final_report_one_month_after_the_72_hour_notification() -> None:
    org = {"sectors": ["nis2_important"], "establishments": ["DE"]}
    facts = make_facts(
        org,
        determinations={"significant_incident": True},
        notified={"eu-nis2-23-4b": "2026-06-03T10:00:00Z"},
    )
    final = finding(run(facts), "eu-nis2-23-4d")
    assert final.deadline == datetime(2026, 7, 3, 21, 59, tzinfo=UTC)  # 3 July 23:59 Berlin


def test_trust_service_providers_file_the_full_nis2_notification_in_24_hours() -> None:
    org = {"sectors": ["nis2_essential", "trust_service_provider"], "establishments": ["DE"]}
    facts = make_facts(org, determinations={"significant_incident": True})
    assert finding(run(facts), "eu-nis2-23-4b").deadline == datetime(2026, 3, 3, 14, 0, tzinfo=UTC)


def test_brazil_anpd_three_working_days_on_the_brazilian_calendar() -> None:
    facts = make_facts(
        affected={"BR": 50},
        data_elements=["name", "account_credentials"],
        discovered_at="2026-02-13T13:00:00Z",
    )  # Friday before Carnival
    anpd = finding(run(facts), "br-lgpd-anpd")
    assert anpd.deadline == datetime(2026, 2, 21, 2, 59, tzinfo=UTC)  # Fri 20 Feb 23:59 BRT


def test_new_york_dfs_ransom_clocks_start_only_when_a_payment_is_recorded() -> None:
    org = {"sectors": ["nydfs_covered_entity"]}
    result = run(make_facts(org))
    assert (
        reason(result, "us-ny-dfs-500-17c-24h") == "nothing owed until ransom_paid_at is recorded"
    )
    paid = run(make_facts(org, ransom_paid_at="2026-03-04T10:00:00Z"))
    assert finding(paid, "us-ny-dfs-500-17c-24h").deadline == datetime(
        2026, 3, 5, 10, 0, tzinfo=UTC
    )
