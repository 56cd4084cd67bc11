"""Drive Debian's headless Chromium over the DevTools protocol (CDP) to check a pack.

Used by tests/reports/test_pack_browser.py and the end-to-end test. Needs /usr/bin/chromium
(scripts/install-browser.sh) and the ``websocket-client`` package.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    # no route to anywhere: a request that escapes CDP's offline mode still fails
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
)

#: In-page check: every section, every chart drawn (a plot div with a rendered main svg).
CHECK_JS = """
(() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  const drawn = plots.filter(p => p.querySelector('svg.main-svg') !== null
                              && p.getBoundingClientRect().height > 0);
  const sections = Array.from(document.querySelectorAll('main > section')).map(s => ({
    id: s.id,
    absent: s.querySelector('p.absent') !== null,
    figures: s.querySelectorAll('.plotly-graph-div').length,
  }));
  return JSON.stringify({
    plots: plots.length,
    drawn: drawn.length,
    divs: document.querySelectorAll('.plotly-graph-div').length,
    sections: sections,
    disclosure: (document.getElementById('disclosure') || {}).textContent || null,
    height: document.documentElement.scrollHeight,
    plotlyVersion: (window.Plotly && window.Plotly.version) || null,
  });
})()
"""


def chromium_available() -> bool:
    """True when the Chromium binary exists and runs."""
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        return False
    try:
        done = subprocess.run([CHROMIUM, "--version"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def websocket_available() -> bool:
    try:
        import websocket  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class PageReport:
    """What the browser saw."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    load_seconds: float = 0.0
    screenshot: Path | None = None
    results: list[Any] = field(default_factory=list)

    @property
    def network_requests(self) -> list[str]:
        """Requests to anything but the file itself (or data:/blob: URLs)."""
        return [u for u in self.requests if not u.startswith(("file://", "data:", "blob:"))]


class _Cdp:
    def __init__(self, ws_url: str) -> None:
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.next_id += 1
        msg_id = self.next_id
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"CDP {method} failed: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, method: str, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event["method"] == method:
                return event
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                msg = json.loads(self.ws.recv())
            except Exception:
                break
            if "method" in msg:
                self.events.append(msg)
                if msg["method"] == method:
                    return msg
        return None

    def evaluate(self, expression: str) -> Any:
        out = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        return out.get("result", {}).get("value")

    def close(self) -> None:
        self.ws.close()


def _devtools_port(profile: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker.exists():
            text = marker.read_text().split()
            if text:
                return int(text[0])
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited early with code {proc.returncode}")
        time.sleep(0.1)
    raise RuntimeError("chromium did not open its DevTools port in time")


def load_page(
    page: Path,
    *,
    screenshot: Path | None = None,
    width: int = 1400,
    settle_seconds: float = 1.0,
    timeout: float = 120.0,
    scripts: tuple[str, ...] = (),
) -> PageReport:
    """Open ``page`` from a file:// URL with the network off; report errors, requests, charts.

    ``scripts`` are JavaScript expressions evaluated in the page after the screenshot, in order
    (promises are awaited); their values are kept in ``results``.
    """
    url = page.resolve().as_uri()
    report = PageReport(url=url)
    profile = Path(tempfile.mkdtemp(prefix="journeys-chromium-"))
    proc = subprocess.Popen(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            f"--window-size={width},1000",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cdp: _Cdp | None = None
    try:
        port = _devtools_port(profile, proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as resp:
            targets = json.loads(resp.read())
        target = next(t for t in targets if t.get("type") == "page")
        cdp = _Cdp(target["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Log", "Network", "Page"):
            cdp.send(f"{domain}.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        start = time.monotonic()
        cdp.send("Page.navigate", {"url": url})
        if cdp.wait_for("Page.loadEventFired", timeout) is None:
            raise RuntimeError(f"{url} did not finish loading in {timeout} s")
        # wait until every plot div has drawn, or until the time runs out
        deadline = time.monotonic() + timeout
        while True:
            state = json.loads(cdp.evaluate(CHECK_JS))
            if state["drawn"] >= state["divs"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        report.load_seconds = time.monotonic() - start
        time.sleep(settle_seconds)
        report.state = json.loads(cdp.evaluate(CHECK_JS))
        if screenshot is not None:
            height = int(report.state["height"])
            cdp.send(
                "Emulation.setDeviceMetricsOverride",
                {
                    "width": width,
                    "height": min(height, 16000),
                    "deviceScaleFactor": 1,
                    "mobile": False,
                },
            )
            time.sleep(settle_seconds)
            shot = cdp.send(
                "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
            )
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            report.screenshot = screenshot
        for script in scripts:
            report.results.append(cdp.evaluate(script))
        cdp.send("Runtime.evaluate", {"expression": "0"})  # flush pending events
        for event in cdp.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
                report.console_errors.append(
                    " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
                )
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                report.exceptions.append(
                    details.get("exception", {}).get("description") or details.get("text", "")
                )
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                report.log_errors.append(params["entry"].get("text", ""))
            elif method == "Network.requestWillBeSent":
                report.requests.append(params["request"]["url"])
            elif method == "Network.loadingFailed":
                report.failed_requests.append(params.get("errorText", ""))
    finally:
        if cdp is not None:
            cdp.close()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        shutil.rmtree(profile, ignore_errors=True)
    return report
