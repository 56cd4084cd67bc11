"""The workshop pack: self-contained, every section, every table as disclosed CSV, models."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plotly.offline import get_plotlyjs

from journeys.disclosure import DisclosureRule
from journeys.exceptions import DataError, SourceError
from journeys.reports import SECTIONS, PackContent, scan_for_identifiers, write_pack
from journeys.reports.columns import FREQUENCY, OCCURRENCES, PEOPLE
from journeys.schema import AGENCY, GIVEN_NAME, PATTERN

from . import _fixtures as fx

#: Count columns of each published table (what the disclosure rule must have touched).
COUNTS = {
    "process_edges.csv": [FREQUENCY],
    "process_nodes.csv": [FREQUENCY],
    "handoffs.csv": [FREQUENCY],
    "value_stream.csv": [FREQUENCY],
    "loop_counts.csv": [PEOPLE, OCCURRENCES],
    "measures.csv": ["n"],
    "fitness_bands.csv": [FREQUENCY],
    "deviations.csv": [FREQUENCY],
    "row_accounting.csv": ["rows_read", "rows_loaded", "rows_quarantined"],
    "quarantine_reasons.csv": [FREQUENCY],
    "match_weight_bands.csv": [FREQUENCY],
}


def _figure_data(page: str, div_id: str) -> list[dict[str, object]]:
    """The data array passed to Plotly.newPlot for one figure div."""
    match = re.search(r'Plotly\.newPlot\(\s*"' + re.escape(div_id) + r'",\s*', page)
    assert match is not None, div_id
    data, _ = json.JSONDecoder().raw_decode(page[match.end() :])
    return data  # type: ignore[no-any-return]


def test_pack_is_self_contained(full_pack: Path) -> None:
    page = full_pack.read_text(encoding="utf-8")
    bundle = get_plotlyjs()
    assert page.count(bundle) == 1  # plotly.js embedded exactly once
    rest = page.replace(bundle, "")
    assert "<script src" not in rest
    assert "<link" not in rest
    assert "@import" not in rest
    assert not re.search(r"https?://", rest)  # no URL at all outside the library bundle
    assert "Content-Security-Policy" in rest
    assert "default-src 'none'" in rest


def test_pack_has_every_section_and_figure(full_pack: Path) -> None:
    page = full_pack.read_text(encoding="utf-8")
    for key in SECTIONS:
        assert f'<section id="{key}">' in page
    assert 'class="absent"' not in page
    assert page.count('class="plotly-graph-div"') == fx.FULL_FIGURES
    manifest = json.loads((full_pack.parent / "pack.json").read_text())
    assert manifest["figures"] == fx.FULL_FIGURES
    assert all(s["present"] for s in manifest["sections"].values())
    assert DisclosureRule().describe() in page.replace("&#x27;", "'")


def test_every_table_written_and_disclosed(full_pack: Path) -> None:
    manifest = json.loads((full_pack.parent / "pack.json").read_text())
    written = [t for s in manifest["sections"].values() for t in s["tables"]]
    assert len(written) == 15
    for rel in written:
        path = full_pack.parent / rel
        assert path.is_file(), rel
        table = pl.read_csv(path, infer_schema=False)
        assert table.height > 0
        for col in COUNTS.get(path.name, []):
            for cell in table.get_column(col).drop_nulls().to_list():
                assert cell == "*" or (int(cell) % 5 == 0 and not 1 <= int(cell) <= 7), (rel, cell)


def test_figures_publish_only_disclosed_counts(full_pack: Path) -> None:
    page = full_pack.read_text(encoding="utf-8")
    loops = _figure_data(page, "fig-loops-1")
    shown = [y for trace in loops for y in trace["y"]]  # type: ignore[attr-defined]
    assert all(y == 0 or y % 5 == 0 for y in shown)
    raw = fx.loop_counts().get_column(PEOPLE).to_list()
    assert shown != raw  # the raw counts (23, 19, 12, ...) were not published
    edges = _figure_data(page, "fig-process_map-1")
    labels = [t for trace in edges for t in trace.get("text", []) if t]  # type: ignore[attr-defined]
    assert "6" not in labels
    assert "3" not in labels
    assert "*" in labels


def test_models_copied_and_linked(full_pack: Path, model_files: tuple[Path, ...]) -> None:
    assert model_files
    for model in model_files:
        copy = full_pack.parent / "models" / model.name
        assert copy.read_bytes() == model.read_bytes()
        assert f'href="models/{model.name}"' in full_pack.read_text(encoding="utf-8")


def test_missing_model_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"to-be\.bpmn"):
        write_pack(PackContent(models=[tmp_path / "to-be.bpmn"]), tmp_path / "out")


def test_empty_pack_explains_every_absent_section(tmp_path: Path) -> None:
    page = write_pack(
        PackContent(notes={"loops": "Detectors were switched off in the project file."}),
        tmp_path,
    ).read_text(encoding="utf-8")
    assert page.count('class="absent"') == len(SECTIONS)
    assert "No to-be model was given" in page
    assert "Detectors were switched off" in page
    assert 'class="plotly-graph-div"' not in page


def test_identifier_columns_are_refused(tmp_path: Path) -> None:
    bad = fx.loop_counts().with_columns(pl.lit("Ann").alias(GIVEN_NAME))
    with pytest.raises(DataError, match="given_name"):
        write_pack(PackContent(loop_counts=bad), tmp_path)


def test_pack_output_holds_no_identifier(full_pack: Path, tmp_path: Path) -> None:
    identities = fx.identities()
    assert scan_for_identifiers(full_pack.parent, identities) == []
    # the oracle can fail: raw journeys in the folder are caught
    fx.journeys().write_csv(tmp_path / "raw.csv")
    kinds = {f.kind for f in scan_for_identifiers(tmp_path, identities)}
    assert "person_ref" in kinds


def test_pack_is_reproducible(tmp_path: Path) -> None:
    a = write_pack(fx.full_content(), tmp_path / "a").read_bytes()
    b = write_pack(fx.full_content(), tmp_path / "b").read_bytes()
    assert a == b


def test_disabled_rule_says_so(tmp_path: Path) -> None:
    page = write_pack(
        PackContent(loop_counts=fx.loop_counts()),
        tmp_path,
        disclosure=DisclosureRule(enabled=False),
    )
    assert "Disclosure control is OFF" in page.read_text(encoding="utf-8")
    table = pl.read_csv(page.parent / "tables" / "loop_counts.csv")
    assert table.get_column(PEOPLE).to_list() == fx.loop_counts().get_column(PEOPLE).to_list()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=12))
def test_no_published_count_under_8(tmp_path: Path, people: list[int]) -> None:
    counts = pl.DataFrame(
        {
            PATTERN: ["ping_pong"] * len(people),
            AGENCY: [f"agency_{i}" for i in range(len(people))],
            PEOPLE: people,
        }
    )
    page = write_pack(PackContent(loop_counts=counts), tmp_path)
    table = pl.read_csv(page.parent / "tables" / "loop_counts.csv", infer_schema=False)
    for before, after in zip(people, table.get_column(PEOPLE).to_list(), strict=True):
        if 1 <= before <= 7:
            assert after == "*"
        else:
            assert int(after) % 5 == 0
            assert (int(after) == 0) == (before == 0)
    shown = _figure_data(page.read_text(encoding="utf-8"), "fig-loops-1")[0]["y"]
    assert not [y for y in shown if 1 <= y <= 7]  # type: ignore[attr-defined]


def test_rewriting_removes_stale_tables(tmp_path: Path) -> None:
    write_pack(fx.full_content(), tmp_path)
    assert (tmp_path / "tables" / "handoffs.csv").exists()
    (tmp_path / "run_summary.json").write_text("{}")  # not the pack's: left alone
    write_pack(PackContent(loop_counts=fx.loop_counts()), tmp_path)
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == ["loop_counts.csv"]
    assert (tmp_path / "run_summary.json").exists()
