"""The workshop pack, disclosure control and the identifier scan on synthetic data.

Peers on the same data, answers compared:

- plotly's own ``Figure.write_html(include_plotlyjs=True)``, one file per figure (the usual way
  to share plotly charts offline) against :func:`journeys.reports.write_pack` (one page, plotly.js
  once): the charts' data must be identical; we compare time and bytes.
- pandas/numpy (``np.where``) against :func:`journeys.disclosure.apply_disclosure` on a large
  count column: identical published counts.
- a plain substring search (``value in text`` for every identifier) against
  :func:`journeys.reports.scan_for_identifiers` on a pack with planted identifiers: both must
  find every planted value; the plain search also reports false alarms, which we count.

Size: JOURNEYS_BENCH_SIZE (small = 10,000 people; large = 1,000,000).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks._sizes import PEOPLE, size
from journeys.disclosure import DisclosureRule, apply_disclosure
from journeys.reports import (
    PackContent,
    build_handoffs,
    build_value_stream,
    loop_example_rows,
    pack_figures,
    process_map_tables,
    scan_for_identifiers,
    select_journeys,
    write_pack,
)
from journeys.schema import (
    DATE_OF_BIRTH,
    FAMILY_NAME,
    MATCH_WEIGHT,
    PERSON_ID,
    PERSON_REF,
    POSTCODE,
    TRUE_PERSON_ID,
)

pytestmark = pytest.mark.benchmark

_NEWPLOT = re.compile(r'Plotly\.newPlot\(\s*"([^"]+)",\s*')


@pytest.fixture(scope="module")
def content() -> tuple[PackContent, pl.DataFrame]:
    from journeys.measures import run_basket
    from journeys.mining.maps import discover_process_map
    from journeys.patterns import detect_all, summarise_by_agency
    from journeys.synth import generate_population
    from journeys.traces import build_journeys

    pop = generate_population(PEOPLE[size()], seed=7)
    rng = np.random.default_rng(7)
    crosswalk = pop.truth.rename({TRUE_PERSON_ID: PERSON_ID}).with_columns(
        pl.Series(MATCH_WEIGHT, rng.normal(12.0, 3.0, pop.truth.height))
    )
    journeys = build_journeys(pop.events, crosswalk).collect()
    edges, nodes = process_map_tables(discover_process_map(journeys))
    occ = detect_all(journeys).collect()
    chosen = select_journeys(journeys, by="agencies", n=5)
    pack = PackContent(
        title="Benchmark",
        process_edges=edges,
        process_nodes=nodes,
        handoffs=build_handoffs(journeys),
        value_stream=build_value_stream(journeys),
        journeys=journeys.filter(pl.col(PERSON_ID).is_in(chosen)),
        journey_order=chosen,
        loop_counts=summarise_by_agency(occ).collect(),
        loop_examples=loop_example_rows(journeys, occ),
        measures=run_basket(journeys),
        match_weights=crosswalk.select(MATCH_WEIGHT),
    )
    return pack, pop.identities


def _plots(page: str) -> dict[str, Any]:
    """Every figure's data array in a page, by div id."""
    out: dict[str, Any] = {}
    for m in _NEWPLOT.finditer(page):
        data, _ = json.JSONDecoder().raw_decode(page[m.end() :])
        out[m.group(1)] = data
    return out


def test_pack_against_plotly_write_html(
    benchmark: BenchmarkFixture, content: tuple[PackContent, pl.DataFrame], tmp_path: Path
) -> None:
    pack, _ = content
    page = benchmark.pedantic(write_pack, args=(pack, tmp_path / "pack"), rounds=1, iterations=1)
    ours = _plots(page.read_text(encoding="utf-8"))
    # the peer: every figure of the pack written by plotly itself, one self-contained file each
    peer_dir = tmp_path / "plotly"
    peer_dir.mkdir()
    started = time.perf_counter()
    names = []
    for key, figures in pack_figures(pack, disclosure=DisclosureRule()).items():
        for i, fig in enumerate(figures):
            name = f"fig-{key}-{i + 1}"
            fig.write_html(peer_dir / f"{name}.html", include_plotlyjs=True, div_id=name)
            names.append(name)
    peer_seconds = time.perf_counter() - started
    peer = {}
    for name in names:
        peer.update(_plots((peer_dir / f"{name}.html").read_text(encoding="utf-8")))
    assert peer == ours  # the same charts, the same data
    our_bytes = sum(p.stat().st_size for p in page.parent.rglob("*") if p.is_file())
    peer_bytes = sum(p.stat().st_size for p in peer_dir.iterdir())
    benchmark.extra_info.update(
        {
            "figures": len(ours),
            "pack_mb": round(our_bytes / 2**20, 2),
            "plotly_files_mb": round(peer_bytes / 2**20, 2),
            "plotly_write_html_s": round(peer_seconds, 3),
        }
    )
    print(
        f"\npack: {len(ours)} figures, {our_bytes / 2**20:.1f} MB (tables included); "
        f"plotly write_html: {peer_bytes / 2**20:.1f} MB in {peer_seconds:.2f} s"
    )
    assert our_bytes < peer_bytes


