"""The ``journeys`` command: parse arguments and call the library. No logic of its own.

Each sub-command lives in :mod:`journeys.commands` as a module with ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from journeys import __version__
from journeys.exceptions import JourneysError

__all__ = ["main"]


def _command_modules() -> list[str]:
    """Every public module of :mod:`journeys.commands`, in alphabetical order."""
    from journeys import commands

    return sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if m.name[0] != "_")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="journeys",
        description=(
            "Reconstruct cross-agency journeys: ingest agency extracts, link people with "
            "privacy-preserving record linkage, find loops and hand-offs, mine the process."
        ),
    )
    parser.add_argument("--version", action="version", version=f"journeys {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log progress (-vv for debug)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _command_modules():
        module = importlib.import_module(f"journeys.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``journeys`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.verbose:
        from journeys import enable_logging

        enable_logging("DEBUG" if args.verbose > 1 else "INFO")
    try:
        code: int = args.run(args)
    except JourneysError as error:
        print(f"journeys {args.command}: error: {error}", file=sys.stderr)  # noqa: T201
        return 1
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
