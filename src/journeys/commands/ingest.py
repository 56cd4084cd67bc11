"""``journeys ingest MAPPING... --out DIR``: read agency extracts into canonical tables."""

from __future__ import annotations

import argparse
from pathlib import Path

from journeys.adapters import SourceAccount, ingest

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``ingest`` sub-command."""
    parser = sub.add_parser(
        "ingest",
        help="read agency extracts described by mapping files into canonical tables",
        description=(
            "Read every source described by the mapping files and write identities.parquet, "
            "events.parquet and quarantine.parquet. Prints, per source, read = loaded + "
            "quarantined + filtered."
        ),
    )
    parser.add_argument(
        "mappings", nargs="+", type=Path, metavar="MAPPING", help="mapping YAML files"
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the ingest and print the accounting."""
    from journeys.commands._progress import progress

    bar = progress(len(args.mappings), "ingest")

    def done(account: SourceAccount) -> None:
        bar.set_postfix_str(account.source)
        bar.update(1)

    with bar:
        result = ingest(args.mappings, out=args.out, on_source=done)
    print(result.summary())
    total_q = sum(a.quarantined for a in result.accounts)
    print(
        f"{result.events.height:,} event(s), {result.identities.height:,} identity record(s), "
        f"{total_q:,} row(s) quarantined -> {args.out}"
    )
    return 0
