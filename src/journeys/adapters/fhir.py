"""Reader for FHIR R4: Patient + Encounter (+ EpisodeOfCare) from a Bundle or a Bulk Data export.

``source.path`` is a Bundle (a ``.json`` file with ``entry[].resource``), one ``.ndjson`` file,
or a folder of Bulk Data ``.ndjson`` files (``Patient.ndjson``, ``Encounter.ndjson``, ...).
Each Encounter and EpisodeOfCare becomes one row; the Patient it refers to is joined in. The
flattened columns are named after the FHIR elements they come from:

``resourceType, id, status, class.code, type.code, type.display, period.start, period.end,
serviceProvider, dischargeDisposition.code, episodeOfCare.id, patient.id, patient.given,
patient.family, patient.birthDate, patient.gender, patient.postalCode, patient.nhsNumber``

Reference: HL7 FHIR R4 (4.0.1), https://hl7.org/fhir/R4/; Bulk Data Access IG 2.0.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import polars as pl

from journeys.adapters._base import Batch, numbered, paused_gc, require_file, slices
from journeys.exceptions import SourceError

__all__ = ["FHIR_COLUMNS", "FhirReader", "forget_exports", "read_fhir"]

FHIR_COLUMNS: Final = (
    "resourceType",
    "id",
    "status",
    "class.code",
    "type.code",
    "type.display",
    "period.start",
    "period.end",
    "serviceProvider",
    "dischargeDisposition.code",
    "episodeOfCare.id",
    "patient.id",
    "patient.given",
    "patient.family",
    "patient.birthDate",
    "patient.gender",
    "patient.postalCode",
    "patient.nhsNumber",
)
_EVENT_TYPES: Final = ("Encounter", "EpisodeOfCare")
_NHS_SYSTEM: Final = "nhs-number"


def _resources(path: Path) -> list[dict[str, Any]]:
    files = sorted(path.glob("*.ndjson")) if path.is_dir() else [path]
    if not files:
        raise SourceError(
            f"The folder {path} holds no .ndjson files; point source.path at a Bulk Data export"
        )
    out: list[dict[str, Any]] = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        if not text.strip():
            continue
        if file.suffix == ".ndjson":
            for n, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    resource = json.loads(line)
                except json.JSONDecodeError as error:
                    raise SourceError(
                        f"{file} line {n} is not a JSON resource ({error.msg}); "
                        "repair or re-export it"
                    ) from None
                if not isinstance(resource, dict):
                    raise SourceError(
                        f"{file} line {n} is not a JSON object (a FHIR resource is one); "
                        "repair or re-export it"
                    )
                out.append(resource)
        else:
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as error:
                raise SourceError(
                    f"{file} is not valid JSON ({error}); export the Bundle again"
                ) from None
            if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
                out += [
                    r for e in _items(doc.get("entry")) if isinstance(r := e.get("resource"), dict)
                ]
            elif isinstance(doc, dict) and "resourceType" in doc:
                out.append(doc)
            else:
                raise SourceError(
                    f"{file} is neither a FHIR Bundle nor a resource; check source.path"
                )
    return out


def _text(value: Any) -> str | None:
    """A JSON value as text: a string as it is, anything else as its JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _items(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON list (an object alone counts as a list of one)."""
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _ref_id(ref: Any) -> str | None:
    if not isinstance(ref, dict):
        return None
    reference = _text(ref.get("reference"))
    return reference.rsplit("/", 1)[-1] if reference else None


def _coding(concept: Any) -> tuple[str | None, str | None]:
    """(code, display) of a CodeableConcept (its first coding), a Coding, or a list's first."""
    if isinstance(concept, list):
        concept = next(iter(_items(concept)), None)
    if not isinstance(concept, dict):
        return None, None
    if concept.get("coding") is not None:
        first = next(iter(_items(concept["coding"])), {})
        return _text(first.get("code")), _text(first.get("display")) or _text(concept.get("text"))
    return _text(concept.get("code")), _text(concept.get("display"))


def _patient_fields(patient: dict[str, Any]) -> dict[str, Any]:
    names = _items(patient.get("name")) or [{}]
    name = next((n for n in names if n.get("use") == "official"), names[0])
    given = name.get("given")
    given = given if isinstance(given, list) else [given]
    identifiers = _items(patient.get("identifier"))
    nhs = next(
        (i.get("value") for i in identifiers if _NHS_SYSTEM in (_text(i.get("system")) or "")),
        None,
    )
    if nhs is None and identifiers:
        nhs = identifiers[0].get("value")
    return {
        "patient.given": " ".join(_text(g) or "" for g in given if g is not None) or None,
        "patient.family": _text(name.get("family")),
        "patient.birthDate": _text(patient.get("birthDate")),
        "patient.gender": _text(patient.get("gender")),
        "patient.postalCode": _text(
            next(iter(_items(patient.get("address"))), {}).get("postalCode")
        ),
        "patient.nhsNumber": _text(nhs),
    }


def read_fhir(path: str | Path, *, patients: bool = False) -> pl.DataFrame:
    """Flatten the Encounters and EpisodesOfCare of a FHIR R4 export, joined to their Patient.

    With ``patients=True``, one row per Patient instead (the register, for a
    ``table: identities`` mapping), with the ``patient.*`` columns filled.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> patient = {"resourceType": "Patient", "id": "p1"}
    >>> _ = (folder / "Patient.ndjson").write_text(json.dumps(patient))
    >>> _ = (folder / "Encounter.ndjson").write_text(json.dumps({"resourceType": "Encounter",
    ...     "id": "e1", "subject": {"reference": "Patient/p1"},
    ...     "period": {"start": "2024-01-01T10:00:00Z"}}))
    >>> read_fhir(folder).select("id", "patient.id").row(0)
    ('e1', 'p1')
    """
    file = require_file(Path(path), kind="fhir")
    key = _signature(file)
    frames = _FLATTENED.get(key)
    if frames is None:
        # a million small dicts would set off the cyclic collector again and again while
        # they are built (none of them is garbage): pause it (benchmarks/test_native_readers.py:
        # the 1M-person demo's export 8.8 s -> 4.3 s)
        with paused_gc():
            frames = _flatten(_resources(file))
        # the events and the register of one export are read one after the other: keep the
        # last export's two (compact) frames so the JSON is parsed once for both
        _FLATTENED.clear()
        _FLATTENED[key] = frames
    return frames[1] if patients else frames[0]


def _signature(file: Path) -> tuple[str, tuple[tuple[str, int, int], ...]]:
    """The export's identity: its resolved path and each file's name, size and mtime."""
    files = sorted(file.glob("*.ndjson")) if file.is_dir() else [file]
    stats = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    return str(file.resolve()), stats


_FLATTENED: dict[
    tuple[str, tuple[tuple[str, int, int], ...]], tuple[pl.DataFrame, pl.DataFrame]
] = {}


def forget_exports() -> None:
    """Drop the flattened export kept between the events and the register readers.

    :func:`journeys.adapters.ingest` calls it when it is done, so no plaintext identity stays
    in memory after an ingest.
    """
    _FLATTENED.clear()


#: the columns an event's own resource gives; the ``patient.*`` ones after them come from its
#: Patient, joined in by id
_EVENT_COLUMNS: Final = FHIR_COLUMNS[: FHIR_COLUMNS.index("patient.id") + 1]
_PATIENT_COLUMNS: Final = FHIR_COLUMNS[len(_EVENT_COLUMNS) :]


def _flatten(resources: list[dict[str, Any]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(one row per Encounter/EpisodeOfCare joined to its Patient, one row per Patient).

    Row by row, in the order of the resources; a Patient id given twice takes the later
    resource. (polars' own NDJSON reader was tried for Bulk Data exports, in a one-off
    measurement on the 1M-person demo, and was slower than this; it is not kept.)
    """
    text = pl.String
    patients_by_id = {
        _text(r.get("id")): r for r in resources if r.get("resourceType") == "Patient"
    }
    people = pl.DataFrame(
        [
            (pid, *map(_patient_fields(p).get, _PATIENT_COLUMNS))
            for pid, p in patients_by_id.items()
        ],
        schema=dict.fromkeys(("patient.id", *_PATIENT_COLUMNS), text),
        orient="row",
    )
    rows: list[tuple[str | None, ...]] = []
    for res in resources:
        kind = res.get("resourceType")
        if kind not in _EVENT_TYPES:
            continue
        encounter = kind == "Encounter"
        code, display = _coding(res.get("type"))
        period = res.get("period")
        period = period if isinstance(period, dict) else {}
        provider = res.get("serviceProvider") if encounter else res.get("managingOrganization")
        hospitalization = res.get("hospitalization")
        rows.append(
            (
                kind,
                _text(res.get("id")),
                _text(res.get("status")),
                _coding(res.get("class"))[0] if encounter else None,
                code,
                display,
                _text(period.get("start")),
                _text(period.get("end")),
                (_text(provider.get("display")) if isinstance(provider, dict) else None)
                or _ref_id(provider),
                _coding(hospitalization.get("dischargeDisposition"))[0]
                if isinstance(hospitalization, dict)
                else None,
                _ref_id(next(iter(_items(res.get("episodeOfCare"))), None)),
                _ref_id(res.get("subject") if encounter else res.get("patient")),
            )
        )
    events = pl.DataFrame(rows, schema=dict.fromkeys(_EVENT_COLUMNS, text), orient="row").join(
        people, on="patient.id", how="left", maintain_order="left"
    )
    register = people.with_columns(
        pl.lit("Patient").alias("resourceType"), pl.col("patient.id").alias("id")
    )
    return events, register.select(
        pl.col(c) if c in register.columns else pl.lit(None, text).alias(c) for c in FHIR_COLUMNS
    )


class FhirReader:
    """A FHIR R4 export as rows of Encounters and EpisodesOfCare."""

    def __init__(
        self, path: Path, *, source: str, patients: bool = False, chunk_size: int = 100_000
    ) -> None:
        self.path = path
        self.patients = patients
        self.where = path.name
        self.source = source
        self.chunk_size = chunk_size
        self._frame: pl.DataFrame | None = None

    def columns(self) -> list[str]:
        """The flattened FHIR columns (fixed; no data is read)."""
        return list(FHIR_COLUMNS)

    def batches(self) -> Iterator[Batch]:
        """Rows in chunks."""
        if self._frame is None:
            frame = read_fhir(self.path, patients=self.patients)
            self._frame = numbered(frame)
        yield from slices(self._frame, self.chunk_size)
