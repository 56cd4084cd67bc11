"""Column names of the small input tables that the figure builders and the pack read.

Names that exist in :mod:`journeys.schema` are re-used from there (``agency``,
``activity``, ``prev_agency``, ``source``, ``reason``, ``match_weight``, ``pattern``,
``value``); the others are defined here, once. Each builder's docstring lists its contract.
"""

from __future__ import annotations

from typing import Final

from journeys.disclosure import END_DAY, JOURNEY, START_DAY

__all__ = [
    "ACTIVITY_RATIO",
    "DEVIATION",
    "DURATION_HOURS",
    "END_DAY",
    "FITNESS",
    "FREQUENCY",
    "FROM_ACTIVITY",
    "JOURNEY",
    "LEAD_HOURS",
    "MEASURE",
    "METRIC",
    "OCCURRENCES",
    "PEOPLE",
    "PERIOD",
    "PROCESS_HOURS",
    "ROWS_FILTERED",
    "ROWS_LOADED",
    "ROWS_QUARANTINED",
    "ROWS_READ",
    "START_DAY",
    "TO_ACTIVITY",
    "WAIT_HOURS",
    "N",
]

#: Directly-follows edge: the earlier activity (null = the journey starts here).
FROM_ACTIVITY: Final = "from_activity"
#: Directly-follows edge: the later activity (null = the journey ends here).
TO_ACTIVITY: Final = "to_activity"
#: A count of events, edges, hand-offs or deviations (integer; disclosed).
FREQUENCY: Final = "frequency"
#: Typical (median) time in hours between the two ends of an edge or hand-off.
DURATION_HOURS: Final = "duration_hours"
#: Value stream: typical (median) hours of work inside a step (end - start).
PROCESS_HOURS: Final = "process_hours"
#: Value stream: typical (median) hours waited before a step starts.
WAIT_HOURS: Final = "wait_hours"
#: Loops: number of distinct people with the pattern (integer; disclosed).
PEOPLE: Final = "people"
#: Loops: number of occurrences of the pattern (integer; disclosed).
OCCURRENCES: Final = "occurrences"
#: Measures: the measure's name.
MEASURE: Final = "measure"
#: Measures: the start of the period (as in journeys.measures.MEASURES).
PERIOD: Final = "period"
#: Measures: number of people/events the value rests on (integer; disclosed).
N: Final = "n"
#: Conformance: per-journey fitness in [0, 1].
FITNESS: Final = "fitness"
#: Conformance: kind of deviation, e.g. "skipped" (model move) or "inserted" (log move).
DEVIATION: Final = "deviation"
#: Data quality: rows read from a source.
ROWS_READ: Final = "rows_read"
#: Data quality: rows loaded into the canonical tables.
ROWS_LOADED: Final = "rows_loaded"
#: Data quality: rows left out on purpose by the mapping's filter (optional).
ROWS_FILTERED: Final = "rows_filtered"
#: Data quality: rows sent to quarantine.
ROWS_QUARANTINED: Final = "rows_quarantined"
#: Linkage quality: name of an estimate, e.g. "precision (estimated)".
METRIC: Final = "metric"
#: Value stream: lead time of a step in hours (wait + process).
LEAD_HOURS: Final = "lead_hours"
#: Value stream: process time / lead time (0..1).
ACTIVITY_RATIO: Final = "activity_ratio"
