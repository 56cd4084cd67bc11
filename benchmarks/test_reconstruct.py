"""The whole batch run at 10 thousand, 100 thousand and 1 million people (issue 8).

``journeys reconstruct`` on the demo's native agency extracts (eleven agencies, CSV, Excel,
SQLite and FHIR NDJSON), token replay against the to-be model (no alignments). Each size runs in
a fresh process, so its peak memory is honest. The extracts are built once per size and
cached in ``benchmarks/.cache``. Targets: 1 million people in under 5 minutes and under 12 GB.

``python -m benchmarks.scaling`` runs every size and writes the table and the log-log plot.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks._sizes import PEOPLE, run_measured, size

pytestmark = pytest.mark.benchmark

CACHE = Path(__file__).resolve().parent / ".cache"

_BUILD = """
from journeys.demo import build_demo_project
build_demo_project({folder!r}, people={people}, seed=7)
"""
_RUN = """
import shutil
from journeys.pipeline import reconstruct
shutil.rmtree({out!r}, ignore_errors=True)
reconstruct({project!r}, out={out!r})
"""


def demo_folder(people: int) -> Path:
    """The demo project for ``people``, built once and cached."""
    folder = CACHE / f"demo-{people}"
    if not (folder / "project.toml").exists():
        run_measured(_BUILD.format(folder=str(folder), people=people))
    return folder


def measure_reconstruct(people: int) -> dict[str, object]:
    """Run reconstruct from scratch in a fresh process; per-stage seconds, total and peak MB."""
    folder = demo_folder(people)
    out = folder / "pack"
    seconds, peak_mb = run_measured(_RUN.format(project=str(folder / "project.toml"), out=str(out)))
    summary = json.loads((out / "run.json").read_text())
    return {
        "people": people,
        "events": next(s for s in summary["stages"] if s["name"] == "ingest")["counts"]["events"],
        "seconds": seconds,
        "peak_mb": peak_mb,
        "stages": {s["name"]: s["seconds"] for s in summary["stages"]},
    }


def test_reconstruct_time_and_peak_memory() -> None:
    people = PEOPLE[size()]
    result = measure_reconstruct(people)
    print(json.dumps(result, indent=2))
    stages = result["stages"]
    assert isinstance(stages, dict)
    assert "conformance" in stages
    if size() == "large":
        assert float(result["seconds"]) < 300  # type: ignore[arg-type]
        assert float(result["peak_mb"]) < 12 * 1024  # type: ignore[arg-type]
