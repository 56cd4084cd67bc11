"""Evaluation against truth: pairwise and B-cubed precision/recall/F1, blocking PC and RR.

B-cubed metrics follow Bagga & Baldwin (1998): per-record precision and recall of its cluster,
averaged over records.

Every record of the truth is scored. A record the truth has but the crosswalk lacks counts as
unlinked (a person of its own), so the true pairs it belongs to are missed and recall drops;
a crosswalk record the truth does not label is an error unless the caller asks to drop it.
The metrics report how many records each side had and what happened to the difference.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import polars as pl

from journeys import schema as s
from journeys.exceptions import DataError
from journeys.linkage.link import LEFT, RIGHT, LinkageResult

__all__ = ["BlockingQuality", "LinkageMetrics", "evaluate_blocking", "evaluate_linkage"]

Frame = pl.DataFrame | pl.LazyFrame
Unlabelled = Literal["raise", "drop"]

_IN_CW = "__in_crosswalk"
_IN_TR = "__in_truth"
_SOLO = "__solo"
_KEY = [s.AGENCY, s.PERSON_REF]


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class LinkageMetrics:
    """Quality of a crosswalk against the true person of each record.

    ``records`` is the number of records scored: every record of the truth. Of those,
    ``missing_from_crosswalk`` were not in the crosswalk and were scored as unlinked;
    ``dropped_from_crosswalk`` crosswalk records were not in the truth and were left out
    (only with ``unlabelled="drop"``).
    """

    records: int
    crosswalk_records: int
    truth_records: int
    missing_from_crosswalk: int
    dropped_from_crosswalk: int
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    precision: float
    recall: float
    f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float

    def to_dict(self) -> dict[str, float | int]:
        """Plain data, e.g. for a report table."""
        return asdict(self)


def _by_agency(frame: pl.DataFrame) -> str:
    counts = frame.group_by(s.AGENCY).len().sort([s.AGENCY])
    return ", ".join(f"{a} {n}" for a, n in counts.iter_rows())


def _check_unique(frame: pl.DataFrame, side: str) -> None:
    dupes = frame.filter(pl.struct(_KEY).is_duplicated())
    if dupes.height:
        raise DataError(
            f"evaluate_linkage: the {side} has {dupes.height} rows that share an "
            f"(agency, person_ref) with another row (by agency: {_by_agency(dupes)}); "
            "each record must appear once"
        )


def _aligned(
    crosswalk: Frame, truth: Frame, unlabelled: Unlabelled
) -> tuple[pl.DataFrame, int, int]:
    """Every truth record with its predicted person (null where the crosswalk lacks it, and
    ``__in_crosswalk`` null too), the crosswalk's record count, and the number of crosswalk
    records dropped because the truth does not label them."""
    if unlabelled not in ("raise", "drop"):
        raise DataError(
            "The 'unlabelled' parameter of evaluate_linkage must be 'raise' or 'drop'. "
            f"Got {unlabelled!r}."
        )
    cw = crosswalk.lazy().select(*_KEY, s.PERSON_ID).collect()
    tr = truth.lazy().select(*_KEY, s.TRUE_PERSON_ID).collect()
    _check_unique(cw, "crosswalk")
    _check_unique(tr, "truth")
    no_truth = tr.filter(pl.col(s.TRUE_PERSON_ID).is_null())
    if no_truth.height:
        raise DataError(
            f"evaluate_linkage: {no_truth.height} truth records have no true_person_id "
            f"(by agency: {_by_agency(no_truth)}); give every truth record its person"
        )
    joined = cw.with_columns(pl.lit(True).alias(_IN_CW)).join(
        tr.with_columns(pl.lit(True).alias(_IN_TR)), on=_KEY, how="full", coalesce=True
    )
    both = joined.filter(pl.col(_IN_CW) & pl.col(_IN_TR)).height
    if both == 0 and cw.height:
        raise DataError(
            "evaluate_linkage: no crosswalk row matches the truth on (agency, person_ref). "
            "If the crosswalk holds pseudonymised refs, pseudonymise the truth's person_ref "
            "with the same secret first (journeys.linkage.pseudonymise_refs)."
        )
    extra = joined.filter(pl.col(_IN_TR).is_null())
    if extra.height and unlabelled == "raise":
        raise DataError(
            f"evaluate_linkage: {extra.height} of {cw.height} crosswalk records are not in the "
            f"truth (by agency: {_by_agency(extra)}), so their links cannot be scored. Give "
            "the truth every linked record, check that both sides use the same person_ref "
            "(pseudonymised or not), or pass unlabelled='drop' to score only the records "
            "the truth labels."
        )
    return joined.filter(pl.col(_IN_TR)).drop(_IN_TR), cw.height, extra.height


def evaluate_linkage(
    crosswalk: Frame, truth: Frame, *, unlabelled: Unlabelled = "raise"
) -> LinkageMetrics:
    """Pairwise and B-cubed precision, recall and F1 of ``crosswalk`` against ``truth``.

    Parameters
    ----------
    crosswalk
        ``agency, person_ref, person_id``; a null ``person_id`` means unlinked.
    truth
        ``agency, person_ref, true_person_id`` of every record to score.
    unlabelled
        What to do with crosswalk records that are not in the truth: ``raise`` (default) a
        :class:`~journeys.exceptions.DataError`, or ``drop`` them (counted in
        ``dropped_from_crosswalk``), e.g. when the truth is a clerical review of a sample.

    Truth records missing from the crosswalk are scored as unlinked, each a person of its own.

    Examples
    --------
    >>> cw = pl.DataFrame({"agency": ["a", "b", "c"], "person_ref": ["1", "2", "3"],
    ...                    "person_id": [0, 0, 1]})
    >>> tr = pl.DataFrame({"agency": ["a", "b", "c"], "person_ref": ["1", "2", "3"],
    ...                    "true_person_id": [5, 5, 5]})
    >>> m = evaluate_linkage(cw, tr)
    >>> m.precision, round(m.recall, 3)
    (1.0, 0.333)

    A fourth record of person 5 that the crosswalk lacks is a missed link, not ignored:

    >>> tr4 = pl.concat([tr, pl.DataFrame({"agency": ["d"], "person_ref": ["4"],
    ...                                    "true_person_id": [5]})])
    >>> m = evaluate_linkage(cw, tr4)
    >>> m.records, m.missing_from_crosswalk, m.true_pairs, round(m.recall, 3)
    (4, 1, 6, 0.167)
    """
    joined, crosswalk_records, dropped = _aligned(crosswalk, truth, unlabelled)
    n = joined.height
    missing = int(joined[_IN_CW].is_null().sum())
    # unlinked records (missing from the crosswalk, or a null person_id) are each their own
    # predicted person: the row index tells them apart, the null person_id groups nothing
    joined = joined.with_row_index(_SOLO).with_columns(
        pl.when(pl.col(s.PERSON_ID).is_null()).then(pl.col(_SOLO)).alias(_SOLO)
    )
    pred = [s.PERSON_ID, _SOLO]
    cont = joined.group_by(*pred, s.TRUE_PERSON_ID).len("n_pt")
    n_p = joined.group_by(*pred).len("n_p")
    n_t = joined.group_by(s.TRUE_PERSON_ID).len("n_t")
    cont = cont.join(n_p, on=pred, nulls_equal=True).join(n_t, on=s.TRUE_PERSON_ID)

    def pairs(x: pl.Series) -> int:
        v = x.cast(pl.Int64).to_numpy()
        return int((v * (v - 1) // 2).sum())

    tp = pairs(cont["n_pt"])
    predicted = pairs(n_p["n_p"])
    true = pairs(n_t["n_t"])
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    npt_ = cont["n_pt"].cast(pl.Float64).to_numpy()
    b_p = float((npt_ * npt_ / cont["n_p"].to_numpy()).sum() / n) if n else 1.0
    b_r = float((npt_ * npt_ / cont["n_t"].to_numpy()).sum() / n) if n else 1.0
    return LinkageMetrics(
        records=n,
        crosswalk_records=crosswalk_records,
        truth_records=n,
        missing_from_crosswalk=missing,
        dropped_from_crosswalk=dropped,
        true_pairs=true,
        predicted_pairs=predicted,
        true_positive_pairs=tp,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        bcubed_precision=b_p,
        bcubed_recall=b_r,
        bcubed_f1=_f1(b_p, b_r),
    )


@dataclass(frozen=True)
class BlockingQuality:
    """Pair completeness (share of true pairs among candidates) and reduction ratio."""

    candidate_pairs: int
    true_pairs: int
    true_pairs_found: int
    pair_completeness: float
    reduction_ratio: float


def evaluate_blocking(result: LinkageResult, truth: Frame) -> BlockingQuality:
    """Pair completeness and reduction ratio of the blocking of a linkage run.

    True pairs are counted in the space the run compares: across agencies only when
    ``within_agency`` is off.
    """
    rec = result.records.with_row_index("idx").lazy()
    tr = truth.lazy().select(s.AGENCY, s.PERSON_REF, s.TRUE_PERSON_ID)
    labelled = rec.join(tr, on=[s.AGENCY, s.PERSON_REF], how="inner").collect()
    true_id = np.full(result.records.height, -1, dtype=np.int64)
    true_id[labelled["idx"].to_numpy()] = labelled[s.TRUE_PERSON_ID].to_numpy()
    left = result.pairs[LEFT].to_numpy()
    right = result.pairs[RIGHT].to_numpy()
    found_mask = (true_id[left] == true_id[right]) & (true_id[left] >= 0)
    if not result.settings.within_agency:
        agency = result.records[s.AGENCY].to_numpy()
        found_mask &= agency[left] != agency[right]
    sizes = labelled.group_by(s.TRUE_PERSON_ID, s.AGENCY).len()
    per_person = sizes.group_by(s.TRUE_PERSON_ID).agg(
        total=pl.col("len").sum(), same=(pl.col("len") * (pl.col("len") - 1) // 2).sum()
    )
    tot = per_person["total"].cast(pl.Int64).to_numpy()
    all_pairs = int((tot * (tot - 1) // 2).sum())
    true_pairs = all_pairs - (0 if result.settings.within_agency else int(per_person["same"].sum()))
    found = int(found_mask.sum())
    return BlockingQuality(
        candidate_pairs=result.blocking.pairs,
        true_pairs=true_pairs,
        true_pairs_found=found,
        pair_completeness=found / true_pairs if true_pairs else 1.0,
        reduction_ratio=result.blocking.reduction_ratio,
    )
