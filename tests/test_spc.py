"""XmR limits and the Making Data Count special-cause rules, against hand computation."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from journeys.exceptions import ConfigError
from journeys.spc import SpcSettings, compare_periods, control_limits


def series(values: list[float], measure: str = "m", agency: str | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "measure": measure,
            "agency": agency,
            "period": [
                datetime(2024 + (i // 12), i % 12 + 1, 1, tzinfo=UTC) for i in range(len(values))
            ],
            "value": values,
        },
        schema_overrides={"agency": pl.String},
    )


def test_limits_match_the_xmr_formula() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(50, 5, 24)
    out = control_limits(series(values.tolist())).collect()
    mean = values.mean()
    mr = np.abs(np.diff(values)).mean()
    assert out["mean"][0] == pytest.approx(mean)
    assert out["mean_moving_range"][0] == pytest.approx(mr)
    assert out["ucl"][0] == pytest.approx(mean + 2.66 * mr)
    assert out["lcl"][0] == pytest.approx(mean - 2.66 * mr)
    expected_outside = (values > mean + 2.66 * mr) | (values < mean - 2.66 * mr)
    assert out["outside"].to_list() == expected_outside.tolist()


def test_limits_from_the_baseline_only() -> None:
    values = [10.0, 12, 11, 9, 10, 11, 40, 41, 39]
    s = SpcSettings(baseline_end="2024-07-01")
    out = control_limits(series(values), settings=s).collect()
    base = np.array(values[:6])
    assert out["baseline"].to_list() == [True] * 6 + [False] * 3
    assert out["mean"][0] == pytest.approx(base.mean())
    assert out["mean_moving_range"][0] == pytest.approx(np.abs(np.diff(base)).mean())
    assert out["outside"].to_list() == [False] * 6 + [True] * 3
    assert out["variation"].to_list()[-1] == "special_high"


def test_run_of_seven_on_one_side_and_not_six() -> None:
    # mean 0 over the whole series; seven points above, then alternating
    values = [1.0] * 7 + [-1.0, -2.0, 2.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0]
    out = control_limits(series(values), settings=SpcSettings(sigma_factor=100)).collect()
    assert out["mean"][0] == pytest.approx(np.mean(values))
    assert out["run"].to_list() == [True] * 7 + [False] * 9
    assert not out["outside"].any()


def test_trend_of_six_points_and_a_point_on_the_mean_breaks_a_run() -> None:
    up = [1.0, 2, 3, 4, 5, 6]  # six points increasing: a trend
    flat = [3.5, 3.5]
    five = [1.0, 2, 3, 4, 5]  # five increasing: not a trend
    out = control_limits(series(up + flat + five), settings=SpcSettings(sigma_factor=100))
    trend = out.collect()["trend"].to_list()
    assert trend == [True] * 6 + [False] * 2 + [False] * 5


def test_series_are_charted_separately() -> None:
    both = pl.concat([series([1.0, 2, 3], agency="a"), series([10.0, 10, 10], agency="b")])
    out = control_limits(both).collect()
    assert out.group_by("agency").agg(pl.col("mean").first()).sort("agency").rows() == [
        ("a", 2.0),
        ("b", 10.0),
    ]


def test_compare_baseline_and_review() -> None:
    out = control_limits(
        series([10.0] * 6 + [20.0] * 3), settings=SpcSettings(baseline_end="2024-07-01")
    )
    row = compare_periods(out, review_start="2024-07-01").collect().row(0, named=True)
    assert (row["baseline_mean"], row["review_mean"], row["change"]) == (10.0, 20.0, 10.0)
    assert (row["baseline_points"], row["review_points"]) == (6, 3)
    assert row["review_special_causes"] == 3


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="'baseline_end' must be an ISO date"):
        SpcSettings(baseline_end="June")
    with pytest.raises(ConfigError, match="'run_length'"):
        SpcSettings(run_length=1)
