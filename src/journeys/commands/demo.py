"""``journeys demo``: the main job on the built-in synthetic population."""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from journeys.commands._progress import stage_bar

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` sub-command."""
    parser = sub.add_parser(
        "demo",
        help="run the main job on a built-in synthetic population",
        description="Generate a synthetic multi-agency population and summarise it.",
    )
    parser.add_argument("--people", type=int, default=20_000, help="number of true people")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    parser.add_argument("--out", type=Path, default=Path("demo-out"), help="output folder")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Generate, write and summarise the population."""
    from journeys.synth import generate_population, write_population

    bar, done = stage_bar(2, "demo")
    with bar:
        population = generate_population(args.people, seed=args.seed)
        done("generated")
        write_population(population, args.out)
        done("written")
    with pl.Config(tbl_rows=-1, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        print(population.summary())  # noqa: T201
        patterns = population.planted.group_by("pattern").len("people").sort("pattern")
        print(patterns)  # noqa: T201
    print(  # noqa: T201
        f"{population.people.height} people, {population.identities.height} agency records, "
        f"{population.events.height} events; tables in {args.out}"
    )
    return 0
