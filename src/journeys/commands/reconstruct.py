"""``journeys reconstruct PROJECT --out DIR``: the whole batch run, one progress bar over stages."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from journeys.commands._progress import progress

if TYPE_CHECKING:
    from journeys._cache import StageRecord
    from journeys.config import Project
    from journeys.pipeline import RunSummary

__all__ = ["register", "run_with_progress"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``reconstruct`` sub-command."""
    parser = sub.add_parser(
        "reconstruct",
        help="run ingest, linkage, journeys, loops, mining, measures and the workshop pack",
        description=(
            "Run every stage described by the project file and write the workshop pack "
            "(DIR/index.html), the stage tables (DIR/data/*.parquet), DIR/run.json and "
            "DIR/run.log. Stages whose inputs and settings are unchanged are reused."
        ),
    )
    parser.add_argument("project", type=Path, metavar="PROJECT", help="project file (TOML)")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the pipeline with a progress bar and print the per-stage summary."""
    from journeys.config import load_project

    summary = run_with_progress(load_project(args.project), args.out)
    print(f"workshop pack: {summary.page}")
    return 0


def run_with_progress(project: Project, out: Path) -> RunSummary:
    """Run ``reconstruct`` with one bar over the stages; print one line per stage."""
    from journeys.pipeline import STAGES, reconstruct

    bar = progress(len(STAGES) - (project.conformance.model is None), "reconstruct")
    lines: list[str] = []

    def done(record: StageRecord) -> None:
        bar.set_postfix_str(record.name)
        bar.update(1)
        reused = " (reused)" if record.cached else ""
        lines.append(f"{record.name:>12}: {record.seconds:7.2f} s{reused}")

    with bar:
        summary = reconstruct(project, out=out, on_stage=done)
    for line in lines:
        print(line)
    return summary
