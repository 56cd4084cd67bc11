"""Reader for SQL databases (SQLite, PostgreSQL, MariaDB/MySQL) through SQLAlchemy.

Rows are streamed from a server-side cursor in chunks of ``chunk_size``, so a large table never
sits in memory twice. A SQLite table whose columns all have plain declared types is read in one
columnar pass by connectorx instead (the same values, see :meth:`SqlReader._sqlite_columnar`).
The password never appears in a mapping: it is read from the environment variable the mapping
names in ``password_env``.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import connectorx as cx
import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine.processors import str_to_date, str_to_datetime

from journeys.adapters._base import ROW, Batch, slices
from journeys.exceptions import SourceError

__all__ = ["SqlReader", "engine_for"]

logger = logging.getLogger(__name__)


def engine_for(url: str, *, password_env: str | None = None, base: Path | None = None) -> sa.Engine:
    """A SQLAlchemy engine for ``url``; a relative SQLite path is resolved against ``base``.

    Examples
    --------
    >>> engine_for("sqlite://").dialect.name
    'sqlite'
    """
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise SourceError(
            f"source.url '{_redact(url)}' is not a database URL; "
            "write it like postgresql+psycopg://user@host/db"
        ) from None
    if password_env:
        password = os.environ.get(password_env)
        if password is None:
            raise SourceError(
                f"The environment variable {password_env} (source.password_env) is not set; "
                "export it with the database password before running"
            )
        parsed = parsed.set(password=password)
    if parsed.get_backend_name() == "sqlite" and parsed.database and base is not None:
        db = Path(parsed.database)
        if not db.is_absolute():
            parsed = parsed.set(database=str(base / db))
        if not Path(parsed.database or "").exists():
            raise SourceError(
                f"The SQLite database {parsed.database} does not exist; check source.url"
            )
    try:
        # no pool: every connection closes when its block ends, nothing lingers after a run
        return sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    except (sa.exc.ArgumentError, ImportError) as error:
        raise SourceError(
            f"Cannot use the database URL {parsed.render_as_string(hide_password=True)}: {error}"
        ) from None


class SqlReader:
    """A table or a query of a SQL database."""

    def __init__(
        self,
        url: str,
        *,
        source: str,
        table: str | None = None,
        query: str | None = None,
        password_env: str | None = None,
        base: Path | None = None,
        chunk_size: int = 100_000,
    ) -> None:
        self.url = url
        self.source = source
        self.table = table
        self.query = query
        self.password_env = password_env
        self.base = base
        self.chunk_size = chunk_size
        safe = sa.make_url(url).render_as_string(hide_password=True) if url else url
        self.where = f"table '{table}' of {safe}" if table else f"the query of {safe}"
        self._engine: sa.Engine | None = None

    def _connect(self) -> sa.Engine:
        if self._engine is None:
            self._engine = engine_for(self.url, password_env=self.password_env, base=self.base)
        return self._engine

    def _selectable(self, engine: sa.Engine) -> Any:
        if self.table is not None:
            return sa.Table(self.table, sa.MetaData(), autoload_with=engine)
        return sa.text(self.query or "")

    def columns(self) -> list[str]:
        """Column names, read from the database catalogue or a zero-row query."""
        engine = self._connect()
        try:
            if self.table is not None:
                names = [c["name"] for c in sa.inspect(engine).get_columns(self.table)]
                if not names:
                    raise sa.exc.NoSuchTableError(self.table)
                return names
            with engine.connect() as conn:
                result = conn.execute(sa.text(f"SELECT * FROM ({self.query}) AS q WHERE 1 = 0"))
                return list(result.keys())
        except sa.exc.NoSuchTableError:
            tables = sa.inspect(engine).get_table_names()
            from journeys.adapters.mapping import did_you_mean

            raise SourceError(
                f"There is no table '{self.table}' in {self.where}."
                f"{did_you_mean(self.table or '', tables)} "
                f"(tables: {', '.join(tables[:20])})"
            ) from None
        except sa.exc.SQLAlchemyError as error:
            raise SourceError(
                f"Cannot read {self.where}: {_short(error)}; check source.url and source.query"
            ) from None

    def batches(self) -> Iterator[Batch]:
        """Rows in chunks from a streaming cursor."""
        engine = self._connect()
        names = self.columns()
        if engine.dialect.name == "sqlite":
            whole = self._sqlite_columnar(engine, names)
            if whole is None:
                yield from self._sqlite_batches(engine, names)
                return
            # the row number last, as the row-by-row reader adds it
            rows = pl.int_range(1, whole.height + 1, dtype=pl.Int64).alias(ROW)
            yield from slices(whole.with_columns(rows), self.chunk_size)
            return
        row = 1
        try:
            with engine.connect() as conn:
                if self.table is not None:
                    stmt: Any = sa.select(sa.Table(self.table, sa.MetaData(), autoload_with=conn))
                else:
                    stmt = sa.text(self.query or "")
                result = conn.execution_options(
                    stream_results=True, yield_per=self.chunk_size
                ).execute(stmt)
                emitted = False
                for part in result.partitions(self.chunk_size):
                    frame = pl.DataFrame(
                        [tuple(r) for r in part],
                        schema=names,
                        orient="row",
                        infer_schema_length=None,
                    )
                    frame = frame.with_columns(
                        pl.int_range(row, row + frame.height, dtype=pl.Int64, eager=True).alias(ROW)
                    )
                    row += frame.height
                    emitted = True
                    yield Batch(frame)
                if not emitted:
                    yield Batch(
                        pl.DataFrame(schema={**dict.fromkeys(names, pl.String), ROW: pl.Int64})
                    )
        except sa.exc.SQLAlchemyError as error:
            raise SourceError(f"Cannot read {self.where}: {_short(error)}") from None

    def _sqlite_columnar(self, engine: sa.Engine, names: list[str]) -> pl.DataFrame | None:
        """The whole table in one columnar read by connectorx, or None where that does not apply.

        It applies to a table (not a query) of a SQLite file whose columns all have one of the
        declared types in :data:`_COLUMNAR_TYPES`: for those, connectorx returns the values
        SQLAlchemy's result processors give (tested column type by column type). A value it
        cannot read as its column's declared type (text in an INTEGER column, a date in a
        DATETIME column that ``datetime.fromisoformat`` would still take) makes it fail, and
        the table is read row by row instead, so nothing changes but the speed. A table of
        more than :data:`COLUMNAR_MAX_ROWS` rowids is streamed row by row, in chunks. Two
        connections read the two halves of the rowid range at once; rows come out in rowid
        order, the order of a plain table scan.
        """
        database = engine.url.database
        if self.table is None or not database or database == ":memory:" or engine.url.query:
            return None
        path = Path(database).resolve()
        table = _quoted(self.table)
        try:
            with engine.connect() as conn:
                declared = conn.exec_driver_sql(f"PRAGMA table_info({table})").fetchall()
                span = conn.exec_driver_sql(
                    f"SELECT max(rowid) - min(rowid) + 1 FROM {table}"
                ).scalar()
        except sa.exc.SQLAlchemyError:  # no rowid (WITHOUT ROWID), or not readable: row by row
            return None
        columns = [row[1] for row in declared]
        if (
            span is None  # an empty table: the row-by-row reader's all-text columns
            or span > COLUMNAR_MAX_ROWS  # held whole in memory: a larger table is streamed
            or columns != names
            or not all(_COLUMNAR_TYPES.match(str(row[2]).strip()) for row in declared)
            or {c.lower() for c in columns} & {"rowid", "_rowid_", "oid", _ROWID}
        ):
            return None
        sql = f"SELECT rowid AS {_ROWID}, {', '.join(map(_quoted, columns))} FROM {table}"
        try:
            # connectorx 0.4.6 opens a partitioned read at the percent-encoded path, so a path
            # with a space or a non-ASCII letter is read in one part
            parts = 2 if quote(str(path)) == str(path) else None
            arrow = cx.read_sql(
                f"sqlite://{path}",
                sql,
                return_type="arrow",
                partition_on=_ROWID if parts else None,
                partition_num=parts,
            )
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # connectorx panics are BaseExceptions
            # the message may quote a cell; only the kind of failure is logged
            logger.debug(
                "%s: columnar read failed (%s); reading row by row",
                self.where,
                type(error).__name__,
            )
            return None
        frame = pl.from_arrow(arrow)
        if not isinstance(frame, pl.DataFrame) or frame.is_empty():
            return None
        # a column with no value at all has no type in the row-by-row read either
        empty = [c for c in frame.columns if frame.get_column(c).null_count() == frame.height]
        return frame.sort(_ROWID).drop(_ROWID).with_columns(pl.col(empty).cast(pl.Null))

    def _sqlite_batches(self, engine: sa.Engine, names: list[str]) -> Iterator[Batch]:
        """Rows in chunks straight from the ``sqlite3`` cursor, skipping SQLAlchemy's row objects.

        The values are the ones SQLAlchemy would return: each column's result processor (the
        DATETIME/DATE/NUMERIC/BOOLEAN conversions SQLAlchemy's SQLite dialect applies to a
        reflected table) is applied to the column; a query gets none, as through SQLAlchemy.
        """
        row = 1
        try:
            with engine.connect() as conn:
                processors: list[tuple[int, Any]] = []
                if self.table is not None:
                    table = sa.Table(self.table, sa.MetaData(), autoload_with=conn)
                    sql = str(sa.select(table).compile(dialect=conn.dialect))
                    for i, column in enumerate(table.columns):
                        impl = column.type.dialect_impl(conn.dialect)
                        process = impl.result_processor(conn.dialect, None)
                        if process is not None:
                            processors.append((i, process))
                else:
                    sql = str(sa.text(self.query or "").compile(dialect=conn.dialect))
                raw = conn.connection.driver_connection
                if raw is None:  # pragma: no cover - a live connection always has one
                    msg = "no DBAPI connection"
                    raise sa.exc.InvalidRequestError(msg)
                cursor = raw.cursor()
                try:
                    cursor.execute(sql)
                    emitted = False
                    while rows := cursor.fetchmany(self.chunk_size):
                        frame = pl.DataFrame(
                            rows, schema=names, orient="row", infer_schema_length=None
                        )
                        if processors:
                            frame = frame.with_columns(
                                _processed(
                                    frame.get_column(names[i]), map(itemgetter(i), rows), process
                                )
                                for i, process in processors
                            )
                        frame = frame.with_columns(
                            pl.int_range(row, row + frame.height, dtype=pl.Int64, eager=True).alias(
                                ROW
                            )
                        )
                        row += frame.height
                        emitted = True
                        yield Batch(frame)
                finally:
                    cursor.close()
                if not emitted:
                    yield Batch(
                        pl.DataFrame(schema={**dict.fromkeys(names, pl.String), ROW: pl.Int64})
                    )
        except (sa.exc.SQLAlchemyError, sqlite3.Error) as error:
            raise SourceError(f"Cannot read {self.where}: {_short(error)}") from None


#: SQLite declared types that connectorx reads exactly as SQLAlchemy does (NUMERIC and DECIMAL,
#: which SQLAlchemy returns as Decimal, and untyped columns are not among them)
_COLUMNAR_TYPES: Final = re.compile(
    r"^(TEXT|INTEGER|INT|BIGINT|REAL|FLOAT|DOUBLE|DATETIME|TIMESTAMP|DATE|TIME|BOOLEAN|BLOB"
    r"|(VAR)?CHAR\s*\(\s*\d+\s*\))$",
    re.IGNORECASE,
)
_ROWID: Final = "__journeys_rowid__"
#: The largest rowid span read in one columnar pass (the table is held whole: about 0.5 GB for
#: the demo's 7.3 million GP appointments of seven columns); a larger table is streamed row by row
COLUMNAR_MAX_ROWS: Final = 20_000_000


def _quoted(name: str) -> str:
    """A SQL identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def _processed(column: pl.Series, raw: Iterable[Any], process: Any) -> pl.Series:
    """``column`` (``raw`` values from the cursor) through SQLAlchemy's result processor.

    The new column's type is inferred exactly as for a whole chunk of rows (a one-column
    row-oriented frame), so the batch is the one SQLAlchemy's rows would have given. Text in
    SQLAlchemy's own DATETIME and DATE storage formats is parsed by polars instead of row by row
    (the same values as ``datetime.fromisoformat`` / ``date.fromisoformat``, which SQLAlchemy
    calls); anything else goes through the processor itself.
    """
    if column.dtype == pl.String and process in (str_to_datetime, str_to_date):
        fast = _iso_parsed(column, dates=process is str_to_date)
        if fast is not None:
            return fast
    try:
        values = list(zip(map(process, raw), strict=True))
    except (TypeError, ValueError):
        # a value SQLAlchemy cannot convert (a number or a non-date in a DATETIME column): the
        # column stays text, and the mapping quarantines each row it cannot parse, by row number
        return column.cast(pl.String)
    return pl.DataFrame(
        values, schema=[column.name], orient="row", infer_schema_length=None
    ).to_series()


