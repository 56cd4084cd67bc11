"""Stage caching for the batch run: a stage whose inputs and settings are unchanged is reused.

A stage's key is a hash of its name, the journeys version, its settings and the content of
every input file. The key and the stage's counts are kept in ``<cache_dir>/<stage>.json``;
the marker holds hashes and counts only, never data.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journeys import __version__

__all__ = ["StageRecord", "file_digest", "run_cached"]

logger = logging.getLogger(__name__)
_CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    """SHA-256 of a file's content (of every file, sorted, for a folder)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(file.name.encode())
        with file.open("rb") as handle:
            while block := handle.read(_CHUNK):
                digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class StageRecord:
    """What one stage did: its counts, its time and whether it was reused."""

    name: str
    seconds: float
    cached: bool
    counts: dict[str, Any]


def stage_key(name: str, settings: Any, inputs: Iterable[Path]) -> str:
    """The cache key of a stage run."""
    digest = hashlib.sha256()
    digest.update(f"{name}\0{__version__}\0".encode())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for path in inputs:
        digest.update(str(path.name).encode())
        digest.update(file_digest(path).encode() if path.exists() else b"<missing>")
    return digest.hexdigest()


def run_cached(
    name: str,
    *,
    cache_dir: Path,
    inputs: Iterable[Path],
    settings: Any,
    outputs: Iterable[Path],
    run: Callable[[], dict[str, Any]],
    clock: Callable[[], float],
    cacheable: bool = True,
) -> StageRecord:
    """Run ``run`` unless a previous run with the same key left every output in place."""
    inputs, outputs = list(inputs), list(outputs)
    key = stage_key(name, settings, inputs)
    marker = cache_dir / f"{name}.json"
    started = clock()
    if cacheable and marker.is_file() and all(p.exists() for p in outputs):
        previous = json.loads(marker.read_text(encoding="utf-8"))
        if previous.get("key") == key:
            logger.info("stage %s: inputs and settings unchanged, reused", name)
            return StageRecord(name, clock() - started, cached=True, counts=previous["counts"])
    counts = run()
    cache_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"key": key, "counts": counts}, default=str), encoding="utf-8")
    seconds = clock() - started
    logger.info("stage %s: done in %.2f s", name, seconds)
    return StageRecord(name, seconds, cached=False, counts=counts)
