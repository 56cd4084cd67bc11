"""A fast XES reader (.xes and .xes.gz) that gives the same table as ``pm4py.read_xes``.

XES (IEEE 1849) is XML in which every attribute is a one-line element such as
``<string key="concept:name" value="A_SUBMITTED"/>``. Instead of building a DOM, or calling back
into Python per element, the reader puts one tag on each line and lets polars classify all lines
at once in vectorised, multi-threaded string kernels: running counts of ``<trace>`` and
``<event>`` tags number the traces and events, a running nesting depth skips nested attributes,
and a pivot turns (event, key, value) rows into columns. Files that do not have the regular
shape the fast path relies on (single-quoted attributes, values spanning lines) are read with
``lxml.etree.iterparse`` instead; both paths give the same result.

The output follows pm4py's conventions: event attributes keep their keys, trace attributes are
prefixed ``case:``, ``date`` attributes become UTC datetimes, ``int``/``float``/``boolean``
attributes become numbers and booleans, and events keep file order.
"""

from __future__ import annotations

import gzip
import html
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import polars as pl

from journeys.adapters._base import ROW, Batch, numbered, require_file, slices
from journeys.exceptions import SourceError

__all__ = ["XesReader", "read_xes"]

logger = logging.getLogger(__name__)

_ATTR_TAGS: Final = ("string", "date", "int", "float", "boolean", "id", "list", "container")
_DATE_FORMATS: Final = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.fZ", "%Y-%m-%dT%H:%M:%S%.f")
_TRACE_NO: Final = "__trace__"
_EVENT_NO: Final = "__event__"


def _load(path: Path) -> bytes:
    require_file(path, kind="xes")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise SourceError(
                f"{path} is a damaged gzip file ({error}); download or export it again"
            ) from None
    if not raw.strip():
        raise SourceError(f"The XES file {path} is empty; export the log again")
    if not raw.rstrip().endswith(b"</log>") and b"</log>" not in raw[-4096:]:
        raise SourceError(
            f"The XES file {path} is truncated (it does not end with </log>); "
            "copy or export the whole file again"
        )
    return raw


def read_xes(path: str | Path) -> pl.DataFrame:
    """Read an XES event log into a polars frame, one row per event, in file order.

    Parameters
    ----------
    path
        A ``.xes`` or ``.xes.gz`` file.

    Returns
    -------
    polars.DataFrame
        The columns pm4py's ``read_xes`` gives: ``case:concept:name``, ``concept:name``,
        ``time:timestamp`` (UTC) and every other event attribute, trace attributes prefixed
        ``case:``.

    Examples
    --------
    >>> from tests.conftest import SHARED_DATA  # doctest: +SKIP
    >>> log = read_xes(SHARED_DATA / "event_logs/running-example.xes.gz")  # doctest: +SKIP
    >>> log.height  # doctest: +SKIP
    42
    """
    file = Path(path)
    raw = _load(file)
    attrs = _fast_attributes(raw)
    if attrs is None:
        logger.info("%s: irregular XES layout, using the lxml reader", file)
        attrs = _slow_attributes(raw, file)
    return _assemble(attrs)


