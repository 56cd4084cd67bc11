"""Statistical process control: XmR charts with the NHS "Making Data Count" rules.

For each series (one measure, one scope) ordered by period:

- the centre line is the mean of the baseline points;
- the moving range is ``|x[t] - x[t-1]|``; its mean over the baseline is ``mR``;
- the process limits are ``mean +/- 2.66 * mR`` (Wheeler's constant for XmR charts);
- special-cause variation is flagged for a point outside the limits, for a run of
  ``run_length`` (7) or more consecutive points on one side of the mean, and for a trend of
  ``trend_length`` (6) or more consecutive points each higher (or each lower) than the last.

References: NHS England / Improvement, *Making Data Count* (2019) and *Making Data Count:
Getting started* (2021); D. J. Wheeler, *Understanding Variation* (2nd ed., 2000). A point
exactly on the mean ends a run; two equal consecutive points end a trend. Limits are not
clipped (a rate's lower limit may be below zero).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import polars as pl

from journeys._settings import SettingsFile
from journeys.exceptions import ConfigError, SchemaError

__all__ = ["SPC_COLUMNS", "SpcSettings", "compare_periods", "control_limits"]

Frame = pl.DataFrame | pl.LazyFrame
Variation = Literal["common", "special_high", "special_low"]

#: Series keys, period and value columns expected by :func:`control_limits`.
SERIES = ("measure", "agency")
PERIOD = "period"
VALUE = "value"
#: Columns :func:`control_limits` adds.
SPC_COLUMNS = (
    "baseline",
    "mean",
    "moving_range",
    "mean_moving_range",
    "lcl",
    "ucl",
    "outside",
    "run",
    "trend",
    "special_cause",
    "variation",
)


@dataclass(frozen=True)
class SpcSettings(SettingsFile):
    """Settings of :func:`control_limits`.

    Parameters
    ----------
    baseline_end
        ISO date; periods starting before it form the baseline from which the mean and limits
        are computed (the redesign goes live on this date). Default: every period.
    sigma_factor
        Limits are ``mean +/- sigma_factor * mean moving range``. Default 2.66 (XmR).
    run_length
        Consecutive points on one side of the mean that signal a shift. Default 7 (NHS MDC).
    trend_length
        Consecutive increasing (or decreasing) points that signal a trend. Default 6 (NHS MDC).
    """

    baseline_end: str | None = None
    sigma_factor: float = 2.66
    run_length: int = 7
    trend_length: int = 6

    def __post_init__(self) -> None:
        problems = []
        if self.baseline_end is not None:
            try:
                dt.date.fromisoformat(self.baseline_end)
            except (TypeError, ValueError):
                problems.append(
                    "'baseline_end' must be an ISO date like '2025-06-01'. "
                    f"Got {self.baseline_end!r}"
                )
        if not self.sigma_factor > 0:
            problems.append(f"'sigma_factor' must be positive. Got {self.sigma_factor!r}")
        for name in ("run_length", "trend_length"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 2:
                problems.append(f"'{name}' must be an integer >= 2. Got {value!r}")
        if problems:
            raise ConfigError("SpcSettings", problems)

    @property
    def baseline_start(self) -> dt.datetime | None:
        """``baseline_end`` as a UTC datetime (None: everything is baseline)."""
        if self.baseline_end is None:
            return None
        return dt.datetime.combine(dt.date.fromisoformat(self.baseline_end), dt.time(), dt.UTC)


def _check(series: Frame) -> pl.LazyFrame:
    lf = series.lazy()
    names = lf.collect_schema().names()
    missing = [c for c in (*SERIES, PERIOD, VALUE) if c not in names]
    if missing:
        raise SchemaError(
            "measures",
            [
                f"column '{c}' is missing (found: {', '.join(names)}); pass the output of "
                "journeys.measures.compute_measures"
                for c in missing
            ],
        )
    return lf


def _run_id(key: pl.Expr) -> pl.Expr:
    """A number that changes whenever ``key`` changes from one row to the next."""
    return (key != key.shift(1)).fill_null(True).cast(pl.UInt32).cum_sum()


def control_limits(series: Frame, *, settings: SpcSettings | None = None) -> pl.LazyFrame:
    """Add XmR control limits and special-cause flags to each series of a measures frame.

    Parameters
    ----------
    series
        ``measure``, ``agency`` (null for end-to-end), ``period``, ``value``: the output of
        :func:`journeys.measures.compute_measures`. Rows with a null value are left out (no value,
        no point on the chart); the moving range is taken between the remaining points.
    settings
        :class:`SpcSettings`.

    Returns
    -------
    pl.LazyFrame
        The input columns plus :data:`SPC_COLUMNS`, sorted by series and period.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> values = [10, 11, 9, 10, 10, 11, 9, 10, 30]
    >>> s = pl.DataFrame({"measure": "m", "agency": None, "value": [float(v) for v in values],
    ...     "period": [datetime(2025, m, 1, tzinfo=UTC) for m in range(1, 10)]})
    >>> out = control_limits(s, settings=SpcSettings(baseline_end="2025-09-01")).collect()
    >>> out["outside"].to_list()[-1], round(out["ucl"][0], 2)
    (True, 13.04)
    """
    settings = settings or SpcSettings()
    keys = list(SERIES)
    lf = _check(series).filter(pl.col(VALUE).is_not_null()).sort(*keys, PERIOD, nulls_last=True)
    cut = settings.baseline_start
    baseline = pl.lit(True) if cut is None else pl.col(PERIOD) < pl.lit(cut)
    x = pl.col(VALUE)
    mr = (x - x.shift(1).over(keys)).abs()
    lf = lf.with_columns(baseline.alias("baseline"), mr.alias("moving_range"))
    in_base_mr = pl.when(pl.col("baseline") & pl.col("baseline").shift(1).over(keys))
    lf = lf.with_columns(
        x.filter(pl.col("baseline")).mean().over(keys).alias("mean"),
        in_base_mr.then(pl.col("moving_range")).mean().over(keys).alias("mean_moving_range"),
    ).with_columns(
        (pl.col("mean") - settings.sigma_factor * pl.col("mean_moving_range")).alias("lcl"),
        (pl.col("mean") + settings.sigma_factor * pl.col("mean_moving_range")).alias("ucl"),
    )
    lf = lf.with_columns(
        (x - pl.col("mean")).sign().alias("_side"),
        (x - x.shift(1).over(keys)).sign().fill_null(0).alias("_step"),
    )
    lf = lf.with_columns(
        _run_id(pl.col("_side")).alias("_side_run"), _run_id(pl.col("_step")).alias("_step_run")
    )
    lf = lf.with_columns(
        pl.len().over([*keys, "_side_run"]).alias("_side_len"),
        pl.len().over([*keys, "_step_run"]).alias("_step_len"),
    )
    lf = lf.with_columns(
        ((pl.col("_step") != 0) & (pl.col("_step_len") >= settings.trend_length - 1)).alias(
            "_trend_step"
        )
    )
    lf = lf.with_columns(
        ((x > pl.col("ucl")) | (x < pl.col("lcl"))).fill_null(False).alias("outside"),
        ((pl.col("_side") != 0) & (pl.col("_side_len") >= settings.run_length))
        .fill_null(False)
        .alias("run"),
        # a point is in a trend if the step into it or the step out of it is
        (pl.col("_trend_step") | pl.col("_trend_step").shift(-1).over(keys).fill_null(False)).alias(
            "trend"
        ),
    ).drop("_side", "_step", "_side_run", "_step_run", "_side_len", "_step_len", "_trend_step")
    special = pl.col("outside") | pl.col("run") | pl.col("trend")
    return lf.with_columns(special.alias("special_cause")).with_columns(
        pl.when(~pl.col("special_cause"))
        .then(pl.lit("common"))
        .when(x >= pl.col("mean"))
        .then(pl.lit("special_high"))
        .otherwise(pl.lit("special_low"))
        .alias("variation")
    )


def compare_periods(charted: Frame, *, review_start: str) -> pl.LazyFrame:
    """Baseline against review: one row per series with both means and the change.

    Parameters
    ----------
    charted
        The output of :func:`control_limits`.
    review_start
        ISO date; periods from it on are the review, earlier ones the baseline.

    Returns
    -------
    pl.LazyFrame
        ``measure, agency, baseline_mean, review_mean, change, baseline_points,
        review_points, review_special_causes``.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> s = pl.DataFrame({"measure": "m", "agency": None, "value": [1.0, 1.0, 3.0],
    ...     "period": [datetime(2025, m, 1, tzinfo=UTC) for m in (1, 2, 3)]})
    >>> compare_periods(control_limits(s), review_start="2025-03-01").collect()["change"][0]
    2.0
    """
    settings = SpcSettings(baseline_end=review_start)
    cut = settings.baseline_start
    lf = _check(charted)
    review = pl.col(PERIOD) >= pl.lit(cut)
    special = pl.col("special_cause") if "special_cause" in lf.collect_schema() else pl.lit(False)
    return (
        lf.group_by(list(SERIES))
        .agg(
            pl.col(VALUE).filter(~review).mean().alias("baseline_mean"),
            pl.col(VALUE).filter(review).mean().alias("review_mean"),
            (~review).sum().cast(pl.UInt32).alias("baseline_points"),
            review.sum().cast(pl.UInt32).alias("review_points"),
            (special & review).sum().cast(pl.UInt32).alias("review_special_causes"),
        )
        .with_columns((pl.col("review_mean") - pl.col("baseline_mean")).alias("change"))
        .select(
            *SERIES,
            "baseline_mean",
            "review_mean",
            "change",
            "baseline_points",
            "review_points",
            "review_special_causes",
        )
        .sort(list(SERIES), nulls_last=False)
    )
