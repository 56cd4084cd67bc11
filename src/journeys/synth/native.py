"""Write each synthetic agency's data the way its own system would export it, with its mapping.

Every agency gets an activity extract and a register of the people it holds, in its own column
names, date formats, local codes and file kind: CSV with UK dates (A&E, Haven Housing), a
Windows-1252 pipe-delimited CSV (ambulance), a FHIR R4 Bulk Data NDJSON export (acute wards),
an Excel workbook (adult social care, Safe Steps), tables in a SQL database (GP, police: a SQLite
file by default, PostgreSQL or MariaDB when given a URL), JSON (probation), NDJSON (Open Door)
and Parquet (Bridge Trust). Next to the data it writes one mapping file per extract, so that
``journeys ingest DIR/*.yaml`` gives back the canonical tables exactly.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import polars as pl
import sqlalchemy as sa
import yaml
from sqlalchemy.dialects import mysql

from journeys import schema as s
from journeys.exceptions import SourceError
from journeys.synth._agencies import ACTIVITIES, AGENCIES

__all__ = ["NATIVE_KINDS", "activity_code", "write_native"]

logger = logging.getLogger(__name__)

LONDON: Final = "Europe/London"
#: Local activity codes: a stable code for every synthetic activity name.
_CODE_PREFIX: Final = "ACT"
_UK: Final = "%d/%m/%Y %H:%M:%S%.f"
_UK_DATE: Final = "%d/%m/%Y"
_ISO_T: Final = "%Y-%m-%dT%H:%M:%S%.f"
_ISO_SPACE: Final = "%Y-%m-%d %H:%M:%S%.f"
_ISO_OFFSET: Final = "%Y-%m-%dT%H:%M:%S%.f%:z"
#: The environment variable a generated SQL mapping reads its password from (a name, not a secret).
_PASSWORD_ENV: Final = "JOURNEYS_NATIVE_DB_PASSWORD"  # noqa: S105
_SEX_NHS: Final = {"M": "1", "F": "2", "X": "9"}
_SEX_FHIR: Final = {"M": "male", "F": "female", "X": "other"}
_SEX_WORDS: Final = {"M": "Male", "F": "Female", "X": "Not stated"}


class _Tables(Protocol):
    @property
    def identities(self) -> pl.DataFrame: ...

    @property
    def events(self) -> pl.DataFrame: ...


def activity_code(activity: str) -> str:
    """A stable local code for an activity name (what a source system would store).

    Examples
    --------
    >>> activity_code("A&E arrival")
    'ACT-AEARRIVAL'
    """
    letters = "".join(ch for ch in activity.upper() if ch.isalnum())
    return f"{_CODE_PREFIX}-{letters}"


@dataclass(frozen=True)
class _Names:
    """Native column names of an agency's extracts."""

    person_ref: str
    event_id: str
    activity: str
    start: str
    end: str
    resource: str
    outcome: str
    given: str
    family: str
    dob: str
    sex: str
    postcode: str
    nhs: str


_DEFAULT_NAMES: Final = _Names(
    "client_id",
    "record_id",
    "activity",
    "start_time",
    "end_time",
    "team",
    "outcome",
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "post_code",
    "nhs_number",
)
_NAMES: Final[dict[str, _Names]] = {
    "ae": _Names(
        "Patient Ref",
        "Attendance Event",
        "Event Code",
        "Event Date",
        "End Date",
        "Clinician Team",
        "Disposal",
        "Forename",
        "Surname",
        "DOB",
        "Gender Code",
        "Postcode",
        "NHS No",
    ),
    "ambulance": _Names(
        "cad_patient",
        "cad_event",
        "event_type",
        "event_utc",
        "cleared_utc",
        "crew",
        "result",
        "pt_first",
        "pt_last",
        "pt_dob",
        "pt_sex",
        "pt_postcode",
        "pt_nhs",
    ),
    "gp": _Names(
        "patient_guid",
        "appointment_guid",
        "slot_type",
        "booked_at",
        "ended_at",
        "clinician",
        "outcome",
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "postcode",
        "nhs_number",
    ),
    "asc": _Names(
        "Person ID",
        "Contact ID",
        "Contact Type",
        "Contact Date",
        "Closed Date",
        "Worker Team",
        "Outcome",
        "First Name",
        "Last Name",
        "Date of Birth",
        "Gender",
        "Postcode",
        "NHS Number",
    ),
    "police": _Names(
        "nominal_id",
        "occurrence_ref",
        "occurrence_type",
        "reported_at",
        "closed_at",
        "unit",
        "disposal",
        "forename",
        "surname",
        "dob",
        "sex",
        "address_postcode",
        "pnc_ref",
    ),
    "probation": _Names(
        "crn",
        "contact_id",
        "contactType",
        "contactDate",
        "contactEnd",
        "officerTeam",
        "outcome",
        "firstName",
        "surname",
        "dateOfBirth",
        "gender",
        "postcode",
        "nomsNumber",
    ),
    "haven_housing": _Names(
        "Client No",
        "Case Note No",
        "Case Activity",
        "Logged",
        "Case Closed",
        "Caseworker",
        "Result",
        "First name",
        "Surname",
        "D.O.B.",
        "Sex",
        "Last postcode",
        "NI number",
    ),
}