def _fast_attributes(raw: bytes) -> pl.DataFrame | None:
    """(trace, event, in_event, tag, key, value) rows of top-level attributes, or None."""
    start = raw.find(b"<trace")
    if start < 0:
        return None
    text = raw[start:].replace(b"><", b">\n<")
    try:
        lines = pl.read_csv(
            text,
            has_header=False,
            separator="\x1f",
            quote_char=None,
            new_columns=["l"],
            schema={"l": pl.String},
            empty_string_is_null=False,
        )
    except pl.exceptions.PolarsError:
        return None
    line = pl.col("l")
    is_open_attr = pl.col("is_attr") & ~pl.col("close") & ~pl.col("self")
    space = line.str.find(" ", literal=True)
    # tags are ASCII, so byte offsets from find() and character offsets of slice() agree
    tag = line.str.slice(1, pl.coalesce(space, line.str.len_bytes() - 1) - 1).str.strip_chars_end(
        "/"
    )
    frame = (
        lines.lazy()
        .select(line.str.strip_chars())
        .filter(line.str.len_bytes() > 0)
        .with_columns(
            tag.alias("tag"),
            line.str.ends_with("/>").alias("self"),
            line.str.starts_with("<").alias("lt"),
        )
        .with_columns(
            pl.col("tag").str.starts_with("/").alias("close"),
            pl.col("tag").str.strip_chars_start("/").alias("tag"),
        )
        .with_columns(pl.col("tag").is_in(_ATTR_TAGS).alias("is_attr"))
        .with_columns(
            (pl.col("tag").eq("trace") & ~pl.col("close")).cum_sum().alias(_TRACE_NO),
            (pl.col("tag").eq("trace") & pl.col("close")).cum_sum().alias("trace_closed"),
            (pl.col("tag").eq("event") & ~pl.col("close")).cum_sum().alias(_EVENT_NO),
            (pl.col("tag").eq("event") & pl.col("close")).cum_sum().alias("event_closed"),
            (
                (
                    is_open_attr.cast(pl.Int32)
                    - (pl.col("is_attr") & pl.col("close")).cast(pl.Int32)
                ).cum_sum()
                - is_open_attr.cast(pl.Int32)
            ).alias("depth"),
        )
        .filter(
            (
                pl.col("is_attr")
                & ~pl.col("close")
                & (pl.col("depth") == 0)
                & (pl.col(_TRACE_NO) > pl.col("trace_closed"))
            )
            | ~pl.col("lt")
        )
        # <string key="K" value="V"/>: split on the quotes (a raw quote cannot occur inside)
        .with_columns(
            line.str.split_exact('"', 4)
            .struct.rename_fields(["head", "key", "mid", "value", "tail"])
            .alias("parts"),
            (pl.col(_EVENT_NO) > pl.col("event_closed")).alias("in_event"),
        )
        .unnest("parts")
        .with_columns(
            (
                pl.col("tag").is_in(["list", "container"])
                | (
                    pl.col("head").str.ends_with(" key=")
                    & (pl.col("mid").str.strip_chars() == "value=")
                    & pl.col("value").is_not_null()
                )
            ).alias("shaped")
        )
        .select(_TRACE_NO, _EVENT_NO, "in_event", "tag", "key", "value", "lt", "shaped")
        .collect()
    )
    if not frame.get_column("lt").all() or not frame.get_column("shaped").all():
        return None
    attrs_df = frame.drop("lt", "shaped")
    escaped = attrs_df.get_column("value").str.contains("&", literal=True).fill_null(False)
    if escaped.any():
        attrs_df = attrs_df.with_columns(
            pl.when(escaped)
            .then(pl.col("value").map_elements(html.unescape, return_dtype=pl.String))
            .otherwise(pl.col("value"))
            .alias("value")
        )
    return attrs_df.filter(~pl.col("tag").is_in(["list", "container"]))


def _slow_attributes(raw: bytes, path: Path) -> pl.DataFrame:
    from lxml import etree  # type: ignore[import-untyped]

    rows: dict[str, list[Any]] = {
        k: [] for k in (_TRACE_NO, _EVENT_NO, "in_event", "tag", "key", "value")
    }
    trace_no = event_no = 0
    stack: list[str] = []
    try:
        import io

        for action, element in etree.iterparse(
            io.BytesIO(raw), events=("start", "end"), recover=False
        ):
            tag = etree.QName(element).localname
            if action == "start":
                if tag == "trace":
                    trace_no += 1
                elif tag == "event":
                    event_no += 1
                parent_attr = bool(stack) and stack[-1] in _ATTR_TAGS
                stack.append(tag)
                in_trace = "trace" in stack
                if (
                    tag in _ATTR_TAGS
                    and in_trace
                    and not parent_attr
                    and tag not in ("list", "container")
                ):
                    rows[_TRACE_NO].append(trace_no)
                    rows[_EVENT_NO].append(event_no)
                    rows["in_event"].append("event" in stack[:-1])
                    rows["tag"].append(tag)
                    rows["key"].append(element.get("key"))
                    rows["value"].append(element.get("value"))
            else:
                stack.pop()
                if tag in ("event", "trace"):
                    element.clear()
    except etree.XMLSyntaxError as error:
        raise SourceError(
            f"{path} is not well-formed XES/XML ({error}); repair the file or export it again"
        ) from None
    return pl.DataFrame(
        rows,
        schema={
            _TRACE_NO: pl.UInt32,
            _EVENT_NO: pl.UInt32,
            "in_event": pl.Boolean,
            "tag": pl.String,
            "key": pl.String,
            "value": pl.String,
        },
    )


