"""``journeys demo`` at its default size (20,000 people), end to end, in a fresh process.

Target (issue 7): under 2 minutes on the 2-core reference machine. The demo has one size, so
CI runs this at its real size.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks._sizes import run_measured

pytestmark = pytest.mark.benchmark


def test_demo_time_and_peak_memory(tmp_path: Path) -> None:
    code = "from journeys.cli import main\nassert main(['demo', '--out', {out!r}]) == 0\n"
    seconds, peak_mb = run_measured(code.format(out=str(tmp_path)))
    print(f"\njourneys demo (20,000 people): {seconds:.1f} s, peak {peak_mb:.0f} MB")
    assert (tmp_path / "pack" / "index.html").is_file()
    assert seconds < 120
