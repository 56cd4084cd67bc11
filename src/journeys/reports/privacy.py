"""Check an output folder for identifiers: the last line of defence before anything is shared.

:func:`scan_for_identifiers` reads every file under a folder (text, CSV, JSON, HTML, logs,
Parquet, gzip and zip members) and looks for the names, dates of birth (in many formats),
postcodes (with or without the space), national ids and agency-local references of an
identities table. Matching is by lookup in sets built from the identities, so a scan is
linear in the size of the folder:

* a single given or family name is reported when it is a whole field (a CSV cell, a JSON
  string, an HTML cell, a Parquet value), so that an ordinary word in prose ("one lane per
  agency") does not count as the surname "Lane"; a full name (given + family, either order)
  is reported anywhere;
* dates of birth, postcodes, national ids and references are reported anywhere they occur as
  a token, ignoring case and separators (``SW1A 1AA`` = ``sw1a1aa``, ``943 476 5919`` =
  ``9434765919``).

The embedded plotly.js bundle is skipped (it is third-party code, not data).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import itertools
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import polars as pl

from journeys.exceptions import DataError, SourceError
from journeys.schema import (
    DATE_OF_BIRTH,
    FAMILY_NAME,
    GIVEN_NAME,
    NATIONAL_ID,
    PERSON_REF,
    POSTCODE,
)

__all__ = ["CHART_VOCABULARY", "Finding", "IdentifierKind", "scan_for_identifiers"]

logger = logging.getLogger(__name__)

IdentifierKind = Literal[
    "name", "full_name", "date_of_birth", "postcode", "national_id", "person_ref"
]

_FIELD: Final = re.compile(r"[^\t\n\r,;|<>\"\[\]{}\\]+")
_WORD: Final = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_DATES: Final = (
    re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"),
    re.compile(r"(?<!\d)\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?!\d)"),
    # a compact date is a token of its own, not eight digits inside a hex pseudonym
    re.compile(r"(?<![0-9A-Za-z])\d{8}(?![0-9A-Za-z])"),
    re.compile(r"(?<!\d)\d{1,2}\s+[A-Za-z]{3,9}\.?,?\s+\d{4}"),
    re.compile(r"[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}"),
)
_POSTCODE: Final = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}(?![A-Za-z0-9])"
)
_TOKEN: Final = re.compile(r"[A-Za-z0-9]+(?:[-_/.][A-Za-z0-9]+)*")
_DIGIT_GROUPS: Final = re.compile(r"(?<![\dA-Za-z])\d+(?:[ -]\d+)+(?![\dA-Za-z])")
_SEPARATORS: Final = re.compile(r"[\s\-_/.]")
#: Words that charts write as values (colour names, mostly) and that are also surnames: a bare
#: field equal to one of these is not reported (a full name still is).
CHART_VOCABULARY: Final = frozenset(
    {
        "white",
        "black",
        "green",
        "brown",
        "gray",
        "grey",
        "pink",
        "gold",
        "silver",
        "olive",
        "coral",
        "rose",
        "violet",
        "orange",
        "lime",
        "navy",
        "teal",
        "red",
        "blue",
        "purple",
        "ivory",
        "salmon",
        "tan",
        "linen",
        "snow",
        "wheat",
        "peru",
        "khaki",
        "crimson",
    }
)
_DATE_FORMATS: Final = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y%m%d",
    "%d%m%Y",
    "%m/%d/%Y",
    "%Y/%m/%d",
    "%d/%m/%y",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%b %d %Y",
    "%Y.%m.%d",
)


@dataclass(frozen=True)
class Finding:
    """One identifier found in an output file.

    ``hint`` masks the value (first character and length) so that reporting a finding does
    not itself disclose it.
    """

    path: Path
    kind: IdentifierKind
    location: str
    hint: str


def _mask(value: str) -> str:
    return f"{value[:1]}{'*' * (len(value) - 1)} ({len(value)} chars)"


def _norm(value: str) -> str:
    return _SEPARATORS.sub("", value).casefold()


def _date_strings(day: dt.date) -> set[str]:
    out = {day.strftime(f).casefold() for f in _DATE_FORMATS}
    d, m, y = day.day, day.month, day.year
    month, mon = day.strftime("%B").casefold(), day.strftime("%b").casefold()
    out |= {
        f"{d}/{m}/{y}",
        f"{d}-{m}-{y}",
        f"{d}.{m}.{y}",
        f"{m}/{d}/{y}",
        f"{y}-{m}-{d}",
        f"{d} {month} {y}",
        f"{d} {mon} {y}",
        f"{month} {d} {y}",
        f"{mon} {d} {y}",
    }
    return out


@dataclass
class _Index:
    names: dict[str, str]
    full_names: set[tuple[str, str]]
    dobs: set[str]
    postcodes: set[str]
    national_ids: set[str]
    refs: set[str]


def _build_index(
    identities: pl.DataFrame, *, min_ref_length: int, ignore_values: Iterable[str]
) -> _Index:
    ignored = {v.casefold().strip() for v in ignore_values} | CHART_VOCABULARY

    def strings(col: str) -> list[str]:
        if col not in identities.columns:
            return []
        values = identities.get_column(col).cast(pl.String).drop_nulls().to_list()
        return [v.strip() for v in values if v and v.strip()]

    names: dict[str, str] = {}
    for col in (GIVEN_NAME, FAMILY_NAME):
        for v in strings(col):
            key = v.casefold()
            if len(key) >= 2 and key not in ignored:
                names[key] = v
    full: set[tuple[str, str]] = set()
    if GIVEN_NAME in identities.columns and FAMILY_NAME in identities.columns:
        for given, family in identities.select(GIVEN_NAME, FAMILY_NAME).iter_rows():
            if given and family:
                g = tuple(w.casefold() for w in _WORD.findall(given))
                f = tuple(w.casefold() for w in _WORD.findall(family))
                if g and f:
                    full.add((g[-1], f[0]))
                    full.add((f[-1], g[0]))
    dobs: set[str] = set()
    if DATE_OF_BIRTH in identities.columns:
        born = identities.get_column(DATE_OF_BIRTH)
        if born.dtype == pl.String:
            born = born.str.to_date(strict=False)
        for day in born.cast(pl.Date).drop_nulls().to_list():
            dobs |= _date_strings(day)
    postcodes = {_norm(v) for v in strings(POSTCODE) if len(_norm(v)) >= 5}
    national = {_norm(v) for v in strings(NATIONAL_ID) if len(_norm(v)) >= min_ref_length}
    refs = {_norm(v) for v in strings(PERSON_REF) if len(_norm(v)) >= min_ref_length}
    short = sum(1 for v in strings(PERSON_REF) if len(_norm(v)) < min_ref_length)
    if short:
        logger.warning(
            "%d person_ref value(s) shorter than %d characters cannot be told apart from "
            "ordinary numbers and are not scanned for",
            short,
            min_ref_length,
        )
    return _Index(names, full, dobs, postcodes - {""}, national, refs)


def _is_tag(text: str, pos: int) -> bool:
    """True when the field at ``pos`` is an HTML/XML tag name (``<head>``, ``</main>``)."""
    return text[pos - 1 : pos] == "<" or text[pos - 2 : pos] == "</"


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _scan_text(text: str, index: _Index, where: str) -> Iterator[tuple[IdentifierKind, str, str]]:
    """Yield (kind, location, value) for every identifier in ``text``."""
    if index.names:
        for m in _FIELD.finditer(text):
            key = m.group().strip().strip("'").casefold()
            if key in index.names and not _is_tag(text, m.start()):
                yield "name", f"{where}line {_line(text, m.start())}", m.group().strip()
    if index.full_names:
        words = [(m.group().casefold(), m.start()) for m in _WORD.finditer(text)]
        for (a, start), (b, _) in itertools.pairwise(words):
            if (a, b) in index.full_names:
                yield "full_name", f"{where}line {_line(text, start)}", f"{a} {b}"
    if index.dobs:
        for pattern in _DATES:
            for m in pattern.finditer(text):
                cand = re.sub(r"\s+", " ", m.group().casefold()).replace(",", "")
                cand = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", cand)
                variants = {cand}
                if re.search("[a-z]", cand):
                    variants.add(cand.replace(".", ""))
                if variants & index.dobs:
                    yield "date_of_birth", f"{where}line {_line(text, m.start())}", m.group()
    if index.postcodes:
        for m in _POSTCODE.finditer(text):
            if _norm(m.group()) in index.postcodes:
                yield "postcode", f"{where}line {_line(text, m.start())}", m.group()
    if index.national_ids or index.refs:
        cands = [(m.group(), m.start()) for m in _TOKEN.finditer(text)]
        cands += [(m.group(), m.start()) for m in _DIGIT_GROUPS.finditer(text)]
        for token, start in cands:
            keys = {_norm(token), *(_norm(p) for p in _SEPARATORS.split(token))}
            for key in keys:
                if key in index.national_ids:
                    yield "national_id", f"{where}line {_line(text, start)}", token
                    break
                if key in index.refs:
                    yield "person_ref", f"{where}line {_line(text, start)}", token
                    break


def _parquet_texts(path: Path) -> Iterator[tuple[str, str]]:
    frame = pl.read_parquet(path)
    for name in frame.columns:
        col = frame.get_column(name)
        if col.dtype == pl.Binary:
            continue  # encodings: keyed hashes, not identifiers
        try:
            values = col.cast(pl.String).drop_nulls().to_list()
        except pl.exceptions.PolarsError:
            values = [str(v) for v in col.drop_nulls().to_list()]
        yield f"column '{name}' ", "\n".join(values)
    yield "column names ", "\n".join(frame.columns)


def _file_texts(path: Path, ignore_text: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        yield from _parquet_texts(path)
        return
    data = path.read_bytes()
    if suffix == ".gz":
        data = gzip.decompress(data)
    if suffix in {".zip", ".xlsx", ".docx"} or data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                text = archive.read(member).decode("utf-8", errors="replace")
                yield f"member {member} ", text
        return
    text = data.decode("utf-8", errors="replace")
    for skip in ignore_text:
        if skip and skip in text:
            text = text.replace(skip, "")
    yield "", text


def _default_ignore() -> tuple[str, ...]:
    from plotly.offline import get_plotlyjs

    return (get_plotlyjs(),)


def scan_for_identifiers(
    folder: str | Path,
    identities: pl.DataFrame | pl.LazyFrame,
    *,
    min_ref_length: int = 5,
    ignore_values: Iterable[str] = (),
    ignore_text: Iterable[str] | None = None,
) -> list[Finding]:
    """Every identifier of ``identities`` found in any file under ``folder``.

    Parameters
    ----------
    folder
        The output folder to scan (recursively; every file).
    identities
        The identities table (see :data:`journeys.schema.IDENTITIES`): ``given_name``,
        ``family_name``, ``date_of_birth``, ``postcode``, ``national_id`` and
        ``person_ref`` are used where present.
    min_ref_length
        References and national ids shorter than this (after removing separators) are not
        looked for: they cannot be told apart from ordinary numbers. A warning is logged.
    ignore_values
        Names that are also ordinary vocabulary of the output (e.g. an activity called
        "Review") and must not count as names when they stand alone. Colour names that
        charts write (:data:`CHART_VOCABULARY`: "white", "green", ...) are always ignored
        as bare fields; full names containing them are still reported.
    ignore_text
        Large known texts to skip (default: the plotly.js bundle).

    Returns
    -------
    list[Finding]
        Empty when the folder is clean. Values in findings are masked.

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl, datetime as dt
    >>> ids = pl.DataFrame({"given_name": ["Ada"], "family_name": ["Quist"],
    ...                     "date_of_birth": [dt.date(1950, 4, 3)], "postcode": ["LS1 4AP"],
    ...                     "person_ref": ["GP-000917"]})
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "out.csv").write_text("agency,ref,born\\ngp,gp000917,03/04/1950\\n")
    >>> sorted(f.kind for f in scan_for_identifiers(d, ids))
    ['date_of_birth', 'person_ref']
    """
    root = Path(folder)
    if not root.is_dir():
        raise SourceError(
            f"scan_for_identifiers: folder '{root}' does not exist or is not a folder"
        )
    frame = identities.collect() if isinstance(identities, pl.LazyFrame) else identities
    if frame.is_empty():
        raise DataError(
            "scan_for_identifiers: the identities table has no rows; nothing to scan for"
        )
    index = _build_index(frame, min_ref_length=min_ref_length, ignore_values=ignore_values)
    skip = tuple(ignore_text) if ignore_text is not None else _default_ignore()
    findings: list[Finding] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            texts = list(_file_texts(path, skip))
        except (OSError, ValueError, zipfile.BadZipFile, pl.exceptions.PolarsError) as err:
            raise SourceError(
                f"scan_for_identifiers: could not read '{path}' ({type(err).__name__}); "
                "remove or fix the file"
            ) from err
        for where, text in texts:
            for kind, location, value in _scan_text(text, index, where):
                findings.append(Finding(path, kind, location, _mask(value)))
    logger.info("scanned %s: %d finding(s)", root, len(findings))
    return findings
