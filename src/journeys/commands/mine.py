"""``journeys mine``: process discovery and conformance from an events or journeys file."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``mine`` sub-command with ``discover`` and ``check``."""
    parser = sub.add_parser(
        "mine",
        help="discover the as-is process or check journeys against a to-be model",
        description="Process discovery and conformance (pm4py behind journeys.mining).",
    )
    actions = parser.add_subparsers(dest="mine_command", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("events", type=Path, help="events or journeys file (.parquet or .csv)")
    common.add_argument("--out", type=Path, required=True, help="output folder")
    common.add_argument("--case", default=None, help="case column (default person_id/person_ref)")
    common.add_argument("--activity", default="activity", help="activity column")
    common.add_argument("--timestamp", default="start", help="timestamp column")

    discover = actions.add_parser(
        "discover", parents=[common], help="process map and inductive-miner model"
    )
    discover.add_argument("--noise", type=float, default=0.2, help="noise threshold (0-1)")
    discover.add_argument(
        "--activity-coverage",
        type=float,
        default=1.0,
        help="keep activities covering this share of events",
    )
    discover.add_argument(
        "--path-coverage", type=float, default=1.0, help="keep paths covering this share of pairs"
    )
    discover.set_defaults(run=_discover)

    check = actions.add_parser(
        "check", parents=[common], help="conformance against a to-be BPMN or PNML model"
    )
    check.add_argument("--model", type=Path, required=True, help="to-be model (.bpmn/.pnml)")
    check.add_argument("--method", choices=("alignments", "token_replay"), default="alignments")
    check.add_argument("--agency", default="agency", help="agency column for deviations")
    check.add_argument("--processes", type=int, default=2, help="worker processes")
    check.add_argument(
        "--trace-timeout", type=float, default=60.0, help="seconds allowed to align one variant"
    )
    check.set_defaults(run=_check)


def _discover(args: argparse.Namespace) -> int:
    from journeys.mining.batch import discover_to_files
    from journeys.mining.settings import MiningSettings

    settings = MiningSettings(
        noise_threshold=args.noise,
        activity_coverage=args.activity_coverage,
        path_coverage=args.path_coverage,
    )
    s = discover_to_files(
        args.events,
        args.out,
        case=args.case,
        activity=args.activity,
        timestamp=args.timestamp,
        settings=settings,
    )
    print(
        f"{s.cases:,} cases, {s.variants:,} variants, {s.activities} activities, {s.edges} "
        f"paths; model fitness {s.fitness:.3f}, precision {s.precision:.3f}; files in {s.folder}"
    )
    return 0


def _check(args: argparse.Namespace) -> int:
    from journeys.mining.batch import check_to_files
    from journeys.mining.settings import MiningSettings

    settings = MiningSettings(
        conformance=args.method, processes=args.processes, trace_timeout=args.trace_timeout
    )
    s = check_to_files(
        args.events,
        args.model,
        args.out,
        case=args.case,
        activity=args.activity,
        timestamp=args.timestamp,
        agency=args.agency,
        settings=settings,
    )
    print(
        f"{s.journeys:,} journeys: mean fitness {s.mean_fitness:.3f}, {s.fitting_share:.1%} fit "
        f"the model, {s.deviations:,} deviations, {s.timed_out} not aligned in time (reported "
        f"in fitness.csv); files in {s.folder}"
    )
    return 0
