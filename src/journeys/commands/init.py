"""``journeys init [PATH]``: write a commented starter project file."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``init`` sub-command."""
    parser = sub.add_parser(
        "init",
        help="write a commented starter project file",
        description="Write a commented starter project file for `journeys reconstruct`.",
    )
    parser.add_argument(
        "path", type=Path, nargs="?", default=Path("journeys.toml"), help="where to write it"
    )
    parser.add_argument("--name", default="My service review", help="the project's name")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the starter file unless one exists (then say so and fail)."""
    from journeys.config import starter_project

    if args.path.exists() and not args.force:
        print(f"journeys init: {args.path} exists; use --force to overwrite it")
        return 1
    args.path.write_text(starter_project(args.name), encoding="utf-8")
    print(f"wrote {args.path}")
    return 0
