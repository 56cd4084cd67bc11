"""Conformance: per-case fitness equals pm4py's own calls; deviations land at the right agency."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

from journeys.exceptions import DataError
from journeys.mining import (
    check_alignments,
    check_token_replay,
    discover_inductive_model,
    discover_variants,
    find_deviations,
    read_model,
    summarise_by_week,
    summarise_deviations,
)
from tests.mining.conftest import RECEIPT_FORMAT, XES_CASE, XES_KEYS, XES_TIME
from tests.mining.conftest import oracle as quiet


def _per_case(ours: pl.DataFrame, theirs: pd.DataFrame, columns: dict[str, str]) -> None:
    """Every case of pm4py's diagnostics frame has exactly our values."""
    ref = pl.from_pandas(theirs).rename({"case_id": XES_CASE})
    joined = ref.join(ours, on=XES_CASE, how="left", suffix="_ours")
    assert joined.height == ours.height == ref.height
    for theirs_name, ours_name in columns.items():
        left = joined.get_column(theirs_name).to_list()
        right = joined.get_column(
            ours_name if ours_name != theirs_name else f"{ours_name}_ours"
        ).to_list()
        assert left == right, theirs_name


#: pm4py's token-replay diagnostics columns and ours
REPLAY_COLUMNS = {
    "trace_fitness": "fitness",
    "is_fit": "is_fit",
    "missing": "missing",
    "remaining": "remaining",
    "produced": "produced",
    "consumed": "consumed",
}


def _pm4py_replay(pm4py: Any, log: pd.DataFrame, model: Any) -> pd.DataFrame:
    with quiet():
        result: pd.DataFrame = pm4py.conformance_diagnostics_token_based_replay(
            log,
            model.net,
            model.initial_marking,
            model.final_marking,
            return_diagnostics_dataframe=True,
        )
    return result


def test_receipt_token_replay_equals_pm4py_case_by_case(
    receipt: pl.DataFrame, receipt_pm4py: pd.DataFrame, shared_data: Path, pm4py: Any
) -> None:
    model = read_model(shared_data / "models" / "receipt.bpmn")
    ours = check_token_replay(receipt, model, **XES_KEYS)
    theirs = _pm4py_replay(pm4py, receipt_pm4py, model)
    _per_case(ours, theirs, REPLAY_COLUMNS)
    assert ours.get_column("fitness").min() < 1.0  # the check can fail: some cases do not fit


def test_token_replay_with_activities_the_model_lacks_equals_pm4py(
    receipt: pl.DataFrame, shared_data: Path, pm4py: Any
) -> None:
    """Events the model has no transition for (like a journey's GP appointments against a to-be
    model) are dropped before replay: pm4py, given them, must still agree case by case."""
    model = read_model(shared_data / "models" / "receipt.bpmn")
    extra = (
        receipt.with_row_index("__row")
        .filter(pl.col("__row") % 3 == 0)  # a third of the events get an unmodelled twin
        .with_columns(
            pl.format("Unmodelled step {}", pl.col("__row") % 4).alias("concept:name"),
            (pl.col(XES_TIME) + timedelta(microseconds=1)).alias(XES_TIME),
        )
        .drop("__row")
    )
    mixed = pl.concat([receipt, extra]).sort(XES_CASE, XES_TIME, maintain_order=True)
    ours = check_token_replay(mixed, model, **XES_KEYS, processes=1)
    oracle = pm4py.format_dataframe(
        mixed.with_columns(pl.col(XES_TIME).dt.strftime(RECEIPT_FORMAT)).to_pandas()
    )
    theirs = _pm4py_replay(pm4py, oracle, model)
    _per_case(ours, theirs, REPLAY_COLUMNS)
    plain = check_token_replay(receipt, model, **XES_KEYS, processes=1)
    assert plain.sort(XES_CASE).equals(ours.sort(XES_CASE))
    assert (ours.get_column("fitness") < 1.0).any()


def test_token_replay_reads_activity_codes_as_text() -> None:
    """Activities stored as integers are compared with the model's labels as text."""
    text = pl.DataFrame(
        {
            "person_id": [1, 1, 2, 2, 2],
            "activity": ["1", "2", "1", "3", "2"],
            "start": [datetime(2024, 1, d, tzinfo=UTC) for d in (1, 2, 1, 2, 3)],
        }
    )
    model = discover_inductive_model(text.filter(pl.col("person_id") == 1))
    codes = text.with_columns(pl.col("activity").cast(pl.Int64))
    by_text = check_token_replay(text, model, processes=1)
    assert check_token_replay(codes, model, processes=1).equals(by_text)
    assert by_text.get_column("fitness").to_list()[0] == 1.0


