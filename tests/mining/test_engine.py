"""pm4py stays behind journeys.mining: imported lazily and silently."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )


def test_importing_journeys_mining_does_not_import_pm4py() -> None:
    done = _run("import sys, journeys, journeys.mining; print('pm4py' in sys.modules)")
    assert done.stdout.strip() == "False"


def test_pm4py_banner_is_silenced_even_from_main() -> None:
    # pm4py prints its banner when imported from a script's __main__; this code is __main__
    done = _run(
        "from journeys.mining._engine import pm4py_module\n"
        "import sys\n"
        "sys.modules.pop('pm4py', None)\n"
        "m = pm4py_module()\n"
        "print(m.__name__)\n"
    )
    assert done.stdout.strip() == "pm4py"
    assert "Welcome" not in done.stderr
    assert "PM4Py" not in done.stderr
    banner = _run("import pm4py")  # the control: pm4py's own banner exists
    assert "PM4Py" in banner.stderr
