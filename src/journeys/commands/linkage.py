"""``journeys encode``, ``journeys link`` and ``journeys evaluate-linkage``.

The secret is read from an environment variable or a file, never from the command line.
``encode --schema`` also takes a clkhash v3 linkage schema (see
:mod:`journeys.linkage.clkhash_schema`), with ``--clkhash-map IDENTIFIER=COLUMN`` for feature
identifiers that do not name an identity field.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from journeys.exceptions import ConfigError
from journeys.linkage import SECRET_ENV, load_secret, read_schema
from journeys.linkage.files import encode_file, evaluate_files, link_files

__all__ = ["register"]


def _secret_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--secret-file", type=Path, default=None, help="file holding the shared linkage secret"
    )
    parser.add_argument(
        "--secret-env",
        default=SECRET_ENV,
        help=f"environment variable holding the secret (default {SECRET_ENV})",
    )


def _field_map(pairs: list[str]) -> dict[str, str]:
    """``IDENTIFIER=COLUMN`` arguments as a mapping."""
    bad = [p for p in pairs if "=" not in p or not p.split("=", 1)[1].strip()]
    if bad:
        raise ConfigError(
            "--clkhash-map",
            [f"{p!r} is not IDENTIFIER=COLUMN (e.g. surname=family_name)" for p in bad],
        )
    return dict(p.split("=", 1) for p in pairs)


def _run_encode(args: argparse.Namespace) -> int:
    if (args.clkhash_map or args.clkhash_approximate) and args.schema is None:
        raise ConfigError(
            "journeys encode", ["--clkhash-map and --clkhash-approximate need --schema"]
        )
    schema = (
        read_schema(
            args.schema,
            field_map=_field_map(args.clkhash_map),
            approximate=args.clkhash_approximate,
        )
        if args.schema
        else None
    )
    secret = load_secret(env=args.secret_env, file=args.secret_file)
    summary = encode_file(
        args.identities,
        args.out,
        secret=secret,
        schema=schema,
        events=args.events,
        events_out=args.events_out,
    )
    print(f"encoded {summary['records']} records into {summary['out']}")
    return 0


def _run_link(args: argparse.Namespace) -> int:
    result = link_files(
        args.encodings,
        args.out,
        settings=args.settings,
        model=args.model,
        save_model=args.save_model,
        plaintext=args.plaintext,
        schema=args.schema,
    )
    people = result.crosswalk["person_id"].n_unique()
    print(
        f"linked {result.crosswalk.height} records into {people} people; "
        f"{result.blocking.pairs} candidate pairs (reduction ratio "
        f"{result.blocking.reduction_ratio:.6f}); crosswalk: {args.out}"
    )
    return 0


def _run_evaluate(args: argparse.Namespace) -> int:
    secret = (
        load_secret(env=args.secret_env, file=args.secret_file) if args.pseudonymise_truth else None
    )
    metrics = evaluate_files(args.crosswalk, args.truth, secret=secret)
    for name, value in metrics.items():
        print(f"{name:>22}: {value:.4f}" if isinstance(value, float) else f"{name:>22}: {value}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the encode, link and evaluate-linkage sub-commands."""
    enc = sub.add_parser("encode", help="encode identities into keyed Bloom filters (per agency)")
    enc.add_argument("identities", type=Path, help="identities table (parquet or CSV)")
    enc.add_argument("--out", type=Path, required=True, help="encodings.parquet to write")
    enc.add_argument(
        "--schema",
        type=Path,
        default=None,
        help="encoding schema (JSON/TOML), or a clkhash v3 linkage schema (JSON)",
    )
    enc.add_argument(
        "--clkhash-map",
        action="append",
        default=[],
        metavar="IDENTIFIER=COLUMN",
        help="map a clkhash feature identifier to an identities column (repeatable)",
    )
    enc.add_argument(
        "--clkhash-approximate",
        action="store_true",
        help="accept the closest equivalent of clkhash options journeys does not have "
        "(bitsPerFeature, blakeHash, replaceWith); each is logged",
    )
    enc.add_argument(
        "--events",
        type=Path,
        default=None,
        help="events table whose person_ref to pseudonymise the same way",
    )
    enc.add_argument("--events-out", type=Path, default=None, help="pseudonymised events out")
    _secret_options(enc)
    enc.set_defaults(run=_run_encode)

    link = sub.add_parser("link", help="link encodings into people; writes crosswalk.parquet")
    link.add_argument("encodings", type=Path, nargs="+", help="encodings file(s) of the agencies")
    link.add_argument("--out", type=Path, required=True, help="crosswalk.parquet to write")
    link.add_argument("--settings", type=Path, default=None, help="linkage settings (JSON/TOML)")
    link.add_argument("--model", type=Path, default=None, help="use this saved model")
    link.add_argument("--save-model", type=Path, default=None, help="save the trained model")
    link.add_argument(
        "--plaintext",
        action="store_true",
        help="inputs are identities (partners allowed to share identifiers)",
    )
    link.add_argument("--schema", type=Path, default=None, help="schema for --plaintext")
    link.set_defaults(run=_run_link)

    ev = sub.add_parser("evaluate-linkage", help="compare a crosswalk with the true persons")
    ev.add_argument("crosswalk", type=Path)
    ev.add_argument("--truth", type=Path, required=True, help="truth.parquet")
    ev.add_argument(
        "--pseudonymise-truth",
        action="store_true",
        help="pseudonymise the truth's person_ref with the secret first",
    )
    _secret_options(ev)
    ev.set_defaults(run=_run_evaluate)
