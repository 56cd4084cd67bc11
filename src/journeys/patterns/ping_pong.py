"""Ping-pong hand-offs: a person passed from agency A to B and straight back to A.

The mental-health crisis that bounces between police custody and the emergency department is
the typical case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from journeys._settings import SettingsFile, parse_duration
from journeys.patterns._common import Frame, finish, in_journey_order, journeys_frame
from journeys.schema import AGENCY, END, EVENT_ID, HANDOFF, PERSON_ID, SEQ, START

__all__ = ["PingPongSettings", "detect_ping_pong"]

_STAY = "_stay"
_OCC = "_occurrence"


@dataclass(frozen=True)
class PingPongSettings(SettingsFile):
    """Settings of :func:`detect_ping_pong`.

    Parameters
    ----------
    window
        The bounce, from the last event at A before the hand-off to the first event back at A,
        lasts at most this long. Default ``"72h"``.
    """

    window: str = "72h"

    def __post_init__(self) -> None:
        _ = self.window_length

    @property
    def window_length(self) -> timedelta:
        """``window`` as a :class:`~datetime.timedelta`."""
        return parse_duration(self.window, parameter="window", owner="PingPongSettings")


def detect_ping_pong(journeys: Frame, *, settings: PingPongSettings | None = None) -> pl.LazyFrame:
    """A -> B -> A hand-offs within a window, chained bounces merged into one occurrence.

    A *stay* is a run of consecutive events of one person at one agency. Stays ``k, k+1, k+2``
    bounce when stays ``k`` and ``k+2`` are at the same agency and the first event of stay
    ``k+2`` starts within ``window`` of the start of the last event of stay ``k``. Bounces
    sharing a stay (police -> ae -> police -> ae) form one occurrence; its evidence runs from
    the last event of the first stay to the first event of the final return.

    Returns
    -------
    pl.LazyFrame
        :data:`~journeys.patterns.OCCURRENCES` with ``pattern="ping_pong"``.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> t = [datetime(2024, 1, 1, h, tzinfo=UTC) for h in (1, 5, 9)]
    >>> j = pl.DataFrame({"person_id": [1] * 3, "seq": [1, 2, 3],
    ...     "agency": ["police", "ae", "police"], "event_id": ["p1", "a1", "p2"],
    ...     "start": t, "handoff": [False, True, True]})
    >>> detect_ping_pong(j).collect()["event_ids"].to_list()
    [['p1', 'a1', 'p2']]
    """
    settings = settings or PingPongSettings()
    lf = journeys_frame(
        journeys, (PERSON_ID, SEQ, AGENCY, EVENT_ID, START, HANDOFF), "detect_ping_pong"
    )
    events = lf.select(PERSON_ID, SEQ, AGENCY, EVENT_ID, START, END, HANDOFF)
    return _ping_pong(in_journey_order(journeys, events), settings)


def _ping_pong(lf: pl.LazyFrame, settings: PingPongSettings) -> pl.LazyFrame:
    """:func:`detect_ping_pong` on events in journey order (person, seq)."""
    # a stay starts at a person's first event or at a hand-off; the row above a stay's first
    # event is the last event of the stay before
    first = (pl.col(PERSON_ID) != pl.col(PERSON_ID).shift(1)).fill_null(True)
    starts = (
        lf.with_columns(
            pl.col(SEQ).shift(1).alias("_above_seq"), pl.col(START).shift(1).alias("_above")
        )
        .filter(pl.col(HANDOFF) | first)
        .select(
            PERSON_ID,
            pl.col(SEQ).alias("_first_seq"),
            AGENCY,
            pl.col(START).alias("_first"),
            "_above_seq",
            "_above",
        )
    )

    def ahead(name: str, k: int) -> pl.Expr:
        return pl.col(name).shift(-k)

    bounces = (
        starts.with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).alias(_STAY),
            # the last event of this stay is the one just before the next stay starts
            (ahead("_first_seq", 1) - 1).alias("_last_seq"),
            ahead("_above_seq", 1).alias("_above_next"),
            ahead("_above", 1).alias("_left"),
            ahead("_first_seq", 2).alias("_return_seq"),
            ahead("_first", 2).alias("_return"),
        )
        .filter(
            (ahead(PERSON_ID, 2) == pl.col(PERSON_ID))
            & (ahead(AGENCY, 2) == pl.col(AGENCY))
            & (pl.col("_above_next") == pl.col("_last_seq"))
        )
        .select(PERSON_ID, _STAY, "_last_seq", "_return_seq", "_return", "_left")
        .filter(pl.col("_return") - pl.col("_left") <= pl.lit(settings.window_length))
    )
    # bounces starting at stays k and k' <= k+2 share a stay: one occurrence
    new_group = (pl.col(PERSON_ID) != pl.col(PERSON_ID).shift(1)).fill_null(True) | (
        pl.col(_STAY) > pl.col(_STAY).shift(1) + 2
    )
    groups = (
        bounces.sort(_STAY)
        .with_columns(new_group.cast(pl.UInt32).cum_sum().alias(_OCC))
        .group_by(PERSON_ID, _OCC)
        .agg(pl.col("_last_seq").min().alias("_lo"), pl.col("_return_seq").max().alias("_hi"))
    )
    events = lf.select(PERSON_ID, SEQ, AGENCY, EVENT_ID, START, END)
    evidence = events.join(groups, on=PERSON_ID).filter(
        (pl.col(SEQ) >= pl.col("_lo")) & (pl.col(SEQ) <= pl.col("_hi"))
    )
    return finish(evidence, _OCC, "ping_pong")
