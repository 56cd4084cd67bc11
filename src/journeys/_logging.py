"""One helper to switch the library's logging on; the library itself stays quiet."""

from __future__ import annotations

import logging

__all__ = ["enable_logging"]

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def enable_logging(level: int | str = logging.INFO) -> logging.Handler:
    """Send journeys' log records to standard error at ``level``.

    Returns the handler so that a caller can remove it again.

    Examples
    --------
    >>> import journeys
    >>> handler = journeys.enable_logging("WARNING")
    >>> logging.getLogger("journeys").removeHandler(handler)
    """
    logger = logging.getLogger("journeys")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler


logging.getLogger("journeys").addHandler(logging.NullHandler())
