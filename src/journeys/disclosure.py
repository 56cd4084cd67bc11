"""Statistical disclosure control for anything published (tables, charts, the workshop pack).

Two protections, both on by default:

* **Small-count suppression and rounding** (:func:`apply_disclosure`): in the named count
  columns, counts from 1 up to ``threshold - 1`` (1..7 by default) are suppressed (set to
  null) and every other count is rounded to the nearest multiple of ``rounding_base`` (5 by
  default). Zero stays zero. Statistics computed from a suppressed count (a median wait, a
  mean duration) are suppressed with it. This is the "suppress under 8, round to 5" rule
  common in UK public-sector releases (see the ONS and NHS England statistical disclosure
  control guidance: threshold suppression plus rounding so that suppressed cells cannot be
  recovered exactly by subtraction from totals).
* **De-identified individual journeys** (:func:`deidentify_journeys`): one person's events
  with every identifier dropped (person id, agency-local reference, event id, resource,
  outcome, extra attributes) and dates replaced by days since that person's first event.

Examples
--------
>>> import polars as pl
>>> rule = DisclosureRule()
>>> rule.describe()[:68]
'Counts from 1 to 7 are suppressed (shown as *); other counts are rou'
>>> apply_disclosure(pl.DataFrame({"n": [0, 3, 8, 12, 13]}), ["n"]).get_column("n").to_list()
[0, None, 10, 10, 15]
"""

from __future__ import annotations

import json
import logging
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Final

import polars as pl

from journeys.exceptions import ConfigError, DataError
from journeys.schema import (
    ACTIVITY,
    AGENCY,
    END,
    PERSON_ID,
    SERVICE,
    START,
)

__all__ = [
    "END_DAY",
    "JOURNEY",
    "START_DAY",
    "DisclosureRule",
    "apply_disclosure",
    "deidentify_journeys",
    "load_disclosure_rule",
    "save_disclosure_rule",
]

logger = logging.getLogger(__name__)

#: Column of :func:`deidentify_journeys`: the journey's display number (1, 2, ...).
JOURNEY: Final = "journey"
#: Column of :func:`deidentify_journeys`: days from the person's first event to this start.
START_DAY: Final = "start_day"
#: Column of :func:`deidentify_journeys`: days from the person's first event to this end.
END_DAY: Final = "end_day"

_US_PER_DAY: Final = 86_400_000_000


