"""Rework: the same activity repeated within one agency's part of an episode."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from journeys.exceptions import ConfigError
from journeys.patterns._common import Frame, finish, journeys_frame
from journeys.patterns._settings import SettingsFile
from journeys.schema import ACTIVITY, AGENCY, END, EPISODE, EVENT_ID, PERSON_ID, SEQ, START

__all__ = ["ReworkSettings", "detect_rework"]


@dataclass(frozen=True)
class ReworkSettings(SettingsFile):
    """Settings of :func:`detect_rework`.

    Parameters
    ----------
    min_repeats
        An activity done at least this many times in one agency's episode. Default 2.
    ignore_activities
        Activities that are expected to repeat (daily observations, lab tests). Default none.
    """

    min_repeats: int = 2
    ignore_activities: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.min_repeats, int) or self.min_repeats < 2:
            raise ConfigError(
                "ReworkSettings",
                [f"'min_repeats' must be an integer >= 2. Got {self.min_repeats!r}"],
            )


def detect_rework(journeys: Frame, *, settings: ReworkSettings | None = None) -> pl.LazyFrame:
    """The same activity repeated at one agency within one episode of a person's journey.

    One occurrence per ``(person_id, episode, agency, activity)`` done ``min_repeats`` times
    or more; the evidence is every repetition.

    Returns
    -------
    pl.LazyFrame
        :data:`~journeys.patterns.OCCURRENCES` with ``pattern="rework"``, plus the repeated
        ``activity`` column.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> j = pl.DataFrame({"person_id": [1] * 3, "seq": [1, 2, 3], "episode": [1] * 3,
    ...     "agency": ["asc"] * 3, "event_id": ["a", "b", "c"],
    ...     "activity": ["Assess", "Plan", "Assess"],
    ...     "start": [datetime(2024, 1, d, tzinfo=UTC) for d in (1, 2, 3)]})
    >>> detect_rework(j).collect()[["activity", "event_ids"]].rows()
    [('Assess', ['a', 'c'])]
    """
    settings = settings or ReworkSettings()
    lf = journeys_frame(
        journeys, (PERSON_ID, SEQ, EPISODE, AGENCY, EVENT_ID, ACTIVITY, START), "detect_rework"
    )
    keys = [EPISODE, AGENCY, ACTIVITY]
    events = lf.select(PERSON_ID, SEQ, EPISODE, AGENCY, ACTIVITY, EVENT_ID, START, END)
    if settings.ignore_activities:
        events = events.filter(~pl.col(ACTIVITY).is_in(list(settings.ignore_activities)))
    evidence = events.filter(pl.len().over(PERSON_ID, *keys) >= settings.min_repeats)
    return finish(evidence, keys, "rework", keep=(ACTIVITY,)).sort(PERSON_ID, START, ACTIVITY)
