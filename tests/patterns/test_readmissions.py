"""Readmissions and the revolving door: hand-made cases and the real Sepsis log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from journeys.exceptions import ConfigError
from journeys.patterns import (
    OCCURRENCES,
    ReadmissionSettings,
    RevolvingDoorSettings,
    detect_readmissions,
    detect_revolving_door,
    summarise_by_agency,
)
from journeys.traces import build_journeys, identity_crosswalk
from tests.patterns._data import SEPSIS_RELEASES, read_sepsis


def t(day: int) -> datetime:
    return datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day)


def journeys(rows: list[tuple[int, str, str, datetime]]) -> pl.DataFrame:
    """Rows of (person, event_id, activity, start) at agency acute."""
    ev = pl.DataFrame(
        {
            "agency": ["acute"] * len(rows),
            "person_ref": [f"p{p}" for p, *_ in rows],
            "event_id": [e for _, e, _, _ in rows],
            "activity": [a for _, _, a, _ in rows],
            "service": ["inpatient"] * len(rows),
            "start": [s for *_, s in rows],
        }
    )
    return build_journeys(ev, identity_crosswalk(ev)).collect()


ADMIT, DISCHARGE = "Emergency admission", "Discharge"


def test_readmission_within_window_and_not_after() -> None:
    j = journeys(
        [
            (1, "a1", ADMIT, t(0)),
            (1, "d1", DISCHARGE, t(5)),
            (1, "a2", ADMIT, t(35)),  # exactly 30 days: counts
            (1, "d2", DISCHARGE, t(40)),
            (1, "a3", ADMIT, t(71)),  # 31 days: does not
            (2, "a4", ADMIT, t(0)),
            (2, "d4", DISCHARGE, t(2)),
            (2, "a5", ADMIT, t(3)),
            (2, "a6", ADMIT, t(4)),  # second return after the same discharge: not counted
        ]
    )
    occ = detect_readmissions(j).collect()
    assert occ.schema == OCCURRENCES
    assert occ.select("person_id", "event_ids", "start", "end").rows() == [
        (1, ["d1", "a2"], t(5), t(35)),
        (2, ["d4", "a5"], t(2), t(3)),
    ]
    longer = detect_readmissions(j, settings=ReadmissionSettings(window="31d")).collect()
    assert longer.height == 3
    summary = summarise_by_agency(occ).collect()
    assert summary.rows() == [("readmission", "acute", 2, 2)]


def test_discharge_time_from_the_admission_end() -> None:
    ev = pl.DataFrame(
        {
            "agency": ["acute", "acute"],
            "person_ref": ["p", "p"],
            "event_id": ["a1", "a2"],
            "activity": [ADMIT, ADMIT],
            "service": ["inpatient", "inpatient"],
            "start": [t(0), t(40)],
            "end": [t(20), t(45)],
        }
    )
    j = build_journeys(ev, identity_crosswalk(ev))
    s = ReadmissionSettings(discharge_activities=(ADMIT,), discharge_time="end")
    occ = detect_readmissions(j, settings=s).collect()
    assert occ.select("event_ids", "start", "end").rows() == [(["a1", "a2"], t(20), t(40))]


def test_revolving_door_merges_overlapping_windows() -> None:
    # person 1: admissions on days 0, 10, 20, 30, 40, 50 (6 in 50 days) then day 200
    # person 2: 5 admissions spread over 60 days: not a revolving door
    rows = [(1, f"a{d}", ADMIT, t(d)) for d in (0, 10, 20, 30, 40, 50, 200)]
    rows += [(2, f"b{d}", ADMIT, t(d)) for d in (0, 15, 30, 45, 60)]
    occ = detect_revolving_door(journeys(rows)).collect()
    assert occ.select("person_id", "event_ids", "start").rows() == [
        (1, ["a0", "a10", "a20", "a30", "a40", "a50"], t(0))
    ]
    wider = detect_revolving_door(journeys(rows), settings=RevolvingDoorSettings(window="60d"))
    assert wider.collect()["person_id"].to_list() == [1, 2]


def test_settings_messages_name_the_parameter() -> None:
    with pytest.raises(ConfigError, match=r"'window' parameter must be a positive duration"):
        ReadmissionSettings(window="thirty days")
    with pytest.raises(ConfigError, match=r"'min_admissions' must be an integer >= 2\. Got 1"):
        RevolvingDoorSettings(min_admissions=1)


def _returns_by_hand(ev: pl.DataFrame, window: timedelta | None) -> set[str]:
    """Oracle: per case, a 'Return ER' after the latest earlier release (plain Python)."""
    found: set[str] = set()
    by_case: dict[str, list[tuple[datetime, str]]] = {}
    for ref, act, start in ev.select("person_ref", "activity", "start").iter_rows():
        by_case.setdefault(ref, []).append((start, act))
    for ref, rows in by_case.items():
        releases = [s for s, a in rows if a in SEPSIS_RELEASES]
        for s, a in rows:
            if a != "Return ER":
                continue
            before = [r for r in releases if r < s]
            if before and (window is None or s - max(before) <= window):
                found.add(ref)
    return found


def test_sepsis_return_to_er(shared_data: Path) -> None:
    ev = read_sepsis(shared_data)
    j = build_journeys(ev, identity_crosswalk(ev)).collect()
    refs = j.select("person_id", "person_ref").unique()

    def patients(window: str) -> set[str]:
        s = ReadmissionSettings(
            window=window,
            discharge_activities=SEPSIS_RELEASES,
            readmission_activities=("Return ER",),
        )
        occ = detect_readmissions(j, settings=s).collect()
        assert occ["person_id"].n_unique() == occ.height  # one return per patient here
        return set(occ.join(refs, on="person_id")["person_ref"].to_list())

    # every patient who returns to the ER does so after a release: the whole log's 294
    every_return = patients("730d")
    assert len(every_return) == 294
    assert every_return == set(ev.filter(pl.col("activity") == "Return ER")["person_ref"])
    # the NHS 30-day readmission window keeps 116 of them
    within_30 = patients("30d")
    assert within_30 == _returns_by_hand(ev, timedelta(days=30))
    assert len(within_30) == 116
