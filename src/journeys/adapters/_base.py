"""The reader protocol shared by every source kind, and small helpers for readers."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Protocol

import polars as pl

from journeys import schema
from journeys.exceptions import SourceError

__all__ = [
    "ROW",
    "Batch",
    "Reader",
    "numbered",
    "paused_gc",
    "quarantine_frame",
    "require_file",
    "slices",
]

#: The name of the row-number column every reader adds to its batches (1-based).
ROW: Final = "__row__"


@dataclass(frozen=True)
class Batch:
    """Rows read from a source.

    ``data`` holds the parsed rows with a :data:`ROW` column; ``rejected`` holds rows the reader
    could not even split into columns (broken quoting), in the :data:`schema.QUARANTINE` schema.
    Every row read is in exactly one of the two.
    """

    data: pl.DataFrame
    rejected: pl.DataFrame = field(default_factory=lambda: schema.empty(schema.QUARANTINE))

    @property
    def read(self) -> int:
        """Rows read in this batch: parsed plus rejected."""
        return self.data.height + self.rejected.get_column(schema.ROW).n_unique()


class Reader(Protocol):
    """One implementation per source kind.

    ``columns`` lists the source's column names without reading its rows where the format
    allows it, so that a mapping naming a missing column fails before any data is read.
    ``batches`` yields the rows in order, in chunks.
    """

    where: str

    def columns(self) -> list[str] | None:
        """The source's column names (None when an empty source cannot name them)."""
        ...

    def batches(self) -> Iterator[Batch]:
        """The source's rows, in chunks, with a :data:`ROW` column."""
        ...


def require_file(path: Path, *, kind: str) -> Path:
    """Raise :class:`SourceError` naming ``path`` and a fix when it is not a readable file."""
    if not path.exists():
        raise SourceError(
            f"The {kind} source {path} does not exist; check source.path in the mapping "
            "(it is relative to the mapping file)"
        )
    if kind != "fhir" and path.is_dir():
        raise SourceError(f"The {kind} source {path} is a folder; point source.path at a file")
    return path


def quarantine_frame(
    source: str, rows: list[int], reasons: list[str], *, column: str | None = None
) -> pl.DataFrame:
    """Quarantine records with no value (used for structural problems)."""
    return pl.DataFrame(
        {
            schema.SOURCE: [source] * len(rows),
            schema.ROW: rows,
            schema.COLUMN: [column] * len(rows),
            schema.REASON: reasons,
            schema.VALUE: [None] * len(rows),
        },
        schema=schema.QUARANTINE,
    )


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a reader builds many small objects.

    Reference counting still frees everything that is not in a cycle; the collector is
    switched back on (when it was on) at the end, even after an error.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def numbered(frame: pl.DataFrame, *, first: int = 1) -> pl.DataFrame:
    """``frame`` with a leading :data:`ROW` column counting from ``first`` (a header row
    before the data makes it 2)."""
    return frame.with_row_index(ROW, offset=first).with_columns(pl.col(ROW).cast(pl.Int64))


def slices(frame: pl.DataFrame, size: int) -> Iterator[Batch]:
    """A source read whole, as batches of ``size`` rows (one empty batch for no rows)."""
    if frame.height == 0:
        yield Batch(frame)
        return
    for start in range(0, frame.height, size):
        yield Batch(frame.slice(start, size))
