"""Batch entry points: discovery and conformance from an events file to files in a folder.

Used by ``journeys mine``; each reads a Parquet or CSV events/journeys file, runs one stage and
writes plain files (CSV, Parquet, BPMN, PNML) a workshop pack or an analyst can pick up.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from journeys import schema
from journeys.exceptions import SourceError
from journeys.mining.conformance import (
    check_alignments,
    check_token_replay,
    find_deviations,
    summarise_by_week,
    summarise_deviations,
)
from journeys.mining.maps import discover_process_map
from journeys.mining.models import (
    check_model_quality,
    discover_inductive_model,
    read_model,
    write_bpmn,
    write_pnml,
)
from journeys.mining.settings import MiningSettings

__all__ = ["ConformanceSummary", "DiscoverySummary", "check_to_files", "discover_to_files"]

logger = logging.getLogger(__name__)


def _read(path: Path) -> pl.LazyFrame:
    if not path.is_file():
        raise SourceError(f"The events file {path} does not exist; give a .parquet or .csv file.")
    if path.suffix.lower() == ".parquet":
        return pl.scan_parquet(path)
    if path.suffix.lower() == ".csv":
        return pl.scan_csv(path, try_parse_dates=True)
    raise SourceError(
        f"The events file {path} has suffix '{path.suffix}'; expected .parquet or .csv."
    )


@dataclass(frozen=True)
class DiscoverySummary:
    """What :func:`discover_to_files` found and wrote."""

    cases: int
    variants: int
    activities: int
    edges: int
    fitness: float
    precision: float
    folder: str


def discover_to_files(
    events: Path,
    out: Path,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
    settings: MiningSettings | None = None,
) -> DiscoverySummary:
    """Process map (CSV/Parquet) and an inductive-miner model (BPMN, PNML, quality JSON).

    Writes ``edges.csv``, ``activities.csv``, ``variants.parquet``, ``model.bpmn``,
    ``model.pnml``, ``quality.json`` and the ``settings.toml`` used into ``out``.
    """
    settings = settings or MiningSettings()
    data = _read(events)
    out.mkdir(parents=True, exist_ok=True)
    pm = discover_process_map(
        data,
        case=case,
        activity=activity,
        timestamp=timestamp,
        activity_coverage=settings.activity_coverage,
        path_coverage=settings.path_coverage,
        top_variants=settings.top_variants or None,
    )
    pm.edges.write_csv(out / "edges.csv")
    pm.activities.write_csv(out / "activities.csv")
    pm.variants.write_parquet(out / "variants.parquet")
    model = discover_inductive_model(
        data,
        case=case,
        activity=activity,
        timestamp=timestamp,
        noise_threshold=settings.noise_threshold,
        method=settings.inductive_method,
    )
    quality = check_model_quality(data, model, case=case, activity=activity, timestamp=timestamp)
    write_bpmn(model, out / "model.bpmn")
    write_pnml(model, out / "model.pnml")
    (out / "quality.json").write_text(json.dumps(quality.to_dict(), indent=2))
    summary = DiscoverySummary(
        cases=int(pm.variants.get_column("cases").sum()),
        variants=pm.variants.height,
        activities=pm.activities.height,
        edges=pm.edges.height,
        fitness=quality.fitness,
        precision=quality.precision,
        folder=str(out),
    )
    (out / "summary.json").write_text(json.dumps(asdict(summary), indent=2))
    settings.to_toml(out / "settings.toml")
    return summary


@dataclass(frozen=True)
class ConformanceSummary:
    """What :func:`check_to_files` found and wrote."""

    journeys: int
    mean_fitness: float
    fitting_share: float
    deviations: int
    timed_out: int
    folder: str


def check_to_files(
    events: Path,
    model_path: Path,
    out: Path,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
    agency: str = schema.AGENCY,
    settings: MiningSettings | None = None,
) -> ConformanceSummary:
    """Conformance of journeys against a to-be model (BPMN or PNML).

    Writes ``fitness.csv`` (per journey), ``weekly.csv``, and with alignments
    ``deviations.csv`` and ``deviations_by_agency.csv`` into ``out``.
    """
    settings = settings or MiningSettings()
    data = _read(events)
    model = read_model(model_path)
    out.mkdir(parents=True, exist_ok=True)
    deviations = 0
    timed_out = 0
    if settings.conformance == "token_replay":
        fitness = check_token_replay(data, model, case=case, activity=activity, timestamp=timestamp)
    else:
        aligned = check_alignments(
            data,
            model,
            case=case,
            activity=activity,
            timestamp=timestamp,
            processes=settings.processes,
            trace_timeout=settings.trace_timeout,
        )
        fitness = aligned.cases
        timed_out = aligned.timed_out_cases
        if agency in data.collect_schema().names():
            found = find_deviations(
                data, aligned, activity=activity, timestamp=timestamp, agency=agency
            )
            found.write_csv(out / "deviations.csv")
            summarise_deviations(found, agency=agency, activity=activity).write_csv(
                out / "deviations_by_agency.csv"
            )
            deviations = found.height
    fitness.write_csv(out / "fitness.csv")
    summarise_by_week(data, fitness, case=case, activity=activity, timestamp=timestamp).write_csv(
        out / "weekly.csv"
    )
    values = fitness.get_column("fitness").drop_nulls()
    return ConformanceSummary(
        journeys=fitness.height,
        mean_fitness=float(values.mean() or 0.0),  # type: ignore[arg-type]
        fitting_share=float((values == 1.0).mean() or 0.0),  # type: ignore[arg-type]
        deviations=deviations,
        timed_out=timed_out,
        folder=str(out),
    )
