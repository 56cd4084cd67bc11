"""The pm4py boundary: a quiet lazy import, conversion to pandas, and error wrapping.

No other module of journeys imports pm4py. pm4py prints a welcome banner (to standard error)
when it is imported from a script's ``__main__``; :func:`pm4py_module` redirects both standard
streams while importing so that the library never writes to the terminal.
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import traceback
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Final

import polars as pl

from journeys.exceptions import DependencyError, MiningError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PM4PY_ACTIVITY",
    "PM4PY_CASE",
    "PM4PY_TIMESTAMP",
    "engine_errors",
    "pm4py_module",
    "to_pm4py_frame",
]

logger = logging.getLogger(__name__)

#: The column names pm4py expects by default (XES attribute keys).
PM4PY_CASE: Final = "case:concept:name"
PM4PY_ACTIVITY: Final = "concept:name"
PM4PY_TIMESTAMP: Final = "time:timestamp"

_MODULE: list[ModuleType] = []


def pm4py_module() -> ModuleType:
    """Import pm4py once, silently, and return the module.

    The banner is suppressed by redirecting standard output and error during the import
    (pm4py has no switch for it). Progress bars are switched off per call with pm4py's
    ``show_progress_bar`` parameter, so no environment variable is changed.
    """
    if _MODULE:
        return _MODULE[0]
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            import pm4py
    except ImportError as error:  # pragma: no cover - pm4py is a declared dependency
        raise DependencyError(
            "Process mining needs pm4py, which could not be imported "
            f"({error}). Install it with: pip install 'pm4py>=2.7.23,<2.8'"
        ) from error
    module: ModuleType = pm4py
    _MODULE.append(module)
    return module


@contextlib.contextmanager
def engine_errors(what: str) -> Iterator[None]:
    """Run pm4py quietly; turn any exception it raises into :class:`MiningError` naming ``what``.

    pm4py's tqdm progress bars default to its module setting ``SHOW_PROGRESS_BAR``; it is
    switched off for the duration of the call and restored afterwards. Deprecation warnings that
    pm4py's own code triggers in numpy are ignored during the call.
    """
    pm4py_module()
    from pm4py.util import constants

    previous = constants.SHOW_PROGRESS_BAR
    constants.SHOW_PROGRESS_BAR = False
    try:
        with warnings.catch_warnings():
            # pm4py uses numpy.matrix and other deprecated APIs; those warnings are pm4py's to fix
            # (and under "-W error" they would silently turn its soundness checks to False)
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            yield
    except MiningError:
        raise
    except Exception as error:
        _close_leaked_files(error)
        raise MiningError(
            f"pm4py failed while {what}: {type(error).__name__}: {error}. Check that the log "
            "has the case, activity and timestamp columns you named and that the model is a "
            "sound workflow net (one initial and one final place)."
        ) from error
    finally:
        constants.SHOW_PROGRESS_BAR = previous


def _close_leaked_files(error: BaseException) -> None:
    """pm4py's XML readers leave a file open when parsing fails; close it without a warning.

    The open file is a local variable of pm4py's finished frames: clearing those frames' locals
    releases it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        traceback.clear_frames(error.__traceback__)
        gc.collect()


def to_pm4py_frame(ordered: pl.DataFrame) -> pd.DataFrame:
    """Convert an ordered ``(case, activity, timestamp)`` frame to pm4py's pandas layout.

    ``ordered`` must have exactly the three columns, in that order, already sorted by case and
    timestamp (as :func:`journeys.mining._frames.order_events` returns them). The case id is cast
    to text, as ``pm4py.format_dataframe`` does.
    """
    case, activity, timestamp = ordered.columns
    frame = ordered.select(
        pl.col(case).cast(pl.String).alias(PM4PY_CASE),
        pl.col(activity).alias(PM4PY_ACTIVITY),
        pl.col(timestamp).alias(PM4PY_TIMESTAMP),
    )
    return frame.to_pandas()
