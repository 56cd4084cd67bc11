"""Input checks shared by the figure builders."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from journeys.exceptions import DataError

__all__ = ["collect", "require_columns"]


def collect(data: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """An eager frame (builders draw every row, so they collect once)."""
    return data.collect() if isinstance(data, pl.LazyFrame) else data


def require_columns(frame: pl.DataFrame, columns: Sequence[str], who: str) -> None:
    """Raise :class:`DataError` naming every missing column of a builder's input table."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{who}: column(s) {missing} not found; the table has {frame.columns}. "
            f"It needs {list(columns)} (see journeys.reports.columns)."
        )
