"""The pack built from the synthetic population: no identifier anywhere, counts disclosed."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from journeys.disclosure import DisclosureRule
from journeys.reports import scan_for_identifiers
from journeys.reports.columns import FREQUENCY, FROM_ACTIVITY, PEOPLE, TO_ACTIVITY

from ._synthetic import SyntheticPack, build_synthetic_pack


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> SyntheticPack:
    return build_synthetic_pack(tmp_path_factory.mktemp("synthetic-pack"))


def test_no_identifier_of_the_population_in_the_pack(synthetic: SyntheticPack) -> None:
    findings = scan_for_identifiers(synthetic.page.parent, synthetic.identities)
    assert findings == [], findings[:5]


def test_scanner_would_catch_a_leak(synthetic: SyntheticPack, tmp_path: Path) -> None:
    # the oracle can fail: the raw journeys (with agency-local refs) are found
    synthetic.journeys.head(50).write_parquet(tmp_path / "journeys.parquet")
    synthetic.identities.head(5).write_csv(tmp_path / "ids.csv")
    kinds = {f.kind for f in scan_for_identifiers(tmp_path, synthetic.identities)}
    assert {"person_ref", "name", "date_of_birth", "postcode", "national_id"} <= kinds


def test_edges_published_as_the_rule_says(synthetic: SyntheticPack) -> None:
    rule = DisclosureRule()
    published = pl.read_csv(
        synthetic.page.parent / "tables" / "process_edges.csv", infer_schema=False
    )
    raw = synthetic.process_edges
    assert published.height == raw.height
    for (f, t, events, people), row in zip(
        raw.select(FROM_ACTIVITY, TO_ACTIVITY, FREQUENCY, PEOPLE).rows(),
        published.iter_rows(named=True),
        strict=True,
    ):
        assert (row[FROM_ACTIVITY], row[TO_ACTIVITY]) == (f, t)
        if rule.disclose(people) is None or rule.disclose(events) is None:
            assert row[FREQUENCY] == row[PEOPLE] == "*"
        else:
            assert int(row[FREQUENCY]) == rule.disclose(events)
            assert int(row[PEOPLE]) == rule.disclose(people)


def test_every_published_count_is_disclosed(synthetic: SyntheticPack) -> None:
    tables = synthetic.page.parent / "tables"
    for name, cols in {
        "loop_counts.csv": ["people", "occurrences"],
        "handoffs.csv": ["frequency", "people"],
        "value_stream.csv": ["frequency", "people"],
        "measures.csv": ["n"],
        "match_weight_bands.csv": ["frequency"],
    }.items():
        table = pl.read_csv(tables / name, infer_schema=False)
        for col in cols:
            for cell in table.get_column(col).drop_nulls().to_list():
                assert cell == "*" or (int(cell) % 5 == 0 and not 1 <= int(cell) <= 7), name
    manifest = json.loads((synthetic.page.parent / "pack.json").read_text())
    present = {k for k, v in manifest["sections"].items() if v["present"]}
    assert present == {
        "process_map",
        "handoffs",
        "value_stream",
        "journeys",
        "loops",
        "measures",
        "conformance",
        "quality",
    }
    assert sorted(manifest["models"]) == ["models/to-be.bpmn", "models/to-be.pnml"]
    deviations = pl.read_csv(tables / "deviations.csv", infer_schema=False)
    for col in ("frequency", "people"):
        for cell in deviations.get_column(col).to_list():
            assert cell == "*" or (int(cell) % 5 == 0 and int(cell) >= 8)
    fitness = pl.read_csv(tables / "fitness_bands.csv", infer_schema=False)
    assert all(c == "*" or int(c) % 5 == 0 for c in fitness.get_column("frequency").to_list())
