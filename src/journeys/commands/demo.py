"""``journeys demo``: the whole reconstruction on a built-in synthetic local system."""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` sub-command."""
    parser = sub.add_parser(
        "demo",
        help="run the whole reconstruction on a built-in synthetic population",
        description=(
            "Generate a synthetic local system (eleven agencies), write each agency's data the "
            "way its system exports it, and run `journeys reconstruct` on it. Prints where the "
            "workshop pack is; opens nothing."
        ),
    )
    parser.add_argument("--people", type=int, default=20_000, help="number of true people")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    parser.add_argument("--out", type=Path, default=Path("demo-out"), help="demo folder")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the demo project, reconstruct it and print a summary."""
    from journeys.commands.reconstruct import run_with_progress
    from journeys.config import load_project
    from journeys.demo import build_demo_project

    demo = build_demo_project(args.out, people=args.people, seed=args.seed)
    population = demo.population
    with pl.Config(tbl_rows=-1, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        print(population.summary())
        print(population.planted.group_by("pattern").len("people").sort("pattern"))
    print(
        f"{population.people.height:,} people, {population.identities.height:,} agency "
        f"records, {population.events.height:,} events, as native extracts in "
        f"{args.out / 'extracts'}"
    )
    summary = run_with_progress(load_project(demo.project), args.out / "pack")
    print(f"workshop pack: {summary.page}")
    return 0
