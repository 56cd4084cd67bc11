"""All detector settings in one file-backed object, and a helper that runs every detector."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from journeys._settings import SettingsFile
from journeys.patterns._common import Frame
from journeys.patterns.duplicates import DuplicateAttemptSettings, detect_duplicate_attempts
from journeys.patterns.ping_pong import PingPongSettings, detect_ping_pong
from journeys.patterns.readmissions import (
    ReadmissionSettings,
    RevolvingDoorSettings,
    detect_readmissions,
    detect_revolving_door,
)
from journeys.patterns.rework import ReworkSettings, detect_rework
from journeys.patterns.waits import LongWaitSettings, detect_long_waits

__all__ = ["PatternSettings", "detect_all"]


@dataclass(frozen=True)
class PatternSettings(SettingsFile):
    """The settings of every detector; round-trips to a TOML file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> s = PatternSettings(ping_pong=PingPongSettings(window="48h"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     PatternSettings.from_toml(s.to_toml(pathlib.Path(d) / "p.toml")) == s
    True
    """

    readmission: ReadmissionSettings = field(default_factory=ReadmissionSettings)
    revolving_door: RevolvingDoorSettings = field(default_factory=RevolvingDoorSettings)
    duplicate_attempts: DuplicateAttemptSettings = field(default_factory=DuplicateAttemptSettings)
    ping_pong: PingPongSettings = field(default_factory=PingPongSettings)
    rework: ReworkSettings = field(default_factory=ReworkSettings)
    long_waits: LongWaitSettings = field(default_factory=LongWaitSettings)


def detect_all(journeys: Frame, *, settings: PatternSettings | None = None) -> pl.LazyFrame:
    """Every detector's occurrences in one frame (the common occurrence columns only).

    Examples
    --------
    >>> from journeys.patterns import OCCURRENCES
    >>> detect_all(pl.DataFrame(schema={**OCCURRENCES, "seq": pl.UInt32, "agency": pl.String,
    ...     "event_id": pl.String, "activity": pl.String, "service": pl.String,
    ...     "episode": pl.UInt32, "handoff": pl.Boolean, "prev_agency": pl.String,
    ...     "wait": pl.Duration("us")})).collect().height
    0
    """
    s = settings or PatternSettings()
    parts = [
        detect_readmissions(journeys, settings=s.readmission),
        detect_revolving_door(journeys, settings=s.revolving_door),
        detect_duplicate_attempts(journeys, settings=s.duplicate_attempts),
        detect_ping_pong(journeys, settings=s.ping_pong),
        detect_rework(journeys, settings=s.rework).drop("activity"),
        detect_long_waits(journeys, settings=s.long_waits),
    ]
    return pl.concat(parts)
