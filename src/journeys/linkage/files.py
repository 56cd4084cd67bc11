"""File-level entry points used by the CLI and by scripts: read, run one stage, write."""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

import polars as pl

from journeys import schema as s
from journeys.exceptions import SourceError
from journeys.linkage.encode import encode_identities, write_encodings
from journeys.linkage.evaluate import evaluate_linkage
from journeys.linkage.link import LinkageResult, link_encodings, link_plaintext
from journeys.linkage.model import FellegiSunterModel
from journeys.linkage.secret import Secret, pseudonymise_events, pseudonymise_refs
from journeys.linkage.settings import EncodingSchema, default_schema, read_schema, read_settings

__all__ = ["encode_file", "evaluate_files", "link_files"]

logger = logging.getLogger(__name__)


def _scan(path: str | Path) -> pl.LazyFrame:
    path = Path(path)
    if not path.exists():
        raise SourceError(f"The file '{path}' does not exist; check the path")
    if path.suffix.lower() == ".csv":
        return pl.scan_csv(path, try_parse_dates=True)
    return pl.scan_parquet(path)


def encode_file(
    identities: str | Path,
    out: str | Path,
    *,
    secret: Secret,
    schema: EncodingSchema | str | Path | None = None,
    events: str | Path | None = None,
    events_out: str | Path | None = None,
) -> dict[str, Any]:
    """Encode an identities file (parquet or CSV) into ``out`` (encodings.parquet).

    With ``events``/``events_out``, also pseudonymise the events' ``person_ref`` the same way.
    Returns a summary (record and column counts, no identifier).
    """
    if isinstance(schema, EncodingSchema):
        enc_schema = schema
    else:
        enc_schema = read_schema(schema) if schema else default_schema()
    enc = encode_identities(_scan(identities), secret=secret, schema=enc_schema)
    write_encodings(enc, out)
    summary: dict[str, Any] = {"records": enc.height, "columns": enc.width, "out": str(out)}
    if events is not None and events_out is not None:
        ev = pseudonymise_events(_scan(events), secret=secret).collect()
        ev.write_parquet(events_out)
        summary["events"] = ev.height
    return summary


def link_files(
    encodings: list[str | Path],
    out: str | Path,
    *,
    settings: str | Path | None = None,
    model: str | Path | None = None,
    save_model: str | Path | None = None,
    plaintext: bool = False,
    schema: str | Path | None = None,
) -> LinkageResult:
    """Link encodings files (or identities files with ``plaintext``) and write the crosswalk."""
    link_settings = read_settings(settings) if settings else None
    fitted = FellegiSunterModel.load(model) if model else None
    frame = pl.concat([_scan(p) for p in encodings], how="diagonal_relaxed").collect()
    if plaintext:
        result = link_plaintext(
            frame,
            schema=read_schema(schema) if schema else None,
            settings=link_settings,
            model=fitted,
        )
    else:
        result = link_encodings(frame, settings=link_settings, model=fitted)
    s.validate_crosswalk(result.crosswalk)
    result.crosswalk.write_parquet(out)
    if save_model and result.model is not None:
        result.model.save(save_model)
    return result


def evaluate_files(
    crosswalk: str | Path,
    truth: str | Path,
    *,
    secret: Secret | None = None,
) -> dict[str, Any]:
    """Metrics of a crosswalk file against a truth file; with ``secret``, the truth's refs are
    pseudonymised first (to compare with an encoded run's crosswalk)."""
    tr = _scan(truth).collect()
    if secret is not None:
        tr = tr.with_columns(pseudonymise_refs(tr[s.AGENCY], tr[s.PERSON_REF], secret=secret))
    metrics = evaluate_linkage(_scan(crosswalk), tr)
    return asdict(metrics)
