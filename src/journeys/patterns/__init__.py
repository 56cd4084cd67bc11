"""Loops that hurt: repeated admissions, duplicate attempts, ping-pong, rework, long waits.

Every detector takes journeys (from :func:`journeys.traces.build_journeys`) and returns one
row per occurrence (:data:`OCCURRENCES`: ``person_id``, ``pattern``, ``agencies``, ``start``,
``end``, evidence ``event_ids``); :func:`summarise_by_agency` counts them per agency. Windows
and thresholds live in frozen settings dataclasses that round-trip to TOML.
"""

from __future__ import annotations

from journeys._settings import SettingsFile, parse_duration
from journeys.patterns._common import AGENCIES, OCCURRENCES, summarise_by_agency
from journeys.patterns.duplicates import DuplicateAttemptSettings, detect_duplicate_attempts
from journeys.patterns.ping_pong import PingPongSettings, detect_ping_pong
from journeys.patterns.readmissions import (
    ReadmissionSettings,
    RevolvingDoorSettings,
    detect_readmissions,
    detect_revolving_door,
)
from journeys.patterns.rework import ReworkSettings, detect_rework
from journeys.patterns.settings import PatternSettings, detect_all
from journeys.patterns.waits import LongWaitSettings, WaitThreshold, detect_long_waits

__all__ = [
    "AGENCIES",
    "OCCURRENCES",
    "DuplicateAttemptSettings",
    "LongWaitSettings",
    "PatternSettings",
    "PingPongSettings",
    "ReadmissionSettings",
    "RevolvingDoorSettings",
    "ReworkSettings",
    "SettingsFile",
    "WaitThreshold",
    "detect_all",
    "detect_duplicate_attempts",
    "detect_long_waits",
    "detect_ping_pong",
    "detect_readmissions",
    "detect_revolving_door",
    "detect_rework",
    "parse_duration",
    "summarise_by_agency",
]
