"""XmR charts of the common measures, baseline against review.

The limits and special-cause flags come from :func:`journeys.spc.control_limits` (Wheeler's
XmR limits with NHS England's *Making Data Count* rules); this module only draws them.
"""

from __future__ import annotations

from typing import Final

import plotly.graph_objects as go
import polars as pl

from journeys.reports._checks import require_columns
from journeys.reports._style import base_layout
from journeys.reports.columns import MEASURE, PERIOD
from journeys.schema import AGENCY, VALUE
from journeys.spc import SpcSettings, control_limits

__all__ = [
    "BASELINE",
    "LCL",
    "MEAN",
    "SPECIAL_CAUSE",
    "UCL",
    "chart_measures",
    "plot_measures_summary",
    "plot_spc",
    "series_title",
]

#: Columns of :func:`journeys.spc.control_limits` that the charts read.
BASELINE: Final = "baseline"
MEAN: Final = "mean"
LCL: Final = "lcl"
UCL: Final = "ucl"
SPECIAL_CAUSE: Final = "special_cause"
UNIT: Final = "unit"
_CHARTED: Final = (BASELINE, MEAN, LCL, UCL, SPECIAL_CAUSE)


def _frame(data: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    return data.collect() if isinstance(data, pl.LazyFrame) else data


def chart_measures(
    measures: pl.DataFrame | pl.LazyFrame, *, settings: SpcSettings | None = None
) -> pl.DataFrame:
    """Measures with XmR limits: passed through when already charted, else charted here.

    Parameters
    ----------
    measures
        ``measure``, ``period``, ``value``, optionally ``agency`` (null = end to end), ``n``,
        ``unit``; and, when already charted by :func:`journeys.measures.run_basket` /
        :func:`journeys.spc.control_limits`, ``baseline``, ``mean``, ``lcl``, ``ucl``,
        ``special_cause``.
    settings
        Used only when the limits have to be computed here.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> UTC = dt.UTC
    >>> m = pl.DataFrame({"measure": "m", "value": [1.0, 2.0, 1.5],
    ...                   "period": [dt.datetime(2025, 1, d, tzinfo=dt.UTC) for d in (1, 8, 15)]})
    >>> {"mean", "lcl", "ucl", "special_cause"} <= set(chart_measures(m).columns)
    True
    """
    frame = _frame(measures)
    require_columns(frame, (MEASURE, PERIOD, VALUE), "chart_measures")
    if AGENCY not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(AGENCY))
    if all(c in frame.columns for c in _CHARTED):
        return frame
    return control_limits(frame, settings=settings).collect()


def series_title(measure: str, agency: str | None, unit: str | None = None) -> str:
    """``"measure (unit)"`` or ``"measure at agency (unit)"``."""
    where = f" at {agency}" if agency else ""
    return f"{measure}{where}" + (f" ({unit})" if unit else "")


def plot_spc(
    series: pl.DataFrame | pl.LazyFrame,
    *,
    title: str | None = None,
) -> go.Figure:
    """An XmR chart of one series: values, mean, process limits, special causes highlighted.

    Parameters
    ----------
    series
        One series (one measure and agency) as described in :func:`chart_measures`; null
        values (suppressed) leave gaps. The review period starts at the first row whose
        ``baseline`` is false.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> UTC = dt.UTC
    >>> s = pl.DataFrame({"measure": "m", "value": [3.0, 4.0, 3.5, 9.0],
    ...                   "period": [dt.datetime(2025, 1, d, tzinfo=UTC) for d in (1, 8, 15, 22)]})
    >>> [t.name for t in plot_spc(s).data]
    ['value', 'mean', 'upper limit', 'lower limit', 'special cause']
    """
    charted = chart_measures(series).sort(PERIOD)
    first = charted.row(0, named=True) if charted.height else {}
    default = series_title(str(first.get(MEASURE, "measure")), first.get(AGENCY), first.get(UNIT))
    x = charted.get_column(PERIOD).to_list()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=charted.get_column(VALUE).to_list(),
            mode="lines+markers",
            name="value",
            line={"color": "#4A6FA5"},
            marker={"size": 6},
            connectgaps=False,
        )
    )
    for name, col, dash in (
        ("mean", MEAN, "solid"),
        ("upper limit", UCL, "dash"),
        ("lower limit", LCL, "dash"),
    ):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=charted.get_column(col).to_list(),
                mode="lines",
                name=name,
                line={"color": "#555" if col == MEAN else "#999", "dash": dash, "width": 1},
                hoverinfo="skip",
            )
        )
    special = charted.filter(
        pl.col(SPECIAL_CAUSE).fill_null(value=False) & pl.col(VALUE).is_not_null()
    )
    fig.add_trace(
        go.Scatter(
            x=special.get_column(PERIOD).to_list(),
            y=special.get_column(VALUE).to_list(),
            mode="markers",
            name="special cause",
            marker={"size": 11, "color": "#E67E22", "line": {"width": 1, "color": "#7F3F00"}},
        )
    )
    review = charted.filter(~pl.col(BASELINE).fill_null(value=True))
    if review.height and review.height < charted.height:
        start = review.get_column(PERIOD)[0]
        fig.add_vline(x=start, line={"color": "#333", "width": 1, "dash": "dot"})
        fig.add_annotation(
            x=start,
            y=1.02,
            yref="paper",
            text="review period \u2192",
            showarrow=False,
            xanchor="left",
        )
    mean = charted.get_column(MEAN).drop_nulls()
    suffix = f" (baseline mean {mean[0]:,.2f})" if mean.len() else ""
    fig.update_layout(hovermode="x unified", legend={"orientation": "h", "y": -0.18})
    return base_layout(fig, (title or default) + suffix, height=380)


