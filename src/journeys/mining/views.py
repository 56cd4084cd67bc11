"""The agency view: agencies as nodes, hand-offs between them as edges.

Computed from a journeys table (``schema.JOURNEYS``: ``person_id, seq, agency, prev_agency,
handoff, wait``, ...). A hand-off is a row whose ``handoff`` is true: the person moved from
``prev_agency`` to ``agency``, and ``wait`` is the time since the previous event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from journeys import schema
from journeys.exceptions import DataError
from journeys.mining._frames import Frame, as_lazy

__all__ = ["AgencyMap", "discover_agency_map"]

HANDOFFS: Final = "handoffs"
PEOPLE: Final = "people"
EVENTS: Final = "events"
_SECONDS: Final = 1e6  # microseconds per second


@dataclass(frozen=True)
class AgencyMap:
    """Agencies and the hand-offs between them.

    Attributes
    ----------
    agencies
        ``agency, events, people``, busiest first.
    handoffs
        ``source, target, handoffs, people`` and the waits in seconds: ``median_wait``,
        ``mean_wait``, ``p90_wait``; most frequent first.
    """

    agencies: pl.DataFrame
    handoffs: pl.DataFrame


def discover_agency_map(
    journeys: Frame,
    *,
    person: str = schema.PERSON_ID,
    agency: str = schema.AGENCY,
    prev_agency: str = schema.PREV_AGENCY,
    handoff: str = schema.HANDOFF,
    wait: str = schema.WAIT,
) -> AgencyMap:
    """Agencies as nodes and hand-offs (with counts and waits) as edges.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import timedelta
    >>> j = pl.DataFrame({"person_id": [1, 1, 1], "agency": ["probation", "open_door", "gp"],
    ...     "prev_agency": [None, "probation", "open_door"], "handoff": [False, True, True],
    ...     "wait": [None, timedelta(days=2), timedelta(days=4)]})
    >>> discover_agency_map(j).handoffs.select("source", "target", "median_wait").rows()
    [('open_door', 'gp', 345600.0), ('probation', 'open_door', 172800.0)]
    """
    lf = as_lazy(journeys)
    names = lf.collect_schema().names()
    missing = [c for c in (person, agency, prev_agency, handoff, wait) if c not in names]
    if missing:
        raise DataError(
            f"discover_agency_map needs the journeys columns {', '.join(missing)}, which are "
            f"missing (got {', '.join(names)}); build them with journeys.traces."
        )
    agencies = (
        lf.group_by(agency)
        .agg(
            pl.len().cast(pl.UInt32).alias(EVENTS),
            pl.col(person).n_unique().cast(pl.UInt32).alias(PEOPLE),
        )
        .sort([EVENTS, agency], descending=[True, False])
        .collect()
    )
    seconds = pl.col(wait).dt.total_microseconds() / _SECONDS
    handoffs = (
        lf.filter(pl.col(handoff).fill_null(value=False) & pl.col(prev_agency).is_not_null())
        .group_by(prev_agency, agency)
        .agg(
            pl.len().cast(pl.UInt32).alias(HANDOFFS),
            pl.col(person).n_unique().cast(pl.UInt32).alias(PEOPLE),
            seconds.median().alias("median_wait"),
            seconds.mean().alias("mean_wait"),
            seconds.quantile(0.9, interpolation="linear").alias("p90_wait"),
        )
        .rename({prev_agency: "source", agency: "target"})
        .sort([HANDOFFS, "source", "target"], descending=[True, False, False])
        .collect()
    )
    return AgencyMap(agencies=agencies, handoffs=handoffs)
