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

from journeys.adapters._base import ROW, Batch, require_file
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
                    out.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise SourceError(
                        f"{file} line {n} is not a JSON resource ({error.msg}); "
                        "repair or re-export it"
                    ) from None
        else:
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as error:
                raise SourceError(
                    f"{file} is not valid JSON ({error}); export the Bundle again"
                ) from None
            if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
                out += [e["resource"] for e in doc.get("entry", []) if "resource" in e]
            elif isinstance(doc, dict) and "resourceType" in doc:
                out.append(doc)
            else:
                raise SourceError(
                    f"{file} is neither a FHIR Bundle nor a resource; check source.path"
                )
    return out


def _ref_id(ref: Any) -> str | None:
    if not isinstance(ref, dict) or not ref.get("reference"):
        return None
    return str(ref["reference"]).rsplit("/", 1)[-1]


def _coding(concept: Any) -> tuple[str | None, str | None]:
    if isinstance(concept, list):
        concept = concept[0] if concept else None
    if not isinstance(concept, dict):
        return None, None
    if "coding" in concept:
        codings = concept.get("coding") or [{}]
        first = codings[0]
        return first.get("code"), first.get("display") or concept.get("text")
    return concept.get("code"), concept.get("display")


def _patient_fields(patient: dict[str, Any] | None) -> dict[str, Any]:
    if patient is None:
        return {}
    names = patient.get("name") or [{}]
    name = next((n for n in names if n.get("use") == "official"), names[0])
    addresses = patient.get("address") or [{}]
    identifiers = patient.get("identifier") or []
    nhs = next(
        (i.get("value") for i in identifiers if _NHS_SYSTEM in str(i.get("system", ""))), None
    )
    if nhs is None and identifiers:
        nhs = identifiers[0].get("value")
    return {
        "patient.given": " ".join(name.get("given") or []) or None,
        "patient.family": name.get("family"),
        "patient.birthDate": patient.get("birthDate"),
        "patient.gender": patient.get("gender"),
        "patient.postalCode": addresses[0].get("postalCode"),
        "patient.nhsNumber": nhs,
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


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    data = {c: [None if r.get(c) is None else str(r.get(c)) for r in rows] for c in FHIR_COLUMNS}
    return pl.DataFrame(data, schema=dict.fromkeys(FHIR_COLUMNS, pl.String))


def _flatten(resources: list[dict[str, Any]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(one row per Encounter/EpisodeOfCare joined to its Patient, one row per Patient)."""
    patients_by_id = {r.get("id"): r for r in resources if r.get("resourceType") == "Patient"}
    register = [
        {"resourceType": "Patient", "id": pid, "patient.id": pid, **_patient_fields(p)}
        for pid, p in patients_by_id.items()
    ]
    rows: list[dict[str, Any]] = []
    for res in resources:
        kind = res.get("resourceType")
        if kind not in _EVENT_TYPES:
            continue
        subject = res.get("subject") if kind == "Encounter" else res.get("patient")
        pid = _ref_id(subject)
        code, display = _coding(res.get("type"))
        period = res.get("period") or {}
        provider = (
            res.get("serviceProvider") if kind == "Encounter" else res.get("managingOrganization")
        )
        disposition = _coding((res.get("hospitalization") or {}).get("dischargeDisposition"))[0]
        episodes = res.get("episodeOfCare") or []
        row = {
            "resourceType": kind,
            "id": res.get("id"),
            "status": res.get("status"),
            "class.code": _coding(res.get("class"))[0] if kind == "Encounter" else None,
            "type.code": code,
            "type.display": display,
            "period.start": period.get("start"),
            "period.end": period.get("end"),
            "serviceProvider": (provider or {}).get("display") or _ref_id(provider),
            "dischargeDisposition.code": disposition,
            "episodeOfCare.id": _ref_id(episodes[0]) if episodes else None,
            "patient.id": pid,
            **_patient_fields(patients_by_id.get(pid)),
        }
        rows.append(row)
    return _frame(rows), _frame(register)


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
            self._frame = frame.with_row_index(ROW, offset=1).with_columns(
                pl.col(ROW).cast(pl.Int64)
            )
        for start in range(0, max(self._frame.height, 1), self.chunk_size):
            yield Batch(self._frame.slice(start, self.chunk_size))
