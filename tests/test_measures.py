"""The common basket of measures: hand-made journeys, the Sepsis log, and invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from journeys.exceptions import ConfigError
from journeys.measures import (
    MEASURES,
    Measure,
    MeasureBasket,
    analyse_journeys,
    compute_measures,
    default_measures,
    run_basket,
)
from journeys.patterns import PatternSettings, ReadmissionSettings, detect_all
from journeys.spc import SpcSettings
from journeys.traces import JourneySettings, build_journeys, identity_crosswalk
from tests.patterns._data import SEPSIS_RELEASES, crosswalk_for, event_tables, read_sepsis
from tests.patterns._data import build_from_rows as build


def d(month: int, day: int) -> datetime:
    return datetime(2025, month, day, tzinfo=UTC)


@pytest.fixture
def journeys() -> pl.DataFrame:
    return build(
        [
            # person 1 (January): ae -> acute -> discharge -> asc 4 days later; readmitted
            (1, "ae", "a1", "Arrive", d(1, 1), None),
            (1, "acute", "a2", "Emergency admission", d(1, 2), d(1, 6)),
            (1, "acute", "a3", "Discharge", d(1, 6), None),
            (1, "asc", "a4", "Care assessment", d(1, 10), None),
            (1, "acute", "a5", "Emergency admission", d(1, 20), d(1, 22)),
            (1, "acute", "a6", "Discharge", d(1, 22), None),
            # person 2 (January): ae only
            (2, "ae", "b1", "Arrive", d(1, 15), None),
            # person 3 (February): two housing charities at once
            (3, "haven", "c1", "Housing referral", d(2, 1), d(3, 1)),
            (3, "asc", "c2", "Care assessment", d(2, 3), None),
        ]
    )


def value(m: pl.DataFrame, name: str, month: int, agency: str | None = None) -> float:
    row = m.filter(
        (pl.col("measure") == name)
        & (pl.col("period") == d(month, 1))
        & (pl.col("agency").is_null() if agency is None else pl.col("agency") == agency)
    )
    assert row.height == 1, f"{name} {month} {agency}: {row}"
    return float(row["value"][0])


def test_measures_by_hand(journeys: pl.DataFrame) -> None:
    m = compute_measures(journeys).collect()
    assert m.schema == MEASURES
    # two discharges in January, the first followed by a readmission 14 days later
    assert value(m, "readmission_rate", 1) == 0.5
    assert value(m, "readmission_rate_by_agency", 1, "acute") == 0.5
    # January episodes: person 1 (1 Jan to 22 Jan = 21 days), person 2 (0 days)
    assert value(m, "lead_time_median", 1) == 10.5
    assert value(m, "lead_time_p90", 1) == pytest.approx(0.9 * 21)
    # hand-offs: person 1 ae->acute, acute->asc, asc->acute = 3; person 2 none
    assert value(m, "handoffs_per_journey", 1) == 1.5
    assert value(m, "handoffs_out_by_agency", 1, "acute") == 1.0
    # share touching 3+ agencies: person 1 only
    assert value(m, "share_3plus_agencies", 1) == 0.5
    # time to first social care or housing: person 1, 9 days; person 3, 0 days
    assert value(m, "time_to_first_service", 1) == 9.0
    assert value(m, "time_to_first_service", 2) == 0.0
    # person 3 has one charity only: no duplicate
    assert value(m, "duplicate_attempt_rate", 2) == 0.0


def test_basket_round_trips_and_is_checked(tmp_path: Path) -> None:
    basket = MeasureBasket(
        period="week",
        measures=(
            *default_measures(),
            Measure("ttfs_p90", "time_to_first_service", quantile=0.9, activities=("X",)),
        ),
        spc=SpcSettings(baseline_end="2025-06-01"),
    )
    path = basket.to_toml(tmp_path / "basket.toml")
    assert "[[measures]]" in path.read_text()
    assert MeasureBasket.from_toml(path) == basket
    with pytest.raises(ConfigError, match="used more than once"):
        MeasureBasket(measures=(Measure("a", "lead_time"), Measure("a", "lead_time")))
    with pytest.raises(ConfigError, match="needs 'activities' or 'services'"):
        Measure("t", "time_to_first_service")
    bad = tmp_path / "bad.toml"
    bad.write_text('period = "year"\n[[measures]]\nname = "x"\nkind = "speed"\n')
    with pytest.raises(ConfigError) as info:
        MeasureBasket.from_toml(bad)
    assert len(info.value.problems) == 2


@pytest.fixture(scope="module")
def sepsis(shared_data: Path) -> pl.DataFrame:
    ev = read_sepsis(shared_data)
    one_episode = JourneySettings(episode_gap="3650d")
    return build_journeys(ev, identity_crosswalk(ev), settings=one_episode).collect()


def test_basket_on_sepsis_matches_pandas(sepsis: pl.DataFrame) -> None:
    basket = MeasureBasket(
        readmission=ReadmissionSettings(
            window="30d",
            discharge_activities=SEPSIS_RELEASES,
            readmission_activities=("Return ER",),
        ),
        measures=(
            *default_measures(),
            Measure("time_to_antibiotics", "time_to_first_service", activities=("IV Antibiotics",)),
        ),
        spc=SpcSettings(baseline_end="2014-07-01"),
    )
    charted = run_basket(sepsis, basket=basket)
    assert {"special_cause", "ucl", "lcl"} <= set(charted.columns)
    assert set(charted["measure"]) >= {
        "readmission_rate",
        "lead_time_median",
        "lead_time_p90",
        "handoffs_per_journey",
        "share_3plus_agencies",
        "time_to_antibiotics",
    }
    # oracle: pandas, one episode per patient, the month of the first event
    df = sepsis.select("person_ref", "activity", "start").to_pandas()
    per = df.groupby("person_ref")["start"].agg(["min", "max"])
    per["days"] = (per["max"] - per["min"]) / pd.Timedelta(days=1)
    per["month"] = per["min"].dt.tz_localize(None).dt.to_period("M")
    expected = per.groupby("month")["days"].median()
    got = charted.filter(pl.col("measure") == "lead_time_median").sort("period")
    assert got["value"].to_list() == pytest.approx(expected.to_list())
    assert got["n"].to_list() == per.groupby("month").size().to_list()
    # readmission rate: releases per month and the share followed by Return ER within 30 days
    rows = []
    for _ref, g in df.sort_values("start").groupby("person_ref"):
        returns = g.loc[g["activity"] == "Return ER", "start"].tolist()
        for t in g.loc[g["activity"].isin(SEPSIS_RELEASES), "start"]:
            later = [r for r in returns if r > t]
            rows.append(
                (
                    t.tz_localize(None).to_period("M"),
                    bool(later and later[0] - t <= timedelta(days=30)),
                )
            )
    rates = pd.DataFrame(rows, columns=["month", "back"]).groupby("month")["back"].mean()
    got = charted.filter(pl.col("measure") == "readmission_rate").sort("period")
    assert got["value"].to_list() == pytest.approx(rates.to_list())
    assert (charted.filter(pl.col("measure") == "handoffs_per_journey")["value"] == 0).all()


def _canonical_rows(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return sorted(tuple(tuple(v) if isinstance(v, list) else v for v in r) for r in frame.rows())


@settings(max_examples=15, deadline=None)
@given(data=event_tables(), seed=st.randoms(use_true_random=False))
def test_shuffling_rows_never_changes_detectors_or_measures(
    data: pl.DataFrame, seed: object
) -> None:
    cw = crosswalk_for(data)
    order = list(range(data.height))
    seed.shuffle(order)  # type: ignore[attr-defined]
    results = []
    for frame in (data, data[order]):
        j = build_journeys(frame, cw).collect()
        results.append((_canonical_rows(detect_all(j).collect()), compute_measures(j).collect()))
    assert results[0][0] == results[1][0]
    # the same values up to float rounding (polars' quantile interpolation can differ in the
    # last bit with the order of its input)
    assert_frame_equal(results[0][1], results[1][1], check_exact=False, rel_tol=1e-12, abs_tol=0.0)


@settings(max_examples=15, deadline=None)
@given(data=event_tables(), seed=st.randoms(use_true_random=False))
def test_detectors_and_measures_do_not_rely_on_the_row_order_of_journeys(
    data: pl.DataFrame, seed: object
) -> None:
    """Detectors use neighbouring rows of journeys in order; shuffled journeys are re-sorted."""
    j = build_journeys(data, crosswalk_for(data)).collect()
    order = list(range(j.height))
    seed.shuffle(order)  # type: ignore[attr-defined]
    expected_occ = _canonical_rows(detect_all(j).collect())
    expected_measures = compute_measures(j).collect()
    for frame in (j[order], j[order].lazy()):
        assert _canonical_rows(detect_all(frame).collect()) == expected_occ
        assert_frame_equal(
            compute_measures(frame).collect(),
            expected_measures,
            check_exact=False,
            rel_tol=1e-12,
            abs_tol=0.0,
        )


def test_analyse_a_single_agency_log_end_to_end(shared_data: Path, tmp_path: Path) -> None:
    ev = read_sepsis(shared_data)
    patterns = PatternSettings(
        readmission=ReadmissionSettings(
            window="730d",
            discharge_activities=SEPSIS_RELEASES,
            readmission_activities=("Return ER",),
        )
    )
    result = analyse_journeys(ev, patterns=patterns)  # no crosswalk: one person per case
    assert result.journeys.height == ev.height
    assert result.summary.height == 1_050
    readmitted = result.occurrences.filter(pl.col("pattern") == "readmission")
    assert readmitted["person_id"].n_unique() == 294
    assert result.by_agency.filter(pl.col("pattern") == "readmission")["people"].to_list() == [294]
    written = result.write(tmp_path)
    assert pl.read_parquet(written["occurrences"]).equals(result.occurrences)
    assert pl.read_csv(written["measures_csv"]).height == result.measures.height
