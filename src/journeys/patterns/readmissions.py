"""Repeated admissions: emergency readmissions after discharge, and the revolving door.

A *readmission* follows the NHS Outcomes Framework indicator 3b (emergency readmissions within
30 days of discharge from hospital): an index discharge followed by an emergency admission of
the same person within the window. The *revolving door* is a run of K or more admissions within
a rolling window (frail elderly patients cycling through hospital).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import polars as pl

from journeys._settings import SettingsFile, parse_duration
from journeys.exceptions import ConfigError
from journeys.patterns._common import Frame, finish, journeys_frame
from journeys.schema import (
    ACTIVITY,
    AGENCY,
    END,
    EVENT_ID,
    EVIDENCE,
    PERSON_ID,
    SEQ,
    SERVICE,
    START,
)

__all__ = [
    "ReadmissionSettings",
    "RevolvingDoorSettings",
    "detect_readmissions",
    "detect_revolving_door",
]

DischargeTime = Literal["start", "end"]

_T = "_t"
_IDX = "_idx"
_LO = "_lo"
_OCC = "_occurrence"


@dataclass(frozen=True)
class ReadmissionSettings(SettingsFile):
    """Settings of :func:`detect_readmissions`.

    Parameters
    ----------
    window
        A return within this time after discharge is a readmission. Default ``"30d"``
        (NHS Outcomes Framework indicator 3b).
    discharge_activities
        Activities that mark a discharge. Default ``("Discharge",)``; the Sepsis log uses
        ``("Release A", ..., "Release E")``.
    readmission_activities
        Activities that mark the return. Default ``("Emergency admission",)``; the Sepsis
        log uses ``("Return ER",)``.
    discharge_time
        ``"start"`` (default) or ``"end"`` of the discharge event (``end`` falls back to
        ``start``); use ``"end"`` when an admission event carries the discharge as its end.

    Examples
    --------
    >>> ReadmissionSettings(window="28d").window_length.days
    28
    """

    window: str = "30d"
    discharge_activities: tuple[str, ...] = ("Discharge",)
    readmission_activities: tuple[str, ...] = ("Emergency admission",)
    discharge_time: DischargeTime = "start"

    def __post_init__(self) -> None:
        _ = self.window_length
        problems = [
            f"'{name}' must list at least one activity"
            for name in ("discharge_activities", "readmission_activities")
            if not getattr(self, name)
        ]
        if self.discharge_time not in ("start", "end"):
            problems.append(
                f"'discharge_time' must be 'start' or 'end'. Got {self.discharge_time!r}"
            )
        if problems:
            raise ConfigError("ReadmissionSettings", problems)

    @property
    def window_length(self) -> timedelta:
        """``window`` as a :class:`~datetime.timedelta`."""
        return parse_duration(self.window, parameter="window", owner="ReadmissionSettings")


@dataclass(frozen=True)
class RevolvingDoorSettings(SettingsFile):
    """Settings of :func:`detect_revolving_door`.

    Parameters
    ----------
    min_admissions
        K: this many admissions or more within ``window``. Default 5.
    window
        Default ``"56d"`` (8 weeks): from the first to the last of the K admissions.
    admission_activities
        Activities that count as an admission. Default ``("Emergency admission",)``.
    services
        If not empty, only admissions in these service categories count. Default: any.
    """

    min_admissions: int = 5
    window: str = "56d"
    admission_activities: tuple[str, ...] = ("Emergency admission",)
    services: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _ = self.window_length
        problems = []
        if not isinstance(self.min_admissions, int) or self.min_admissions < 2:
            problems.append(
                f"'min_admissions' must be an integer >= 2. Got {self.min_admissions!r}"
            )
        if not self.admission_activities:
            problems.append("'admission_activities' must list at least one activity")
        if problems:
            raise ConfigError("RevolvingDoorSettings", problems)

    @property
    def window_length(self) -> timedelta:
        """``window`` as a :class:`~datetime.timedelta`."""
        return parse_duration(self.window, parameter="window", owner="RevolvingDoorSettings")


def detect_readmissions(
    journeys: Frame, *, settings: ReadmissionSettings | None = None
) -> pl.LazyFrame:
    """Readmissions: a return within ``window`` of a discharge, one row per index discharge.

    Each return is paired with the person's latest discharge strictly before it; a discharge
    followed by several returns counts once, with its first return as evidence.

    Returns
    -------
    pl.LazyFrame
        :data:`~journeys.patterns.OCCURRENCES` with ``pattern="readmission"``: ``start`` is the
        discharge, ``end`` the return, ``event_ids`` ``[discharge, return]``.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> j = pl.DataFrame({"person_id": [1, 1], "seq": [1, 2], "agency": ["acute"] * 2,
    ...     "event_id": ["d", "r"], "activity": ["Discharge", "Emergency admission"],
    ...     "start": [datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 20, tzinfo=UTC)]})
    >>> detect_readmissions(j).collect()["event_ids"].to_list()
    [['d', 'r']]
    """
    settings = settings or ReadmissionSettings()
    lf = journeys_frame(
        journeys, (PERSON_ID, SEQ, AGENCY, EVENT_ID, ACTIVITY, START), "detect_readmissions"
    )
    when = pl.col(START) if settings.discharge_time == "start" else pl.coalesce(END, START)
    discharges = (
        lf.filter(pl.col(ACTIVITY).is_in(list(settings.discharge_activities)))
        .select(PERSON_ID, when.alias(_T), pl.col(EVENT_ID).alias("_discharge"))
        .sort(_T, "_discharge")
    )
    returns = (
        lf.filter(pl.col(ACTIVITY).is_in(list(settings.readmission_activities)))
        .select(PERSON_ID, pl.col(START).alias("_back"), pl.col(EVENT_ID).alias("_return"))
        .sort("_back", "_return")
    )
    pairs = (
        returns.join_asof(
            discharges,
            left_on="_back",
            right_on=_T,
            by=PERSON_ID,
            strategy="backward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        .filter(
            pl.col("_discharge").is_not_null()
            & (pl.col("_back") - pl.col(_T) <= pl.lit(settings.window_length))
        )
        .group_by(PERSON_ID, "_discharge")
        .agg(pl.col("_return").sort_by("_back", "_return").first())
    )
    evidence = pl.concat(
        [
            pairs.select(
                PERSON_ID, pl.col("_discharge").alias(_OCC), pl.col("_discharge").alias(EVENT_ID)
            ),
            pairs.select(
                PERSON_ID, pl.col("_discharge").alias(_OCC), pl.col("_return").alias(EVENT_ID)
            ),
        ]
    ).join(lf.select(PERSON_ID, EVENT_ID, AGENCY, START, END, SEQ), on=[PERSON_ID, EVENT_ID])
    # the occurrence runs from the discharge time to the return
    span = pairs.join(discharges.select("_discharge", _T), on="_discharge", how="left").join(
        returns.select("_return", "_back"), on="_return", how="left"
    )
    return (
        finish(evidence, _OCC, "readmission")
        .with_columns(pl.col(EVIDENCE).list.first().alias("_discharge"))
        .join(span.select("_discharge", _T, "_back"), on="_discharge", how="left")
        .with_columns(pl.col(_T).alias(START), pl.col("_back").alias(END))
        .drop("_discharge", _T, "_back")
        .sort(PERSON_ID, START, END)
    )


def detect_revolving_door(
    journeys: Frame, *, settings: RevolvingDoorSettings | None = None
) -> pl.LazyFrame:
    """Revolving door: K or more admissions of one person within a rolling window.

    Every set of K admissions spanning at most ``window`` (first to last admission) qualifies;
    overlapping qualifying sets of one person are merged into one occurrence whose evidence is
    every admission in them.

    Returns
    -------
    pl.LazyFrame
        :data:`~journeys.patterns.OCCURRENCES` with ``pattern="revolving_door"``.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> j = pl.DataFrame({"person_id": [1] * 3, "seq": [1, 2, 3], "agency": ["acute"] * 3,
    ...     "event_id": ["a", "b", "c"], "activity": ["Emergency admission"] * 3,
    ...     "start": [datetime(2024, 1, d, tzinfo=UTC) for d in (1, 9, 20)]})
    >>> s = RevolvingDoorSettings(min_admissions=3)
    >>> detect_revolving_door(j, settings=s).collect()["event_ids"].to_list()
    [['a', 'b', 'c']]
    """
    settings = settings or RevolvingDoorSettings()
    lf = journeys_frame(
        journeys, (PERSON_ID, SEQ, AGENCY, EVENT_ID, ACTIVITY, START), "detect_revolving_door"
    )
    keep = pl.col(ACTIVITY).is_in(list(settings.admission_activities))
    if settings.services:
        keep = keep & pl.col(SERVICE).is_in(list(settings.services))
    admissions = (
        lf.filter(keep)
        .select(PERSON_ID, SEQ, AGENCY, EVENT_ID, START, END)
        .sort(PERSON_ID, SEQ)
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over(PERSON_ID).alias(_IDX))
    )
    # for admission j, the first admission i with start_i >= start_j - window
    firsts = admissions.select(
        PERSON_ID, pl.col(START).alias("_from"), pl.col(_IDX).alias(_LO)
    ).sort("_from", _LO)
    windows = (
        admissions.select(
            PERSON_ID, _IDX, (pl.col(START) - pl.lit(settings.window_length)).alias("_since")
        )
        .sort("_since")
        .join_asof(
            firsts,
            left_on="_since",
            right_on="_from",
            by=PERSON_ID,
            strategy="forward",
            check_sortedness=False,
        )
        .filter(pl.col(_IDX) - pl.col(_LO) + 1 >= settings.min_admissions)
        .sort(PERSON_ID, _IDX)
    )
    new_group = (pl.col(PERSON_ID) != pl.col(PERSON_ID).shift(1)).fill_null(True) | (
        pl.col(_LO) > pl.col(_IDX).shift(1)
    )
    groups = (
        windows.with_columns(new_group.cast(pl.UInt32).cum_sum().alias(_OCC))
        .group_by(PERSON_ID, _OCC)
        .agg(pl.col(_LO).min(), pl.col(_IDX).max().alias("_hi"))
    )
    evidence = admissions.join(groups, on=PERSON_ID).filter(
        (pl.col(_IDX) >= pl.col(_LO)) & (pl.col(_IDX) <= pl.col("_hi"))
    )
    return finish(evidence, _OCC, "revolving_door")
