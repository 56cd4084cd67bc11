"""Long waits at a hand-off between two agencies, against a threshold per pair."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from journeys._settings import SettingsFile, parse_duration
from journeys.exceptions import ConfigError
from journeys.patterns._common import (
    AGENCIES,
    OCCURRENCES,
    Frame,
    in_journey_order,
    journeys_frame,
)
from journeys.schema import (
    AGENCY,
    END,
    EVENT_ID,
    EVIDENCE,
    HANDOFF,
    PATTERN,
    PERSON_ID,
    PREV_AGENCY,
    SEQ,
    START,
    WAIT,
)

__all__ = ["LongWaitSettings", "WaitThreshold", "detect_long_waits"]


@dataclass(frozen=True)
class WaitThreshold(SettingsFile):
    """The longest acceptable wait when ``from_agency`` hands a person to ``to_agency``."""

    from_agency: str
    to_agency: str
    threshold: str

    def __post_init__(self) -> None:
        parse_duration(self.threshold, parameter="threshold", owner="WaitThreshold")


@dataclass(frozen=True)
class LongWaitSettings(SettingsFile):
    """Settings of :func:`detect_long_waits`.

    Parameters
    ----------
    default_threshold
        For pairs of agencies not listed in ``pairs``. Default ``"14d"``: two weeks, the
        usual ceiling for a follow-up after a hand-off (e.g. a social care assessment after
        hospital discharge).
    pairs
        :class:`WaitThreshold` entries for specific pairs, e.g. ``acute`` -> ``asc`` ``"2d"``.
    max_wait
        Waits longer than this are a new episode rather than a wait (the person left
        services). Default ``"28d"``, the default episode gap.
    """

    default_threshold: str = "14d"
    pairs: tuple[WaitThreshold, ...] = field(default_factory=tuple)
    max_wait: str = "28d"

    def __post_init__(self) -> None:
        parse_duration(
            self.default_threshold, parameter="default_threshold", owner="LongWaitSettings"
        )
        parse_duration(self.max_wait, parameter="max_wait", owner="LongWaitSettings")
        seen = [(p.from_agency, p.to_agency) for p in self.pairs]
        dupes = sorted({pair for pair in seen if seen.count(pair) > 1})
        if dupes:
            raise ConfigError(
                "LongWaitSettings",
                [f"'pairs' lists {a} -> {b} more than once; keep one threshold" for a, b in dupes],
            )

    def threshold_frame(self) -> pl.LazyFrame:
        """The per-pair thresholds as a frame (``prev_agency``, ``agency``, ``_limit``)."""
        return pl.LazyFrame(
            {
                PREV_AGENCY: [p.from_agency for p in self.pairs],
                AGENCY: [p.to_agency for p in self.pairs],
                "_limit": [
                    parse_duration(p.threshold, parameter="threshold", owner="WaitThreshold")
                    for p in self.pairs
                ],
            },
            schema={PREV_AGENCY: pl.String, AGENCY: pl.String, "_limit": pl.Duration("us")},
        )


def detect_long_waits(journeys: Frame, *, settings: LongWaitSettings | None = None) -> pl.LazyFrame:
    """Hand-offs where the person waited longer than the threshold for the pair of agencies.

    The wait is the journeys' ``wait`` column (time since the person was last seen).
    Hand-offs that open a new episode (wait above ``max_wait``) are not waits.

    Returns
    -------
    pl.LazyFrame
        :data:`~journeys.patterns.OCCURRENCES` with ``pattern="long_wait"``: ``start`` is
        when the person was last seen, ``end`` the start of the receiving event, evidence
        ``[previous event, receiving event]``.

    Examples
    --------
    >>> from datetime import datetime, UTC, timedelta
    >>> j = pl.DataFrame({"person_id": [1, 1], "seq": [1, 2], "agency": ["acute", "asc"],
    ...     "prev_agency": [None, "acute"], "handoff": [False, True],
    ...     "wait": [None, timedelta(days=20)], "event_id": ["d", "a"],
    ...     "start": [datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 21, tzinfo=UTC)]})
    >>> detect_long_waits(j).collect()["event_ids"].to_list()
    [['d', 'a']]
    """
    settings = settings or LongWaitSettings()
    lf = journeys_frame(
        journeys,
        (PERSON_ID, SEQ, AGENCY, PREV_AGENCY, HANDOFF, WAIT, EVENT_ID, START),
        "detect_long_waits",
    )
    events = lf.select(PERSON_ID, SEQ, AGENCY, PREV_AGENCY, HANDOFF, WAIT, EVENT_ID, START)
    return _long_waits(in_journey_order(journeys, events), settings)


def _long_waits(events: pl.LazyFrame, settings: LongWaitSettings) -> pl.LazyFrame:
    """:func:`detect_long_waits` on events in journey order: the previous event of a person
    is the row above (``shift``), so no self-join is needed."""
    default = parse_duration(
        settings.default_threshold, parameter="default_threshold", owner="LongWaitSettings"
    )
    longest = parse_duration(settings.max_wait, parameter="max_wait", owner="LongWaitSettings")
    above = pl.col(PERSON_ID).shift(1) == pl.col(PERSON_ID)
    flagged = (
        events.with_columns(
            (above & (pl.col(SEQ).shift(1) == pl.col(SEQ) - 1)).alias("_has_prev"),
            pl.col(EVENT_ID).shift(1).alias("_prev_id"),
            pl.col(AGENCY).shift(1).alias("_prev_agency"),
        )
        .filter(pl.col(HANDOFF) & (pl.col(WAIT) <= pl.lit(longest)) & pl.col("_has_prev"))
        .join(settings.threshold_frame(), on=[PREV_AGENCY, AGENCY], how="left")
        .filter(pl.col(WAIT) > pl.coalesce(pl.col("_limit"), pl.lit(default)))
    )
    # the occurrence runs from when the person was last seen to the receiving event
    return (
        flagged.select(
            PERSON_ID,
            pl.lit("long_wait").alias(PATTERN),
            pl.concat_list("_prev_agency", AGENCY).list.unique().list.sort().alias(AGENCIES),
            (pl.col(START) - pl.col(WAIT)).alias(START),
            pl.col(START).alias(END),
            pl.concat_list("_prev_id", EVENT_ID).alias(EVIDENCE),
        )
        .cast(OCCURRENCES)
        .sort(PERSON_ID, START)
    )
