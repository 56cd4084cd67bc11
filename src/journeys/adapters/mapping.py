"""The mapping language: one YAML file per source, describing how it becomes canonical tables.

A mapping names the agency, the source (a file, a database table or query), how every canonical
event column is derived from the source's own columns, which columns are identifiers (they go
only to the identities table), the source's time zone and optional row filters. A whole mapping
is validated at once; every problem is reported with the file, the key and, for a misspelt key or
column, a "did you mean" hint (``difflib``).

Example mapping (``adapters/sepsis.yaml``)::

    agency: sepsis_hospital
    source: {kind: csv, path: ../../shared/data/event_logs/sepsis.csv, delimiter: ";"}
    timezone: Europe/Amsterdam
    events:
      person_ref: Case ID
      activity: Activity
      service: {constant: inpatient}
      start: {column: Complete Timestamp, format: "%Y/%m/%d %H:%M:%S%.f"}
      resource: org:group

A column spec is either a source column name (a rename) or a table with exactly one of
``column``, ``concat`` (a list of columns, joined by ``separator``) or ``constant``, and
optionally ``format`` (a chrono/strftime format, for ``start``, ``end`` and
``date_of_birth``), ``map`` (source value -> canonical value) with ``fallback``, and for
timestamps ``ambiguous`` (``earliest``, ``latest``, ``null`` or a column spec whose values are
those words) to settle the repeated hour when clocks go back.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Iterable
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final, Literal, cast, get_args

import yaml

from journeys import schema
from journeys.exceptions import MappingError

__all__ = [
    "CodeMap",
    "ColumnSpec",
    "Filter",
    "FilterOp",
    "Mapping",
    "Source",
    "SourceKind",
    "check_columns",
    "did_you_mean",
    "load_mapping",
    "parse_mapping",
]

SourceKind = Literal["csv", "parquet", "json", "ndjson", "excel", "sql", "xes", "ocel", "fhir"]
FilterOp = Literal["==", "!=", "in", "not_in", "is_null", "not_null", ">", ">=", "<", "<="]
Ambiguous = Literal["earliest", "latest", "null"]
TableKind = Literal["events", "identities"]

SOURCE_KINDS: Final[tuple[str, ...]] = get_args(SourceKind)
FILTER_OPS: Final[tuple[str, ...]] = get_args(FilterOp)
AMBIGUOUS: Final[tuple[str, ...]] = get_args(Ambiguous)
ENCODINGS: Final = ("utf-8", "windows-1252")
_ENCODING_ALIASES: Final = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "cp1252": "windows-1252",
    "windows-1252": "windows-1252",
    "latin-1": "windows-1252",
    "latin1": "windows-1252",
    "iso-8859-1": "windows-1252",
}
#: Canonical event columns a mapping may derive (agency comes from ``agency``).
EVENT_COLUMNS: Final = tuple(c for c in schema.EVENTS.names() if c != schema.AGENCY)
#: Identity columns a mapping may derive (besides person_ref, which comes from ``events``).
IDENTITY_COLUMNS: Final = tuple(
    c for c in schema.IDENTITIES.names() if c not in (schema.AGENCY, schema.PERSON_REF)
)
TIME_COLUMNS: Final = (schema.START, schema.END)
DATE_COLUMNS: Final = (schema.DATE_OF_BIRTH,)
_REQUIRED_EVENTS: Final = (schema.PERSON_REF, schema.START)
_FILE_KINDS: Final = ("csv", "parquet", "json", "ndjson", "excel", "xes", "ocel", "fhir")
_TOP_KEYS: Final = (
    "agency",
    "name",
    "table",
    "source",
    "timezone",
    "events",
    "codes",
    "identifiers",
    "filters",
)
_SOURCE_KEYS: Final = (
    "kind",
    "path",
    "url",
    "password_env",
    "table",
    "query",
    "sheet",
    "delimiter",
    "quote",
    "encoding",
    "object_type",
    "chunk_size",
)
_SPEC_KEYS: Final = (
    "column",
    "concat",
    "separator",
    "constant",
    "format",
    "map",
    "fallback",
    "ambiguous",
)
_CODE_KEYS: Final = ("column", "map", "fallback")
_FILTER_KEYS: Final = ("column", "op", "value")
#: chrono directives accepted in ``format`` (a subset that round-trips through strftime too).
_DIRECTIVE = re.compile(
    r"%(?:[-_0]?[YCymbBhdeaAjHkIlMSpPfzZTDFRrsUWVGgu%nt]|\.?[369]?f|:z|#z|[369]f)"
)
_PASSWORD_IN_URL = re.compile(r"^[a-z0-9+]+://[^:/@]+:[^@]+@", re.IGNORECASE)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``" Did you mean: 'x'?"`` hint for a misspelt ``word``, or ``""`` if nothing is close.

    Examples
    --------
    >>> did_you_mean("admit_dt", ["admit_date", "discharge_date"])
    " Did you mean: 'admit_date'?"
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean: '{close[0]}'?" if close else ""


@dataclass(frozen=True)
class Source:
    """Where a mapping's rows come from.

    ``path`` is relative to the mapping file. ``url`` is a SQLAlchemy URL without a password;
    the password is read from the environment variable named by ``password_env``.
    """

    kind: SourceKind
    path: str | None = None
    url: str | None = None
    password_env: str | None = None
    table: str | None = None
    query: str | None = None
    sheet: str | None = None
    delimiter: str = ","
    quote: str | None = '"'
    encoding: str = "utf-8"
    object_type: str | None = None
    chunk_size: int = 100_000


@dataclass(frozen=True)
class ColumnSpec:
    """How one canonical column is derived from source columns."""

    column: str | None = None
    concat: tuple[str, ...] = ()
    separator: str = ""
    constant: str | None = None
    format: str | None = None
    map: AbcMapping[str, str | None] | None = None
    fallback: str | None = None
    ambiguous: str | ColumnSpec = "earliest"

    def source_columns(self) -> list[str]:
        """The source columns this spec reads."""
        cols = [self.column] if self.column is not None else list(self.concat)
        if isinstance(self.ambiguous, ColumnSpec):
            cols += self.ambiguous.source_columns()
        return cols


@dataclass(frozen=True)
class CodeMap:
    """Local codes in one source column -> canonical ``activity`` and ``service``."""

    column: str
    codes: AbcMapping[str, tuple[str, str]]
    fallback: tuple[str, str] | None = None


@dataclass(frozen=True)
class Filter:
    """Keep only rows where ``column op value`` holds (compared as text unless numeric)."""

    column: str
    op: FilterOp = "=="
    value: Any = None


@dataclass(frozen=True)
class Mapping:
    """A validated mapping: one source of one agency.

    Build one with :func:`load_mapping` (from a YAML file) or :func:`parse_mapping`.
    """

    agency: str
    source: Source
    events: AbcMapping[str, ColumnSpec]
    identifiers: AbcMapping[str, ColumnSpec] = field(default_factory=dict)
    codes: CodeMap | None = None
    timezone: str = "Europe/London"
    filters: tuple[Filter, ...] = ()
    name: str = ""
    table: TableKind = "events"
    origin: str = "<mapping>"
    base: Path = field(default_factory=Path.cwd)

    def source_columns(self) -> list[str]:
        """Every source column the mapping reads, in first-use order, without repeats."""
        cols: list[str] = []
        specs = [*self.events.values(), *self.identifiers.values()]
        for spec in specs:
            cols += spec.source_columns()
        if self.codes is not None:
            cols.append(self.codes.column)
        cols += [f.column for f in self.filters]
        return list(dict.fromkeys(cols))

    def identifier_source_columns(self) -> set[str]:
        """Source columns feeding an identifier: their values never reach quarantine or logs."""
        cols: set[str] = set()
        for spec in self.identifiers.values():
            cols.update(spec.source_columns())
        return cols

    def resolve_path(self) -> Path:
        """The source file, resolved against the folder of the mapping file."""
        if self.source.path is None:  # pragma: no cover - validation guarantees a path
            raise MappingError(self.origin, ["source.path: a path is required"])
        path = Path(self.source.path).expanduser()
        return path if path.is_absolute() else (self.base / path)

    def to_dict(self) -> dict[str, Any]:
        """The mapping as plain data, as it would be written to YAML.

        Examples
        --------
        >>> m = parse_mapping({"agency": "ae", "source": {"kind": "csv", "path": "x.csv"},
        ...     "events": {"person_ref": "id", "activity": {"constant": "A"},
        ...                "service": {"constant": "emergency_care"}, "start": "t"}})
        >>> parse_mapping(m.to_dict()) == m
        True
        """
        src = {
            f.name: getattr(self.source, f.name)
            for f in fields(Source)
            if getattr(self.source, f.name) != f.default
        }
        src["kind"] = self.source.kind
        out: dict[str, Any] = {"agency": self.agency, "source": src}
        if self.name:
            out["name"] = self.name
        if self.table != "events":
            out["table"] = self.table
        if self.timezone != "Europe/London":
            out["timezone"] = self.timezone
        out["events"] = {k: _spec_to_data(v) for k, v in self.events.items()}
        if self.identifiers:
            out["identifiers"] = {k: _spec_to_data(v) for k, v in self.identifiers.items()}
        if self.codes is not None:
            codes: dict[str, Any] = {
                "column": self.codes.column,
                "map": {
                    k: {schema.ACTIVITY: a, schema.SERVICE: s}
                    for k, (a, s) in self.codes.codes.items()
                },
            }
            if self.codes.fallback is not None:
                a, s = self.codes.fallback
                codes["fallback"] = {schema.ACTIVITY: a, schema.SERVICE: s}
            out["codes"] = codes
        if self.filters:
            out["filters"] = [
                {"column": f.column, "op": f.op, "value": f.value} for f in self.filters
            ]
        return out

    def save(self, path: str | Path) -> Path:
        """Write the mapping to a YAML file; :func:`load_mapping` reads it back."""
        target = Path(path)
        target.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True))
        return target


def _spec_to_data(spec: ColumnSpec) -> Any:
    defaults = ColumnSpec()
    data: dict[str, Any] = {}
    for f in fields(ColumnSpec):
        value = getattr(spec, f.name)
        if value == getattr(defaults, f.name):
            continue
        if f.name == "concat":
            value = list(value)
        elif f.name == "map" and value is not None:
            value = dict(value)
        elif f.name == "ambiguous" and isinstance(value, ColumnSpec):
            value = _spec_to_data(value)
        data[f.name] = value
    if list(data) == ["column"]:
        return data["column"]
    return data


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a YAML mapping file; raise :class:`MappingError` with every problem.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "ae.yaml").write_text('''
    ... agency: ae
    ... source: {kind: csv, path: ae.csv}
    ... events: {person_ref: id, activity: act, service: {constant: emergency_care}, start: t}
    ... ''')
    >>> load_mapping(folder / "ae.yaml").agency
    'ae'
    """
    file = Path(path)
    origin = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MappingError(origin, ["the mapping file does not exist; check the path"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise MappingError(origin, [f"cannot read the mapping file: {error}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise MappingError(origin, [f"not valid YAML: {error}"]) from None
    return parse_mapping(data, origin=origin, base=file.resolve().parent, name=file.stem)


def parse_mapping(
    data: Any, *, origin: str = "<mapping>", base: str | Path | None = None, name: str = ""
) -> Mapping:
    """Validate plain data (as loaded from YAML) into a :class:`Mapping`.

    Every problem is collected and raised together as one :class:`MappingError`.

    Examples
    --------
    >>> parse_mapping({"agency": "x"}).agency
    Traceback (most recent call last):
    ...
    journeys.exceptions.MappingError: <mapping> has 2 problem(s):
      - source: required; give a table like {kind: csv, path: extract.csv}
      - events: required; map at least person_ref, start, activity and service
    """
    problems: list[str] = []
    if not isinstance(data, dict):
        raise MappingError(origin, ["the file must hold a YAML table (key: value lines)"])
    _unknown_keys(data, _TOP_KEYS, "", problems)
    agency = data.get("agency")
    if not isinstance(agency, str) or not agency.strip():
        problems.append("agency: required; the agency's short name, like 'ae' or 'police'")
        agency = ""
    source = _parse_source(data.get("source"), problems)
    timezone = data.get("timezone", "Europe/London")
    if not isinstance(timezone, str) or not _valid_zone(timezone):
        hint = did_you_mean(str(timezone), zoneinfo.available_timezones())
        problems.append(
            f"timezone: '{timezone}' is not an IANA time zone like 'Europe/London'.{hint}"
        )
        timezone = "UTC"
    events = _parse_specs(data.get("events"), "events", EVENT_COLUMNS, problems)
    if data.get("events") is None:
        problems.append("events: required; map at least person_ref, start, activity and service")
    identifiers = _parse_specs(
        data.get("identifiers", {}), "identifiers", IDENTITY_COLUMNS, problems
    )
    codes = _parse_codes(data.get("codes"), problems)
    filters = _parse_filters(data.get("filters", []), problems)
    table = data.get("table", "events")
    if table not in ("events", "identities"):
        problems.append(
            f"table: '{table}' must be 'events' (events and identities) or 'identities' "
            f"(a register of people only).{did_you_mean(str(table), ('events', 'identities'))}"
        )
        table = "events"
    if table == "identities":
        if data.get("events") is not None and schema.PERSON_REF not in events:
            problems.append("events.person_ref: required; name the source column that holds it")
        extra = [c for c in events if c != schema.PERSON_REF]
        if extra:
            problems.append(
                "events: a 'table: identities' mapping reads only person_ref; "
                f"remove {', '.join(extra)}"
            )
        if codes is not None:
            problems.append("codes: a 'table: identities' mapping has no activities; remove it")
    elif data.get("events") is not None:
        problems.extend(
            f"events.{col}: required; name the source column that holds it"
            for col in _REQUIRED_EVENTS
            if col not in events
        )
        for col in (schema.ACTIVITY, schema.SERVICE):
            if col not in events and codes is None:
                problems.append(
                    f"events.{col}: required; map it, give a constant, or add a 'codes' table"
                )
            if col in events and codes is not None:
                problems.append(f"events.{col}: given twice, here and by 'codes'; keep one")
    service = events.get(schema.SERVICE)
    if service is not None:
        _check_services(service, "events.service", problems)
    name_value = data.get("name", name)
    if problems:
        raise MappingError(origin, problems)
    return Mapping(
        agency=agency,
        source=cast(Source, source),
        events=events,
        identifiers=identifiers,
        codes=codes,
        timezone=timezone,
        filters=filters,
        name=str(name_value or agency),
        table=cast(TableKind, table),
        origin=origin,
        base=Path(base) if base is not None else Path.cwd(),
    )


def _valid_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _unknown_keys(
    data: dict[str, Any], allowed: Iterable[str], where: str, problems: list[str]
) -> None:
    allowed = tuple(allowed)
    problems.extend(
        f"{where}{key}: unknown key.{did_you_mean(str(key), allowed)} "
        f"(allowed: {', '.join(allowed)})"
        for key in data
        if key not in allowed
    )


def _parse_source(data: Any, problems: list[str]) -> Source | None:
    if data is None:
        problems.append("source: required; give a table like {kind: csv, path: extract.csv}")
        return None
    if not isinstance(data, dict):
        problems.append("source: must be a table like {kind: csv, path: extract.csv}")
        return None
    _unknown_keys(data, _SOURCE_KEYS, "source.", problems)
    kind = data.get("kind")
    if kind not in SOURCE_KINDS:
        problems.append(
            f"source.kind: '{kind}' is not a source kind.{did_you_mean(str(kind), SOURCE_KINDS)} "
            f"(one of {', '.join(SOURCE_KINDS)})"
        )
        return None
    values = {k: v for k, v in data.items() if k in _SOURCE_KEYS}
    if kind in _FILE_KINDS and not values.get("path"):
        problems.append(f"source.path: required for kind '{kind}'; a path relative to the mapping")
    if kind == "sql":
        url = values.get("url")
        if not url:
            problems.append("source.url: required for kind 'sql', like sqlite:///agency.db")
        elif _PASSWORD_IN_URL.match(str(url)):
            problems.append(
                "source.url: contains a password; remove it and name an environment variable "
                "that holds it with 'password_env'"
            )
        if bool(values.get("table")) == bool(values.get("query")):
            problems.append("source.table / source.query: give exactly one of them")
    delimiter = values.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        problems.append(f"source.delimiter: must be a single character, got {delimiter!r}")
    if (
        "quote" in values
        and values["quote"] is not None
        and (not isinstance(values["quote"], str) or len(values["quote"]) != 1)
    ):
        problems.append(
            f"source.quote: must be a single character or null, got {values['quote']!r}"
        )
    if "encoding" in values:
        enc = str(values["encoding"]).lower()
        if enc not in _ENCODING_ALIASES:
            problems.append(
                f"source.encoding: '{values['encoding']}' is not supported."
                f"{did_you_mean(enc, ENCODINGS)} "
                f"(one of {', '.join(ENCODINGS)})"
            )
        else:
            values["encoding"] = _ENCODING_ALIASES[enc]
    if "chunk_size" in values and (
        not isinstance(values["chunk_size"], int) or values["chunk_size"] < 1
    ):
        problems.append(
            f"source.chunk_size: must be a positive integer, got {values['chunk_size']!r}"
        )
    if kind == "ocel" and not values.get("object_type"):
        problems.append(
            "source.object_type: required for kind 'ocel'; the object type to flatten on"
        )
    problems.extend(
        f"source.{key}: must be text, got {values[key]!r}"
        for key in ("path", "url", "password_env", "table", "query", "sheet", "object_type")
        if key in values and values[key] is not None and not isinstance(values[key], str)
    )
    try:
        return Source(**values)
    except TypeError:  # pragma: no cover - unknown keys were reported above
        return None


def _parse_specs(
    data: Any, where: str, allowed: tuple[str, ...], problems: list[str]
) -> dict[str, ColumnSpec]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append(f"{where}: must be a table of canonical column -> source column")
        return {}
    specs: dict[str, ColumnSpec] = {}
    for key, value in data.items():
        if key not in allowed:
            problems.append(
                f"{where}.{key}: not a canonical column.{did_you_mean(str(key), allowed)} "
                f"(one of {', '.join(allowed)})"
            )
            continue
        spec = _parse_spec(value, f"{where}.{key}", problems)
        if spec is None:
            continue
        if spec.format is not None and key not in (*TIME_COLUMNS, *DATE_COLUMNS):
            problems.append(
                f"{where}.{key}.format: only start, end and date_of_birth take a format"
            )
        specs[key] = spec
    return specs


def _parse_spec(value: Any, where: str, problems: list[str]) -> ColumnSpec | None:
    if isinstance(value, str):
        return ColumnSpec(column=value)
    if not isinstance(value, dict):
        problems.append(f"{where}: must be a source column name or a table, got {value!r}")
        return None
    _unknown_keys(value, _SPEC_KEYS, f"{where}.", problems)
    given = [k for k in ("column", "concat", "constant") if k in value]
    if len(given) != 1:
        problems.append(
            f"{where}: give exactly one of column, concat or constant (got {given or 'none'})"
        )
        return None
    before = len(problems)
    concat = value.get("concat", [])
    if "concat" in value and (
        not isinstance(concat, list) or not concat or not all(isinstance(c, str) for c in concat)
    ):
        problems.append(f"{where}.concat: must be a list of source column names")
        concat = []
    for key in ("column", "constant", "separator", "fallback", "format"):
        if key in value and value[key] is not None and not isinstance(value[key], str):
            if key == "constant" and isinstance(value[key], int | float | bool):
                continue
            problems.append(f"{where}.{key}: must be text, got {value[key]!r}")
    fmt = value.get("format")
    if isinstance(fmt, str):
        problems.extend(f"{where}.format: {p}" for p in _format_problems(fmt))
    mapping = value.get("map")
    if mapping is not None and (
        not isinstance(mapping, dict)
        or not all(v is None or isinstance(v, str | int | float) for v in mapping.values())
    ):
        problems.append(f"{where}.map: must be a table of source value -> canonical value")
        mapping = None
    ambiguous: str | ColumnSpec = "earliest"
    if "ambiguous" in value:
        amb = value["ambiguous"]
        if isinstance(amb, str) and amb in AMBIGUOUS:
            ambiguous = amb
        elif isinstance(amb, dict):
            inner = _parse_spec(amb, f"{where}.ambiguous", problems)
            ambiguous = inner if inner is not None else "earliest"
        else:
            problems.append(
                f"{where}.ambiguous: must be one of {', '.join(AMBIGUOUS)} or a column spec, "
                f"got {amb!r}{did_you_mean(str(amb), AMBIGUOUS)}"
            )
    if len(problems) > before:
        return None
    constant = value.get("constant")
    return ColumnSpec(
        column=value.get("column"),
        concat=tuple(concat),
        separator=value.get("separator", ""),
        constant=None if constant is None else str(constant),
        format=fmt,
        map=None
        if mapping is None
        else {str(k): (None if v is None else str(v)) for k, v in mapping.items()},
        fallback=value.get("fallback"),
        ambiguous=ambiguous,
    )


def _format_problems(fmt: str) -> list[str]:
    rest = _DIRECTIVE.sub("", fmt)
    if "%" in rest:
        bad = rest[rest.index("%") : rest.index("%") + 2]
        return [
            f"'{fmt}' has the unknown directive '{bad}'; use chrono/strftime codes like "
            "%d/%m/%Y %H:%M:%S"
        ]
    if not _DIRECTIVE.search(fmt):
        return [f"'{fmt}' has no directive; write a format like %d/%m/%Y %H:%M"]
    return []


def _check_services(spec: ColumnSpec, where: str, problems: list[str]) -> None:
    values: list[str] = []
    if spec.constant is not None:
        values.append(spec.constant)
    if spec.map is not None:
        values += [v for v in spec.map.values() if v is not None]
    if spec.fallback is not None:
        values.append(spec.fallback)
    problems.extend(
        f"{where}: '{v}' is not a service.{did_you_mean(v, schema.SERVICES)} "
        f"(one of {', '.join(schema.SERVICES)})"
        for v in values
        if v not in schema.SERVICES
    )


def _parse_codes(data: Any, problems: list[str]) -> CodeMap | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append("codes: must be a table with column, map and optional fallback")
        return None
    _unknown_keys(data, _CODE_KEYS, "codes.", problems)
    column = data.get("column")
    if not isinstance(column, str):
        problems.append("codes.column: required; the source column holding the local codes")
    raw = data.get("map")
    if not isinstance(raw, dict) or not raw:
        problems.append("codes.map: required; a table of code -> {activity: ..., service: ...}")
        raw = {}
    codes: dict[str, tuple[str, str]] = {}
    for code, target in raw.items():
        pair = _parse_target(target, f"codes.map.{code}", problems)
        if pair is not None:
            codes[str(code)] = pair
    fallback = None
    if data.get("fallback") is not None:
        fallback = _parse_target(data["fallback"], "codes.fallback", problems)
    if not isinstance(column, str):
        return None
    return CodeMap(column=column, codes=codes, fallback=fallback)


def _parse_target(target: Any, where: str, problems: list[str]) -> tuple[str, str] | None:
    if not isinstance(target, dict):
        problems.append(f"{where}: must be a table {{activity: ..., service: ...}}")
        return None
    _unknown_keys(target, (schema.ACTIVITY, schema.SERVICE), f"{where}.", problems)
    activity, service = target.get(schema.ACTIVITY), target.get(schema.SERVICE)
    ok = True
    if not isinstance(activity, str) or not activity:
        problems.append(f"{where}.activity: required text")
        ok = False
    if service not in schema.SERVICES:
        problems.append(
            f"{where}.service: '{service}' is not a service."
            f"{did_you_mean(str(service), schema.SERVICES)} "
            f"(one of {', '.join(schema.SERVICES)})"
        )
        ok = False
    return (cast(str, activity), cast(str, service)) if ok else None


def _parse_filters(data: Any, problems: list[str]) -> tuple[Filter, ...]:
    if not isinstance(data, list):
        problems.append("filters: must be a list of {column, op, value} tables")
        return ()
    out: list[Filter] = []
    for i, item in enumerate(data):
        where = f"filters[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a table {{column, op, value}}")
            continue
        _unknown_keys(item, _FILTER_KEYS, f"{where}.", problems)
        column, op = item.get("column"), item.get("op", "==")
        if not isinstance(column, str):
            problems.append(f"{where}.column: required; the source column to test")
            continue
        if op not in FILTER_OPS:
            problems.append(
                f"{where}.op: '{op}' is not an operator.{did_you_mean(str(op), FILTER_OPS)} "
                f"(one of {', '.join(FILTER_OPS)})"
            )
            continue
        value = item.get("value")
        if op in ("in", "not_in") and not isinstance(value, list):
            problems.append(f"{where}.value: '{op}' needs a list of values")
            continue
        out.append(Filter(column=column, op=cast(FilterOp, op), value=value))
    return tuple(out)


def check_columns(mapping: Mapping, available: Iterable[str], *, where: str) -> None:
    """Raise :class:`MappingError` if the mapping reads a column ``where`` does not have."""
    have = list(available)
    problems = [
        f"Column '{col}' was not found in {where}.{did_you_mean(col, have)} "
        f"(columns: {', '.join(have[:20])}{', ...' if len(have) > 20 else ''})"
        for col in mapping.source_columns()
        if col not in have
    ]
    if problems:
        raise MappingError(mapping.origin, problems)
