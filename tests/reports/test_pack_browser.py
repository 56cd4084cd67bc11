"""The workshop pack in a real headless Chromium: offline, no errors, every chart drawn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from journeys.reports import SECTIONS
from tests.conftest import ROOT, require_service

from . import _fixtures as fx
from .browser import chromium_available, load_page, websocket_available

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(scope="module")
def browser_ready() -> None:
    require_service(
        websocket_available(), "the websocket-client package (pip install websocket-client)"
    )
    require_service(chromium_available(), "headless chromium (run scripts/install-browser.sh)")


#: Click "Performance" on the process map, then apply the slider's 10% step with plotly.js.
TOGGLE_JS = """
(async () => {
  const gd = document.getElementById('fig-process_map-1');
  const labels = () => Array.from(gd.querySelectorAll('g.textpoint text'))
      .map(t => t.textContent).filter(t => t);
  const before = labels();
  const buttons = gd.querySelectorAll('g.updatemenu-button');
  buttons[1].dispatchEvent(new MouseEvent('click', {bubbles: true}));
  await new Promise(r => setTimeout(r, 800));
  const after = labels();
  const step = gd.layout.sliders[0].steps[0];
  await Plotly.restyle(gd, step.args[0]);
  const visible = gd.data.filter(
      t => t.visible !== false && t.marker && t.marker.symbol === 'arrow');
  return JSON.stringify({before, after, buttons: buttons.length, edgesShown: visible.length,
                         step: step.label});
})()
"""


def test_pack_renders_offline_without_errors(browser_ready: None, full_pack: Path) -> None:
    report = load_page(full_pack, screenshot=ARTIFACTS / "workshop-pack.png", scripts=(TOGGLE_JS,))
    assert report.console_errors == []
    assert report.exceptions == []
    assert report.log_errors == []
    assert report.network_requests == []  # nothing but the file itself was requested
    assert report.requests == [full_pack.resolve().as_uri()]
    state = report.state
    assert [s["id"] for s in state["sections"]] == list(SECTIONS)
    assert not any(s["absent"] for s in state["sections"])
    manifest = json.loads((full_pack.parent / "pack.json").read_text())
    for section in state["sections"]:
        assert section["figures"] == manifest["sections"][section["id"]]["figures"]
    assert state["divs"] == fx.FULL_FIGURES
    assert state["plots"] == fx.FULL_FIGURES
    assert state["drawn"] == fx.FULL_FIGURES  # every chart has its rendered svg
    assert "Counts from 1 to 7 are suppressed" in state["disclosure"]
    assert report.screenshot is not None
    assert report.screenshot.stat().st_size > 50_000
    # the frequency/performance toggle and the detail slider work in plotly.js itself
    toggle = json.loads(report.results[0])
    assert toggle["buttons"] == 2
    assert "120" in toggle["before"]
    assert not any(t.endswith(" h") for t in toggle["before"])
    assert any(t.endswith((" h", " d", " min")) for t in toggle["after"])
    assert toggle["step"] == "10%"
    assert toggle["edgesShown"] == 2  # ceil(10% of 12 edges)
    (ARTIFACTS / "workshop-pack-browser.json").write_text(
        json.dumps({"load_seconds": report.load_seconds, "state": state}, indent=2) + "\n"
    )


@pytest.mark.slow
def test_empty_pack_renders_notes(browser_ready: None, tmp_path: Path) -> None:
    from journeys.reports import PackContent, write_pack

    page = write_pack(PackContent(), tmp_path)
    report = load_page(page)
    assert report.console_errors == []
    assert report.exceptions == []
    assert report.network_requests == []
    assert report.state["divs"] == 0
    assert all(s["absent"] for s in report.state["sections"])


@pytest.mark.slow
def test_synthetic_pack_renders(browser_ready: None, tmp_path: Path) -> None:
    from ._synthetic import build_synthetic_pack

    built = build_synthetic_pack(tmp_path / "pack")
    report = load_page(built.page, screenshot=ARTIFACTS / "workshop-pack-synthetic.png")
    assert report.console_errors == []
    assert report.exceptions == []
    assert report.log_errors == []
    assert report.network_requests == []
    manifest = json.loads((built.page.parent / "pack.json").read_text())
    assert report.state["divs"] == manifest["figures"] > 10
    assert report.state["drawn"] == manifest["figures"]
    present = [s["id"] for s in report.state["sections"] if not s["absent"]]
    assert present == [k for k, v in manifest["sections"].items() if v["present"]]
