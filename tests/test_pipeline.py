"""``journeys reconstruct`` end to end on the demo: native extracts in, the workshop pack out.

Checks the row accounting, stage reuse, the trust boundary (no identifier of the synthetic
identities anywhere in the output folder), disclosure of published counts, and the pack in a
real headless Chromium with the network off.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from journeys import schema as s
from journeys.cli import main
from journeys.demo import DemoProject, build_demo_project
from journeys.exceptions import PrivacyError
from journeys.pipeline import STAGES, RunSummary, reconstruct
from journeys.reports import SECTIONS, scan_for_identifiers
from tests.conftest import ROOT, require_service
from tests.reports.browser import chromium_available, load_page, websocket_available

PEOPLE = 1_500
#: Words of the pipeline's own output that are also surnames or given names in the synthetic
#: population (a JSON key "page", a statistics column "max", plotly's "Read" of a button...).
OWN_VOCABULARY = ("page", "max", "read", "long", "mark", "may", "day", "lane", "west", "rule")


@dataclass(frozen=True)
class DemoRun:
    demo: DemoProject
    out: Path
    first: RunSummary
    second: RunSummary


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    root = tmp_path_factory.mktemp("demo")
    demo = build_demo_project(root, people=PEOPLE, seed=5)
    out = root / "pack"
    first = reconstruct(demo.project, out=out)
    second = reconstruct(demo.project, out=out)
    return DemoRun(demo, out, first, second)


def test_every_stage_runs_and_rows_add_up(run: DemoRun) -> None:
    names = [r.name for r in run.first.stages]
    assert names == [
        n
        for n in STAGES
        if n != "conformance" or run.demo.project.parent.joinpath("to_be.bpmn").exists()
    ]
    ingest = run.first.stages[0].counts
    assert ingest["balanced"] is True
    assert (
        ingest["rows_read"]
        == ingest["rows_loaded"] + ingest["rows_quarantined"] + ingest["rows_filtered"]
    )
    assert ingest["events"] == run.demo.population.events.height
    assert ingest["identity_records"] == run.demo.population.identities.height
    journeys = pl.read_parquet(run.out / "data" / "journeys.parquet")
    events = run.demo.population.events
    assert journeys.height == events.height  # no event lost or duplicated
    # event ids are surrogates; the table back to each agency's own ids stays private
    private = run.demo.project.parent / ".journeys-private" / "event_ids.parquet"
    back = pl.read_parquet(private)
    assert back.height == events.height
    assert (
        back.select(s.AGENCY, s.EVENT_ID)
        .sort(s.AGENCY, s.EVENT_ID)
        .equals(events.select(s.AGENCY, s.EVENT_ID).sort(s.AGENCY, s.EVENT_ID))
    )
    assert set(journeys.get_column(s.EVENT_ID)) == set(back.get_column("pseudonym"))
    assert not set(journeys.get_column(s.EVENT_ID)) & set(events.get_column(s.EVENT_ID))


def test_linked_people_are_close_to_the_truth(run: DemoRun) -> None:
    link = next(r for r in run.first.stages if r.name == "link").counts
    true_people = run.demo.population.truth.get_column(s.TRUE_PERSON_ID).n_unique()
    assert abs(link["people"] - true_people) / true_people < 0.02


def test_link_counts_the_pairs_meta_blocking_pruned(run: DemoRun) -> None:
    from dataclasses import replace

    from journeys.config import load_project
    from journeys.linkage import LinkageSettings, link_encodings

    link = next(r for r in run.first.stages if r.name == "link").counts
    settings = LinkageSettings.from_dict(load_project(run.demo.project).linkage.settings)
    encodings = pl.read_parquet(run.demo.project.parent / ".journeys-private" / "encodings.parquet")
    unpruned = link_encodings(encodings, settings=replace(settings, min_pair_weight=0.0))
    assert link["candidate_pairs"] + link["pruned_pairs"] == unpruned.blocking.pairs


def test_second_run_reuses_every_stage(run: DemoRun) -> None:
    assert all(r.cached for r in run.second.stages)
    assert run.second.seconds < 5
    assert all(not r.cached for r in run.first.stages)


def test_run_summary_and_log(run: DemoRun) -> None:
    summary = json.loads((run.out / "run.json").read_text())
    assert summary["settings_hash"] == run.second.settings_hash
    assert {"journeys", "polars", "pm4py", "python"} <= set(summary["versions"])
    assert [st["name"] for st in summary["stages"]] == [r.name for r in run.second.stages]
    assert (run.out / "run.log").stat().st_size > 0


def test_a_changed_setting_reruns_only_what_depends_on_it(run: DemoRun, tmp_path: Path) -> None:
    project = run.demo.project
    text = project.read_text()
    changed = text.replace("[patterns]", '[patterns]\nping_pong = { window = "2h" }', 1)
    project.write_text(changed)
    try:
        again = reconstruct(project, out=run.out)
    finally:
        project.write_text(text)
    reran = {r.name for r in again.stages if not r.cached}
    assert reran == {"patterns", "report"}
    ping_pong = next(r for r in again.stages if r.name == "patterns").counts
    assert (
        ping_pong.get("people_ping_pong", 0)
        < next(r for r in run.first.stages if r.name == "patterns").counts["people_ping_pong"]
    )


def test_plaintext_identities_stay_in_the_private_folder(run: DemoRun) -> None:
    private = run.demo.project.parent / ".journeys-private"
    assert (private / "identities.parquet").exists()
    assert not list(run.out.rglob("identities.parquet"))
    assert not list(run.out.rglob("encodings.parquet"))  # field filters are not published
    events = pl.read_parquet(run.out / "data" / "events.parquet")
    local_refs = set(run.demo.population.truth.get_column(s.PERSON_REF))
    assert not local_refs & set(events.get_column(s.PERSON_REF))


def test_no_identifier_anywhere_in_the_output_folder(run: DemoRun) -> None:
    findings = scan_for_identifiers(
        run.out, run.demo.population.identities, ignore_values=OWN_VOCABULARY
    )
    assert findings == []


_NOT_COUNTS = {
    "start_day",
    "end_day",
    "journey",
    "band_from",
    "band_to",
    "value",
    "mean",
    "lcl",
    "ucl",
    "baseline_mean",
    "review_mean",
    "relative_change",
    "duration_hours",
    "process_hours",
    "wait_hours",
    "lead_hours",
    "activity_ratio",
}


def test_published_counts_are_never_small(run: DemoRun) -> None:
    tables = sorted((run.out / "tables").glob("*.csv"))
    assert tables
    checked = 0
    for table in tables:
        with table.open() as handle:
            for row in csv.DictReader(handle):
                for column, cell in row.items():
                    if column in _NOT_COUNTS or not cell.isdigit():
                        continue
                    checked += 1
                    assert not 1 <= int(cell) <= 7, f"{table.name} {column}={cell}"
                    assert int(cell) % 5 == 0, f"{table.name} {column}={cell}"
    assert checked > 50


def test_cli_reconstruct_prints_where_the_pack_is(
    run: DemoRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reconstruct", str(run.demo.project), "--out", str(run.out)]) == 0
    assert f"workshop pack: {run.out / 'index.html'}" in capsys.readouterr().out


@pytest.mark.browser
def test_pack_of_the_demo_renders_offline_in_chromium(run: DemoRun) -> None:
    require_service(websocket_available(), "the websocket-client package")
    require_service(chromium_available(), "headless chromium (scripts/install-browser.sh)")
    page = run.out / "index.html"
    report = load_page(page, screenshot=ROOT / "artifacts" / "demo-pack.png")
    assert report.console_errors == []
    assert report.exceptions == []
    assert report.requests == [page.resolve().as_uri()]
    state = report.state
    assert [sec["id"] for sec in state["sections"]] == list(SECTIONS)
    assert state["plots"] == state["drawn"] == state["divs"] > 10
    manifest = json.loads((run.out / "pack.json").read_text())
    assert state["divs"] == manifest["figures"]


def test_output_folder_overlapping_the_private_folder_is_refused(run: DemoRun) -> None:
    private = run.demo.project.parent / ".journeys-private"
    for out in (run.demo.project.parent, private / "pack"):
        with pytest.raises(PrivacyError, match="overlap"):
            reconstruct(run.demo.project, out=out)
