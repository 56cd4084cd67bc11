"""journeys: reconstruct what happens to people whose care crosses several organisations.

The public surface is small and re-exported from facade modules; importing journeys does not
import pm4py or change any global state.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from journeys._logging import enable_logging
from journeys.exceptions import JourneysError, JourneysWarning

try:
    __version__ = version("journeys")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["JourneysError", "JourneysWarning", "__version__", "enable_logging"]
