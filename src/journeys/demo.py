"""The demo: a synthetic local system written as native agency extracts, and its project file.

``journeys demo`` builds this and runs :func:`journeys.pipeline.reconstruct` on it, so the
demo exercises the same path an analyst's real extracts take.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Final

from journeys.config import starter_project
from journeys.synth import Population, generate_population
from journeys.synth.native import write_native

__all__ = ["DemoProject", "build_demo_project"]

#: Demo periods: nine months of baseline, the rest as the review period.
_PERIODS: Final = {
    "baseline": ("2025-01-01", "2025-09-30"),
    "review": ("2025-10-01", "2026-06-30"),
}


@dataclass(frozen=True)
class DemoProject:
    """The demo's project file and the population behind it (with its truth)."""

    project: Path
    population: Population


def build_demo_project(folder: str | Path, *, people: int = 20_000, seed: int = 7) -> DemoProject:
    """Write native extracts of a synthetic population and a project file into ``folder``.

    The linkage secret is a random key written to ``folder/.journeys-private/secret.key``
    (readable by the owner only) and kept between runs so that a second run reuses every
    stage. It is never a default: each demo folder gets its own.
    """
    root = Path(folder).resolve()
    extracts = root / "extracts"
    if extracts.exists():
        shutil.rmtree(extracts)
    population = generate_population(people, seed=seed)
    written = write_native(population, extracts)
    mappings = sorted(
        str(Path(p).relative_to(root)) for k, p in written.items() if str(p).endswith(".yaml")
    )
    private = root / ".journeys-private"
    private.mkdir(parents=True, exist_ok=True)
    key = private / "secret.key"
    if not key.exists():
        key.write_text(secrets.token_hex(32), encoding="utf-8")
        key.chmod(0o600)
    model = None
    to_be = files("journeys").joinpath("data/to_be.bpmn")
    if to_be.is_file():
        (root / "to_be.bpmn").write_bytes(to_be.read_bytes())
        model = "to_be.bpmn"
    text = starter_project(
        "Riverside demo: frailty, housing and crisis journeys",
        sources=mappings,
        secret_file=".journeys-private/secret.key",  # noqa: S106 - a path, not a secret
        model=model,
        periods=_PERIODS,
    )
    project = root / "project.toml"
    project.write_text(text, encoding="utf-8")
    return DemoProject(project=project, population=population)
