"""Link records into people: block, compare, score, assign and cluster.

:func:`link_encodings` sees only the encodings table (keyed Bloom filters and keyed blocking
tokens). :func:`link_plaintext` runs the same steps and the same Fellegi-Sunter model on
normalised plaintext identifiers with rapidfuzz comparisons, for partners allowed to share them.
"""

from __future__ import annotations

import logging
import secrets as _secrets
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from journeys import schema as s
from journeys.exceptions import LinkageError
from journeys.linkage.bits import Words, dice_pairs, from_binary, popcount
from journeys.linkage.block import BlockingStats, candidate_pairs, lsh_keys
from journeys.linkage.cluster import best_per_agency, cluster_links, one_to_one
from journeys.linkage.compare import PlainMethod, compare_filters, compare_strings
from journeys.linkage.encode import BLOCK_PREFIX, FILTER_PREFIX, blocking_tokens
from journeys.linkage.model import FellegiSunterModel
from journeys.linkage.normalise import normalise_identities
from journeys.linkage.secret import Secret
from journeys.linkage.settings import EncodingSchema, FieldKind, LinkageSettings, default_schema

__all__ = ["LinkageResult", "link_encodings", "link_plaintext"]

logger = logging.getLogger(__name__)

Index = npt.NDArray[np.int64]
Sims = npt.NDArray[np.float32]
Frame = pl.DataFrame | pl.LazyFrame
LEFT = "left"
RIGHT = "right"
LINK = "link"
SIM_PREFIX = "sim_"

_PLAIN_METHOD: dict[FieldKind, PlainMethod] = {
    "given_name": "jaro_winkler",
    "name": "jaro_winkler",
    "text": "jaro_winkler",
    "id": "levenshtein",
    "uk_postcode": "levenshtein",
    "date": "levenshtein",
    "sex": "exact",
}


@dataclass(frozen=True)
class LinkageResult:
    """Everything a linkage run produced.

    Attributes
    ----------
    crosswalk
        ``agency, person_ref, person_id, match_weight`` (schema.CROSSWALK).
    records
        ``agency, person_ref`` in record-index order (the index used by ``pairs``).
    pairs
        Every candidate pair: ``left``, ``right`` (record indices), ``sim_<field>``,
        ``match_weight`` and ``link`` (kept as a link after assignment and clustering guards).
    blocking
        Candidate pairs per blocking key and the reduction ratio.
    model
        The fitted Fellegi-Sunter model (None for threshold scoring).
    """

    crosswalk: pl.DataFrame
    records: pl.DataFrame
    pairs: pl.DataFrame
    blocking: BlockingStats
    model: FellegiSunterModel | None
    settings: LinkageSettings


@dataclass
class _Prepared:
    records: pl.DataFrame
    agency: Index
    keys: dict[str, pl.Series]
    fields: list[str]
    compare: Callable[[Index, Index], dict[str, Sims]]
    clk: Words | None


def _agency_codes(records: pl.DataFrame) -> Index:
    return np.asarray(records[s.AGENCY].rank("dense").cast(pl.Int64).to_numpy() - 1)