def _frequent_cases(receipt: pl.DataFrame, variants: int) -> pl.DataFrame:
    keep = discover_variants(receipt, **XES_KEYS, top_k=variants).get_column("variant")
    traces = (
        receipt.sort(XES_CASE, XES_TIME, maintain_order=True)
        .group_by(XES_CASE, maintain_order=True)
        .agg(pl.col("concept:name").alias("variant"))
    )
    cases = traces.filter(pl.col("variant").is_in(keep.implode())).get_column(XES_CASE)
    return receipt.filter(pl.col(XES_CASE).is_in(cases.implode()))


def _check_receipt_alignments(subset: pl.DataFrame, shared_data: Path, pm4py: Any) -> None:
    model = read_model(shared_data / "models" / "receipt.bpmn")
    ours = check_alignments(subset, model, **XES_KEYS, processes=2)
    oracle = pm4py.format_dataframe(
        subset.with_columns(pl.col(XES_TIME).dt.strftime("%Y-%m-%d %H:%M:%S%.f%:z")).to_pandas()
    )
    args = (model.net, model.initial_marking, model.final_marking)
    with quiet():
        theirs = pm4py.conformance_diagnostics_alignments(
            oracle, *args, return_diagnostics_dataframe=True
        )
        expected = pm4py.fitness_alignments(oracle, *args)
    _per_case(ours.cases, theirs, {"fitness": "fitness", "cost": "cost"})
    summary = ours.summary()
    assert summary.pop("timed_out_cases") == 0
    assert summary == expected


def test_receipt_alignments_equal_pm4py_case_by_case(
    receipt: pl.DataFrame, shared_data: Path, pm4py: Any
) -> None:
    # the cases of the 8 most frequent variants (about half the log) keep the oracle fast
    _check_receipt_alignments(_frequent_cases(receipt, 8), shared_data, pm4py)


@pytest.mark.slow  # pm4py needs one to two minutes for the whole log
def test_receipt_alignments_equal_pm4py_on_the_whole_log(
    receipt: pl.DataFrame, shared_data: Path, pm4py: Any
) -> None:
    _check_receipt_alignments(receipt, shared_data, pm4py)


def test_running_example_equals_pm4py_case_by_case(shared_data: Path, pm4py: Any) -> None:
    path = shared_data / "event_logs" / "running-example.csv"
    ours_log = pl.read_csv(path, infer_schema=False).with_columns(
        pl.col(XES_TIME).str.to_datetime(RECEIPT_FORMAT.replace("%.f", ""))
    )
    oracle = pm4py.format_dataframe(pd.read_csv(path))
    model = read_model(shared_data / "models" / "running-example.bpmn")
    args = (model.net, model.initial_marking, model.final_marking)
    tbr = check_token_replay(ours_log, model, **XES_KEYS)
    _per_case(
        tbr,
        pm4py.conformance_diagnostics_token_based_replay(
            oracle, *args, return_diagnostics_dataframe=True
        ),
        {"trace_fitness": "fitness", "missing": "missing"},
    )
    aligned = check_alignments(ours_log, model, **XES_KEYS, processes=2)
    with quiet():
        theirs = pm4py.conformance_diagnostics_alignments(
            oracle, *args, return_diagnostics_dataframe=True
        )
    _per_case(aligned.cases, theirs, {"fitness": "fitness", "cost": "cost"})


def _journey(rows: list[tuple[int, str, str]]) -> pl.DataFrame:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    return pl.DataFrame(
        {
            "person_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "agency": [r[2] for r in rows],
            "start": [base + timedelta(days=7 * r[0] + i) for i, r in enumerate(rows)],
        }
    )


@pytest.fixture(scope="module")
def to_be() -> Any:
    """a (gp) -> b (ae) -> c (acute), discovered from a perfect log."""
    perfect = _journey([(0, "a", "gp"), (0, "b", "ae"), (0, "c", "acute")])
    return discover_inductive_model(perfect)


def test_deviations_are_classified_and_attributed(to_be: Any) -> None:
    log = _journey(
        [
            (1, "a", "gp"),
            (1, "b", "ae"),
            (1, "c", "acute"),  # fits
            (2, "a", "gp"),
            (2, "b", "ae"),
            (2, "b", "police"),
            (2, "c", "acute"),  # extra b
            (3, "a", "gp"),
            (3, "c", "acute"),  # b skipped
            (4, "b", "ae"),
            (4, "a", "gp"),
            (4, "c", "acute"),  # a after b
        ]
    )
    aligned = check_alignments(log, to_be, processes=1)
    fitness = dict(aligned.cases.select("person_id", "fitness").iter_rows())
    assert fitness[1] == 1.0
    assert all(fitness[p] < 1.0 for p in (2, 3, 4))
    found = find_deviations(log, aligned)
    by_case = {
        p: sorted(r[1:] for r in found.filter(pl.col("person_id") == p).rows())
        for p in (1, 2, 3, 4)
    }
    assert by_case[1] == []
    assert by_case[2] in ([("inserted", "b", 2, "police")], [("inserted", "b", 1, "ae")])
    assert by_case[3] == [("skipped", "b", 0, "gp")]
    assert len(by_case[4]) == 1
    assert by_case[4][0][0] == "wrong_order"
    assert by_case[4][0][1] in {"a", "b"}
    summary = summarise_deviations(found)
    assert summary.get_column("deviations").sum() == found.height


