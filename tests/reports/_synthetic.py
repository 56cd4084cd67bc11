"""A workshop pack built from the synthetic population with the real stages (no linkage:
the crosswalk is the ground truth, so this checks the report, not the linkage)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from journeys.reports import (
    PackContent,
    build_handoffs,
    build_value_stream,
    deviation_table,
    loop_example_rows,
    process_map_tables,
    select_journeys,
    write_pack,
)
from journeys.schema import EVENT_ID, MATCH_WEIGHT, PERSON_ID, TRUE_PERSON_ID


@dataclass
class SyntheticPack:
    page: Path
    identities: pl.DataFrame
    journeys: pl.DataFrame
    process_edges: pl.DataFrame
    loop_counts: pl.DataFrame


def build_synthetic_pack(
    out: Path, *, people: int = 600, seed: int = 7, conformance: bool = True
) -> SyntheticPack:
    """Every section but row accounting (no adapters run here).

    With ``conformance``, a model mined from the journeys (noise-filtered) stands in for the
    to-be model: fitness and deviations come from pm4py alignments, the model is written as
    BPMN and PNML and copied into the pack.
    """
    from journeys.measures import run_basket
    from journeys.mining.maps import discover_process_map
    from journeys.patterns import detect_all, summarise_by_agency
    from journeys.synth import generate_population
    from journeys.traces import build_journeys

    pop = generate_population(people=people, seed=seed)
    rng = np.random.default_rng(seed)
    crosswalk = pop.truth.rename({TRUE_PERSON_ID: PERSON_ID}).with_columns(
        pl.Series(MATCH_WEIGHT, rng.normal(12.0, 3.0, pop.truth.height))
    )
    journeys = build_journeys(pop.events, crosswalk).collect()
    edges, nodes = process_map_tables(discover_process_map(journeys))
    occurrences = detect_all(journeys)
    occ = occurrences.collect() if isinstance(occurrences, pl.LazyFrame) else occurrences
    loop_counts = summarise_by_agency(occ).collect()
    chosen = select_journeys(journeys, by="agencies", n=3)
    fitness = deviations = None
    models: list[Path] = []
    if conformance:
        from journeys.mining import (
            check_alignments,
            discover_inductive_model,
            find_deviations,
            summarise_deviations,
        )
        from journeys.mining.models import write_bpmn, write_pnml

        model = discover_inductive_model(journeys, noise_threshold=0.2)
        alignments = check_alignments(journeys, model, processes=1)
        fitness = alignments.cases.select("fitness")
        deviations = deviation_table(summarise_deviations(find_deviations(journeys, alignments)))
        model_dir = out.parent / f"{out.name}-model"
        model_dir.mkdir(parents=True, exist_ok=True)
        models = [
            write_bpmn(model, model_dir / "to-be.bpmn"),
            write_pnml(model, model_dir / "to-be.pnml"),
        ]
    content = PackContent(
        title="Synthetic population",
        process_edges=edges,
        process_nodes=nodes,
        handoffs=build_handoffs(journeys),
        value_stream=build_value_stream(journeys),
        journeys=journeys.filter(pl.col(PERSON_ID).is_in(chosen)),
        journey_order=chosen,
        loop_counts=loop_counts,
        loop_examples=loop_example_rows(journeys, occ, per_pattern=1),
        measures=run_basket(journeys),
        fitness=fitness,
        deviations=deviations,
        models=models,
        match_weights=crosswalk.select(MATCH_WEIGHT),
        match_threshold=8.0,
    )
    page = write_pack(content, out)
    assert journeys.get_column(EVENT_ID).n_unique() == journeys.height
    return SyntheticPack(page, pop.identities, journeys, edges, loop_counts)
