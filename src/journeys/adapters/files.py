"""Readers for file extracts: CSV, Parquet, JSON, NDJSON and Excel workbooks.

The CSV reader takes a fast path through polars and checks that every physical line of the file
is accounted for; when polars refuses the file (broken quoting, ragged rows) or the count does not
add up, it re-reads the file line by line, keeps every record it can split and quarantines the
lines it cannot, so that no row is ever lost.
"""

from __future__ import annotations

import csv
import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Final, Literal

import polars as pl

from journeys.adapters._base import (
    ROW,
    Batch,
    numbered,
    quarantine_frame,
    require_file,
    slices,
)
from journeys.exceptions import SourceError

__all__ = ["CsvReader", "ExcelReader", "JsonReader", "ParquetReader"]

logger = logging.getLogger(__name__)

_BOM: Final = b"\xef\xbb\xbf"
#: How many following lines a record with an unclosed quote may span before it is given up.
_MAX_SPAN: Final = 200


class CsvReader:
    """Delimited text in UTF-8 or Windows-1252, any single-character delimiter and quote.

    ``ROW`` is the line number where the record starts (the header is line 1).
    """

    def __init__(
        self,
        path: Path,
        *,
        source: str,
        delimiter: str = ",",
        quote: str | None = '"',
        encoding: str = "utf-8",
        chunk_size: int = 100_000,
    ) -> None:
        self.path = path
        self.where = path.name
        self.source = source
        self.delimiter = delimiter
        self.quote = quote
        self.encoding = encoding
        self.chunk_size = chunk_size
        self._text: bytes | None = None

    def _bytes(self) -> bytes:
        if self._text is not None:
            return self._text
        require_file(self.path, kind="csv")
        raw = self.path.read_bytes()
        if not raw.strip():
            raise SourceError(
                f"The CSV file {self.path} is empty (no header row); export it again with a "
                "header line naming the columns"
            )
        if self.encoding == "windows-1252":
            try:
                raw = raw.decode("cp1252").encode("utf-8")
            except UnicodeDecodeError as error:
                line = raw.count(b"\n", 0, error.start) + 1
                raise SourceError(
                    f"The CSV file {self.path} is not Windows-1252 text (line {line}, byte "
                    f"{error.start} is undefined there); check the file's encoding and set "
                    "source.encoding to match"
                ) from None
        else:
            raw = raw.removeprefix(_BOM)
        self._text = raw
        return raw

    def _check_utf8(self, raw: bytes) -> None:
        """Raise :class:`SourceError` naming the first line that is not UTF-8 (if any)."""
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as error:
            line = raw.count(b"\n", 0, error.start) + 1
            raise SourceError(
                f"The CSV file {self.path} is not valid UTF-8 (line {line}, byte "
                f"{error.start}); set 'encoding: windows-1252' under source in the mapping, "
                "or export the file as UTF-8"
            ) from None

    def columns(self) -> list[str]:
        """The header row's column names."""
        text = self._bytes()
        head = text.split(b"\n", 1)[0].rstrip(b"\r")
        self._check_utf8(head)
        first = head.decode("utf-8")
        try:
            header = next(
                csv.reader(
                    [first],
                    delimiter=self.delimiter,
                    quotechar=self.quote or '"',
                    quoting=csv.QUOTE_MINIMAL if self.quote else csv.QUOTE_NONE,
                )
            )
        except (csv.Error, StopIteration) as error:
            raise SourceError(f"The header row of {self.path} cannot be read: {error}") from None
        return [h.strip() for h in header]

    def batches(self) -> Iterator[Batch]:
        """Rows in chunks; rows that cannot be split come back in ``Batch.rejected``."""
        text = self._bytes()
        names = self.columns()
        frame = self._fast(text, names)
        if frame is None:
            logger.info("%s: falling back to the line-by-line CSV reader", self.path)
            yield from self._tolerant(text, names)
            return
        yield from slices(frame, self.chunk_size)

    def _fast(self, text: bytes, names: list[str]) -> pl.DataFrame | None:
        if len(set(names)) != len(names):
            return None
        try:
            frame = pl.read_csv(
                text,
                separator=self.delimiter,
                quote_char=self.quote,
                infer_schema=False,
                has_header=True,
                new_columns=names,
                empty_string_is_null=False,
                raise_if_empty=False,
            )
        except (pl.exceptions.PolarsError, OSError) as error:
            logger.debug("polars could not read %s: %s", self.path, error)
            self._check_utf8(text)  # the one failure a line-by-line reading cannot mend
            return None
        if frame.width != len(names):
            return None
        newlines = [
            pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in frame.columns
        ]
        embedded = (
            frame.select(pl.sum_horizontal(newlines).alias("n")).get_column("n")
            if frame.height and frame.width
            else pl.Series("n", [0] * frame.height, dtype=pl.UInt32)
        )
        lines = text.count(b"\n") + (0 if text.endswith(b"\n") else 1) - 1
        if frame.height + int(embedded.sum()) != lines:
            return None
        starts = (embedded.cum_sum() - embedded).cast(pl.Int64) + pl.int_range(
            2, frame.height + 2, eager=True
        )
        return frame.with_columns(starts.alias(ROW))

    def _tolerant(self, text: bytes, names: list[str]) -> Iterator[Batch]:
        csv.field_size_limit(sys.maxsize)
        self._check_utf8(text)
        lines = text.decode("utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        quoting: Literal[0, 3] = csv.QUOTE_MINIMAL if self.quote else csv.QUOTE_NONE
        quotechar = self.quote or '"'

        def split(record: str) -> list[str] | None:
            try:
                rows = list(
                    csv.reader(
                        io.StringIO(record, newline=""),
                        delimiter=self.delimiter,
                        quotechar=quotechar,
                        quoting=quoting,
                        strict=True,
                    )
                )
            except csv.Error:
                return None
            if len(rows) != 1 or len(rows[0]) != len(names):
                return None
            return rows[0]

        records: list[list[str]] = []
        row_numbers: list[int] = []
        bad_rows: list[int] = []
        bad_reasons: list[str] = []
        i = 1  # index 0 is the header
        while i < len(lines):
            line = lines[i].removesuffix("\r")
            fields = split(line)
            span = 1
            if fields is None and self.quote and line.count(self.quote) % 2 == 1:
                joined = line
                for extra in range(1, min(_MAX_SPAN, len(lines) - i)):
                    joined += "\n" + lines[i + extra].removesuffix("\r")
                    fields = split(joined)
                    if fields is not None:
                        span = extra + 1
                        break
            if fields is None:
                bad_rows.append(i + 1)
                bad_reasons.append(_why(line, names, self.delimiter, self.quote))
            else:
                records.append(fields)
                row_numbers.append(i + 1)
            i += span
        data = {name: [r[j] for r in records] for j, name in enumerate(names)}
        frame = pl.DataFrame(data, schema=dict.fromkeys(names, pl.String)).with_columns(
            pl.Series(ROW, row_numbers, dtype=pl.Int64)
        )
        rejected = quarantine_frame(self.source, bad_rows, bad_reasons)
        batches = list(slices(frame, self.chunk_size))
        first = batches[0]
        yield Batch(first.data, rejected)
        yield from batches[1:]


def _why(line: str, names: list[str], delimiter: str, quote: str | None) -> str:
    if quote and line.count(quote) % 2 == 1:
        return "broken quoting: an unclosed quote; fix the quote characters in this line"
    fields = line.count(delimiter) + 1
    return (
        f"has {fields} field(s) but the header has {len(names)}; check the delimiter and "
        "quoting of this line"
    )


class ParquetReader:
    """An Apache Parquet file."""

    def __init__(self, path: Path, *, source: str, chunk_size: int = 100_000) -> None:
        self.path = path
        self.where = path.name
        self.source = source
        self.chunk_size = chunk_size

    def columns(self) -> list[str]:
        """The column names from the file's schema (no rows are read)."""
        require_file(self.path, kind="parquet")
        try:
            return pl.scan_parquet(self.path).collect_schema().names()
        except (pl.exceptions.PolarsError, OSError) as error:
            raise SourceError(f"{self.path} is not a readable Parquet file: {error}") from None

    def batches(self) -> Iterator[Batch]:
        """Rows in chunks."""
        self.columns()
        try:
            frame = pl.read_parquet(self.path)
        except (pl.exceptions.PolarsError, OSError) as error:
            raise SourceError(f"{self.path} is not a readable Parquet file: {error}") from None
        frame = numbered(frame)
        yield from slices(frame, self.chunk_size)


class JsonReader:
    """A JSON array of flat objects, or newline-delimited JSON (one object per line)."""

    def __init__(self, path: Path, *, source: str, lines: bool, chunk_size: int = 100_000) -> None:
        self.path = path
        self.where = path.name
        self.source = source
        self.lines = lines
        self.chunk_size = chunk_size
        self._frame: pl.DataFrame | None = None

    def _read(self) -> pl.DataFrame:
        if self._frame is not None:
            return self._frame
        require_file(self.path, kind="ndjson" if self.lines else "json")
        if self.path.read_bytes().strip() in (b"", b"[]"):
            # a valid export of no records: no rows, and no column names to check
            self._frame = pl.DataFrame(schema={ROW: pl.Int64})
            return self._frame
        try:
            # infer types from every record: a column null in the first thousand records
            # (an end time of cases still open) must not be typed Null
            frame = (
                pl.read_ndjson(self.path, infer_schema_length=None)
                if self.lines
                else pl.read_json(self.path, infer_schema_length=None)
            )
        except (pl.exceptions.PolarsError, OSError, ValueError) as error:
            fix = "one JSON object per line" if self.lines else "a JSON array of objects"
            raise SourceError(
                f"{self.path} is not valid {'NDJSON' if self.lines else 'JSON'} ({error}); "
                f"the file must hold {fix}; set source.kind to "
                f"'{'json' if self.lines else 'ndjson'}' if it holds the other form"
            ) from None
        self._frame = numbered(frame)
        return self._frame

    def columns(self) -> list[str] | None:
        """The object keys (None for an export of no records, which names no keys)."""
        frame = self._read()
        if frame.width == 1 and frame.height == 0:
            return None
        return [c for c in frame.columns if c != ROW]

    def batches(self) -> Iterator[Batch]:
        """Rows in chunks."""
        yield from slices(self._read(), self.chunk_size)


class _EmptyColumnNote(logging.Filter):
    """Counts, and keeps off the console, fastexcel's note that an empty column is read as text
    (which is what the adapters want); installed only for the duration of one read."""

    def __init__(self) -> None:
        super().__init__()
        self.columns = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Could not determine dtype"):
            self.columns += 1
            return False
        return True


class ExcelReader:
    """A sheet of an Excel .xlsx workbook (read with fastexcel/calamine).

    ``ROW`` is the spreadsheet row number (the header is row 1).
    """

    def __init__(
        self, path: Path, *, source: str, sheet: str | None = None, chunk_size: int = 100_000
    ) -> None:
        self.path = path
        self.where = f"{path.name}" + (f" sheet '{sheet}'" if sheet else "")
        self.source = source
        self.sheet = sheet
        self.chunk_size = chunk_size
        self._frame: pl.DataFrame | None = None

    def _read(self) -> pl.DataFrame:
        if self._frame is not None:
            return self._frame
        require_file(self.path, kind="excel")
        quiet = _EmptyColumnNote()
        excel_log = logging.getLogger("fastexcel.types.dtype")
        excel_log.addFilter(quiet)
        try:
            if self.sheet is None:
                frame = pl.read_excel(
                    self.path,
                    sheet_id=1,
                    raise_if_empty=False,
                    drop_empty_rows=False,
                    infer_schema_length=None,
                )
            else:
                frame = pl.read_excel(
                    self.path,
                    sheet_name=self.sheet,
                    raise_if_empty=False,
                    drop_empty_rows=False,
                    infer_schema_length=None,
                )
        except Exception as error:
            text = str(error)
            if self.sheet and "sheet" in text.lower():
                raise SourceError(
                    f"{self.path} has no sheet '{self.sheet}'; check source.sheet ({text})"
                ) from None
            raise SourceError(
                f"{self.path} is not a readable .xlsx workbook ({type(error).__name__}: {text}); "
                "save it as Excel .xlsx"
            ) from None
        finally:
            excel_log.removeFilter(quiet)
        if quiet.columns:
            logger.debug("%s: %d empty column(s) read as text", self.path, quiet.columns)
        self._frame = numbered(frame, first=2)
        return self._frame

    def columns(self) -> list[str]:
        """The header row of the sheet."""
        return [c for c in self._read().columns if c != ROW]

    def batches(self) -> Iterator[Batch]:
        """Rows in chunks."""
        yield from slices(self._read(), self.chunk_size)
