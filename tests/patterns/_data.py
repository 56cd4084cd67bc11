"""Test data shared by the journeys tests: the Sepsis log as canonical events, and a
hypothesis strategy for small multi-agency event tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from hypothesis import strategies as st

from journeys.schema import EVENTS
from journeys.traces import build_journeys

SEPSIS_RELEASES = tuple(f"Release {c}" for c in "ABCDE")
SEPSIS_AGENCY = "sepsis_hospital"


def read_sepsis(shared_data: Path) -> pl.DataFrame:
    """The Sepsis log as canonical events: one agency, case id as ``person_ref``."""
    raw = pl.read_csv(shared_data / "event_logs" / "sepsis.csv", separator=";")
    emergency = pl.col("Activity").str.starts_with("ER") | (pl.col("Activity") == "Return ER")
    return raw.with_row_index("row").select(
        pl.lit(SEPSIS_AGENCY).alias("agency"),
        pl.col("Case ID").alias("person_ref"),
        pl.format("sepsis-{}", pl.col("row")).alias("event_id"),
        pl.col("Activity").alias("activity"),
        pl.when(emergency)
        .then(pl.lit("emergency_care"))
        .otherwise(pl.lit("inpatient"))
        .alias("service"),
        pl.col("Complete Timestamp")
        .str.to_datetime("%Y/%m/%d %H:%M:%S%.f", time_zone="UTC")
        .alias("start"),
        pl.lit(None, EVENTS["end"]).alias("end"),
        pl.col("org:group").alias("resource"),
        pl.lit(None, pl.String).alias("outcome"),
    )


_T0 = datetime(2025, 1, 1, tzinfo=UTC)
_AGENCIES = ("ae", "acute", "police", "haven_housing", "open_door")
_SERVICE = {
    "ae": "emergency_care",
    "acute": "inpatient",
    "police": "police",
    "haven_housing": "housing",
    "open_door": "housing",
}
_ACTIVITIES = ("Emergency admission", "Discharge", "Assess", "Housing referral")


@st.composite
def event_tables(draw: st.DrawFn, max_events: int = 40) -> pl.DataFrame:
    """Small canonical event tables with many ties in time, some open-ended events, and
    several agency records for some people."""
    n = draw(st.integers(1, max_events))
    rows = []
    for i in range(n):
        agency = draw(st.sampled_from(_AGENCIES))
        # coarse hours so that ties are frequent
        start = _T0 + timedelta(hours=draw(st.integers(0, 24 * 40)) // 6 * 6)
        length = draw(st.one_of(st.none(), st.integers(0, 24 * 20)))
        rows.append(
            {
                "agency": agency,
                "person_ref": f"{agency[:2]}{draw(st.integers(0, 4))}",
                "event_id": f"e{i:03d}",
                "activity": draw(st.sampled_from(_ACTIVITIES)),
                "service": _SERVICE[agency],
                "start": start,
                "end": None if length is None else start + timedelta(hours=length),
                "resource": None,
                "outcome": None,
            }
        )
    return pl.DataFrame(rows, schema=EVENTS)


def crosswalk_for(events: pl.DataFrame, people: int = 3) -> pl.DataFrame:
    """A crosswalk that links records across agencies by the digit of their reference."""
    refs = events.select("agency", "person_ref").unique()
    return refs.with_columns(
        (pl.col("person_ref").str.slice(2).cast(pl.Int64) % people + 1).alias("person_id"),
        pl.lit(None, pl.Float64).alias("match_weight"),
    )


SERVICE = {
    "ae": "emergency_care",
    "police": "police",
    "acute": "inpatient",
    "asc": "social_care",
    "haven": "housing",
    "open_door": "housing",
    "safe_steps": "housing",
}


def build_from_rows(
    rows: list[tuple[int, str, str, str, datetime, datetime | None]],
) -> pl.DataFrame:
    """Journeys from rows of (person, agency, event_id, activity, start, end).

    One ref per person and agency; the person id is the number after the last dash.
    """
    ev = pl.DataFrame(
        [
            {
                "agency": a,
                "person_ref": f"{a}-{p}",
                "event_id": e,
                "activity": act,
                "service": SERVICE[a],
                "start": s,
                "end": end,
                "resource": None,
                "outcome": None,
            }
            for p, a, e, act, s, end in rows
        ],
        schema=EVENTS,
    )
    cw = (
        ev.select("agency", "person_ref")
        .unique()
        .with_columns(
            pl.col("person_ref").str.split("-").list.last().cast(pl.Int64).alias("person_id")
        )
    )
    return build_journeys(ev, cw).collect()