def _mean(values: pl.Series) -> float | None:
    known = values.drop_nulls()
    return float(known.cast(pl.Float64).mean()) if known.len() else None  # type: ignore[arg-type]


def summarise_measures(measures: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """One row per series: baseline mean, review mean, relative change, special causes in review.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> UTC = dt.UTC
    >>> m = pl.DataFrame({"measure": "a", "value": [1.0, 2.0, 1.0, 2.0],
    ...                   "period": [dt.datetime(2025, 1, d, tzinfo=UTC) for d in (1, 8, 15, 22)],
    ...                   "baseline": [True, True, False, False],
    ...                   "mean": 1.5, "lcl": 0.0, "ucl": 4.0, "special_cause": False})
    >>> summarise_measures(m).row(0)[2:5]
    (1.5, 1.5, 0.0)
    """
    charted = chart_measures(measures)
    rows = []
    keys = charted.select(MEASURE, AGENCY).unique(maintain_order=True).rows()
    for measure, agency in keys:
        part = charted.filter(
            (pl.col(MEASURE) == measure)
            & (pl.col(AGENCY).is_null() if agency is None else pl.col(AGENCY) == agency)
        )
        base = part.filter(pl.col(BASELINE).fill_null(value=True))
        rev = part.filter(~pl.col(BASELINE).fill_null(value=True))
        b, r = _mean(base.get_column(VALUE)), _mean(rev.get_column(VALUE))
        rows.append(
            {
                MEASURE: measure,
                AGENCY: agency,
                "baseline_mean": b,
                "review_mean": r,
                "relative_change": (r - b) / abs(b)
                if b not in (None, 0) and r is not None
                else None,
                "review_special_causes": (
                    int(rev.get_column(SPECIAL_CAUSE).fill_null(value=False).sum())
                    if rev.height
                    else None
                ),
            }
        )
    schema = {
        MEASURE: pl.String,
        AGENCY: pl.String,
        "baseline_mean": pl.Float64,
        "review_mean": pl.Float64,
        "relative_change": pl.Float64,
        "review_special_causes": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


def plot_measures_summary(measures: pl.DataFrame | pl.LazyFrame) -> go.Figure:
    """A table of every series: baseline mean, review mean, change, special causes in review.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> UTC = dt.UTC
    >>> m = pl.DataFrame({"measure": "a", "value": [1.0, 2.0, 1.0, 2.0],
    ...                   "period": [dt.datetime(2025, 1, d, tzinfo=UTC) for d in (1, 8, 15, 22)],
    ...                   "baseline": [True, True, False, False],
    ...                   "mean": 1.5, "lcl": 0.0, "ucl": 4.0, "special_cause": False})
    >>> plot_measures_summary(m).data[0].cells.values[2]
    ['1.50']
    """
    table = summarise_measures(measures)

    def num(v: float | None, fmt: str = ",.2f") -> str:
        return "n/a" if v is None else format(v, fmt)

    rows = table.to_dicts()
    cells = [
        [r[MEASURE] for r in rows],
        [r[AGENCY] or "end to end" for r in rows],
        [num(r["baseline_mean"]) for r in rows],
        [num(r["review_mean"]) for r in rows],
        [num(r["relative_change"], "+.0%") for r in rows],
        [
            "n/a" if r["review_special_causes"] is None else str(r["review_special_causes"])
            for r in rows
        ],
    ]
    fig = go.Figure(
        go.Table(
            header={
                "values": [
                    "measure",
                    "scope",
                    "baseline mean",
                    "review mean",
                    "change",
                    "special-cause points in review",
                ],
                "fill": {"color": "#E8EEF5"},
                "align": "left",
            },
            cells={"values": cells, "align": "left"},
        )
    )
    return base_layout(fig, "Common measures: baseline against review", height=130 + 24 * len(rows))