def test_one_or_two_processes_give_the_same_answer(
    receipt: pl.DataFrame, shared_data: Path
) -> None:
    subset = _frequent_cases(receipt, 4)
    model = read_model(shared_data / "models" / "receipt.bpmn")
    one = check_alignments(subset, model, **XES_KEYS, processes=1)
    two = check_alignments(subset, model, **XES_KEYS, processes=2)
    assert one.cases.equals(two.cases)
    assert one.variants.drop("seconds").equals(two.variants.drop("seconds"))


def test_time_limit_hits_are_reported(
    receipt: pl.DataFrame, shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    subset = _frequent_cases(receipt, 3)
    model = read_model(shared_data / "models" / "receipt.bpmn")
    with caplog.at_level(logging.WARNING, logger="journeys"):
        aligned = check_alignments(subset, model, **XES_KEYS, processes=1, trace_timeout=1e-9)
    assert aligned.timed_out_variants == 3
    assert aligned.timed_out_cases == aligned.cases.height
    assert aligned.cases.get_column("fitness").null_count() == aligned.cases.height
    assert aligned.summary()["timed_out_cases"] == aligned.cases.height
    assert "hit the alignment time limit" in caplog.text
    with pytest.raises(DataError, match="trace_timeout"):
        check_alignments(subset, model, **XES_KEYS, trace_timeout=0)


def test_conformance_per_week(to_be: Any) -> None:
    log = _journey(
        [
            (1, "a", "gp"),
            (1, "b", "ae"),
            (1, "c", "acute"),
            (2, "a", "gp"),
            (2, "c", "acute"),
            (3, "a", "gp"),
            (3, "b", "ae"),
            (3, "c", "acute"),
        ]
    )
    weekly = summarise_by_week(log, check_alignments(log, to_be, processes=1).cases)
    assert weekly.get_column("journeys").to_list() == [1, 1, 1]
    assert weekly.get_column("fitting_share").to_list() == [1.0, 0.0, 1.0]
    tbr_weekly = summarise_by_week(log, check_token_replay(log, to_be))
    assert tbr_weekly.get_column("fitting_share").to_list() == [1.0, 0.0, 1.0]
    with pytest.raises(DataError, match="fitness"):
        summarise_by_week(log, pl.DataFrame({"person_id": [1]}))


def test_sepsis_token_replay_in_two_processes_equals_pm4py_case_by_case(
    sepsis: pl.DataFrame, sepsis_pm4py: pd.DataFrame, pm4py: Any
) -> None:
    """846 variants: replayed in chunks by two worker processes, the pool path."""
    keys = {"case": "Case ID", "activity": "Activity", "timestamp": "Complete Timestamp"}
    frequent = discover_variants(
        sepsis, case="Case ID", activity="Activity", timestamp="Complete Timestamp", top_k=5
    ).get_column("variant")
    traces = (
        sepsis.sort("Case ID", "Complete Timestamp", maintain_order=True)
        .group_by("Case ID", maintain_order=True)
        .agg(pl.col("Activity").alias("variant"))
    )
    assert traces.get_column("variant").n_unique() > 256  # more than the in-process threshold
    cases = traces.filter(pl.col("variant").is_in(frequent.implode())).get_column("Case ID")
    model = discover_inductive_model(
        sepsis.filter(pl.col("Case ID").is_in(cases.implode())),
        case="Case ID",
        activity="Activity",
        timestamp="Complete Timestamp",
    )
    two = check_token_replay(sepsis, model, **keys, processes=2)
    one = check_token_replay(sepsis, model, **keys, processes=1)
    assert two.equals(one)
    theirs = _pm4py_replay(pm4py, sepsis_pm4py, model)
    _per_case(two.rename({"Case ID": XES_CASE}), theirs, REPLAY_COLUMNS)
    assert (two.get_column("fitness") < 1.0).any()


def test_token_replay_rejects_zero_processes(to_be: Any) -> None:
    log = pl.DataFrame(
        {"person_id": [1], "activity": ["a"], "start": [datetime(2024, 1, 1, tzinfo=UTC)]}
    )
    with pytest.raises(DataError, match=r"'processes'.*>= 1"):
        check_token_replay(log, to_be, processes=0)
