"""FHIR R4 flattening: one row per Encounter or EpisodeOfCare, joined to its Patient."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from journeys.adapters import fhir

# a string where FHIR has one, or a number or boolean an exporter wrote instead
TEXT = st.one_of(st.none(), st.text(max_size=4), st.integers(-3, 3), st.booleans())
CODING = st.fixed_dictionaries({}, optional={"system": TEXT, "code": TEXT, "display": TEXT})
CONCEPT = st.one_of(
    CODING,
    st.fixed_dictionaries(
        {},
        optional={
            "coding": st.one_of(st.none(), st.lists(st.one_of(st.none(), CODING), max_size=2)),
            "text": TEXT,
        },
    ),
)
REFERENCE = st.fixed_dictionaries(
    {},
    optional={
        "reference": st.one_of(
            st.none(), st.sampled_from(["Patient/p1", "p2", "Patient/p3/", "", "a/b/p1"])
        ),
        "display": TEXT,
    },
)
PERSON_ID = st.one_of(st.none(), st.sampled_from(["p1", "p2", "p3", ""]))
ENCOUNTER = st.fixed_dictionaries(
    {"resourceType": st.just("Encounter")},
    optional={
        "id": TEXT,
        "status": TEXT,
        "class": CONCEPT,
        "type": st.lists(st.one_of(st.none(), CONCEPT), max_size=2),
        "subject": REFERENCE,
        "patient": REFERENCE,
        "period": st.fixed_dictionaries({}, optional={"start": TEXT, "end": TEXT}),
        "serviceProvider": REFERENCE,
        "hospitalization": st.fixed_dictionaries({}, optional={"dischargeDisposition": CONCEPT}),
        "episodeOfCare": st.lists(st.one_of(st.none(), REFERENCE), max_size=2),
    },
)
EPISODE = st.fixed_dictionaries(
    {"resourceType": st.just("EpisodeOfCare")},
    optional={
        "id": TEXT,
        "status": TEXT,
        "type": st.lists(CONCEPT, max_size=2),
        "patient": REFERENCE,
        "subject": REFERENCE,
        "managingOrganization": REFERENCE,
        "period": st.fixed_dictionaries({}, optional={"start": TEXT}),
    },
)
NAME = st.fixed_dictionaries(
    {},
    optional={
        "use": st.one_of(st.none(), st.sampled_from(["official", "usual", "old"])),
        "family": TEXT,
        "given": st.lists(TEXT, max_size=3),
    },
)
PATIENT = st.fixed_dictionaries(
    {"resourceType": st.just("Patient")},
    optional={
        "id": PERSON_ID,
        "name": st.lists(st.one_of(st.none(), NAME), max_size=3),
        "birthDate": TEXT,
        "gender": TEXT,
        "address": st.lists(
            st.one_of(st.none(), st.fixed_dictionaries({}, optional={"postalCode": TEXT})),
            max_size=2,
        ),
        "identifier": st.lists(
            st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {},
                    optional={
                        "system": st.one_of(
                            st.none(),
                            st.sampled_from(["https://fhir.nhs.uk/Id/nhs-number", "local"]),
                        ),
                        "value": TEXT,
                    },
                ),
            ),
            max_size=3,
        ),
    },
)
OTHER = st.fixed_dictionaries({"resourceType": st.sampled_from(["Observation", "Condition"])})
RESOURCES = st.lists(
    st.tuples(st.integers(0, 2), st.one_of(ENCOUNTER, EPISODE, PATIENT, OTHER)), max_size=12
)


def _export(folder: Path, resources: list[tuple[int, dict[str, Any]]]) -> None:
    lines: dict[int, list[str]] = {}
    for file, resource in resources:
        lines.setdefault(file, []).append(json.dumps(resource))
    for file in range(3):  # an empty file too, when no resource went to it
        (folder / f"part{file}.ndjson").write_text("".join(f"{x}\n" for x in lines.get(file, [])))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(resources=RESOURCES)
def test_every_event_resource_is_one_row_joined_to_its_patient(
    tmp_path_factory: pytest.TempPathFactory, resources: list[tuple[int, dict[str, Any]]]
) -> None:
    folder = tmp_path_factory.mktemp("export")
    _export(folder, resources)
    fhir.forget_exports()
    events, register = fhir.read_fhir(folder), fhir.read_fhir(folder, patients=True)
    in_order = [r for _, r in sorted(resources, key=lambda x: x[0])]  # files in name order
    kinds = [r["resourceType"] for r in in_order if r["resourceType"] in fhir._EVENT_TYPES]
    assert events.get_column("resourceType").to_list() == kinds
    assert events.get_column("id").to_list() == [
        fhir._text(r.get("id")) for r in in_order if r["resourceType"] in fhir._EVENT_TYPES
    ]
    patient_ids = [fhir._text(r.get("id")) for r in in_order if r["resourceType"] == "Patient"]
    assert register.get_column("id").to_list() == list(dict.fromkeys(patient_ids))
    # each event carries exactly its patient's register values (none when there is no patient)
    people = {row["patient.id"]: row for row in register.iter_rows(named=True)}
    for row in events.iter_rows(named=True):
        person = people.get(row["patient.id"]) if row["patient.id"] is not None else None
        for column in fhir._PATIENT_COLUMNS:
            assert row[column] == (person[column] if person else None)
    # a Bundle of the same resources reads the same
    bundle = tmp_path_factory.mktemp("bundle") / "bundle.json"
    bundle.write_text(
        json.dumps({"resourceType": "Bundle", "entry": [{"resource": r} for r in in_order]})
    )
    assert_frame_equal(fhir.read_fhir(bundle), events)
    assert_frame_equal(fhir.read_fhir(bundle, patients=True), register)


def test_values_are_read_as_fhir_means_them(tmp_path: Path) -> None:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [
            None,
            {"system": "local", "value": "L1"},
            {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": 9434765919},
        ],
        "name": [
            {"use": "usual", "given": ["Al"]},
            {"use": "official", "family": "Ng", "given": ["Ann", None, "Marie"]},
        ],
        "address": [None, {"postalCode": "AB1 2CD"}],
    }
    encounter = {
        "resourceType": "Encounter",
        "id": 7,
        "class": {"code": "EMER"},
        "type": [None, {"coding": [], "text": "Triage"}],
        "subject": {"reference": "https://example.org/fhir/Patient/p1"},
        "serviceProvider": {"display": "", "reference": "Organization/o9"},
        "hospitalization": {"dischargeDisposition": {"coding": [{"code": "home"}]}},
    }
    _export(tmp_path, [(0, patient), (0, encounter)])
    row = fhir.read_fhir(tmp_path).row(0, named=True)
    assert (row["id"], row["class.code"], row["type.code"], row["type.display"]) == (
        "7",
        "EMER",
        None,
        "Triage",
    )
    assert (row["serviceProvider"], row["dischargeDisposition.code"]) == ("o9", "home")
    assert (row["patient.given"], row["patient.family"]) == ("Ann Marie", "Ng")
    assert (row["patient.nhsNumber"], row["patient.postalCode"]) == ("9434765919", "AB1 2CD")


def test_demo_export_gives_every_encounter_its_patient(tmp_path: Path) -> None:
    from journeys.demo import build_demo_project

    build_demo_project(tmp_path, people=300, seed=3)
    folder = next(tmp_path.rglob("*_fhir"))
    events = fhir.read_fhir(folder)
    lines = (folder / "Encounter.ndjson").read_text().splitlines()
    assert events.height == len(lines) > 0
    register = fhir.read_fhir(folder, patients=True)
    assert events.get_column("patient.id").is_in(register.get_column("id").implode()).all()


def test_a_non_list_name_is_still_read_row_by_row(tmp_path: Path) -> None:
    patient = {"resourceType": "Patient", "id": "p1", "name": {"family": "Ng", "given": "Al"}}
    encounter = {"resourceType": "Encounter", "id": "e1", "subject": {"reference": "Patient/p1"}}
    (tmp_path / "all.ndjson").write_text(f"{json.dumps(patient)}\n{json.dumps(encounter)}\n")
    fhir.forget_exports()
    row = fhir.read_fhir(tmp_path).row(0, named=True)
    assert (row["patient.family"], row["patient.given"]) == ("Ng", "Al")


def test_a_line_that_is_not_an_object_is_named(tmp_path: Path) -> None:
    (tmp_path / "Encounter.ndjson").write_text('{"resourceType": "Encounter"}\n[1, 2]\n')
    fhir.forget_exports()
    from journeys.exceptions import SourceError

    with pytest.raises(SourceError, match=r"Encounter.ndjson line 2 is not a JSON object"):
        fhir.read_fhir(tmp_path)