def _prepare_encoded(encodings: Frame, settings: LinkageSettings) -> _Prepared:
    frame = encodings.collect() if isinstance(encodings, pl.LazyFrame) else encodings
    s.validate_encodings(frame)
    fields = [c.removeprefix(FILTER_PREFIX) for c in frame.columns if c.startswith(FILTER_PREFIX)]
    if settings.scoring == "fellegi_sunter" and not fields:
        raise LinkageError(
            "link_encodings: the encodings have no bf_<field> columns, so the Fellegi-Sunter "
            "model has nothing to compare; re-encode with field filters or use "
            "scoring='threshold'"
        )
    filters = {f: from_binary(frame[FILTER_PREFIX + f]) for f in fields}
    clk, _ = from_binary(frame[s.CLK])
    keys = {c: frame[c] for c in frame.columns if c.startswith(BLOCK_PREFIX)}
    if settings.lsh_bands:
        keys |= lsh_keys(clk, bands=settings.lsh_bands, bits=settings.lsh_bits, seed=settings.seed)
    if not keys:
        raise LinkageError(
            "link_encodings: no blocking keys (bk_* columns) in the encodings and LSH is off; "
            "add blocking keys to the encoding schema or set lsh_bands > 0"
        )

    counts = {f: popcount(w) for f, (w, _) in filters.items()}
    clk_count = popcount(clk)

    def compare(left: Index, right: Index) -> dict[str, Sims]:
        out = {
            f: compare_filters(w, v, left, right, counts=counts[f]) for f, (w, v) in filters.items()
        }
        out[s.CLK] = dice_pairs(clk, clk, left, right, count_a=clk_count, count_b=clk_count)
        return out

    records = frame.select(s.AGENCY, s.PERSON_REF)
    return _Prepared(records, _agency_codes(records), keys, fields, compare, clk)


def _prepare_plain(identities: Frame, schema: EncodingSchema) -> _Prepared:
    norm = normalise_identities(identities, schema=schema).collect()
    ephemeral = Secret(_secrets.token_bytes(32))
    keys = {
        BLOCK_PREFIX + k.name: blocking_tokens(norm, k, secret=ephemeral) for k in schema.blocking
    }
    fields = [f.column for f in schema.fields]
    methods = {f.column: _PLAIN_METHOD[f.kind] for f in schema.fields}

    def compare(left: Index, right: Index) -> dict[str, Sims]:
        out = {f: compare_strings(norm[f], left, right, method=methods[f]) for f in fields}
        stacked = np.stack(list(out.values()), axis=1)
        with np.errstate(invalid="ignore"):
            out[s.CLK] = (
                np.nan_to_num(
                    np.nanmean(np.where(np.isnan(stacked), np.nan, stacked), axis=1)
                ).astype(np.float32)
                if stacked.size
                else np.zeros(len(left), dtype=np.float32)
            )
        return out

    records = norm.select(s.AGENCY, s.PERSON_REF)
    return _Prepared(records, _agency_codes(records), keys, fields, compare, None)


def _random_pairs(agency: Index, count: int, *, within: bool, seed: int) -> tuple[Index, Index]:
    rng = np.random.default_rng(seed)
    n = len(agency)
    left = rng.integers(0, n, size=count * 2)
    right = rng.integers(0, n, size=count * 2)
    ok = left != right if within else agency[left] != agency[right]
    return left[ok][:count], right[ok][:count]


