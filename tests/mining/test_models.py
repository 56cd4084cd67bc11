"""Models discovered through journeys equal pm4py's with the same settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

from journeys.exceptions import DataError, DependencyError, MiningError, SourceError
from journeys.mining import (
    Model,
    check_model_quality,
    discover_heuristics_model,
    discover_inductive_model,
    graphviz_available,
    read_model,
    to_bpmn,
    write_bpmn,
    write_image,
    write_pnml,
)

SEPSIS = {"case": "Case ID", "activity": "Activity", "timestamp": "Complete Timestamp"}


def _net_signature(net: Any) -> tuple[Any, ...]:
    """Places, transitions (by label, silent ones counted) and arcs (by labels/degree)."""
    labels = sorted(str(t.label) for t in net.transitions)
    arcs = sorted(
        (str(getattr(a.source, "label", None)), str(getattr(a.target, "label", None)))
        for a in net.arcs
    )
    return len(net.places), labels, arcs


@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_inductive_equals_pm4py(
    sepsis: pl.DataFrame, sepsis_pm4py: pd.DataFrame, pm4py: Any, noise: float
) -> None:
    ours = discover_inductive_model(sepsis, noise_threshold=noise, method="log", **SEPSIS)
    tree = pm4py.discover_process_tree_inductive(sepsis_pm4py, noise_threshold=noise)
    assert str(ours.tree) == str(tree)
    net, _, _ = pm4py.discover_petri_net_inductive(sepsis_pm4py, noise_threshold=noise)
    assert _net_signature(ours.net) == _net_signature(net)


def test_dfg_based_inductive_equals_pm4py_on_its_own_dfg(
    sepsis: pl.DataFrame, sepsis_pm4py: pd.DataFrame, pm4py: Any
) -> None:
    from pm4py.objects.dfg.obj import DFG

    dfg, starts, ends = pm4py.discover_dfg(sepsis_pm4py.copy())
    theirs = pm4py.discover_process_tree_inductive(DFG(dfg, starts, ends), noise_threshold=0.2)
    ours = discover_inductive_model(sepsis.lazy(), noise_threshold=0.2, method="dfg", **SEPSIS)
    assert str(ours.tree) == str(theirs)
    # "auto" switches to the DFG variant above the size limit
    auto = discover_inductive_model(sepsis, noise_threshold=0.2, dfg_above=100, **SEPSIS)
    assert str(auto.tree) == str(theirs)


def test_heuristics_equals_pm4py(
    sepsis: pl.DataFrame, sepsis_pm4py: pd.DataFrame, pm4py: Any
) -> None:
    ours = discover_heuristics_model(sepsis, dependency_threshold=0.7, **SEPSIS)
    net, _, _ = pm4py.discover_petri_net_heuristics(sepsis_pm4py, dependency_threshold=0.7)
    assert _net_signature(ours.net) == _net_signature(net)


def test_bpmn_conversion_equals_pm4py(
    sepsis: pl.DataFrame, sepsis_pm4py: pd.DataFrame, pm4py: Any
) -> None:
    ours = to_bpmn(discover_inductive_model(sepsis, **SEPSIS))
    theirs = pm4py.convert_to_bpmn(pm4py.discover_process_tree_inductive(sepsis_pm4py))
    names = sorted(str(n.get_name()) for n in ours.get_nodes())
    assert names == sorted(str(n.get_name()) for n in theirs.get_nodes())
    assert len(ours.get_flows()) == len(theirs.get_flows())


def test_quality_equals_pm4py_calls(
    receipt: pl.DataFrame, receipt_pm4py: pd.DataFrame, pm4py: Any
) -> None:
    keys = {"case": "case:concept:name", "activity": "concept:name", "timestamp": "time:timestamp"}
    model = discover_inductive_model(receipt, noise_threshold=0.3, quality=True, **keys)
    assert model.quality is not None
    net, im, fm = pm4py.discover_petri_net_inductive(receipt_pm4py, noise_threshold=0.3)
    assert (
        model.quality.fitness
        == pm4py.fitness_token_based_replay(receipt_pm4py, net, im, fm)["log_fitness"]
    )
    assert model.quality.precision == pm4py.precision_token_based_replay(receipt_pm4py, net, im, fm)
    assert model.quality.simplicity == pm4py.simplicity_petri_net(net, im, fm)
    assert model.quality.generalization == pm4py.generalization_tbr(receipt_pm4py, net, im, fm)
    assert set(model.quality.to_dict()) == {"fitness", "precision", "simplicity", "generalization"}
    again = check_model_quality(receipt, model, **keys)
    assert again == model.quality


def test_bpmn_and_pnml_round_trip(sepsis: pl.DataFrame, tmp_path: Path) -> None:
    model = discover_inductive_model(sepsis, noise_threshold=0.2, **SEPSIS)
    pnml = read_model(write_pnml(model, tmp_path / "as_is.pnml"))
    assert _net_signature(pnml.net) == _net_signature(model.net)
    bpmn = read_model(write_bpmn(model, tmp_path / "as_is.bpmn"))
    assert bpmn.activities == model.activities


def test_reads_pnml_and_bpmn_from_other_tools(shared_data: Path) -> None:
    ex1 = read_model(shared_data / "models" / "ex1.pnml")
    assert ex1.initial_marking
    assert ex1.final_marking
    signavio = read_model(shared_data / "models" / "receipt.bpmn")
    assert "Confirmation of receipt" in signavio.activities
    bpmn_io = read_model(Path(__file__).parents[2] / "examples" / "to_be.bpmn")
    assert {"Housing referral", "Probation induction", "Emergency admission"} <= (
        bpmn_io.activities
    )


def test_model_errors_are_ours(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        read_model(tmp_path / "missing.bpmn")
    bad = tmp_path / "model.txt"
    bad.write_text("x")
    with pytest.raises(SourceError, match=r"\.bpmn"):
        read_model(bad)
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<not-bpmn")
    with pytest.raises(MiningError, match=r"broken\.bpmn"):
        read_model(broken)
    with pytest.raises(DataError, match="noise_threshold"):
        discover_inductive_model(pl.DataFrame(), noise_threshold=1.5)


def test_images_need_graphviz(sepsis: pl.DataFrame, tmp_path: Path) -> None:
    model: Model = discover_inductive_model(sepsis, noise_threshold=0.2, **SEPSIS)
    if graphviz_available():
        assert write_image(model, tmp_path / "model.svg").stat().st_size > 0
    else:
        with pytest.raises(DependencyError, match="Graphviz"):
            write_image(model, tmp_path / "model.png")
    with pytest.raises(DataError, match=r"\.png or \.svg"):
        write_image(model, tmp_path / "model.gif")
