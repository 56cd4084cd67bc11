"""Evaluation against truth: pairwise and B-cubed precision/recall/F1, blocking PC and RR.

B-cubed metrics follow Bagga & Baldwin (1998): per-record precision and recall of its cluster,
averaged over records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import polars as pl

from journeys import schema as s
from journeys.exceptions import DataError
from journeys.linkage.link import LEFT, RIGHT, LinkageResult

__all__ = ["BlockingQuality", "LinkageMetrics", "evaluate_blocking", "evaluate_linkage"]

Frame = pl.DataFrame | pl.LazyFrame


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class LinkageMetrics:
    """Quality of a crosswalk against the true person of each record."""

    records: int
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


def _joined(crosswalk: Frame, truth: Frame) -> pl.DataFrame:
    cw = crosswalk.lazy().select(s.AGENCY, s.PERSON_REF, s.PERSON_ID)
    tr = truth.lazy().select(s.AGENCY, s.PERSON_REF, s.TRUE_PERSON_ID)
    joined = cw.join(tr, on=[s.AGENCY, s.PERSON_REF], how="inner").collect()
    n_cw = cw.select(pl.len()).collect().item()
    if joined.height == 0 and n_cw:
        raise DataError(
            "evaluate_linkage: no crosswalk row matches the truth on (agency, person_ref). "
            "If the crosswalk holds pseudonymised refs, pseudonymise the truth's person_ref "
            "with the same secret first (journeys.linkage.pseudonymise_refs)."
        )
    return joined


def evaluate_linkage(crosswalk: Frame, truth: Frame) -> LinkageMetrics:
    """Pairwise and B-cubed precision, recall and F1 of ``crosswalk`` against ``truth``.

    Examples
    --------
    >>> cw = pl.DataFrame({"agency": ["a", "b", "c"], "person_ref": ["1", "2", "3"],
    ...                    "person_id": [0, 0, 1]})
    >>> tr = pl.DataFrame({"agency": ["a", "b", "c"], "person_ref": ["1", "2", "3"],
    ...                    "true_person_id": [5, 5, 5]})
    >>> m = evaluate_linkage(cw, tr)
    >>> m.precision, round(m.recall, 3)
    (1.0, 0.333)
    """
    joined = _joined(crosswalk, truth)
    n = joined.height
    cont = joined.group_by(s.PERSON_ID, s.TRUE_PERSON_ID).len("n_pt")
    n_p = joined.group_by(s.PERSON_ID).len("n_p")
    n_t = joined.group_by(s.TRUE_PERSON_ID).len("n_t")
    cont = cont.join(n_p, on=s.PERSON_ID).join(n_t, on=s.TRUE_PERSON_ID)

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
