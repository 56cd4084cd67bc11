"""Real public logs: sepsis (CSV), XES against pm4py, and the OCEL 2.0 example three ways."""

from __future__ import annotations

import warnings
from pathlib import Path

import polars as pl
import pytest

from journeys import schema
from journeys.adapters import ingest, read_xes
from journeys.adapters.xes import _assemble, _load, _slow_attributes
from tests.conftest import ROOT

MAPPINGS = ROOT / "adapters"


def _pm4py_xes(path: Path) -> pl.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        frame = pm4py.read_xes(str(path))
    return pl.from_pandas(
        frame[["case:concept:name", "concept:name", "time:timestamp"]]
    ).with_columns(pl.col("time:timestamp").dt.cast_time_unit("us").dt.convert_time_zone("UTC"))


def test_sepsis_loads_completely(shared_data: Path) -> None:
    result = ingest([MAPPINGS / "sepsis.yaml"])
    events = result.events
    assert events.height == 15_214
    assert events.get_column(schema.PERSON_REF).n_unique() == 1_050
    assert events.get_column(schema.ACTIVITY).n_unique() == 16
    assert result.quarantine.height == 0
    schema.validate_events(events)
    # 294 patients return to the ER (the data set's documented figure)
    returns = events.filter(pl.col(schema.ACTIVITY).str.starts_with("Return ER"))
    assert returns.get_column(schema.PERSON_REF).n_unique() == 294


def test_running_example_equals_pm4py(shared_data: Path) -> None:
    path = shared_data / "event_logs" / "running-example.xes.gz"
    ours = read_xes(path).select("case:concept:name", "concept:name", "time:timestamp")
    assert ours.equals(_pm4py_xes(path))


def test_fast_and_fallback_xes_paths_agree(shared_data: Path) -> None:
    path = shared_data / "event_logs" / "running-example.xes.gz"
    assert read_xes(path).equals(_assemble(_slow_attributes(_load(path), path)))


def test_irregular_xes_layout_uses_the_fallback(tmp_path: Path) -> None:
    # single quotes, attributes split over lines, an entity and a nested attribute
    text = """<?xml version='1.0'?><log xmlns='http://www.xes-standard.org/'>
<trace><string key='concept:name' value='c1'/>
<event><string key='concept:name'
   value='A &amp; B'/><date key='time:timestamp' value='2024-07-01T10:00:00.000+01:00'/>
<string key='x' value='1'><string key='nested' value='no'/></string></event>
</trace></log>"""
    (tmp_path / "odd.xes").write_text(text)
    log = read_xes(tmp_path / "odd.xes")
    assert log.select("case:concept:name", "concept:name", "x").row(0) == ("c1", "A & B", "1")
    assert "nested" not in log.columns


@pytest.mark.slow
def test_bpic2012_equals_pm4py_event_for_event(shared_data: Path) -> None:
    path = shared_data / "event_logs" / "bpic2012.xes.gz"
    ours = read_xes(path).select("case:concept:name", "concept:name", "time:timestamp")
    assert ours.height == 262_200
    assert ours.equals(_pm4py_xes(path))
    result = ingest([MAPPINGS / "bpic2012.yaml"])
    assert result.events.height == 262_200
    assert result.quarantine.height == 0


def test_ocel_examples_agree_in_all_three_serialisations(shared_data: Path) -> None:
    results = [
        ingest([MAPPINGS / f"ocel20-example-{kind}.yaml"])
        for kind in ("jsonocel", "xmlocel", "sqlite")
    ]
    frames = [r.events.sort(schema.EVENT_ID) for r in results]
    assert frames[0].height > 0
    assert frames[0].equals(frames[1])
    assert frames[0].equals(frames[2])
    assert all(r.quarantine.height == 0 for r in results)


def test_ocel_flattening_matches_pm4py(shared_data: Path) -> None:
    from journeys.adapters import read_ocel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        ocel = pm4py.read_ocel2_json(str(shared_data / "ocel" / "ocel20_example.jsonocel"))
    relations = ocel.relations
    expected = sorted(
        (e, o)
        for e, o, t in zip(
            relations["ocel:eid"], relations["ocel:oid"], relations["ocel:type"], strict=True
        )
        if t == "Invoice"
    )
    ours = read_ocel(shared_data / "ocel" / "ocel20_example.xmlocel", object_type="Invoice")
    assert sorted(ours.select("ocel:eid", "ocel:oid").rows()) == expected
