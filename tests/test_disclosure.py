"""Disclosure control: small counts never survive, rounding is to the base, zero stays zero."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.disclosure import (
    END_DAY,
    JOURNEY,
    START_DAY,
    DisclosureRule,
    apply_disclosure,
    deidentify_journeys,
    load_disclosure_rule,
    save_disclosure_rule,
)
from journeys.exceptions import ConfigError, DataError
from journeys.schema import (
    ACTIVITY,
    AGENCY,
    END,
    EVENT_ID,
    IDENTIFIER_COLUMNS,
    OUTCOME,
    PERSON_ID,
    PERSON_REF,
    RESOURCE,
    SERVICE,
    START,
)

counts = st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=10_000)), max_size=60)
rules = st.builds(
    DisclosureRule,
    threshold=st.integers(min_value=1, max_value=30),
    rounding_base=st.integers(min_value=1, max_value=50),
)


@given(values=counts)
def test_default_rule_never_publishes_1_to_7(values: list[int | None]) -> None:
    out = apply_disclosure(pl.DataFrame({"n": values}, schema={"n": pl.Int64}), ["n"])
    published = out.get_column("n").to_list()
    assert not [v for v in published if v is not None and 1 <= v <= 7]
    assert all(v % 5 == 0 for v in published if v is not None)
    for before, after in zip(values, published, strict=True):
        if before == 0:
            assert after == 0
        if before is not None and 1 <= before <= 7:
            assert after is None
        if before is not None and before >= 8:
            # nearest multiple of 5: never more than 2 away
            assert after is not None
            assert abs(after - before) <= 2


@settings(max_examples=200)
@given(values=counts, rule=rules)
def test_any_rule_invariants(values: list[int | None], rule: DisclosureRule) -> None:
    out = apply_disclosure(
        pl.DataFrame({"n": values}, schema={"n": pl.Int64}), ["n"], rule=rule
    ).get_column("n")
    for before, after in zip(values, out.to_list(), strict=True):
        if after is None:
            continue
        assert after % rule.rounding_base == 0
        assert not 1 <= after < rule.threshold
        assert (after == 0) == (before == 0)
        assert abs(after - before) * 2 <= rule.rounding_base
        # the scalar twin agrees with the column version
        assert rule.disclose(before) == after


def test_known_values() -> None:
    df = pl.DataFrame({"n": [0, 1, 7, 8, 12, 13, 17, 18, 102, 103]})
    assert apply_disclosure(df, ["n"]).get_column("n").to_list() == [
        0,
        None,
        None,
        10,
        10,
        15,
        15,
        20,
        100,
        105,
    ]


def test_dependent_statistics_suppressed_with_their_count() -> None:
    df = pl.DataFrame({"a": [3, 20, 30], "b": [30, 30, 0], "hours": [1.0, 2.0, 3.0]})
    out = apply_disclosure(df, ["a", "b"], dependent=["hours"])
    assert out.rows() == [(None, 30, None), (20, 30, 2.0), (30, 0, 3.0)]
    assert df.get_column("a").to_list() == [3, 20, 30]  # input untouched


def test_disabled_rule_is_identity() -> None:
    df = pl.DataFrame({"n": [1, 2, 13]})
    assert apply_disclosure(df, ["n"], rule=DisclosureRule(enabled=False)).equals(df)
    assert "OFF" in DisclosureRule(enabled=False).describe()


def test_lazy_input_accepted() -> None:
    out = apply_disclosure(pl.LazyFrame({"n": [9]}), ["n"])
    assert out.get_column("n").to_list() == [10]


def test_errors_name_the_column() -> None:
    with pytest.raises(DataError, match="'missing'"):
        apply_disclosure(pl.DataFrame({"n": [1]}), ["missing"])
    with pytest.raises(DataError, match="integer"):
        apply_disclosure(pl.DataFrame({"n": [1.5]}), ["n"])
    with pytest.raises(DataError, match="negative"):
        apply_disclosure(pl.DataFrame({"n": [-1]}), ["n"])


def test_rule_validation_reports_every_problem() -> None:
    with pytest.raises(ConfigError) as info:
        DisclosureRule(threshold=0, rounding_base=0, suppressed_label="")
    assert len(info.value.problems) == 3


def test_rule_states_itself_in_words() -> None:
    text = DisclosureRule().describe()
    assert "1 to 7" in text
    assert "nearest 5" in text
    assert "10" in DisclosureRule(rounding_base=10).describe()


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_rule_round_trips_to_file(tmp_path: Path, suffix: str) -> None:
    rule = DisclosureRule(threshold=11, rounding_base=10, suppressed_label="<11")
    path = save_disclosure_rule(rule, tmp_path / f"rule{suffix}")
    assert load_disclosure_rule(path) == rule


def test_unknown_setting_is_reported() -> None:
    with pytest.raises(ConfigError, match="unknown key 'treshold'"):
        DisclosureRule.from_dict({"treshold": 8})


T0 = dt.datetime(2025, 1, 10, 9, 0, tzinfo=dt.UTC)


def _journeys() -> pl.DataFrame:
    return pl.DataFrame(
        {
            PERSON_ID: [7, 7, 7, 3, 3],
            AGENCY: ["ae", "acute", "asc", "police", "ae"],
            PERSON_REF: ["AE-991", "AC-17", "ASC-5", "PD-88", "AE-12"],
            EVENT_ID: ["e1", "e2", "e3", "e4", "e5"],
            ACTIVITY: ["Arrival", "Emergency admission", "Assessment", "Detention", "Arrival"],
            SERVICE: ["emergency_care", "inpatient", "social_care", "police", "emergency_care"],
            START: [T0, T0 + dt.timedelta(hours=6), T0 + dt.timedelta(days=9), T0, T0],
            END: [None, T0 + dt.timedelta(days=3), None, None, None],
            RESOURCE: ["Dr Who", "Ward 9", None, "PC 31", None],
            OUTCOME: ["admitted", None, None, None, None],
            "given_name": ["Ann", "Ann", "Ann", "Bo", "Bo"],
        },
        schema_overrides={START: pl.Datetime("us", "UTC"), END: pl.Datetime("us", "UTC")},
    )


def test_deidentified_journeys_drop_identifiers_and_shift_dates() -> None:
    out = deidentify_journeys(_journeys(), order=[7, 3])
    assert out.columns == [JOURNEY, AGENCY, ACTIVITY, SERVICE, START_DAY, END_DAY]
    for col in (*IDENTIFIER_COLUMNS, PERSON_ID, PERSON_REF, EVENT_ID, RESOURCE, OUTCOME, START):
        assert col not in out.columns
    first = out.filter(pl.col(JOURNEY) == 1)
    assert first.get_column(START_DAY).to_list() == [0.0, 0.25, 9.0]
    assert first.get_column(END_DAY).to_list() == [None, 3.0, None]
    assert out.filter(pl.col(JOURNEY) == 2).get_column(START_DAY).to_list() == [0.0, 0.0]


def test_deidentify_order_selects_and_numbers_people() -> None:
    out = deidentify_journeys(_journeys(), order=[3])
    assert out.get_column(JOURNEY).unique().to_list() == [1]
    assert out.height == 2
    default = deidentify_journeys(_journeys().lazy())
    assert default.filter(pl.col(JOURNEY) == 1).height == 3  # person 7 appears first


@given(shift=st.integers(min_value=-5000, max_value=5000))
def test_shifting_all_dates_never_changes_the_deidentified_journey(shift: int) -> None:
    j = _journeys()
    moved = j.with_columns(
        pl.col(START) + dt.timedelta(days=shift), pl.col(END) + dt.timedelta(days=shift)
    )
    assert deidentify_journeys(moved).equals(deidentify_journeys(j))


def test_deidentify_requires_columns() -> None:
    with pytest.raises(DataError, match="person_id"):
        deidentify_journeys(pl.DataFrame({AGENCY: ["ae"]}))


def test_row_suppressed_whole_when_a_count_is_dependent() -> None:
    df = pl.DataFrame({"events": [20, 40], "people": [3, 12], "hours": [1.0, 2.0]})
    out = apply_disclosure(df, ["events", "people"], dependent=["events", "people", "hours"])
    assert out.rows() == [(None, None, None), (40, 10, 2.0)]