def _total_pairs(prep: _Prepared, settings: LinkageSettings) -> int:
    """Number of record pairs in the compared space (all pairs, or cross-agency only)."""
    n = len(prep.agency)
    total = n * (n - 1) // 2
    if not settings.within_agency:
        sizes = np.bincount(prep.agency).astype(np.int64)
        total -= int((sizes * (sizes - 1) // 2).sum())
    return total


def _run(
    prep: _Prepared, settings: LinkageSettings, model: FellegiSunterModel | None
) -> LinkageResult:
    n = prep.records.height
    if n < 2:
        raise LinkageError(f"Linkage needs at least 2 records; got {n}")
    left, right, stats, groups = candidate_pairs(
        prep.keys,
        agency=prep.agency,
        max_block_size=settings.max_block_size,
        within_agency=settings.within_agency,
        min_pair_weight=settings.min_pair_weight,
    )
    logger.info(
        "blocking: %d candidate pairs, reduction ratio %.6f", stats.pairs, stats.reduction_ratio
    )
    sims = prep.compare(left, right)
    fitted: FellegiSunterModel | None = None
    if settings.scoring == "fellegi_sunter":
        fitted = model
        if fitted is None:
            rl, rr = _random_pairs(
                prep.agency,
                settings.u_sample_pairs,
                within=settings.within_agency,
                seed=settings.seed,
            )
            random_sims = prep.compare(rl, rr)
            fitted = FellegiSunterModel(
                prep.fields,
                bands=settings.bands,
                u_method=settings.u_method,
                max_iter=settings.em_iterations,
            ).fit(
                sims,
                random_sims=random_sims,
                total_pairs=_total_pairs(prep, settings),
                groups=groups,
            )
        weight = fitted.match_weight({f: sims[f] for f in fitted.fields})
    else:
        weight = sims[s.CLK].astype(np.float64)
    is_link = weight >= settings.threshold
    li, ri, wi = left[is_link], right[is_link], weight[is_link]
    keep = (
        one_to_one(li, ri, wi) if settings.one_to_one else best_per_agency(li, ri, wi, prep.agency)
    )
    li, ri, wi = li[keep], ri[keep], wi[keep]
    labels = cluster_links(
        n, li, ri, wi, agency=prep.agency, max_per_agency=1 if settings.one_to_one else 3
    )
    linked = np.zeros(len(left), dtype=np.bool_)
    linked[np.flatnonzero(is_link)[keep]] = True
    linked &= labels[left] == labels[right]
    best = np.full(n, np.nan)
    if len(li):
        np.fmax.at(best, li, wi)
        np.fmax.at(best, ri, wi)
    crosswalk = prep.records.with_columns(
        pl.Series(s.PERSON_ID, labels, dtype=pl.Int64),
        pl.Series(s.MATCH_WEIGHT, best, dtype=pl.Float64).fill_nan(None),
    )
    pairs = pl.DataFrame(
        {LEFT: left, RIGHT: right}
        | {SIM_PREFIX + f: v for f, v in sims.items()}
        | {s.MATCH_WEIGHT: weight, LINK: linked}
    )
    logger.info("linked %d records into %d people", n, int(labels.max()) + 1)
    return LinkageResult(crosswalk, prep.records, pairs, stats, fitted, settings)


def link_encodings(
    encodings: Frame,
    *,
    settings: LinkageSettings | None = None,
    model: FellegiSunterModel | None = None,
) -> LinkageResult:
    """Link the records of one or more agencies from their encodings only.

    Parameters
    ----------
    encodings
        The encodings of every agency (concatenated), as written by ``encode``.
    settings
        Blocking, scoring and clustering settings.
    model
        A fitted model to use as is; by default a model is trained by EM on these encodings.

    Examples
    --------
    >>> import datetime as dt
    >>> from journeys.linkage import Secret, encode_identities
    >>> ids = pl.DataFrame({"agency": ["gp", "ae"], "person_ref": ["1", "9"],
    ...     "given_name": ["Ann", "Anne"], "family_name": ["Lee", "Lee"],
    ...     "date_of_birth": [dt.date(1980, 1, 2)] * 2, "sex": ["F", "F"],
    ...     "postcode": ["LS1 4AP", "LS1 4AP"], "national_id": [None, None]})
    >>> enc = encode_identities(ids, secret=Secret(b"an example secret only"))
    >>> res = link_encodings(enc, settings=LinkageSettings(scoring="threshold", threshold=0.8))
    >>> res.crosswalk["person_id"].to_list()
    [0, 0]
    """
    settings = settings or LinkageSettings()
    return _run(_prepare_encoded(encodings, settings), settings, model)


def link_plaintext(
    identities: Frame,
    *,
    schema: EncodingSchema | None = None,
    settings: LinkageSettings | None = None,
    model: FellegiSunterModel | None = None,
) -> LinkageResult:
    """The same linkage on plaintext identities (normalised, compared with rapidfuzz).

    The crosswalk keeps the plaintext ``person_ref``; use only where partners may share
    identifiers.
    """
    settings = settings or LinkageSettings()
    schema = schema or default_schema()
    return _run(_prepare_plain(identities, schema), settings, model)
