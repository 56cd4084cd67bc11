"""``journeys synth``: write a synthetic multi-agency population with its ground truth."""

from __future__ import annotations

import argparse
from pathlib import Path

from journeys.commands._progress import stage_bar

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``synth`` sub-command."""
    parser = sub.add_parser(
        "synth",
        help="generate a synthetic multi-agency population with ground truth",
        description=(
            "Generate a synthetic population whose lives cross agencies and write "
            "identities.parquet, events.parquet, truth.parquet and planted.parquet."
        ),
    )
    parser.add_argument("--people", type=int, default=10_000, help="number of true people")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same files)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--native",
        type=Path,
        metavar="DIR",
        help="also write each agency's data the way its system exports it, with mappings",
    )
    parser.add_argument(
        "--native-url",
        metavar="URL",
        help="SQLAlchemy URL for the SQL agencies (default: a SQLite file in the native folder); "
        "a password is read from JOURNEYS_NATIVE_DB_PASSWORD, never from the URL",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Generate and write the population; print what was written."""
    from journeys.synth import generate_population, write_population

    bar, done = stage_bar(2 + (args.native is not None), "synth")
    with bar:
        population = generate_population(args.people, seed=args.seed)
        done("generated")
        written = write_population(population, args.out)
        done("written")
        if args.native is not None:
            from journeys.synth.native import write_native

            write_native(population, args.native, url=args.native_url)
            done("native extracts")
    for name, path in written.items():
        print(f"{name:>10}: {path}")
    if args.native is not None:
        print(f"native extracts and mappings in {args.native}; load them with")
        print(f"  journeys ingest {args.native}/*.yaml --out DIR")
    return 0
