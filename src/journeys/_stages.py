"""The stages of ``journeys reconstruct``, each reading and writing files in a folder.

Every stage reads its inputs from disk and writes its outputs to disk, so that a stage can be
reused when nothing it depends on changed, and so that the files between stages are the same
files that cross organisational boundaries in production: plaintext identities stay in the
project's private folder (the agency side); only pseudonymous files reach the output folder.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from journeys import schema as s
from journeys.config import Project

__all__ = ["Paths", "StageContext"]

logger = logging.getLogger(__name__)
#: Model quality (fitness, precision, generalisation, simplicity) is computed on at most this
#: many journeys, chosen by a fixed hash of their id so the sample is reproducible.
_QUALITY_SAMPLE: Final = 300


@dataclass(frozen=True)
class Paths:
    """Where every stage file lives."""

    out: Path
    private: Path

    @property
    def data(self) -> Path:
        return self.out / "data"

    @property
    def models(self) -> Path:
        """Discovered models; the pack copies them into ``out/models``."""
        return self.data / "models"

    def private_file(self, name: str) -> Path:
        return self.private / name

    def data_file(self, name: str) -> Path:
        return self.data / name


@dataclass
class StageContext:
    """What the stages share: the project, the paths and (when needed) the secret."""

    project: Project
    paths: Paths
    secret: Any = None

    def secret_fingerprint(self) -> str:
        """A short keyed fingerprint of the secret for cache keys (the secret is never stored)."""
        if self.secret is None:
            return "none"
        return hmac.new(self.secret.value, b"journeys cache fingerprint", "sha256").hexdigest()[:12]


# --- ingest -------------------------------------------------------------------------------
def source_files(project: Project) -> tuple[list[Path], bool]:
    """Files a stage's cache key must cover for the sources, and whether they all are files.

    A source read from a database server cannot be fingerprinted, so its ingest is never
    reused (``False``).
    """
    from journeys.adapters.mapping import load_mapping

    files: list[Path] = []
    cacheable = True
    for path in project.sources:
        files.append(path)
        mapping = load_mapping(path)
        source = mapping.source
        if source.path:
            files.append((mapping.base / source.path).resolve())
        elif source.url and source.url.startswith("sqlite:///"):
            files.append((mapping.base / source.url.removeprefix("sqlite:///")).resolve())
        else:
            cacheable = False
    return files, cacheable


def run_ingest(ctx: StageContext) -> dict[str, Any]:
    from journeys.adapters import ingest

    private = ctx.paths.private
    # one source at a time: a second thread saved about 2 s of 30 at 1M people (within the
    # noise between runs; see ingest's ``workers``)
    result = ingest(list(ctx.project.sources), out=private)
    accounting = pl.DataFrame(
        {
            "source": [a.source for a in result.accounts],
            "agency": [a.agency for a in result.accounts],
            "rows_read": [a.read for a in result.accounts],
            "rows_loaded": [a.loaded for a in result.accounts],
            "rows_quarantined": [a.quarantined for a in result.accounts],
            "rows_filtered": [a.filtered for a in result.accounts],
        }
    )
    accounting.write_parquet(ctx.paths.data_file("accounting.parquet"))
    from journeys.reports import summarise_quarantine

    summarise_quarantine(result.quarantine).write_parquet(
        ctx.paths.data_file("quarantine_reasons.parquet")
    )
    return {
        "sources": len(result.accounts),
        "rows_read": int(accounting.get_column("rows_read").sum()),
        "rows_loaded": int(accounting.get_column("rows_loaded").sum()),
        "rows_quarantined": int(accounting.get_column("rows_quarantined").sum()),
        "rows_filtered": int(accounting.get_column("rows_filtered").sum()),
        "balanced": all(a.balanced for a in result.accounts),
        "events": result.events.height,
        "identity_records": result.identities.height,
    }


# --- encode -------------------------------------------------------------------------------
def _encoding_schema(project: Project) -> Any:
    from journeys.linkage import default_schema, read_schema

    return read_schema(project.linkage.schema) if project.linkage.schema else default_schema()


def run_encode(ctx: StageContext) -> dict[str, Any]:
    """Encode identities; pseudonymise the events' person_ref (keyed) and event_id (surrogate).

    Event ids are replaced too: an agency may build them from an identifier (an NHS number and
    a date), and agencies number their events independently. Each event gets the surrogate
    ``<agency>-<n>``, numbered in time order within its agency (ties by the original id), which
    is unique across agencies and reveals nothing the event's own columns do not. The table from
    surrogate back to the agency's own id stays in the private folder
    (``event_ids.parquet``), so the agency can find the evidence of a loop in its system.
    """
    from journeys.linkage import encode_identities, pseudonymise_events

    identities = pl.read_parquet(ctx.paths.private_file("identities.parquet"))
    events = pseudonymise_events(
        pl.scan_parquet(ctx.paths.private_file("events.parquet")), secret=ctx.secret
    ).collect()
    surrogate = (
        pl.col(s.AGENCY)
        + pl.lit("-")
        # the rank of each event in (start, event id) order within its agency
        + (pl.int_range(pl.len()).sort_by(s.START, s.EVENT_ID).arg_sort().over(s.AGENCY) + 1).cast(
            pl.String
        )
    )
    numbered = events.select(s.AGENCY, s.EVENT_ID, s.START).with_columns(
        surrogate.alias("_surrogate")
    )
    numbered.select(s.AGENCY, s.EVENT_ID, pl.col("_surrogate").alias("pseudonym")).write_parquet(
        ctx.paths.private_file("event_ids.parquet")
    )
    events = events.with_columns(numbered.get_column("_surrogate").alias(s.EVENT_ID))
    events.write_parquet(ctx.paths.data_file("events.parquet"))
    counts: dict[str, Any] = {"identity_records": identities.height}
    if ctx.project.linkage.mode == "encoded":
        encodings = encode_identities(
            identities, secret=ctx.secret, schema=_encoding_schema(ctx.project)
        )
        # encodings go to the linkage step, never into the published folder: field-level
        # filters are open to frequency attacks unless salted (see journeys.linkage)
        encodings.write_parquet(ctx.paths.private_file("encodings.parquet"))
        counts["encodings"] = encodings.height
    return counts


# --- link ---------------------------------------------------------------------------------
def run_link(ctx: StageContext) -> dict[str, Any]:
    from journeys.linkage import (
        LinkageSettings,
        link_encodings,
        link_plaintext,
        pseudonymise_refs,
    )

    settings = LinkageSettings.from_dict(ctx.project.linkage.settings)
    if ctx.project.linkage.mode == "encoded":
        result = link_encodings(
            pl.read_parquet(ctx.paths.private_file("encodings.parquet")), settings=settings
        )
        crosswalk = result.crosswalk
    else:
        identities = pl.read_parquet(ctx.paths.private_file("identities.parquet"))
        result = link_plaintext(identities, schema=_encoding_schema(ctx.project), settings=settings)
        crosswalk = result.crosswalk.with_columns(
            pseudonymise_refs(
                result.crosswalk.get_column(s.AGENCY),
                result.crosswalk.get_column(s.PERSON_REF),
                secret=ctx.secret,
            ).alias(s.PERSON_REF)
        )
    crosswalk.write_parquet(ctx.paths.data_file("crosswalk.parquet"))
    model_file = ctx.paths.data_file("linkage_model.json")
    if result.model is not None:
        result.model.save(model_file)
    else:
        model_file.write_text(json.dumps({"scoring": settings.scoring}), encoding="utf-8")
    stats = result.blocking
    return {
        "records": crosswalk.height,
        "people": int(crosswalk.get_column(s.PERSON_ID).n_unique()),
        "candidate_pairs": int(result.pairs.height),
        # light pairs dropped by meta-blocking before any comparison (min_pair_weight)
        "pruned_pairs": stats.pruned_pairs,
        "links": int(result.pairs.get_column("link").sum()) if result.pairs.height else 0,
        "reduction_ratio": stats.reduction_ratio,
        "threshold": float(settings.threshold),
    }


# --- journeys -----------------------------------------------------------------------------
def run_journeys(ctx: StageContext) -> dict[str, Any]:
    from journeys.traces import JourneySettings, build_journeys, summarise_journeys

    settings = JourneySettings.from_dict(ctx.project.journeys)
    journeys = build_journeys(
        pl.scan_parquet(ctx.paths.data_file("events.parquet")),
        pl.scan_parquet(ctx.paths.data_file("crosswalk.parquet")),
        settings=settings,
    ).collect()
    journeys.write_parquet(ctx.paths.data_file("journeys.parquet"))
    summary = summarise_journeys(journeys).collect()
    summary.write_parquet(ctx.paths.data_file("journey_summary.parquet"))
    return {"events": journeys.height, "people": summary.height}


# --- patterns -----------------------------------------------------------------------------
def run_patterns(ctx: StageContext) -> dict[str, Any]:
    from journeys.patterns import PatternSettings, detect_all, summarise_by_agency

    settings = PatternSettings.from_dict(ctx.project.patterns)
    journeys = pl.scan_parquet(ctx.paths.data_file("journeys.parquet"))
    occurrences = detect_all(journeys, settings=settings).collect()
    occurrences.write_parquet(ctx.paths.data_file("occurrences.parquet"))
    by_agency = summarise_by_agency(occurrences).collect()
    by_agency.write_parquet(ctx.paths.data_file("loops_by_agency.parquet"))
    people = occurrences.group_by("pattern").agg(pl.col(s.PERSON_ID).n_unique())
    return {"occurrences": occurrences.height, **{f"people_{k}": v for k, v in people.iter_rows()}}


# --- discovery ----------------------------------------------------------------------------
def run_discovery(ctx: StageContext) -> dict[str, Any]:
    from journeys.mining import (
        check_model_quality,
        discover_agency_map,
        discover_inductive_model,
        discover_process_map,
        write_bpmn,
        write_pnml,
    )

    journeys = pl.read_parquet(ctx.paths.data_file("journeys.parquet"))
    pmap = discover_process_map(journeys, case=s.PERSON_ID)
    pmap.activities.write_parquet(ctx.paths.data_file("process_activities.parquet"))
    pmap.edges.write_parquet(ctx.paths.data_file("process_edges.parquet"))
    pmap.start.write_parquet(ctx.paths.data_file("process_start.parquet"))
    pmap.end.write_parquet(ctx.paths.data_file("process_end.parquet"))
    pmap.variants.write_parquet(ctx.paths.data_file("variants.parquet"))
    amap = discover_agency_map(journeys)
    amap.agencies.write_parquet(ctx.paths.data_file("agencies.parquet"))
    amap.handoffs.write_parquet(ctx.paths.data_file("agency_handoffs.parquet"))
    model = discover_inductive_model(journeys, case=s.PERSON_ID, noise_threshold=0.2)
    ctx.paths.models.mkdir(parents=True, exist_ok=True)
    write_bpmn(model, ctx.paths.models / "as_is.bpmn")
    write_pnml(model, ctx.paths.models / "as_is.pnml")
    counts: dict[str, Any] = {
        "activities": pmap.activities.height,
        "edges": pmap.edges.height,
        "variants": pmap.variants.height,
        "model_transitions": len(model.net.transitions),
    }
    people = journeys.get_column(s.PERSON_ID).unique()
    if people.len() > _QUALITY_SAMPLE:
        sample = (
            pl.DataFrame({"p": people, "h": people.hash(seed=1)}).sort("h", "p").get_column("p")
        ).head(_QUALITY_SAMPLE)
        journeys = journeys.filter(pl.col(s.PERSON_ID).is_in(sample.implode()))
    quality = check_model_quality(journeys, model, case=s.PERSON_ID)
    counts.update({f"model_{k}": v for k, v in vars(quality).items()})
    counts["model_quality_journeys"] = min(people.len(), _QUALITY_SAMPLE)
    return counts


# --- conformance --------------------------------------------------------------------------
def run_conformance(ctx: StageContext) -> dict[str, Any]:
    from journeys.mining import (
        check_alignments,
        check_token_replay,
        find_deviations,
        read_model,
        summarise_by_week,
        summarise_deviations,
    )

    conf = ctx.project.conformance
    if conf.model is None:  # pragma: no cover - the pipeline skips the stage
        return {}
    model = read_model(conf.model)
    journeys = pl.read_parquet(ctx.paths.data_file("journeys.parquet"))
    counts: dict[str, Any] = {"method": conf.method}
    if conf.method == "alignments":
        aligned = check_alignments(journeys, model, case=s.PERSON_ID, trace_timeout=conf.timeout)
        per_case = aligned.cases
        deviations = find_deviations(journeys, aligned)
        summarise_deviations(deviations).write_parquet(ctx.paths.data_file("deviations.parquet"))
        counts["timed_out_variants"] = aligned.timed_out_variants
    else:
        per_case = check_token_replay(journeys, model, case=s.PERSON_ID)
    per_case.write_parquet(ctx.paths.data_file("conformance.parquet"))
    summarise_by_week(journeys, per_case, case=s.PERSON_ID).write_parquet(
        ctx.paths.data_file("conformance_by_week.parquet")
    )
    fitness = per_case.get_column("fitness").drop_nulls()
    counts.update(
        journeys=per_case.height,
        mean_fitness=float(fitness.mean()) if fitness.len() else float("nan"),  # type: ignore[arg-type]
        fitting_share=float((fitness >= 1.0).mean()) if fitness.len() else float("nan"),  # type: ignore[arg-type]
    )
    return counts


# --- measures -----------------------------------------------------------------------------
def run_measures(ctx: StageContext) -> dict[str, Any]:
    from journeys.measures import MeasureBasket, run_basket

    basket = MeasureBasket.from_dict(ctx.project.measures)
    journeys = pl.scan_parquet(ctx.paths.data_file("journeys.parquet"))
    measures = run_basket(journeys, basket=basket)
    measures.write_parquet(ctx.paths.data_file("measures.parquet"))
    return {"rows": measures.height, "measures": int(measures.get_column("measure").n_unique())}


# --- report -------------------------------------------------------------------------------
def _read(ctx: StageContext, name: str) -> pl.DataFrame | None:
    path = ctx.paths.data_file(name)
    return pl.read_parquet(path) if path.exists() else None


def run_report(ctx: StageContext) -> dict[str, Any]:
    from journeys.disclosure import DisclosureRule
    from journeys.mining import ProcessMap
    from journeys.reports import (
        PackContent,
        build_handoffs,
        build_value_stream,
        loop_example_rows,
        process_map_tables,
        select_journeys,
        write_pack,
    )

    project = ctx.project
    journeys = pl.read_parquet(ctx.paths.data_file("journeys.parquet"))
    pmap = ProcessMap(
        activities=pl.read_parquet(ctx.paths.data_file("process_activities.parquet")),
        edges=pl.read_parquet(ctx.paths.data_file("process_edges.parquet")),
        start=pl.read_parquet(ctx.paths.data_file("process_start.parquet")),
        end=pl.read_parquet(ctx.paths.data_file("process_end.parquet")),
        variants=pl.read_parquet(ctx.paths.data_file("variants.parquet")),
    )
    edges, nodes = process_map_tables(pmap)
    occurrences = pl.read_parquet(ctx.paths.data_file("occurrences.parquet"))
    chosen = select_journeys(journeys, by="agencies", n=project.report.journey_maps)
    accounting = _read(ctx, "accounting.parquet")
    # conformance files of an earlier run with another model or method must not be published
    checked = project.conformance.model is not None
    conformance = _read(ctx, "conformance.parquet") if checked else None
    aligned = checked and project.conformance.method == "alignments"
    deviations = _read(ctx, "deviations.parquet") if aligned else None
    models = sorted(ctx.paths.models.glob("*")) if ctx.paths.models.exists() else []
    if project.conformance.model is not None:
        models.append(project.conformance.model)
    crosswalk = pl.read_parquet(ctx.paths.data_file("crosswalk.parquet"))
    from journeys.linkage import LinkageSettings

    threshold = LinkageSettings.from_dict(project.linkage.settings).threshold
    periods = ", ".join(
        f"{p.name} {p.start.isoformat()} to {p.end.isoformat()}" for p in project.periods
    )
    content = PackContent(
        title=project.report.title,
        subtitle=f"{project.name}. {periods}".strip(". "),
        process_edges=edges,
        process_nodes=nodes,
        handoffs=build_handoffs(journeys),
        value_stream=build_value_stream(journeys),
        journeys=journeys.filter(pl.col(s.PERSON_ID).is_in(chosen)),
        journey_order=chosen,
        loop_counts=pl.read_parquet(ctx.paths.data_file("loops_by_agency.parquet")),
        loop_examples=loop_example_rows(journeys, occurrences),
        measures=pl.read_parquet(ctx.paths.data_file("measures.parquet")),
        fitness=conformance.select("fitness") if conformance is not None else None,
        deviations=deviations,
        row_accounting=accounting,
        quarantine_reasons=_read(ctx, "quarantine_reasons.parquet"),
        match_weights=crosswalk.select(s.MATCH_WEIGHT),
        match_threshold=threshold,
        models=models,
    )
    rule = DisclosureRule(
        threshold=project.report.suppress_max + 1, rounding_base=project.report.round_to
    )
    page = write_pack(content, ctx.paths.out, disclosure=rule)
    return {"page": page.name, "journey_maps": len(chosen)}