def test_disclosure_against_numpy(benchmark: BenchmarkFixture) -> None:
    rows = {"small": 1_000_000, "medium": 5_000_000, "large": 20_000_000}[size()]
    rng = np.random.default_rng(1)
    counts = rng.geometric(0.05, rows).astype(np.int64) - 1  # many zeros and small counts
    frame = pl.DataFrame({"n": counts})
    ours = benchmark.pedantic(apply_disclosure, args=(frame, ["n"]), rounds=3, iterations=1)
    started = time.perf_counter()
    s = pd.Series(counts)
    rounded = ((2 * s + 5) // 10) * 5
    peer = pd.Series(np.where((s >= 1) & (s <= 7), np.nan, np.where(s == 0, 0, rounded)))
    peer_seconds = time.perf_counter() - started
    got = ours.get_column("n").to_numpy().astype(float)
    assert np.array_equal(np.nan_to_num(got, nan=-1.0), np.nan_to_num(peer.to_numpy(), nan=-1.0))
    benchmark.extra_info["numpy_s"] = round(peer_seconds, 4)


def test_scan_against_substring_search(
    benchmark: BenchmarkFixture, content: tuple[PackContent, pl.DataFrame], tmp_path: Path
) -> None:
    pack, identities = content
    out = write_pack(pack, tmp_path / "pack").parent
    planted = identities.head(3)
    leak = planted.select(PERSON_REF, FAMILY_NAME, POSTCODE, DATE_OF_BIRTH)
    leak.write_csv(out / "tables" / "leak.csv")
    findings = benchmark.pedantic(
        scan_for_identifiers, args=(out, identities), rounds=1, iterations=1
    )
    leaked = [f for f in findings if f.path.name == "leak.csv"]
    assert {f.kind for f in leaked} >= {"person_ref", "name", "postcode", "date_of_birth"}
    assert not [f for f in findings if f.path.name != "leak.csv"]
    # the peer: identifier values searched as substrings of every file. Searching all of them
    # takes minutes, so the peer searches the planted values and a sample of the others and
    # its time is projected to every value.
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file()]
    values: set[str] = set()
    for col in (PERSON_REF, FAMILY_NAME, POSTCODE):
        values |= set(identities.get_column(col).drop_nulls().to_list())
    values |= {str(d) for d in identities.get_column(DATE_OF_BIRTH).drop_nulls().to_list()}
    planted_values = {str(v) for row in leak.rows() for v in row}
    others = sorted(values - planted_values)
    rng = np.random.default_rng(3)
    sample = [others[i] for i in rng.choice(len(others), size=min(500, len(others)), replace=False)]
    started = time.perf_counter()
    hits = {v for v in [*planted_values, *sample] for t in texts if v in t}
    sample_seconds = time.perf_counter() - started
    projected = sample_seconds * len(values) / (len(sample) + len(planted_values))
    assert planted_values <= hits  # the plain search also finds the planted values ...
    false_alarms = len(hits - planted_values)  # ... and raises false alarms in the sample
    benchmark.extra_info.update(
        {
            "substring_search_projected_s": round(projected, 1),
            "substring_false_alarms_in_sample": false_alarms,
            "sample": len(sample),
            "identities": identities.height,
        }
    )
    print(
        f"\nscan: {identities.height} identities; substring search projected {projected:.0f} s, "
        f"{false_alarms} false alarms among {len(sample)} sampled values"
    )
