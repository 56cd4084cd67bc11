"""Duplicate service attempts: several agencies working the same need for one person at once.

A prison leaver referred to four housing charities at the same time is the typical case: each
charity opens a case, none knows of the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from journeys._settings import SettingsFile, parse_duration
from journeys.exceptions import ConfigError
from journeys.patterns._common import Frame, finish, journeys_frame
from journeys.schema import ACTIVITY, AGENCY, END, EVENT_ID, PERSON_ID, SEQ, SERVICE, START

__all__ = ["DuplicateAttemptSettings", "detect_duplicate_attempts"]

_HI = "_hi"
_OCC = "_occurrence"


@dataclass(frozen=True)
class DuplicateAttemptSettings(SettingsFile):
    """Settings of :func:`detect_duplicate_attempts`.

    Parameters
    ----------
    services
        Service categories to check. Default ``("housing",)``.
    activities
        If not empty, only events with these activities open a period (e.g.
        ``("Housing referral",)``); default: every event of the service.
    near
        Periods that do not overlap but start within this time of the end of an earlier
        period count as one attempt cluster. Default ``"7d"``: a second referral within a
        week of the first closing is still a parallel attempt, not a planned transfer.
    min_agencies
        At least this many different agencies in a cluster. Default 2.
    """

    services: tuple[str, ...] = ("housing",)
    activities: tuple[str, ...] = ()
    near: str = "7d"
    min_agencies: int = 2

    def __post_init__(self) -> None:
        _ = self.near_length
        problems = []
        if not self.services:
            problems.append("'services' must list at least one service category")
        if not isinstance(self.min_agencies, int) or self.min_agencies < 2:
            problems.append(f"'min_agencies' must be an integer >= 2. Got {self.min_agencies!r}")
        if problems:
            raise ConfigError("DuplicateAttemptSettings", problems)

    @property
    def near_length(self) -> timedelta:
        """``near`` as a :class:`~datetime.timedelta`."""
        return parse_duration(self.near, parameter="near", owner="DuplicateAttemptSettings")


def detect_duplicate_attempts(
    journeys: Frame, *, settings: DuplicateAttemptSettings | None = None
) -> pl.LazyFrame:
    """Two or more agencies with the same service category for one person at the same time.

    Each event of a checked service is a period from ``start`` to ``end`` (``start`` when
    open-ended). Per person and service, periods are chained while the next one starts no
    later than ``near`` after the latest end so far; a chain involving at least
    ``min_agencies`` agencies is one occurrence, with every event of the chain as evidence.

    Returns
    -------
    pl.LazyFrame
        :data:`~journeys.patterns.OCCURRENCES` with ``pattern="duplicate_<service>"``, e.g.
        ``duplicate_housing``.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> day = lambda d: datetime(2024, 1, d, tzinfo=UTC)
    >>> j = pl.DataFrame({"person_id": [1, 1], "seq": [1, 2], "agency": ["a", "b"],
    ...     "event_id": ["r1", "r2"], "activity": ["Housing referral"] * 2,
    ...     "service": ["housing"] * 2, "start": [day(1), day(3)], "end": [day(20), day(25)]})
    >>> detect_duplicate_attempts(j).collect()[["pattern", "event_ids"]].rows()
    [('duplicate_housing', ['r1', 'r2'])]
    """
    settings = settings or DuplicateAttemptSettings()
    lf = journeys_frame(
        journeys,
        (PERSON_ID, SEQ, AGENCY, EVENT_ID, ACTIVITY, SERVICE, START),
        "detect_duplicate_attempts",
    )
    keep = pl.col(SERVICE).is_in(list(settings.services))
    if settings.activities:
        keep = keep & pl.col(ACTIVITY).is_in(list(settings.activities))
    keys = [PERSON_ID, SERVICE]
    periods = (
        lf.filter(keep)
        .select(PERSON_ID, SERVICE, SEQ, AGENCY, EVENT_ID, START, END)
        .sort(PERSON_ID, SERVICE, START, SEQ)
        .with_columns(pl.coalesce(END, START).alias(_HI))
    )
    reach = pl.col(_HI).cum_max().shift(1).over(keys) + pl.lit(settings.near_length)
    same = (pl.col(PERSON_ID) == pl.col(PERSON_ID).shift(1)) & (
        pl.col(SERVICE) == pl.col(SERVICE).shift(1)
    )
    starts_new = (~same.fill_null(False)) | (pl.col(START) > reach).fill_null(True)
    clustered = periods.with_columns(starts_new.cast(pl.UInt32).cum_sum().alias(_OCC))
    big = (
        clustered.group_by(_OCC)
        .agg(pl.col(AGENCY).n_unique().alias("_n"))
        .filter(pl.col("_n") >= settings.min_agencies)
        .select(_OCC)
    )
    evidence = clustered.join(big, on=_OCC, how="semi")
    return finish(evidence, [SERVICE, _OCC], pl.lit("duplicate_") + pl.col(SERVICE))
