"""evaluate_linkage scores every truth record: hand-computed cases and a brute-force oracle."""

from __future__ import annotations

import itertools

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys import schema as s
from journeys.exceptions import DataError
from journeys.linkage import evaluate_linkage


def _cw(rows: list[tuple[str, str, int | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={s.AGENCY: pl.String, s.PERSON_REF: pl.String, s.PERSON_ID: pl.Int64},
        orient="row",
    )


def _tr(rows: list[tuple[str, str, int | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={s.AGENCY: pl.String, s.PERSON_REF: pl.String, s.TRUE_PERSON_ID: pl.Int64},
        orient="row",
    )


#: Person X has records a1, a2, a3; person Y has b1.
TRUTH = _tr([("a", "1", 10), ("a", "2", 10), ("c", "3", 10), ("b", "1", 20)])


def test_truth_record_missing_from_the_crosswalk_is_a_missed_link() -> None:
    # the crosswalk links a1-a2 and lacks c3 (X's third record)
    cw = _cw([("a", "1", 0), ("a", "2", 0), ("b", "1", 1)])
    m = evaluate_linkage(cw, TRUTH)
    # by hand: true pairs {a1a2, a1c3, a2c3} = 3; predicted {a1a2} = 1; TP 1
    assert (m.true_pairs, m.predicted_pairs, m.true_positive_pairs) == (3, 1, 1)
    assert m.precision == 1.0
    assert m.recall == pytest.approx(1 / 3)
    assert m.f1 == pytest.approx(0.5)
    # B-cubed: a1, a2 recall 2/3; c3 (a singleton) recall 1/3; b1 recall 1; precision 1 each
    assert m.bcubed_precision == 1.0
    assert m.bcubed_recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)
    assert m.bcubed_f1 == pytest.approx(0.8)
    assert (m.records, m.crosswalk_records, m.truth_records) == (4, 3, 4)
    assert (m.missing_from_crosswalk, m.dropped_from_crosswalk) == (1, 0)


def test_missing_records_are_singletons_not_one_cluster() -> None:
    # both records of person Z are missing: they must not be scored as linked to each other
    cw = _cw([("a", "1", 0)])
    tr = _tr([("a", "1", 1), ("x", "1", 2), ("x", "2", 2)])
    m = evaluate_linkage(cw, tr)
    assert (m.true_pairs, m.predicted_pairs, m.true_positive_pairs) == (1, 0, 0)
    assert m.precision == 1.0  # nothing predicted, nothing wrong
    assert m.recall == 0.0
    assert m.f1 == 0.0
    # B-cubed recall: a1 1; x1, x2 1/2 each
    assert m.bcubed_recall == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert m.missing_from_crosswalk == 2


def test_null_person_id_is_unlinked() -> None:
    cw = _cw([("a", "1", None), ("a", "2", None), ("c", "3", 0), ("b", "1", 0)])
    m = evaluate_linkage(cw, TRUTH)
    # the two nulls are not one predicted person; c3-b1 is a false link
    assert (m.true_pairs, m.predicted_pairs, m.true_positive_pairs) == (3, 1, 0)
    assert m.missing_from_crosswalk == 0
    assert m.crosswalk_records == 4


def test_crosswalk_record_not_in_the_truth_is_an_error() -> None:
    cw = _cw([("a", "1", 0), ("a", "2", 0), ("c", "3", 0), ("b", "1", 1), ("d", "9", 0)])
    with pytest.raises(DataError, match=r"1 of 5 crosswalk records are not in the truth") as err:
        evaluate_linkage(cw, TRUTH)
    assert "d 1" in str(err.value)
    assert "unlabelled='drop'" in str(err.value)


def test_dropping_unlabelled_crosswalk_records_is_reported() -> None:
    # d9 is linked to X's records; dropped, it must not count as a false link
    cw = _cw([("a", "1", 0), ("a", "2", 0), ("c", "3", 0), ("b", "1", 1), ("d", "9", 0)])
    m = evaluate_linkage(cw, TRUTH, unlabelled="drop")
    assert (m.true_pairs, m.predicted_pairs, m.true_positive_pairs) == (3, 3, 3)
    assert m.precision == m.recall == m.bcubed_f1 == 1.0
    assert (m.records, m.crosswalk_records, m.truth_records) == (4, 5, 4)
    assert (m.missing_from_crosswalk, m.dropped_from_crosswalk) == (0, 1)


def test_no_overlap_hints_at_pseudonymisation() -> None:
    cw = _cw([("a", "zz", 0)])
    with pytest.raises(DataError, match="pseudonymise"):
        evaluate_linkage(cw, TRUTH, unlabelled="drop")


def test_duplicate_records_and_unknown_people_are_errors() -> None:
    twice = _cw([("a", "1", 0), ("a", "1", 1), ("a", "2", 0), ("c", "3", 0), ("b", "1", 1)])
    with pytest.raises(DataError, match="crosswalk has 2 rows that share"):
        evaluate_linkage(twice, TRUTH)
    unknown = _tr([("a", "1", None), ("a", "2", 10)])
    with pytest.raises(DataError, match="1 truth records have no true_person_id"):
        evaluate_linkage(_cw([("a", "1", 0), ("a", "2", 0)]), unknown)
    with pytest.raises(DataError, match="'unlabelled' parameter"):
        evaluate_linkage(TRUTH, TRUTH, unlabelled="keep")  # type: ignore[arg-type]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 4), st.booleans()), min_size=1, max_size=14
    )
)
def test_matches_brute_force_with_missing_records(rows: list[tuple[int, int, bool]]) -> None:
    # (predicted person, true person, present in the crosswalk) of each truth record
    if not any(present for _, _, present in rows):
        rows[0] = (rows[0][0], rows[0][1], True)
    n = len(rows)
    cw = _cw([("a", str(i), p) for i, (p, _, present) in enumerate(rows) if present])
    tr = _tr([("a", str(i), t) for i, (_, t, _) in enumerate(rows)])
    m = evaluate_linkage(cw, tr)
    # brute force: a missing record is its own predicted person
    pred = [p if present else f"solo{i}" for i, (p, _, present) in enumerate(rows)]
    true = [t for _, t, _ in rows]
    ij = list(itertools.combinations(range(n), 2))
    predicted = {(i, j) for i, j in ij if pred[i] == pred[j]}
    actual = {(i, j) for i, j in ij if true[i] == true[j]}
    assert m.true_positive_pairs == len(predicted & actual)
    assert m.recall == pytest.approx(len(predicted & actual) / len(actual) if actual else 1.0)
    assert m.precision == pytest.approx(
        len(predicted & actual) / len(predicted) if predicted else 1.0
    )
    b_r = sum(
        sum(pred[j] == pred[i] and true[j] == true[i] for j in range(n))
        / sum(true[j] == true[i] for j in range(n))
        for i in range(n)
    )
    assert m.bcubed_recall == pytest.approx(b_r / n)
    assert m.records == n
    assert m.missing_from_crosswalk == sum(not present for _, _, present in rows)
