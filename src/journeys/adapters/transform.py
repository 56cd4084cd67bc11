"""Apply a mapping to a batch of source rows: canonical events, identities and quarantine.

Each canonical column is derived with one polars expression; a second expression per column
says why a row cannot be loaded (a reason string) or is null. A row with any reason goes to
quarantine, one record per problem, and is not loaded. Values of identifier columns are never
copied into quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from journeys import schema
from journeys.adapters._base import ROW, Batch
from journeys.adapters.mapping import (
    DATE_COLUMNS,
    TIME_COLUMNS,
    ColumnSpec,
    Filter,
    Mapping,
)

__all__ = ["Mapped", "apply_mapping"]

_VALUE_CHARS: Final = 200
_ISO_AWARE: Final = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z")
_ISO_NAIVE: Final = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
_REQUIRED: Final = (
    schema.PERSON_REF,
    schema.EVENT_ID,
    schema.ACTIVITY,
    schema.SERVICE,
    schema.START,
)
_OUT: Final = "__v_"
_WHY: Final = "__p_"
_RAW: Final = "__r_"


@dataclass(frozen=True)
class Mapped:
    """The result of mapping one batch."""

    events: pl.DataFrame
    identities: pl.DataFrame
    quarantine: pl.DataFrame
    read: int
    filtered: int
    rows: pl.Series


def apply_mapping(batch: Batch, mapping: Mapping) -> Mapped:
    """Map ``batch`` with ``mapping``; every row read is loaded, quarantined or filtered out.

    Examples
    --------
    >>> import polars as pl
    >>> from journeys.adapters.mapping import parse_mapping
    >>> m = parse_mapping({"agency": "ae", "source": {"kind": "csv", "path": "x.csv"},
    ...     "events": {"person_ref": "id", "activity": "what", "start": {"column": "when",
    ...                "format": "%d/%m/%Y %H:%M"}, "service": {"constant": "emergency_care"}}})
    >>> rows = pl.DataFrame({"id": ["1", "2"], "what": ["Arrive", "Arrive"],
    ...     "when": ["01/07/2024 10:00", "31/02/2024 10:00"], "__row__": [2, 3]})
    >>> out = apply_mapping(Batch(rows), m)
    >>> out.events.height, out.quarantine.height
    (1, 1)
    """
    frame = batch.data
    read = frame.height
    keep = _filter_expr(mapping.filters)
    if keep is not None:
        frame = frame.filter(keep)
    filtered = read - frame.height
    read += batch.rejected.get_column(schema.ROW).n_unique()

    if frame.height == 0:  # nothing to map (and polars panics on empty 'ambiguous' columns)
        return Mapped(
            schema.empty(schema.EVENTS),
            schema.empty(schema.IDENTITIES),
            batch.rejected,
            read,
            filtered,
            pl.Series(ROW, [], dtype=pl.Int64),
        )
    targets = _targets(mapping)
    stages: Stages = [[] for _ in range(_NUM_STAGES)]
    parts_of = [_column_exprs(t, spec, frame.schema, mapping) for t, spec in targets.items()]
    if mapping.codes is not None:
        parts_of.append(_code_exprs(mapping))
    for staged in parts_of:
        for i, exprs in enumerate(staged):
            stages[i] += exprs
    lazy = frame.lazy()
    for exprs in stages:
        if exprs:
            lazy = lazy.with_columns(exprs)
    work = lazy.collect()
    if schema.END in targets and schema.START in targets:
        work = work.with_columns(
            pl.when(
                pl.col(_WHY + schema.END).is_null()
                & (pl.col(_OUT + schema.END) < pl.col(_OUT + schema.START))
            )
            .then(pl.lit("the event ends before it starts; check the end and start columns"))
            .otherwise(pl.col(_WHY + schema.END))
            .alias(_WHY + schema.END)
        )
    names = list(targets) + ([schema.ACTIVITY, schema.SERVICE] if mapping.codes else [])
    why_cols = [_WHY + n for n in names]
    bad = (
        pl.any_horizontal([pl.col(c).is_not_null() for c in why_cols])
        if why_cols
        else pl.lit(False)
    )
    work = work.with_columns(bad.alias("__bad__"))

    identifier_targets = set(mapping.identifiers) | {schema.PERSON_REF}
    secret_sources = mapping.identifier_source_columns()
    parts = [batch.rejected]
    for name in names:
        cols = _source_label(name, targets.get(name), mapping)
        secret = name in identifier_targets or bool(set(cols.split("+")) & secret_sources)
        part = work.filter(pl.col(_WHY + name).is_not_null()).select(
            pl.lit(mapping.name).alias(schema.SOURCE),
            pl.col(ROW).cast(pl.Int64).alias(schema.ROW),
            pl.lit(cols).alias(schema.COLUMN),
            pl.col(_WHY + name).alias(schema.REASON),
            (
                pl.lit(None, dtype=pl.String)
                if secret
                else pl.col(_RAW + name).str.slice(0, _VALUE_CHARS)
            ).alias(schema.VALUE),
        )
        parts.append(part)
    quarantine = pl.concat(parts, how="vertical").sort(schema.ROW, maintain_order=True)

    good = work.filter(~pl.col("__bad__"))
    event_cols = []
    for col, dtype in schema.EVENTS.items():
        if col == schema.AGENCY:
            expr = pl.lit(mapping.agency, dtype=pl.String)
        elif col == schema.EVENT_ID and col not in targets:
            expr = pl.format("{}:{}", pl.lit(mapping.name), pl.col(ROW))
        elif col in names:
            expr = pl.col(_OUT + col)
        else:
            expr = pl.lit(None)
        event_cols.append(expr.cast(dtype).alias(col))
    events = good.select(event_cols) if mapping.table == "events" else schema.empty(schema.EVENTS)
    id_cols = []
    for col, dtype in schema.IDENTITIES.items():
        if col == schema.AGENCY:
            expr = pl.lit(mapping.agency, dtype=pl.String)
        elif col in mapping.identifiers or col == schema.PERSON_REF:
            expr = pl.col(_OUT + col)
        else:
            expr = pl.lit(None)
        id_cols.append(expr.cast(dtype).alias(col))
    identities = good.select(id_cols).unique(schema.PERSON_REF, keep="first", maintain_order=True)
    return Mapped(
        events, identities, quarantine, read, filtered, good.get_column(ROW).cast(pl.Int64)
    )


def _targets(mapping: Mapping) -> dict[str, ColumnSpec]:
    return {**mapping.events, **mapping.identifiers}


def _source_label(name: str, spec: ColumnSpec | None, mapping: Mapping) -> str:
    if spec is None:
        return mapping.codes.column if mapping.codes is not None else name
    cols = spec.source_columns() if spec.constant is None else []
    if isinstance(spec.ambiguous, ColumnSpec):
        cols = cols[: len(cols) - len(spec.ambiguous.source_columns())]
    return "+".join(cols) if cols else name


def _raw(spec: ColumnSpec, frame_schema: pl.Schema) -> pl.Expr:
    if spec.constant is not None:
        return pl.lit(spec.constant, dtype=pl.String)
    if spec.column is not None:
        return _as_text(spec.column, frame_schema)
    return pl.concat_str([_as_text(c, frame_schema) for c in spec.concat], separator=spec.separator)


def _as_text(column: str, frame_schema: pl.Schema) -> pl.Expr:
    dtype = frame_schema.get(column)
    expr = pl.col(column)
    if dtype == pl.String:
        return expr
    if dtype is not None and dtype.is_float():
        # 12.0 -> "12": integer codes that passed through a float column read back as written
        return (
            pl.when(expr == expr.round(0))
            .then(expr.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(expr.cast(pl.String))
        )
    return expr.cast(pl.String)


def _clean(expr: pl.Expr, *, strip: bool = True) -> pl.Expr:
    """Empty text becomes null; event columns are also trimmed. Identifiers stay verbatim:
    their spacing and case are evidence for linkage, which normalises them itself."""
    text = expr.str.strip_chars() if strip else expr
    return pl.when(text.str.strip_chars() == "").then(None).otherwise(text)


def _c(kind: str, target: str) -> str:
    """The name of an intermediate column (``kind`` is one letter) for ``target``."""
    return f"__{kind}_{target}"


Stages = list[list[pl.Expr]]
_NUM_STAGES: Final = 4


def _map_values(expr: pl.Expr, spec: ColumnSpec) -> pl.Expr:
    if spec.map is None:
        return expr
    keys = list(spec.map)
    values = [spec.map[k] for k in keys]
    default = pl.lit(spec.fallback, dtype=pl.String) if spec.fallback is not None else None
    return expr.replace_strict(keys, values, default=default, return_dtype=pl.String)


def _unknown(expr: pl.Expr, spec: ColumnSpec) -> pl.Expr:
    """True where a value map without a fallback does not know the value."""
    if spec.map is None or spec.fallback is not None:
        return pl.lit(False)
    return expr.is_not_null() & ~expr.is_in(list(spec.map))


def _column_exprs(
    target: str, spec: ColumnSpec, frame_schema: pl.Schema, mapping: Mapping
) -> Stages:
    """Expressions in stages; each stage only reads columns made by earlier stages.

    Staging keeps every expression shallow, so that a parsed time is computed once rather than
    once per reference (polars does not share sub-expressions inside when/then chains).
    """
    raw = _raw(spec, frame_schema)
    source_dtype = frame_schema.get(spec.column) if spec.column is not None else None
    secret = target in mapping.identifiers
    stages: Stages = [[] for _ in range(_NUM_STAGES)]
    text, value, naive = pl.col(_c("c", target)), pl.col(_OUT + target), pl.col(_c("n", target))
    stages[0].append(raw.cast(pl.String).alias(_RAW + target))
    temporal = source_dtype is not None and source_dtype.is_temporal()
    required = target in _REQUIRED and (mapping.table == "events" or target == schema.PERSON_REF)
    checks: list[tuple[pl.Expr, str]] = []
    if target in TIME_COLUMNS:
        if temporal:
            col = pl.col(spec.column or "")
            stages[0].append(col.cast(pl.String).alias(_c("c", target)))
            if isinstance(source_dtype, pl.Datetime) and source_dtype.time_zone is not None:
                aware = col.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
                stages[1] += [
                    aware.alias(_c("a", target)),
                    pl.lit(None, dtype=pl.Datetime("us")).alias(_c("n", target)),
                ]
            else:
                stages[1] += [
                    pl.lit(None, dtype=schema.TIMESTAMP).alias(_c("a", target)),
                    col.cast(pl.Datetime("us")).alias(_c("n", target)),
                ]
            described = "a date and time"
        else:
            stages[0].append(_map_values(_clean(raw), spec).alias(_c("c", target)))
            stages[1] += _parse_time(text, spec.format, target)
            fmt = spec.format
            described = f"the format '{fmt}'" if fmt else "ISO 8601 (like 2024-07-01T10:00:00)"
        stages[1].append(_ambiguous(spec, frame_schema).alias(_c("m", target)))
        local = naive.dt.replace_time_zone(
            mapping.timezone, ambiguous=pl.col(_c("m", target)), non_existent="null"
        ).dt.convert_time_zone("UTC")
        stages[2].append(pl.coalesce(pl.col(_c("a", target)), local).alias(_OUT + target))
        checks += [
            (
                naive.is_not_null() & value.is_null(),
                f"the local time does not exist or is ambiguous in {mapping.timezone} (clocks "
                "changing); correct it or set 'ambiguous' for this column",
            ),
            (
                text.is_not_null() & value.is_null(),
                f"could not parse the time with {described}; fix the value or the format",
            ),
        ]
    elif target in DATE_COLUMNS:
        if temporal:
            col = pl.col(spec.column or "")
            parsed = col.dt.date() if isinstance(source_dtype, pl.Datetime) else col.cast(pl.Date)
            stages[0].append(col.cast(pl.String).alias(_c("c", target)))
            stages[1].append(parsed.alias(_OUT + target))
        else:
            stages[0].append(_clean(raw).alias(_c("c", target)))
            formats = [spec.format] if spec.format else ["%Y-%m-%d", "%d/%m/%Y"]
            parsed = pl.coalesce([text.str.strptime(pl.Date, f, strict=False) for f in formats])
            stages[1].append(parsed.alias(_OUT + target))
        described = f"the format '{spec.format}'" if spec.format else "%Y-%m-%d"
        checks.append(
            (
                text.is_not_null() & value.is_null(),
                f"could not parse the date with {described}; fix the value or the format",
            )
        )
    else:
        stages[0].append(_clean(raw, strip=not secret).alias(_c("c", target)))
        stages[1].append(_map_values(text, spec).alias(_OUT + target))
        stages[1].append(_unknown(text, spec).alias(_c("u", target)))
        checks.append(
            (pl.col(_c("u", target)), "unknown code; add it to the map or give a fallback")
        )
    if required:
        checks.append(
            (value.is_null(), f"missing required value for '{target}'; fill it in the source")
        )
    if target == schema.SERVICE:
        checks.append(
            (
                ~value.is_in(schema.SERVICES),
                "not a service; map it to one of " + ", ".join(schema.SERVICES),
            )
        )
    if target == schema.SEX:
        checks.append((~value.is_in(schema.SEXES), "sex must be F, M or X; add a map"))
    stages[3].append(_why(checks).alias(_WHY + target))
    return stages


def _why(checks: list[tuple[pl.Expr, str]]) -> pl.Expr:
    """The first reason whose condition holds, or null."""
    if not checks:
        return pl.lit(None, dtype=pl.String)
    (cond, reason), *rest = checks
    chain: Any = pl.when(cond.fill_null(False)).then(pl.lit(reason))
    for cond, reason in rest:
        chain = chain.when(cond.fill_null(False)).then(pl.lit(reason))
    result: pl.Expr = chain.otherwise(pl.lit(None, dtype=pl.String))
    return result


def _parse_time(text: pl.Expr, fmt: str | None, target: str) -> list[pl.Expr]:
    """Aware (UTC) and naive parses of ``text``; exactly one is set where parsing works."""
    none_aware = pl.lit(None, dtype=schema.TIMESTAMP)
    none_naive = pl.lit(None, dtype=pl.Datetime("us"))
    if fmt is not None and any(z in fmt for z in ("%z", "%:z", "%#z", "%Z")):
        aware = text.str.strptime(pl.Datetime("us", "UTC"), fmt, strict=False)
        return [aware.alias(_c("a", target)), none_naive.alias(_c("n", target))]
    if fmt is not None:
        naive = text.str.strptime(pl.Datetime("us"), fmt, strict=False)
        return [none_aware.alias(_c("a", target)), naive.alias(_c("n", target))]
    aware = pl.coalesce(
        [text.str.strptime(pl.Datetime("us", "UTC"), f, strict=False) for f in _ISO_AWARE]
    )
    naive = pl.coalesce([text.str.strptime(pl.Datetime("us"), f, strict=False) for f in _ISO_NAIVE])
    return [aware.alias(_c("a", target)), naive.alias(_c("n", target))]


def _ambiguous(spec: ColumnSpec, frame_schema: pl.Schema) -> pl.Expr:
    amb = spec.ambiguous
    if isinstance(amb, str):
        return pl.lit(amb, dtype=pl.String)
    return _map_values(_clean(_raw(amb, frame_schema)), amb).fill_null("earliest")


def _code_exprs(mapping: Mapping) -> Stages:
    codes = mapping.codes
    assert codes is not None
    raw = pl.col(codes.column).cast(pl.String)
    code = pl.col(_c("c", schema.ACTIVITY))
    keys = list(codes.codes)
    fallback = codes.fallback
    stages: Stages = [[] for _ in range(_NUM_STAGES)]
    stages[0] += [
        raw.alias(_RAW + schema.ACTIVITY),
        raw.alias(_RAW + schema.SERVICE),
        _clean(raw).alias(_c("c", schema.ACTIVITY)),
    ]
    for i, target in enumerate((schema.ACTIVITY, schema.SERVICE)):
        values = [codes.codes[k][i] for k in keys]
        default = pl.lit(fallback[i], dtype=pl.String) if fallback is not None else None
        value = code.replace_strict(keys, values, default=default, return_dtype=pl.String)
        stages[1].append(value.alias(_OUT + target))
    checks: list[tuple[pl.Expr, str]] = []
    if fallback is None:
        checks = [
            (code.is_null(), f"missing code in '{codes.column}'; fill it or give a fallback"),
            (
                ~code.is_in(keys),
                f"unknown code in '{codes.column}'; add it to codes.map or give a codes.fallback",
            ),
        ]
    # one record per bad code, filed under activity
    stages[3] += [
        _why(checks).alias(_WHY + schema.ACTIVITY),
        pl.lit(None, dtype=pl.String).alias(_WHY + schema.SERVICE),
    ]
    return stages


def _filter_expr(filters: tuple[Filter, ...]) -> pl.Expr | None:
    if not filters:
        return None
    exprs: list[pl.Expr] = []
    for f in filters:
        col = pl.col(f.column)
        numeric = isinstance(f.value, int | float) and not isinstance(f.value, bool)
        text = col.cast(pl.String).str.strip_chars()
        lhs = col.cast(pl.Float64, strict=False) if numeric else text
        rhs = f.value if numeric else (None if f.value is None else str(f.value))
        if f.op == "==":
            e = lhs == rhs
        elif f.op == "!=":
            e = (lhs != rhs) | lhs.is_null()
        elif f.op == "in":
            e = text.is_in([str(v) for v in f.value])
        elif f.op == "not_in":
            e = ~text.is_in([str(v) for v in f.value]) | text.is_null()
        elif f.op == "is_null":
            e = col.is_null() | (text == "")
        elif f.op == "not_null":
            e = col.is_not_null() & (text != "")
        elif f.op == ">":
            e = lhs > rhs
        elif f.op == ">=":
            e = lhs >= rhs
        elif f.op == "<":
            e = lhs < rhs
        else:
            e = lhs <= rhs
        exprs.append(e.fill_null(False))
    return pl.all_horizontal(exprs)
