"""Ingest with several worker threads gives exactly the tables of one."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.adapters import ingest
from journeys.synth import generate_population
from journeys.synth.native import write_native


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("native")
    files = write_native(generate_population(people=300, seed=5), folder)
    # one row repeated: a duplicate event id, which goes to quarantine with the first row's origin
    csv = folder / "ae_extract.csv"
    lines = csv.read_bytes().splitlines(keepends=True)
    csv.write_bytes(b"".join([*lines, lines[1]]))
    return sorted(p for k, p in files.items() if k.startswith("mapping:"))


def test_workers_give_the_same_tables_and_accounts(extracts: list[Path]) -> None:
    one = ingest(extracts, workers=1)
    two = ingest(extracts, workers=2)
    assert one.quarantine.height == 1
    assert one.events.equals(two.events)
    assert one.identities.equals(two.identities)
    assert one.quarantine.equals(two.quarantine)
    assert one.accounts == two.accounts
    assert all(a.balanced for a in two.accounts)
    kinds = {p.stem for p in extracts}
    assert {"gp", "acute", "ae"} <= kinds  # a database, a FHIR export and a CSV side by side


def test_workers_must_be_positive(extracts: list[Path]) -> None:
    with pytest.raises(ValueError, match="workers"):
        ingest(extracts, workers=0)


def test_a_register_outranks_an_event_source_read_before_it(
    tmp_path: Path,
    write_mapping,  # type: ignore[no-untyped-def]
) -> None:
    """A person's identity comes from the source that maps identifiers, whatever the order."""
    (tmp_path / "visits.csv").write_text(
        "ref,eid,when\nP1,e1,2024-07-01 10:00:00\nP2,e2,2024-07-02 10:00:00\n"
    )
    (tmp_path / "people.csv").write_text("ref,surname\nP2,Ng\nP1,Okafor\n")
    events = write_mapping(
        {
            "agency": "gp",
            "source": {"kind": "csv", "path": "visits.csv"},
            "events": {
                "person_ref": "ref",
                "event_id": "eid",
                "activity": {"constant": "GP appointment"},
                "service": {"constant": "primary_care"},
                "start": "when",
            },
        },
        name="visits",
    )
    register = write_mapping(
        {
            "agency": "gp",
            "table": "identities",
            "source": {"kind": "csv", "path": "people.csv"},
            "events": {"person_ref": "ref"},
            "identifiers": {"family_name": "surname"},
        },
        name="people",
    )
    result = ingest([events, register])
    people = dict(result.identities.select("person_ref", "family_name").iter_rows())
    assert people == {"P2": "Ng", "P1": "Okafor"}
    assert result.identities.height == 2
