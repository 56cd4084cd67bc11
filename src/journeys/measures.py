"""The common basket of measures, per period, ready for XmR charts.

A *basket* is a declarative list of :class:`Measure` entries (plain data, round-tripping to
TOML) that every partner agrees to. :func:`compute_measures` turns journeys into one value per
measure, scope and period; :func:`journeys.spc.control_limits` adds the XmR limits and flags.

The unit of a journey, for measures, is one *episode* of a person's journey (see
:func:`journeys.traces.build_journeys`): events with no gap longer than the episode gap. An
episode belongs to the period (week or month) in which it starts; a discharge belongs to the
period in which it happens. Durations are in days.

Kinds of measure (``scope="end_to_end"`` / ``scope="agency"``):

``readmission_rate``
    Share of discharges followed by a readmission (:func:`~journeys.patterns.detect_readmissions`)
    / per agency of the discharge. Discharges in the last ``window`` of the data cannot be
    followed up fully: read the last periods with care.
``lead_time``
    The ``quantile`` (0.5: median, 0.9: 90th percentile) of episode lead times / of the span
    of each agency's part of an episode.
``handoffs_per_journey``
    Mean hand-offs per episode / mean hand-offs *out of* the agency per episode touching it.
``duplicate_attempt_rate``
    Share of episodes with a service event of the checked services that contain a duplicate
    attempt (:func:`~journeys.patterns.detect_duplicate_attempts`) / per agency involved.
``time_to_first_service``
    The ``quantile`` of the time from the first event of an episode to its first event whose
    activity is in ``activities`` or whose service is in ``services`` (episodes without such an
    event are left out) / from the first event at the agency to its first such event.
``share_multi_agency``
    Share of episodes touching ``min_agencies`` (3) or more agencies / among episodes touching
    the agency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import polars as pl

from journeys._settings import SettingsFile
from journeys.exceptions import ConfigError
from journeys.patterns import (
    DuplicateAttemptSettings,
    PatternSettings,
    ReadmissionSettings,
    detect_all,
    detect_duplicate_attempts,
    detect_readmissions,
    summarise_by_agency,
)
from journeys.patterns._common import Frame, in_journey_order, journeys_frame
from journeys.schema import (
    ACTIVITY,
    AGENCY,
    END,
    EPISODE,
    EVENT_ID,
    EVIDENCE,
    HANDOFF,
    PERSON_ID,
    PREV_AGENCY,
    SEQ,
    SERVICE,
    START,
)
from journeys.spc import SpcSettings, control_limits
from journeys.traces import (
    JourneySettings,
    build_journeys,
    identity_crosswalk,
    summarise_journeys,
)

__all__ = [
    "MEASURES",
    "JourneyAnalysis",
    "Measure",
    "MeasureBasket",
    "MeasureKind",
    "Period",
    "Scope",
    "analyse_journeys",
    "compute_measures",
    "default_measures",
    "run_basket",
]

MeasureKind = Literal[
    "readmission_rate",
    "lead_time",
    "handoffs_per_journey",
    "duplicate_attempt_rate",
    "time_to_first_service",
    "share_multi_agency",
]
Scope = Literal["end_to_end", "agency"]
Period = Literal["week", "month"]

_KINDS: tuple[str, ...] = get_args(MeasureKind)
_EVERY = {"week": "1w", "month": "1mo"}
_UNITS = {
    "readmission_rate": "rate",
    "lead_time": "days",
    "handoffs_per_journey": "count",
    "duplicate_attempt_rate": "rate",
    "time_to_first_service": "days",
    "share_multi_agency": "rate",
}
_DAY_US = 86_400_000_000
_PERIOD = "period"
_EP = "_ep"
_SEG = "_seg"
_OPENS = "_opens"
_CODE = "_code"
_SEEN = "_seen"
_NO_TIME = -(2**63)  # stands for a null time in integer arrays
_SPLIT = 2**32  # _seg = episode ordinal * _SPLIT + agency code
_X = "_x"

#: One row per measure, scope and period from :func:`compute_measures`.
MEASURES = pl.Schema(
    {
        "measure": pl.String(),
        "kind": pl.String(),
        AGENCY: pl.String(),
        _PERIOD: pl.Datetime("us", "UTC"),
        "value": pl.Float64(),
        "n": pl.UInt32(),
        "unit": pl.String(),
    }
)


@dataclass(frozen=True)
class Measure(SettingsFile):
    """One measure of the basket.

    Parameters
    ----------
    name
        Unique name, e.g. ``"lead_time_p90"``.
    kind
        One of :data:`MeasureKind` (see the module documentation).
    scope
        ``"end_to_end"`` (one series) or ``"agency"`` (one series per agency).
    quantile
        For ``lead_time`` and ``time_to_first_service``: 0.5 median, 0.9 90th percentile.
    activities, services
        For ``time_to_first_service``: what counts as the service.
    min_agencies
        For ``share_multi_agency``. Default 3.
    """

    name: str
    kind: MeasureKind
    scope: Scope = "end_to_end"
    quantile: float = 0.5
    activities: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    min_agencies: int = 3

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in _KINDS:
            problems.append(
                f"measure {self.name!r}: 'kind' must be one of {', '.join(_KINDS)}. "
                f"Got {self.kind!r}"
            )
        if self.scope not in ("end_to_end", "agency"):
            problems.append(
                f"measure {self.name!r}: 'scope' must be 'end_to_end' or 'agency'. "
                f"Got {self.scope!r}"
            )
        if not 0.0 <= self.quantile <= 1.0:
            problems.append(
                f"measure {self.name!r}: 'quantile' must be in [0, 1]. Got {self.quantile!r}"
            )
        if self.kind == "time_to_first_service" and not (self.activities or self.services):
            problems.append(
                f"measure {self.name!r}: time_to_first_service needs 'activities' or "
                "'services' saying what the service is, e.g. services = ['social_care']"
            )
        if self.min_agencies < 2:
            problems.append(
                f"measure {self.name!r}: 'min_agencies' must be >= 2. Got {self.min_agencies!r}"
            )
        if problems:
            raise ConfigError("Measure", problems)


def default_measures() -> tuple[Measure, ...]:
    """The default basket: the end-to-end measures of the issue plus per-agency views."""
    return (
        Measure("readmission_rate", "readmission_rate"),
        Measure("lead_time_median", "lead_time", quantile=0.5),
        Measure("lead_time_p90", "lead_time", quantile=0.9),
        Measure("handoffs_per_journey", "handoffs_per_journey"),
        Measure("duplicate_attempt_rate", "duplicate_attempt_rate"),
        Measure(
            "time_to_first_service",
            "time_to_first_service",
            services=("social_care", "housing"),
        ),
        Measure("share_3plus_agencies", "share_multi_agency", min_agencies=3),
        Measure("readmission_rate_by_agency", "readmission_rate", scope="agency"),
        Measure("lead_time_median_by_agency", "lead_time", scope="agency"),
        Measure("handoffs_out_by_agency", "handoffs_per_journey", scope="agency"),
    )


@dataclass(frozen=True)
class MeasureBasket(SettingsFile):
    """The basket: measures, the period, and the detector and SPC settings they use.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> b = MeasureBasket(period="week")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     MeasureBasket.from_toml(b.to_toml(pathlib.Path(d) / "basket.toml")) == b
    True
    """

    period: Period = "month"
    measures: tuple[Measure, ...] = field(default_factory=default_measures)
    readmission: ReadmissionSettings = field(default_factory=ReadmissionSettings)
    duplicate_attempts: DuplicateAttemptSettings = field(default_factory=DuplicateAttemptSettings)
    spc: SpcSettings = field(default_factory=SpcSettings)

    def __post_init__(self) -> None:
        problems = []
        if self.period not in _EVERY:
            problems.append(f"'period' must be 'week' or 'month'. Got {self.period!r}")
        names = [m.name for m in self.measures]
        problems += [
            f"measure name {n!r} is used more than once; names must be unique"
            for n in sorted({n for n in names if names.count(n) > 1})
        ]
        if problems:
            raise ConfigError("MeasureBasket", problems)


# --- building blocks ---------------------------------------------------------------------
def _days(expr: pl.Expr) -> pl.Expr:
    return expr.dt.total_microseconds().cast(pl.Float64) / _DAY_US


class _Tables:
    """Episode- and segment-level tables shared by the measures (built once).

    The events are taken in journey order (person, seq), where every episode is a run of
    consecutive rows: an episode's ordinal is a running count (``_ep``), and an agency's
    segment of an episode is one integer key (``_seg``: the ordinal and the agency's code).
    Grouping on one integer instead of ``(person_id, episode, agency)`` is what keeps the
    basket fast on millions of events.
    """

    def __init__(self, source: Frame, journeys: pl.LazyFrame, basket: MeasureBasket) -> None:
        self.j = journeys
        self.every = _EVERY[basket.period]
        self.basket = basket
        events = in_journey_order(
            source,
            journeys.select(
                PERSON_ID,
                SEQ,
                EPISODE,
                AGENCY,
                PREV_AGENCY,
                HANDOFF,
                EVENT_ID,
                ACTIVITY,
                SERVICE,
                START,
                END,
            ),
        )
        person, episode = pl.col(PERSON_ID), pl.col(EPISODE)
        opens = ((person != person.shift(1)) | (episode != episode.shift(1))).fill_null(True)
        # a null agency gets the last code, which no category ever has
        code = (
            pl.col(AGENCY).cast(pl.Categorical).to_physical().cast(pl.UInt64).fill_null(_SPLIT - 1)
        )
        events = (
            events.with_columns(opens.alias(_OPENS), code.alias(_CODE))
            .with_columns(pl.col(_OPENS).cast(pl.UInt32).cum_sum().alias(_EP))
            .with_columns((pl.col(_EP).cast(pl.UInt64) * _SPLIT + pl.col(_CODE)).alias(_SEG))
        )
        # the keys are computed once; the event columns themselves are not copied
        frame = events.with_columns(
            pl.col(_EP).set_sorted(), pl.coalesce(END, START).alias(_SEEN)
        ).collect(engine="in-memory")
        self.events = frame.lazy()
        # episodes are runs of consecutive rows: first values are read at each run's first
        # row and the rest are reduced per run (numpy reduceat), with no group-by at all
        first_rows = frame.get_column(_OPENS).arg_true()
        bounds = first_rows.to_numpy()
        seen = frame.get_column(_SEEN).dt.epoch("us").fill_null(_NO_TIME).to_numpy()
        inner = (frame.get_column(HANDOFF).fill_null(False) & ~frame.get_column(_OPENS)).to_numpy()
        last = pl.Series("_last", np.maximum.reduceat(seen, bounds) if len(bounds) else seen)
        episodes = (
            frame.select(_EP, PERSON_ID, EPISODE, START, SEQ)
            .select(pl.all().gather(first_rows))
            .rename({START: "_first", SEQ: "_first_seq"})
            .with_columns(
                pl.when(last != _NO_TIME)
                .then(last)
                .cast(pl.Datetime("us"))
                .dt.replace_time_zone(frame.schema[START].time_zone)  # type: ignore[attr-defined]
                .alias("_last"),
                pl.Series(
                    "_handoffs",
                    np.add.reduceat(inner, bounds, dtype=np.uint32) if len(bounds) else [],
                    dtype=pl.UInt32,
                ),
                pl.col("_first").dt.truncate(self.every).alias(_PERIOD),
            )
        )
        # numeric aggregations only per segment: taking first() of string columns per group
        # costs more than the group-by itself, so the agency name comes from its code
        names = self.events.group_by(_CODE).agg(pl.col(AGENCY).first()).collect()
        parts = (
            self.events.group_by(_SEG)
            .agg(
                pl.col(START).min().alias("_seg_first"),
                pl.col(_SEEN).max().alias("_seg_last"),
                pl.col(SEQ).min().alias("_seg_seq"),
            )
            .with_columns(
                (pl.col(_SEG) // _SPLIT).cast(pl.UInt32).alias(_EP),
                (pl.col(_SEG) % _SPLIT)
                .replace_strict(names[_CODE], names[AGENCY], return_dtype=pl.String)
                .alias(AGENCY),
            )
            .collect()
        )
        at = parts.get_column(_EP).cast(pl.Int64) - 1
        counts = np.bincount(at.to_numpy(), minlength=episodes.height).astype(np.uint32)
        episodes = episodes.with_columns(pl.Series("_agencies", counts, dtype=pl.UInt32))
        parts = parts.with_columns(
            episodes.get_column("_agencies").gather(at),
            episodes.get_column(_PERIOD).gather(at),
        )
        # hand-offs out of an agency: counted on the segment key of the previous agency
        previous = pl.col(PREV_AGENCY).cast(pl.Categorical).to_physical().cast(pl.UInt64)
        out = (
            self.events.filter(pl.col(HANDOFF) & ~pl.col(_OPENS))
            .group_by((pl.col(_EP).cast(pl.UInt64) * _SPLIT + previous).alias(_SEG))
            .agg(pl.len().alias("_out"))
        )
        self.episodes = episodes.lazy()
        self.segments = (
            parts.lazy()
            .join(out, on=_SEG, how="left")
            .with_columns(pl.col("_out").fill_null(0))
            .collect()
            .lazy()
        )

    @cached_property
    def discharges(self) -> pl.LazyFrame:
        """Each discharge with its period and whether a readmission followed (computed once)."""
        s = self.basket.readmission
        when = pl.col(START) if s.discharge_time == "start" else pl.coalesce(END, START)
        readmitted = detect_readmissions(self.j, settings=s).select(
            pl.col(EVIDENCE).list.first().alias(EVENT_ID), pl.lit(True).alias(_X)
        )
        return (
            self.events.filter(pl.col(ACTIVITY).is_in(list(s.discharge_activities)))
            .select(EVENT_ID, AGENCY, when.dt.truncate(self.every).alias(_PERIOD))
            .join(readmitted, on=EVENT_ID, how="left")
            .with_columns(pl.col(_X).fill_null(False))
            .collect()
            .lazy()
        )

    @cached_property
    def duplicates(self) -> pl.LazyFrame:
        """The event ids in any duplicate attempt (computed once)."""
        return (
            detect_duplicate_attempts(self.j, settings=self.basket.duplicate_attempts)
            .select(pl.col(EVIDENCE).alias(EVENT_ID))
            .explode(EVENT_ID)
            .unique()
            .with_columns(pl.lit(True).alias("_dup"))
            .collect()
            .lazy()
        )

    def aggregate(self, frame: pl.LazyFrame, measure: Measure, value: pl.Expr) -> pl.LazyFrame:
        keys = [_PERIOD] if measure.scope == "end_to_end" else [_PERIOD, AGENCY]
        agency = [] if measure.scope == "agency" else [pl.lit(None, pl.String).alias(AGENCY)]
        return (
            frame.group_by(keys)
            .agg(value.cast(pl.Float64).alias("value"), pl.len().cast(pl.UInt32).alias("n"))
            .with_columns(
                *agency,
                pl.lit(measure.name).alias("measure"),
                pl.lit(measure.kind).alias("kind"),
                pl.lit(_UNITS[measure.kind]).alias("unit"),
            )
            .select(MEASURES.names())
        )


def _readmission_rate(t: _Tables, m: Measure) -> pl.LazyFrame:
    return t.aggregate(t.discharges, m, pl.col(_X).mean())


def _lead_time(t: _Tables, m: Measure) -> pl.LazyFrame:
    if m.scope == "end_to_end":
        frame = t.episodes.with_columns(_days(pl.col("_last") - pl.col("_first")).alias(_X))
    else:
        frame = t.segments.with_columns(_days(pl.col("_seg_last") - pl.col("_seg_first")).alias(_X))
    return t.aggregate(frame, m, pl.col(_X).quantile(m.quantile, "linear"))


def _handoffs(t: _Tables, m: Measure) -> pl.LazyFrame:
    frame = t.episodes if m.scope == "end_to_end" else t.segments
    column = "_handoffs" if m.scope == "end_to_end" else "_out"
    return t.aggregate(frame, m, pl.col(column).mean())


def _duplicate_rate(t: _Tables, m: Measure) -> pl.LazyFrame:
    s = t.basket.duplicate_attempts
    flagged = t.duplicates
    keys = [PERSON_ID, EPISODE] if m.scope == "end_to_end" else [PERSON_ID, EPISODE, AGENCY]
    per = (
        t.events.filter(pl.col(SERVICE).is_in(list(s.services)))
        .join(flagged, on=EVENT_ID, how="left")
        .group_by(keys)
        .agg(pl.col("_dup").fill_null(False).any().alias(_X))
    )
    periods = t.episodes.select(PERSON_ID, EPISODE, _PERIOD)
    return t.aggregate(per.join(periods, on=[PERSON_ID, EPISODE]), m, pl.col(_X).mean())


def _time_to_first_service(t: _Tables, m: Measure) -> pl.LazyFrame:
    target = pl.col(ACTIVITY).is_in(list(m.activities)) | pl.col(SERVICE).is_in(list(m.services))
    # only the target events are grouped: the first one per episode / agency segment
    hits = t.events.filter(target & pl.col(START).is_not_null())
    if m.scope == "end_to_end":
        per = (
            hits.group_by(_EP)
            .agg(pl.col(START).min().alias("_target"))
            .join(t.episodes, on=_EP)
            .with_columns(_days(pl.col("_target") - pl.col("_first")).alias(_X))
        )
    else:
        per = (
            hits.group_by(_SEG)
            .agg(pl.col(START).min().alias("_target"))
            .join(t.segments, on=_SEG)
            .with_columns(_days(pl.col("_target") - pl.col("_seg_first")).alias(_X))
        )
    return t.aggregate(per.filter(pl.col(_X).is_not_null()), m, pl.col(_X).quantile(m.quantile))


def _share_multi_agency(t: _Tables, m: Measure) -> pl.LazyFrame:
    frame = t.episodes if m.scope == "end_to_end" else t.segments
    return t.aggregate(frame, m, (pl.col("_agencies") >= m.min_agencies).mean())


_BUILDERS = {
    "readmission_rate": _readmission_rate,
    "lead_time": _lead_time,
    "handoffs_per_journey": _handoffs,
    "duplicate_attempt_rate": _duplicate_rate,
    "time_to_first_service": _time_to_first_service,
    "share_multi_agency": _share_multi_agency,
}


def compute_measures(
    journeys: pl.DataFrame | pl.LazyFrame, *, basket: MeasureBasket | None = None
) -> pl.LazyFrame:
    """Every measure of the basket, per period (and per agency for agency-scoped measures).

    Parameters
    ----------
    journeys
        The output of :func:`journeys.traces.build_journeys` (collect it first when it is
        large: every measure reads it).
    basket
        :class:`MeasureBasket`; the default basket when omitted.

    Returns
    -------
    pl.LazyFrame
        :data:`MEASURES`: ``measure, kind, agency`` (null for end-to-end), ``period, value,
        n`` (the denominator: discharges, episodes or agency segments), ``unit``.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> j = pl.DataFrame({"person_id": [1, 1], "seq": [1, 2], "episode": [1, 1],
    ...     "agency": ["ae", "asc"], "prev_agency": [None, "ae"], "handoff": [False, True],
    ...     "event_id": ["a", "b"], "activity": ["Attend", "Assess"],
    ...     "service": ["emergency_care", "social_care"],
    ...     "start": [datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 3, tzinfo=UTC)]})
    >>> m = compute_measures(j).collect()
    >>> m.filter(measure="lead_time_median")["value"].to_list()
    [2.0]
    """
    basket = basket or MeasureBasket()
    lf = journeys_frame(
        journeys,
        (PERSON_ID, SEQ, EPISODE, AGENCY, PREV_AGENCY, HANDOFF, EVENT_ID, ACTIVITY, SERVICE, START),
        "compute_measures",
    )
    tables = _Tables(journeys, lf, basket)
    parts = [_BUILDERS[m.kind](tables, m) for m in basket.measures]
    if not parts:
        return pl.LazyFrame(schema=MEASURES)
    return pl.concat(parts).sort("measure", AGENCY, _PERIOD, nulls_last=False)


def run_basket(
    journeys: pl.DataFrame | pl.LazyFrame, *, basket: MeasureBasket | None = None
) -> pl.DataFrame:
    """Compute the basket and add the XmR limits and special-cause flags (collected).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> j = pl.DataFrame({"person_id": [1], "seq": [1], "episode": [1], "agency": ["ae"],
    ...     "prev_agency": [None], "handoff": [False], "event_id": ["a"],
    ...     "activity": ["Attend"], "service": ["emergency_care"],
    ...     "start": [datetime(2025, 1, 1, tzinfo=UTC)]},
    ...     schema_overrides={"prev_agency": pl.String})
    >>> "special_cause" in run_basket(j).columns
    True
    """
    basket = basket or MeasureBasket()
    return control_limits(compute_measures(journeys, basket=basket), settings=basket.spc).collect()


@dataclass(frozen=True)
class JourneyAnalysis:
    """Everything :func:`analyse_journeys` produced (collected frames).

    Attributes
    ----------
    journeys
        :data:`journeys.schema.JOURNEYS`, one row per event.
    summary
        One row per person (:data:`journeys.traces.JOURNEY_SUMMARY`).
    occurrences
        Every detector's occurrences (:data:`journeys.patterns.OCCURRENCES`).
    by_agency
        Occurrences and people per pattern and agency.
    measures
        The basket per period with XmR limits and flags.
    """

    journeys: pl.DataFrame
    summary: pl.DataFrame
    occurrences: pl.DataFrame
    by_agency: pl.DataFrame
    measures: pl.DataFrame

    def write(self, folder: str | Path) -> dict[str, Path]:
        """Write each table to ``folder`` as Parquet (and the small ones as CSV too)."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for name in ("journeys", "summary", "occurrences", "by_agency", "measures"):
            frame: pl.DataFrame = getattr(self, name)
            path = out / f"{name}.parquet"
            frame.write_parquet(path)
            written[name] = path
        for name in ("by_agency", "measures"):
            path = out / f"{name}.csv"
            getattr(self, name).write_csv(path)
            written[f"{name}_csv"] = path
        return written