#: ``YYYY-MM-DD`` and ``YYYY-MM-DD HH:MM:SS[.ffffff]`` with every field in range: the forms
#: SQLAlchemy writes.
_ISO_DATE: Final = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
_ISO_DATETIME: Final = _ISO_DATE + r" ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{6})?"


def _iso_parsed(column: pl.Series, *, dates: bool) -> pl.Series | None:
    """``column`` parsed as dates or naive microsecond datetimes, or None unless all fit."""
    values = column.drop_nulls()
    pattern = f"^{_ISO_DATE if dates else _ISO_DATETIME}$"
    fits = values.str.contains(pattern) & ~values.str.starts_with("0000")  # no year 0
    if values.is_empty() or not bool(fits.all()):
        return None
    try:
        if dates:
            return column.str.to_date("%Y-%m-%d", strict=True)
        return column.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=True)
    except pl.exceptions.PolarsError:  # e.g. 31 February: let fromisoformat raise its error
        return None


def _short(error: Exception) -> str:
    """The driver's first line, with quoted values masked: a driver may quote the cell that
    failed (a date of birth), and messages must never carry identifier values."""
    first = str(error).split("\n", 1)[0][:300]
    return re.sub(r"(['\"])(?:(?!\1).)*\1", r"\1…\1", first)


def _redact(url: str) -> str:
    """A database URL with any password replaced by ***."""
    return re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", url)