#: Source kind per agency; an agency not listed is written as Parquet.
NATIVE_KINDS: Final[dict[str, str]] = {
    "ae": "csv",
    "acute": "fhir",
    "ambulance": "csv",
    "gp": "sql",
    "asc": "excel",
    "police": "sql",
    "probation": "json",
    "haven_housing": "csv",
    "open_door": "ndjson",
    "safe_steps": "excel",
    "bridge_trust": "parquet",
}


def _code_pairs(agency: str, events: pl.DataFrame) -> list[tuple[str, str]]:
    """(activity, service) of every activity the agency's system can record."""
    service = {a.code: a.service for a in AGENCIES}.get(agency)
    listed = sorted(name for code, name in ACTIVITIES if code == agency)
    if service is not None and listed:
        return [(name, service) for name in listed]
    return [tuple(r) for r in events.select(s.ACTIVITY, s.SERVICE).unique().sort(s.ACTIVITY).rows()]


def _names(agency: str) -> _Names:
    return _NAMES.get(agency, _DEFAULT_NAMES)


def _utc_naive(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone("UTC").dt.replace_time_zone(None)


def _local_text(col: str, fmt: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone(LONDON).dt.to_string(fmt)


def _clock(col: str) -> pl.Expr:
    """BST or GMT: which of the two 01:xx hours a local time is on the night clocks go back."""
    local = pl.col(col).dt.convert_time_zone(LONDON)
    return (
        pl.when(pl.col(col).is_null())
        .then(None)
        .when(local.dt.dst_offset() > pl.duration(seconds=0))
        .then(pl.lit("BST"))
        .otherwise(pl.lit("GMT"))
    )


def _spec(column: str, **extra: Any) -> Any:
    return {"column": column, **extra} if extra else column


def _clock_spec(column: str, fmt: str) -> dict[str, Any]:
    return {
        "column": column,
        "format": fmt,
        "ambiguous": {"column": f"{column} clock", "map": {"BST": "earliest", "GMT": "latest"}},
    }


@dataclass(frozen=True)
class _Plan:
    """How one agency's two extracts look: the frames to write and the mapping specs."""

    events: pl.DataFrame
    people: pl.DataFrame
    event_specs: dict[str, Any]
    people_specs: dict[str, Any]
    timezone: str
    codes: dict[str, Any] | None


def _has_nhs(people: pl.DataFrame) -> bool:
    return people.get_column(s.NATIONAL_ID).null_count() < people.height


def _plan(agency: str, events: pl.DataFrame, people: pl.DataFrame) -> _Plan:
    n = _names(agency)
    kind = NATIVE_KINDS.get(agency, "parquet")
    known = {a.code: a.service for a in AGENCIES}
    services = (
        [known[agency]] if agency in known else events.get_column(s.SERVICE).unique().to_list()
    )
    codes: dict[str, Any] | None = None
    ev_specs: dict[str, Any] = {s.PERSON_REF: n.person_ref, s.EVENT_ID: n.event_id}
    timezone = "UTC"
    if agency in ("ae", "asc", "haven_housing"):
        # UK wall-clock text with a BST/GMT column for the repeated autumn hour
        fmt = _UK if agency != "haven_housing" else "%d-%m-%Y %H:%M:%S%.f"
        ev = events.select(
            pl.col(s.PERSON_REF).alias(n.person_ref),
            pl.col(s.EVENT_ID).alias(n.event_id),
            pl.col(s.ACTIVITY).alias(n.activity),
            _local_text(s.START, fmt).alias(n.start),
            _clock(s.START).alias(f"{n.start} clock"),
            _local_text(s.END, fmt).alias(n.end),
            _clock(s.END).alias(f"{n.end} clock"),
            pl.col(s.RESOURCE).alias(n.resource),
            pl.col(s.OUTCOME).alias(n.outcome),
        )
        ev_specs |= {s.START: _clock_spec(n.start, fmt), s.END: _clock_spec(n.end, fmt)}
        timezone = LONDON
    elif kind in ("csv", "json", "ndjson", "excel"):
        fmt = {"csv": _ISO_SPACE, "json": _ISO_T + "Z", "ndjson": _ISO_T + "Z", "excel": _ISO_T}[
            kind
        ]
        ev = events.select(
            pl.col(s.PERSON_REF).alias(n.person_ref),
            pl.col(s.EVENT_ID).alias(n.event_id),
            pl.col(s.ACTIVITY).alias(n.activity),
            pl.col(s.START).dt.to_string(fmt).alias(n.start),
            pl.col(s.END).dt.to_string(fmt).alias(n.end),
            pl.col(s.RESOURCE).alias(n.resource),
            pl.col(s.OUTCOME).alias(n.outcome),
        )
        ev_specs |= {s.START: _spec(n.start, format=fmt), s.END: _spec(n.end, format=fmt)}
    elif agency == "police":
        ev = events.select(
            pl.col(s.PERSON_REF).alias(n.person_ref),
            pl.col(s.EVENT_ID).alias(n.event_id),
            pl.col(s.ACTIVITY).alias(n.activity),
            _local_text(s.START, _ISO_OFFSET).alias(n.start),
            _local_text(s.END, _ISO_OFFSET).alias(n.end),
            pl.col(s.RESOURCE).alias(n.resource),
            pl.col(s.OUTCOME).alias(n.outcome),
        )
        ev_specs |= {
            s.START: _spec(n.start, format=_ISO_OFFSET),
            s.END: _spec(n.end, format=_ISO_OFFSET),
        }
    else:  # sql (gp) and parquet: typed timestamps; SQL ones are naive UTC
        start = _utc_naive(s.START) if kind == "sql" else pl.col(s.START)
        end = _utc_naive(s.END) if kind == "sql" else pl.col(s.END)
        ev = events.select(
            pl.col(s.PERSON_REF).alias(n.person_ref),
            pl.col(s.EVENT_ID).alias(n.event_id),
            pl.col(s.ACTIVITY).alias(n.activity),
            start.alias(n.start),
            end.alias(n.end),
            pl.col(s.RESOURCE).alias(n.resource),
            pl.col(s.OUTCOME).alias(n.outcome),
        )
        ev_specs |= {s.START: n.start, s.END: n.end}
    ev_specs |= {s.RESOURCE: n.resource, s.OUTCOME: n.outcome}
    if agency in ("ae", "ambulance", "gp", "police"):
        # systems that store local codes, not names
        ev = ev.with_columns(pl.col(n.activity).map_elements(activity_code, return_dtype=pl.String))
        pairs = _code_pairs(agency, events)
        codes = {
            "column": n.activity,
            "map": {activity_code(a): {s.ACTIVITY: a, s.SERVICE: sv} for a, sv in pairs},
        }
    else:
        ev_specs[s.ACTIVITY] = n.activity
        if len(services) == 1:
            ev_specs[s.SERVICE] = {"constant": services[0]}
        else:
            ev = ev.with_columns(events.get_column(s.SERVICE).alias("service_line"))
            ev_specs[s.SERVICE] = "service_line"

    sex_map = _SEX_NHS if agency in ("ae", "ambulance") else _SEX_WORDS
    dob_fmt = _UK_DATE if kind in ("csv", "json", "ndjson") else None
    dob = pl.col(s.DATE_OF_BIRTH).dt.to_string(dob_fmt) if dob_fmt else pl.col(s.DATE_OF_BIRTH)
    cols = [
        pl.col(s.PERSON_REF).alias(n.person_ref),
        pl.col(s.GIVEN_NAME).alias(n.given),
        pl.col(s.FAMILY_NAME).alias(n.family),
        dob.alias(n.dob),
        pl.col(s.SEX).replace_strict(sex_map, default=None, return_dtype=pl.String).alias(n.sex),
        pl.col(s.POSTCODE).alias(n.postcode),
    ]
    specs: dict[str, Any] = {
        s.GIVEN_NAME: n.given,
        s.FAMILY_NAME: n.family,
        s.DATE_OF_BIRTH: _spec(n.dob, format=dob_fmt) if dob_fmt else n.dob,
        s.SEX: {"column": n.sex, "map": {v: k for k, v in sex_map.items()}},
        s.POSTCODE: n.postcode,
    }
    if _has_nhs(people):
        cols.append(pl.col(s.NATIONAL_ID).alias(n.nhs))
        specs[s.NATIONAL_ID] = n.nhs
    register = people.select(cols)
    if agency == "ae":
        # the A&E extract carries demographics on every row, as many ED extracts do
        ev = ev.join(register, on=n.person_ref, how="left", maintain_order="left")
        ev_specs["__identifiers__"] = specs
    return _Plan(ev, register, ev_specs, {s.PERSON_REF: n.person_ref, **specs}, timezone, codes)


def _mapping(
    agency: str, name: str, source: dict[str, Any], plan: _Plan, *, people: bool
) -> dict[str, Any]:
    data: dict[str, Any] = {"agency": agency, "name": name}
    if people:
        data["table"] = "identities"
    data["source"] = source
    if plan.timezone != LONDON:
        data["timezone"] = plan.timezone
    if people:
        specs = dict(plan.people_specs)
        data["events"] = {s.PERSON_REF: specs.pop(s.PERSON_REF)}
        data["identifiers"] = specs
        return data
    specs = dict(plan.event_specs)
    identifiers = specs.pop("__identifiers__", None)
    data["events"] = specs
    if identifiers:
        data["identifiers"] = identifiers
    if plan.codes is not None:
        data["codes"] = plan.codes
    return data


def _sql_type(dtype: pl.DataType) -> Any:
    if isinstance(dtype, pl.Datetime):
        return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    if dtype == pl.Date:
        return sa.Date()
    return sa.Text()


def _write_sql(frame: pl.DataFrame, table: str, engine: sa.Engine) -> None:
    meta = sa.MetaData()
    columns = [sa.Column(c, _sql_type(t)) for c, t in frame.schema.items()]
    target = sa.Table(table, meta, *columns)
    with engine.begin() as conn:
        target.drop(conn, checkfirst=True)
        target.create(conn)
        for chunk in frame.iter_slices(20_000):
            conn.execute(target.insert(), chunk.to_dicts())


def _fhir(plan: _Plan, agency: str, folder: Path) -> None:
    """Patient.ndjson (the register) and Encounter.ndjson (the activity), FHIR R4 JSON."""
    n = _names(agency)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "Patient.ndjson").open("w", encoding="utf-8") as out:
        for row in plan.people.iter_rows(named=True):
            patient: dict[str, Any] = {"resourceType": "Patient", "id": row[n.person_ref]}
            if row.get(n.nhs) is not None:
                patient["identifier"] = [
                    {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": row[n.nhs]}
                ]
            name: dict[str, Any] = {"use": "official"}
            if row[n.family] is not None:
                name["family"] = row[n.family]
            if row[n.given] is not None:
                name["given"] = [row[n.given]]
            patient["name"] = [name]
            if row[n.sex] is not None:
                patient["gender"] = row[n.sex]
            if row[n.dob] is not None:
                patient["birthDate"] = row[n.dob].isoformat()
            if row[n.postcode] is not None:
                patient["address"] = [{"postalCode": row[n.postcode]}]
            out.write(json.dumps(patient) + "\n")
    with (folder / "Encounter.ndjson").open("w", encoding="utf-8") as out:
        for row in plan.events.iter_rows(named=True):
            period = {"start": row[n.start]}
            if row[n.end] is not None:
                period["end"] = row[n.end]
            encounter: dict[str, Any] = {
                "resourceType": "Encounter",
                "id": row[n.event_id],
                "status": "finished",
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "IMP",
                },
                "type": [
                    {
                        "coding": [
                            {
                                "system": "https://example.org/local-activity",
                                "code": activity_code(row[n.activity]),
                                "display": row[n.activity],
                            }
                        ]
                    }
                ],
                "subject": {"reference": f"Patient/{row[n.person_ref]}"},
                "period": period,
                "serviceProvider": {"display": row[n.resource]},
            }
            if row[n.outcome] is not None:
                encounter["hospitalization"] = {
                    "dischargeDisposition": {"coding": [{"code": row[n.outcome]}]}
                }
            out.write(json.dumps(encounter) + "\n")


def _fhir_plan(plan: _Plan, agency: str) -> _Plan:
    n = _names(agency)
    events = plan.events.with_columns(
        pl.col(n.start).dt.to_string(_ISO_OFFSET), pl.col(n.end).dt.to_string(_ISO_OFFSET)
    )
    people = plan.people.with_columns(
        pl.col(n.sex).replace_strict(
            {v: _SEX_FHIR[k] for k, v in _SEX_WORDS.items()}, default=None, return_dtype=pl.String
        )
    )
    ev_specs = {
        s.PERSON_REF: "patient.id",
        s.EVENT_ID: "id",
        s.ACTIVITY: "type.display",
        s.SERVICE: plan.event_specs[s.SERVICE],
        s.START: "period.start",
        s.END: "period.end",
        s.RESOURCE: "serviceProvider",
        s.OUTCOME: "dischargeDisposition.code",
    }
    people_specs: dict[str, Any] = {
        s.PERSON_REF: "patient.id",
        s.GIVEN_NAME: "patient.given",
        s.FAMILY_NAME: "patient.family",
        s.DATE_OF_BIRTH: "patient.birthDate",
        s.SEX: {"column": "patient.gender", "map": {v: k for k, v in _SEX_FHIR.items()}},
        s.POSTCODE: "patient.postalCode",
    }
    if s.NATIONAL_ID in plan.people_specs:
        people_specs[s.NATIONAL_ID] = "patient.nhsNumber"
    return _Plan(events, people, ev_specs, people_specs, "UTC", None)


def _write_excel(frames: dict[str, pl.DataFrame], path: Path) -> None:
    import xlsxwriter  # type: ignore[import-untyped]

    with xlsxwriter.Workbook(path) as book:
        for sheet, frame in frames.items():
            frame.write_excel(
                book, worksheet=sheet, autofit=False, dtype_formats={pl.Date: "dd/mm/yyyy"}
            )


def _csv_encoding(frames: tuple[pl.DataFrame, ...], encoding: str) -> str:
    """``encoding``, unless some text cannot be written in it (then UTF-8, as systems do)."""
    if encoding == "utf-8":
        return encoding
    try:
        for frame in frames:
            frame.write_csv().encode("cp1252")
    except UnicodeEncodeError:
        return "utf-8"
    return encoding


def write_native(
    population: _Tables,
    out_dir: str | Path,
    *,
    url: str | None = None,
    table_prefix: str = "",
) -> dict[str, Path | str]:
    """Write every agency's extracts in its own system's format, plus one mapping per extract.

    Parameters
    ----------
    population
        Anything with canonical ``identities`` and ``events`` frames (a synthetic
        :class:`~journeys.synth.Population`).
    out_dir
        The folder for the extracts and their mapping files (``<agency>.yaml`` and
        ``<agency>_people.yaml``).
    url
        A SQLAlchemy URL for the SQL agencies (GP, police), like
        ``postgresql+psycopg://postgres@127.0.0.1:5432/test``; by default a SQLite file
        ``agencies.sqlite`` in ``out_dir``. A password in the URL is not copied into the mapping:
        the mapping names the environment variable ``JOURNEYS_NATIVE_DB_PASSWORD`` instead.
    table_prefix
        Prepended to the SQL table names (to keep runs apart in a shared database).

    Returns
    -------
    dict
        Every file written (and ``"<agency>:sql"`` -> the table names), keyed by what it is.

    Examples
    --------
    >>> from journeys.synth import generate_population  # doctest: +SKIP
    >>> files = write_native(generate_population(people=100, seed=1), "native/")  # doctest: +SKIP
    >>> from journeys.adapters import ingest  # doctest: +SKIP
    >>> result = ingest(sorted(pathlib.Path("native").glob("*.yaml")))  # doctest: +SKIP
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path | str] = {}
    events_all = population.events
    ids_all = population.identities
    agencies = sorted(
        set(ids_all.get_column(s.AGENCY).unique().to_list())
        | set(events_all.get_column(s.AGENCY).unique().to_list())
    )
    engine: sa.Engine | None = None
    sql_url = url
    mapping_url: str
    password_env: str | None = None
    if url is None:
        db = folder / "agencies.sqlite"
        db.unlink(missing_ok=True)
        sql_url = f"sqlite:///{db}"
        mapping_url = "sqlite:///agencies.sqlite"
    else:
        parsed = sa.make_url(url)
        if parsed.password:
            password_env = _PASSWORD_ENV
        mapping_url = parsed.set(password=None).render_as_string(hide_password=False)

    def sql_engine() -> sa.Engine:
        nonlocal engine
        if engine is None:
            try:
                engine = sa.create_engine(sql_url or "", poolclass=sa.pool.NullPool)
            except (sa.exc.ArgumentError, ImportError) as error:
                raise SourceError(
                    f"Cannot use the database URL given to write_native: {error}"
                ) from None
        return engine

    for agency in agencies:
        events = events_all.filter(pl.col(s.AGENCY) == agency).sort(s.EVENT_ID)
        people = ids_all.filter(pl.col(s.AGENCY) == agency).sort(s.PERSON_REF)
        kind = NATIVE_KINDS.get(agency, "parquet")
        plan = _plan(agency, events, people)
        src_ev: dict[str, Any]
        src_pp: dict[str, Any]
        if kind == "fhir":
            plan = _fhir_plan(plan, agency)
            target = folder / f"{agency}_fhir"
            _fhir(plan, agency, target)
            written[agency] = target
            src_ev = {"kind": "fhir", "path": target.name}
            src_pp = dict(src_ev)
        elif kind == "csv":
            delimiter = {"ae": ",", "ambulance": "|", "haven_housing": ";"}.get(agency, ",")
            encoding = _csv_encoding(
                (plan.events, plan.people), "windows-1252" if agency == "ambulance" else "utf-8"
            )
            files = (folder / f"{agency}_extract.csv", folder / f"{agency}_people.csv")
            for frame, path in zip((plan.events, plan.people), files, strict=True):
                text = frame.write_csv(
                    separator=delimiter, date_format=_UK_DATE, datetime_format=_ISO_SPACE
                )
                path.write_bytes(text.encode("cp1252" if encoding == "windows-1252" else "utf-8"))
            written[agency], written[f"{agency}_people"] = files
            src_ev = {"kind": "csv", "path": files[0].name, "delimiter": delimiter}
            src_pp = {"kind": "csv", "path": files[1].name, "delimiter": delimiter}
            if encoding != "utf-8":
                src_ev["encoding"] = src_pp["encoding"] = encoding
        elif kind == "excel":
            path = folder / f"{agency}.xlsx"
            _write_excel({"Contacts": plan.events, "People": plan.people}, path)
            written[agency] = path
            src_ev = {"kind": "excel", "path": path.name, "sheet": "Contacts"}
            src_pp = {"kind": "excel", "path": path.name, "sheet": "People"}
        elif kind == "sql":
            tables = (f"{table_prefix}{agency}_activity", f"{table_prefix}{agency}_people")
            _write_sql(plan.events, tables[0], sql_engine())
            _write_sql(plan.people, tables[1], sql_engine())
            written[f"{agency}:sql"] = ",".join(tables)
            src_ev = {"kind": "sql", "url": mapping_url}
            if agency == "police":
                src_ev["query"] = f"SELECT * FROM {tables[0]}"
            else:
                src_ev["table"] = tables[0]
            src_pp = {"kind": "sql", "url": mapping_url, "table": tables[1]}
            if password_env:
                src_ev["password_env"] = src_pp["password_env"] = password_env
        elif kind in ("json", "ndjson"):
            files = (folder / f"{agency}_contacts.{kind}", folder / f"{agency}_people.{kind}")
            for table, path in zip((plan.events, plan.people), files, strict=True):
                texts = table.with_columns(pl.col(pl.Date).dt.to_string(_UK_DATE))
                if kind == "json":
                    texts.write_json(path)
                else:
                    texts.write_ndjson(path)
            written[agency], written[f"{agency}_people"] = files
            src_ev = {"kind": kind, "path": files[0].name}
            src_pp = {"kind": kind, "path": files[1].name}
        else:
            files = (folder / f"{agency}_activity.parquet", folder / f"{agency}_people.parquet")
            plan.events.write_parquet(files[0])
            plan.people.write_parquet(files[1])
            written[agency], written[f"{agency}_people"] = files
            src_ev = {"kind": "parquet", "path": files[0].name}
            src_pp = {"kind": "parquet", "path": files[1].name}
        for is_register, source, suffix in ((False, src_ev, ""), (True, src_pp, "_people")):
            mapping = _mapping(agency, f"{agency}{suffix}", source, plan, people=is_register)
            mpath = folder / f"{agency}{suffix}.yaml"
            mpath.write_text(
                f"# {agency}: {'register of people' if is_register else 'activity extract'} "
                f"({source['kind']}), written by journeys.synth.native\n"
                + yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True),
                encoding="utf-8",
            )
            written[f"mapping:{agency}{suffix}"] = mpath
    if engine is not None:
        engine.dispose()
    logger.info("wrote native extracts of %d agencies to %s", len(agencies), folder)
    return written