def analyse_journeys(
    events: pl.DataFrame | pl.LazyFrame,
    crosswalk: pl.DataFrame | pl.LazyFrame | None = None,
    *,
    journey_settings: JourneySettings | None = None,
    patterns: PatternSettings | None = None,
    basket: MeasureBasket | None = None,
) -> JourneyAnalysis:
    """Journeys, every detector and the basket in one call.

    Parameters
    ----------
    events
        Canonical events.
    crosswalk
        ``agency, person_ref, person_id``; ``None`` treats each record as its own person
        (:func:`journeys.traces.identity_crosswalk`, for a single agency's log).
    journey_settings, patterns, basket
        Settings of each stage (defaults when omitted).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> ev = pl.DataFrame({"agency": ["ae"], "person_ref": ["a"], "event_id": ["e1"],
    ...     "activity": ["Attend"], "service": ["emergency_care"],
    ...     "start": [datetime(2025, 1, 1, tzinfo=UTC)]})
    >>> analyse_journeys(ev).summary["events"].to_list()
    [1]
    """
    if crosswalk is None:
        crosswalk = identity_crosswalk(events)
    journeys = build_journeys(events, crosswalk, settings=journey_settings).collect()
    occurrences = detect_all(journeys, settings=patterns).collect()
    return JourneyAnalysis(
        journeys=journeys,
        summary=summarise_journeys(journeys).collect(),
        occurrences=occurrences,
        by_agency=summarise_by_agency(occurrences).collect(),
        measures=run_basket(journeys, basket=basket),
    )