@dataclass(frozen=True)
class DisclosureRule:
    """The disclosure-control rule applied to everything published.

    Parameters
    ----------
    enabled
        Apply the rule at all. Turning it off is for internal analysis only.
    threshold
        Counts from 1 to ``threshold - 1`` are suppressed. Default 8 (so 1..7 suppressed).
    rounding_base
        Other counts are rounded to the nearest multiple of this. Default 5; 1 disables rounding.
    suppressed_label
        How a suppressed cell is shown in CSV files and charts.

    Examples
    --------
    >>> DisclosureRule(threshold=10, rounding_base=10).describe()[:40]
    'Counts from 1 to 9 are suppressed (shown'
    """

    enabled: bool = True
    threshold: int = 8
    rounding_base: int = 5
    suppressed_label: str = "*"

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ConfigError("DisclosureRule", problems)

    def problems(self) -> list[str]:
        """Every problem with the settings (empty when valid)."""
        out: list[str] = []
        if not isinstance(self.threshold, int) or isinstance(self.threshold, bool):
            out.append(f"'threshold' must be an integer >= 1; got {self.threshold!r}")
        elif self.threshold < 1:
            out.append(f"'threshold' must be >= 1 (1 means no suppression); got {self.threshold}")
        if not isinstance(self.rounding_base, int) or isinstance(self.rounding_base, bool):
            out.append(f"'rounding_base' must be an integer >= 1; got {self.rounding_base!r}")
        elif self.rounding_base < 1:
            out.append(
                f"'rounding_base' must be >= 1 (1 means no rounding); got {self.rounding_base}"
            )
        if not isinstance(self.suppressed_label, str) or not self.suppressed_label:
            out.append(
                f"'suppressed_label' must be a non-empty string; got {self.suppressed_label!r}"
            )
        return out

    def describe(self) -> str:
        """The rule in words, as stated in the workshop pack."""
        if not self.enabled:
            return (
                "Disclosure control is OFF: counts are shown exactly. "
                "Do not share this pack outside the analysis team."
            )
        parts: list[str] = []
        if self.threshold > 1:
            low = "of 1 are" if self.threshold == 2 else f"from 1 to {self.threshold - 1} are"
            parts.append(f"Counts {low} suppressed (shown as {self.suppressed_label})")
        if self.rounding_base > 1:
            parts.append(f"other counts are rounded to the nearest {self.rounding_base}")
        if not parts:
            return "Counts are shown exactly (threshold 1, no rounding)."
        text = "; ".join(parts)
        text = text[0].upper() + text[1:]
        return (
            f"{text}. Zero stays zero. Times and other statistics that rest on a suppressed count "
            "are suppressed too. Individual journeys show no identifiers and give dates as days "
            "since the person's first event."
        )

    def disclose(self, count: int | None) -> int | None:
        """Apply the rule to one count (the scalar twin of :func:`apply_disclosure`).

        Examples
        --------
        >>> [DisclosureRule().disclose(n) for n in (0, 1, 7, 8, 12, 13, None)]
        [0, None, None, 10, 10, 15, None]
        """
        if count is None:
            return None
        if count < 0:
            raise DataError(f"a count must be >= 0 to be disclosed; got {count}")
        if not self.enabled or count == 0:
            return count
        if count < self.threshold:
            return None
        base = self.rounding_base
        rounded = ((2 * count + base) // (2 * base)) * base
        if rounded < self.threshold:  # only when rounding_base is large next to threshold
            return None
        return rounded

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a settings file."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DisclosureRule:
        """Build from plain data; unknown keys are reported with the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                "disclosure settings",
                [f"unknown key '{k}'; expected one of {', '.join(sorted(known))}" for k in unknown],
            )
        return cls(**dict(data))


def save_disclosure_rule(rule: DisclosureRule, path: str | Path) -> Path:
    """Write ``rule`` as JSON (``.json``) or TOML (``.toml``); returns the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = save_disclosure_rule(DisclosureRule(), pathlib.Path(tempfile.mkdtemp()) / "r.json")
    >>> load_disclosure_rule(p) == DisclosureRule()
    True
    """
    out = Path(path)
    data = rule.to_dict()
    if out.suffix == ".json":
        out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    elif out.suffix == ".toml":
        lines = []
        for key, value in data.items():
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, int):
                lines.append(f"{key} = {value}")
            else:
                lines.append(f"{key} = {json.dumps(value)}")
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        raise ConfigError(str(out), [f"suffix '{out.suffix}' is not supported; use .json or .toml"])
    return out


def load_disclosure_rule(path: str | Path) -> DisclosureRule:
    """Read a rule written by :func:`save_disclosure_rule`."""
    src = Path(path)
    text = src.read_text(encoding="utf-8")
    if src.suffix == ".json":
        data = json.loads(text)
    elif src.suffix == ".toml":
        data = tomllib.loads(text)
    else:
        raise ConfigError(str(src), [f"suffix '{src.suffix}' is not supported; use .json or .toml"])
    if not isinstance(data, dict):
        raise ConfigError(str(src), [f"expected a table of settings; got {type(data).__name__}"])
    return DisclosureRule.from_dict(data)


def _as_lazy(data: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    return data.lazy() if isinstance(data, pl.DataFrame) else data


def apply_disclosure(
    data: pl.DataFrame | pl.LazyFrame,
    counts: Sequence[str],
    *,
    rule: DisclosureRule | None = None,
    dependent: Sequence[str] = (),
) -> pl.DataFrame:
    """Suppress small counts and round the others in the ``counts`` columns of ``data``.

    Parameters
    ----------
    data
        Any table. It is not modified.
    counts
        Names of integer count columns to disclose.
    rule
        The rule; default :class:`DisclosureRule` ``()`` (suppress 1..7, round to 5).
    dependent
        Columns holding statistics derived from the counts of the same row (a median wait,
        a mean): set to null in every row where any count was suppressed. A count column
        may be listed here too: then a row is suppressed whole when any of its counts is
        (e.g. an edge taken 20 times by 3 people).

    Returns
    -------
    pl.DataFrame
        The same columns; suppressed counts are null.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"n": [3, 41], "median_hours": [2.5, 7.0]})
    >>> apply_disclosure(df, ["n"], dependent=["median_hours"]).rows()
    [(None, None), (40, 7.0)]
    """
    rule = rule or DisclosureRule()
    frame = _as_lazy(data).collect()
    missing = [c for c in [*counts, *dependent] if c not in frame.columns]
    if missing:
        raise DataError(
            f"apply_disclosure: column(s) {missing} not found; the table has {frame.columns}. "
            "Pass the names of existing count columns."
        )
    for name in counts:
        dtype = frame.schema[name]
        if not (dtype.is_integer() or dtype == pl.Null):
            raise DataError(
                f"apply_disclosure: count column '{name}' must be an integer type; got {dtype}. "
                "Cast it with pl.col(...).cast(pl.Int64) if it holds whole numbers."
            )
        negative = frame.filter(pl.col(name) < 0).height
        if negative:
            raise DataError(
                f"apply_disclosure: count column '{name}' has {negative} negative value(s); "
                "counts must be >= 0."
            )
    if not rule.enabled or not counts:
        return frame
    base = rule.rounding_base
    exprs: list[pl.Expr] = []
    suppressed_any = pl.lit(value=False)
    for name in counts:
        col = pl.col(name).cast(pl.Int64)
        rounded = ((2 * col + base) // (2 * base)) * base
        suppressed = (col > 0) & ((col < rule.threshold) | (rounded < rule.threshold))
        suppressed_any = suppressed_any | suppressed.fill_null(value=False)
        exprs.append(
            pl.when(col == 0).then(col).when(suppressed).then(None).otherwise(rounded).alias(name)
        )
    flag = "__journeys_suppressed__"
    out = (
        frame.with_columns(*exprs, suppressed_any.alias(flag))
        .with_columns(
            pl.when(pl.col(flag)).then(None).otherwise(pl.col(name)).alias(name)
            for name in dict.fromkeys(dependent)
        )
        .drop(flag)
    )
    logger.debug("disclosure applied to %s (%d rows)", list(counts), out.height)
    return out


def deidentify_journeys(
    journeys: pl.DataFrame | pl.LazyFrame,
    *,
    order: Iterable[int] | None = None,
) -> pl.DataFrame:
    """One row per event with no identifiers and dates relative to each person's first event.

    Parameters
    ----------
    journeys
        Journey rows with at least ``person_id``, ``agency``, ``activity`` and ``start``
        (``end`` and ``service`` are kept when present). Every other column (person_ref,
        event_id, resource, outcome, extra attributes, any identifier) is dropped.
    order
        Person ids in the order they should be numbered (most affected first). Default: the
        order of first appearance in ``journeys``. People not listed are left out.

    Returns
    -------
    pl.DataFrame
        ``journey`` (UInt32, 1..n), ``agency``, ``activity``, ``service`` (if given),
        ``start_day`` and ``end_day`` (Float64 days since the person's first event),
        sorted by journey and start.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    >>> j = pl.DataFrame({"person_id": [42, 42], "agency": ["ae", "acute"],
    ...                   "activity": ["Arrival", "Emergency admission"],
    ...                   "start": [t, t + dt.timedelta(hours=12)]})
    >>> deidentify_journeys(j).select("journey", "start_day").rows()
    [(1, 0.0), (1, 0.5)]
    """
    frame = _as_lazy(journeys)
    names = frame.collect_schema().names()
    missing = [c for c in (PERSON_ID, AGENCY, ACTIVITY, START) if c not in names]
    if missing:
        raise DataError(
            f"deidentify_journeys: column(s) {missing} not found; the table has {names}. "
            "Pass journey rows (see journeys.schema.JOURNEYS)."
        )
    if order is None:
        ids = frame.select(pl.col(PERSON_ID).unique(maintain_order=True)).collect()
        ranking = ids.with_row_index(JOURNEY, offset=1)
    else:
        ranking = (
            pl.DataFrame({PERSON_ID: list(order)}, schema={PERSON_ID: pl.Int64})
            .unique(maintain_order=True)
            .with_row_index(JOURNEY, offset=1)
        )
    ranking = ranking.with_columns(pl.col(PERSON_ID).cast(pl.Int64))
    first = pl.col(START).min().over(PERSON_ID)
    cols: list[pl.Expr] = [
        pl.col(JOURNEY).cast(pl.UInt32),
        pl.col(AGENCY),
        pl.col(ACTIVITY),
    ]
    if SERVICE in names:
        cols.append(pl.col(SERVICE))
    cols.append(((pl.col(START) - first).dt.total_microseconds() / _US_PER_DAY).alias(START_DAY))
    if END in names:
        cols.append(((pl.col(END) - first).dt.total_microseconds() / _US_PER_DAY).alias(END_DAY))
    else:
        cols.append(pl.lit(None, dtype=pl.Float64).alias(END_DAY))
    return (
        frame.with_columns(pl.col(PERSON_ID).cast(pl.Int64))
        .join(ranking.lazy(), on=PERSON_ID, how="inner")
        .select(cols)
        .sort(JOURNEY, START_DAY, maintain_order=True)
        .collect()
    )
