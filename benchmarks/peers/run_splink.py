"""Run Splink 4 (DuckDB backend) on files written by benchmarks/test_splink.py.

Runs inside benchmarks/.splink-venv (see peers/splink/setup_splink.sh), never imported by the
project. The model is trained without labels: u by random sampling, the prior from
deterministic rules with an assumed recall, m by expectation maximisation on two blocking
rules that between them leave every comparison free at least once.

Usage::

    .splink-venv/bin/python run_splink.py febrl4 A.parquet B.parquet --out DIR
    .splink-venv/bin/python run_splink.py synthetic IDENTITIES.parquet --out DIR

Inputs hold ``agency, person_ref`` and the identifier columns (journeys' canonical names).
``febrl4``: a ``link_only`` model between the two files, clustered one-to-one (single best
links, each file duplicate-free). ``synthetic``: a ``link_and_dedupe`` model over every agency
(``agency`` is Splink's source dataset), clustered by connected components.
Writes ``DIR/clusters.parquet`` (agency, person_ref, cluster_id) and ``DIR/links.parquet``
(the scored pairs at or above the threshold); prints one JSON line of timings and counts.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

#: Fixed, not tuned on the truth: Splink's usual "probably the same person" cut-off.
THRESHOLD = 0.9
#: Recall assumed for the deterministic rules that estimate the prior (Splink's usual default).
DETERMINISTIC_RECALL = 0.7
SEED = 42


def _febrl4_settings() -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="person_ref",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("family_name"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.LevenshteinAtThresholds("national_id", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
            cl.LevenshteinAtThresholds("postcode", [1, 2]),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("date_of_birth"),
            block_on("given_name", "family_name"),
            block_on("national_id"),
            block_on("postcode", "substr(family_name, 1, 2)"),
            block_on("suburb", "substr(given_name, 1, 2)"),
        ],
        retain_matching_columns=False,
    )


def _synthetic_settings() -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="link_and_dedupe",
        unique_id_column_name="person_ref",
        source_dataset_column_name="agency",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("family_name"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=False),
            cl.ExactMatch("sex"),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("national_id"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("date_of_birth", "substr(given_name, 1, 1)"),
            block_on("date_of_birth", "substr(family_name, 1, 1)"),
            block_on("family_name", "given_name", "year(date_of_birth)"),
            block_on("given_name", "postcode"),
            block_on("family_name", "postcode"),
            block_on("national_id"),
        ],
        retain_matching_columns=False,
    )


#: Deterministic rules for the prior (probability two random records match) and the EM
#: blocking rules; each comparison is left free by at least one EM rule. Both datasets.
PRIOR_RULES: tuple[tuple[str, ...], ...] = (
    ("given_name", "family_name", "date_of_birth"),
    ("national_id",),
)
EM_RULES: tuple[tuple[str, ...], ...] = (("date_of_birth",), ("given_name", "family_name"))


def run(dataset: str, inputs: list[Path], out: Path, *, u_max_pairs: float) -> dict[str, Any]:
    """Train, predict and cluster; return timings (seconds) and counts."""
    import duckdb
    import splink
    from splink import DuckDBAPI, Linker, block_on

    timings: dict[str, float] = {}
    started = time.perf_counter()
    con = duckdb.connect()
    if dataset == "febrl4":
        names = []
        for path in inputs:
            agency = con.execute(
                "select distinct agency from read_parquet(?)", [str(path)]
            ).fetchall()
            name = str(agency[0][0])
            # ISO dates: Splink 4.0's DateOfBirthComparison parses its date-difference
            # levels as %Y-%m-%d whatever datetime_format says; invalid dates become null
            con.execute(
                f'create table "{name}" as select * exclude (agency) replace ('
                "strftime(try_strptime(date_of_birth, '%Y%m%d'), '%Y-%m-%d') as date_of_birth"
                ") from read_parquet(?)",
                [str(path)],
            )
            names.append(name)
        tables: str | list[str] = names
        settings = _febrl4_settings()
        source = "source_dataset"
    else:
        con.execute("create table identities as select * from read_parquet(?)", [str(inputs[0])])
        tables = "identities"
        settings = _synthetic_settings()
        source = "agency"
    linker = Linker(tables, settings, db_api=DuckDBAPI(connection=con), input_table_aliases=tables)
    timings["load"] = time.perf_counter() - started

    mark = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on(*cols) for cols in PRIOR_RULES], recall=DETERMINISTIC_RECALL
    )
    timings["train_prior"] = time.perf_counter() - mark
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=SEED)
    timings["train_u"] = time.perf_counter() - mark - timings["train_prior"]
    for cols in EM_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*cols))
    timings["train"] = time.perf_counter() - mark

    mark = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    timings["predict"] = time.perf_counter() - mark

    mark = time.perf_counter()
    if dataset == "febrl4":
        clusters = linker.clustering.cluster_using_single_best_links(
            predictions,
            duplicate_free_datasets=list(tables),
            threshold_match_probability=THRESHOLD,
        )
    else:
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=THRESHOLD
        )
    timings["cluster"] = time.perf_counter() - mark
    timings["seconds"] = time.perf_counter() - started

    out.mkdir(parents=True, exist_ok=True)
    clusters_path = out / "clusters.parquet"
    links_path = out / "links.parquet"
    con.execute(
        f"copy (select {source} as agency, cast(person_ref as varchar) as person_ref, "
        f"cast(cluster_id as varchar) as cluster_id from {clusters.physical_name}) "
        f"to '{clusters_path}' (format parquet)"
    )
    con.execute(
        f"copy (select {source}_l as agency_l, person_ref_l, {source}_r as agency_r, "
        f"person_ref_r, "
        f"match_weight, match_probability from {predictions.physical_name} "
        f"where match_probability >= {THRESHOLD}) to '{links_path}' (format parquet)"
    )
    scored = con.execute(f"select count(*) from {predictions.physical_name}").fetchone()
    records = con.execute(f"select count(*) from {clusters.physical_name}").fetchone()
    return {
        "splink": splink.__version__,
        "duckdb": duckdb.__version__,
        "dataset": dataset,
        "records": int(records[0]) if records else 0,
        "scored_pairs": int(scored[0]) if scored else 0,
        "threshold_match_probability": THRESHOLD,
        "u_max_pairs": u_max_pairs,
        "clusters": str(clusters_path),
        "links": str(links_path),
        **timings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", choices=["febrl4", "synthetic"])
    parser.add_argument("inputs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--u-max-pairs", type=float, default=1e6, help="random pairs sampled to estimate u"
    )
    args = parser.parse_args()
    expected = 2 if args.dataset == "febrl4" else 1
    if len(args.inputs) != expected:
        parser.error(f"{args.dataset} takes {expected} parquet file(s); got {len(args.inputs)}")
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(run(args.dataset, args.inputs, args.out, u_max_pairs=args.u_max_pairs)))


if __name__ == "__main__":
    main()
