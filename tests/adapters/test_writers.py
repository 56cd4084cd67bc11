"""Writers: our XES and OCEL 2.0 files read back, by pm4py and by our readers, unchanged."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import polars as pl

from journeys import schema
from journeys.adapters import read_ocel, read_xes, write_ocel, write_xes

UTC = dt.UTC
EVENTS = pl.DataFrame(
    {
        "agency": ["ae", "ae", "acute", "gp"],
        "person_ref": ["1", "1", "9", "1"],
        "event_id": ["e1", "e2", "e3", "e4"],
        "activity": ["A&E arrival", "A&E discharge", "Emergency admission", "GP <appointment>"],
        "service": ["emergency_care", "emergency_care", "inpatient", "primary_care"],
        "start": [
            dt.datetime(2024, 7, 1, 9, 0, 0, 123456, tzinfo=UTC),
            dt.datetime(2024, 7, 1, 12, tzinfo=UTC),
            dt.datetime(2024, 7, 2, tzinfo=UTC),
            dt.datetime(2024, 7, 3, tzinfo=UTC),
        ],
        "end": [None, None, dt.datetime(2024, 7, 9, tzinfo=UTC), None],
        "resource": ['team "1"', None, "ward", None],
        "outcome": [None, "discharged home", None, None],
    },
    schema=schema.EVENTS,
)


def _pm4py():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py
    return pm4py


def test_xes_round_trip_through_ours_and_pm4py(tmp_path: Path) -> None:
    path = write_xes(EVENTS, tmp_path / "log.xes.gz")
    ours = read_xes(path).sort("event_id")
    assert ours.get_column("concept:name").to_list() == EVENTS.get_column("activity").to_list()
    assert ours.get_column("time:timestamp").to_list() == EVENTS.get_column("start").to_list()
    assert ours.get_column("case:concept:name").to_list() == ["ae:1", "ae:1", "acute:9", "gp:1"]
    assert ours.get_column("org:resource").to_list() == ['team "1"', None, "ward", None]
    pm = _pm4py()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pm.read_xes(str(path))
    assert sorted(theirs["concept:name"]) == sorted(EVENTS.get_column("activity"))
    assert len(theirs) == EVENTS.height


def test_ocel_has_person_agency_and_episode_objects(tmp_path: Path) -> None:
    path = write_ocel(EVENTS, tmp_path / "log.jsonocel")
    pm = _pm4py()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ocel = pm.read_ocel2_json(str(path))
    assert set(ocel.objects["ocel:type"]) == {"person", "agency", "episode"}
    assert len(ocel.events) == EVENTS.height
    people = read_ocel(path, object_type="person")
    assert sorted(people.get_column("ocel:oid").unique().to_list()) == ["acute:9", "ae:1", "gp:1"]
    agencies = read_ocel(path, object_type="agency")
    assert agencies.height == EVENTS.height


def test_journeys_use_person_id_and_episode(tmp_path: Path) -> None:
    journeys = EVENTS.with_columns(
        pl.lit(7, dtype=pl.Int64).alias("person_id"), pl.lit(1, dtype=pl.UInt32).alias("episode")
    )
    log = read_xes(write_xes(journeys, tmp_path / "j.xes"))
    assert log.get_column("case:concept:name").unique().to_list() == ["7"]
    episodes = read_ocel(write_ocel(journeys, tmp_path / "j.jsonocel"), object_type="episode")
    assert episodes.get_column("ocel:oid").unique().to_list() == ["7:1"]