def _parse_dates(values: pl.Series) -> pl.Series:
    """XES dates to UTC; the usual layout first, the rare ones only for what is left."""
    out = values.str.strptime(pl.Datetime("us", "UTC"), _DATE_FORMATS[0], strict=False)
    if out.null_count() > values.null_count():
        others = pl.select(
            pl.coalesce(
                values.str.strptime(pl.Datetime("us", "UTC"), _DATE_FORMATS[1], strict=False),
                values.str.strptime(
                    pl.Datetime("us"), _DATE_FORMATS[2], strict=False
                ).dt.replace_time_zone("UTC"),
            )
        ).to_series()
        out = out.fill_null(others)
    return out.alias(values.name)


def _typed(frame: pl.DataFrame, kinds: dict[str, str]) -> pl.DataFrame:
    exprs: list[pl.Expr | pl.Series] = []
    for name, kind in kinds.items():
        if name not in frame.columns:
            continue
        col = pl.col(name)
        if kind == "date":
            exprs.append(_parse_dates(frame.get_column(name)))
        elif kind == "int":
            exprs.append(col.cast(pl.Int64, strict=False))
        elif kind == "float":
            exprs.append(col.cast(pl.Float64, strict=False))
        elif kind == "boolean":
            exprs.append(
                col.str.to_lowercase().replace_strict(
                    {"true": True, "false": False}, default=None, return_dtype=pl.Boolean
                )
            )
    return frame.with_columns(exprs) if exprs else frame


def _kinds(attrs: pl.DataFrame) -> dict[str, str]:
    per_key = attrs.group_by("key").agg(pl.col("tag").unique())
    return {k: t[0] for k, t in per_key.iter_rows() if len(t) == 1}


def _assemble(attrs: pl.DataFrame) -> pl.DataFrame:
    events = attrs.filter(pl.col("in_event"))
    traces = attrs.filter(~pl.col("in_event"))
    if events.height == 0:
        return pl.DataFrame(
            schema={
                "case:concept:name": pl.String,
                "concept:name": pl.String,
                "time:timestamp": pl.Datetime("us", "UTC"),
            }
        )
    wide = events.pivot(
        on="key",
        index=[_EVENT_NO, _TRACE_NO],
        values="value",
        aggregate_function="first",
        sort_columns=False,
    )
    wide = _typed(wide.sort(_EVENT_NO), _kinds(events))
    if traces.height:
        case = traces.pivot(
            on="key",
            index=_TRACE_NO,
            values="value",
            aggregate_function="first",
            sort_columns=False,
        )
        case = _typed(case, _kinds(traces))
        case = case.rename({c: f"case:{c}" for c in case.columns if c != _TRACE_NO})
        wide = wide.join(case, on=_TRACE_NO, how="left", maintain_order="left")
    return wide.drop(_EVENT_NO, _TRACE_NO)


class XesReader:
    """An XES log as rows of events (``ROW`` is the event's position in the file, from 1)."""

    def __init__(self, path: Path, *, source: str, chunk_size: int = 100_000) -> None:
        self.path = path
        self.where = path.name
        self.source = source
        self.chunk_size = chunk_size
        self._frame: pl.DataFrame | None = None

    def _read(self) -> pl.DataFrame:
        if self._frame is None:
            log = read_xes(self.path)
            self._frame = numbered(log)
        return self._frame

    def columns(self) -> list[str]:
        """The attribute keys of the log (``case:`` prefixed for trace attributes)."""
        return [c for c in self._read().columns if c != ROW]

    def batches(self) -> Iterator[Batch]:
        """Events in chunks."""
        yield from slices(self._read(), self.chunk_size)
