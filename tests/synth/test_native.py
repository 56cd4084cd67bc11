"""Round trip: synthetic canonical tables -> each agency's native export -> adapters -> equal."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from journeys import schema
from journeys.adapters import ingest, load_mapping
from journeys.synth import generate_population
from journeys.synth.native import NATIVE_KINDS, write_native
from tests.conftest import require_service

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test"


@pytest.fixture(scope="module")
def population():  # type: ignore[no-untyped-def]
    return generate_population(people=400, seed=11)


def _available(url: str) -> bool:
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception:
        return False
    return True


def _round_trip(population, folder: Path, url: str | None = None, prefix: str = "") -> None:  # type: ignore[no-untyped-def]
    files = write_native(population, folder, url=url, table_prefix=prefix)
    mappings = sorted(p for k, p in files.items() if k.startswith("mapping:"))
    result = ingest(mappings)
    assert result.quarantine.height == 0, result.quarantine.head()
    assert all(a.balanced and a.quarantined == 0 for a in result.accounts)
    got = result.events.sort(schema.EVENT_ID)
    want = population.events.sort(schema.EVENT_ID)
    assert got.schema == want.schema
    assert got.equals(want)
    got_ids = result.identities.sort(schema.AGENCY, schema.PERSON_REF)
    want_ids = population.identities.sort(schema.AGENCY, schema.PERSON_REF)
    assert got_ids.schema == want_ids.schema
    assert got_ids.equals(want_ids)


def test_every_agency_round_trips_exactly(population, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _round_trip(population, tmp_path)
    agencies = set(population.events.get_column(schema.AGENCY))
    kinds = {load_mapping(tmp_path / f"{a}.yaml").source.kind for a in agencies}
    assert {"csv", "excel", "sql", "fhir"} <= kinds
    assert agencies <= set(NATIVE_KINDS)


def test_native_exports_differ_by_agency(population, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_native(population, tmp_path)
    ae = (tmp_path / "ae_extract.csv").read_text().splitlines()
    assert ae[0].startswith("Patient Ref,Attendance Event,Event Code,Event Date")
    assert "/" in ae[1].split(",")[3]  # UK day/month/year
    ambulance = (tmp_path / "ambulance_extract.csv").read_bytes()
    assert b"|" in ambulance.splitlines()[0]
    assert (tmp_path / "acute_fhir" / "Encounter.ndjson").exists()
    assert (tmp_path / "agencies.sqlite").exists()
    # identifiers never appear in an activity extract that is not denormalised
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'agencies.sqlite'}")
    with engine.connect() as conn:
        gp_activity = pl.read_database("SELECT * FROM gp_activity", conn)
        gp_people = pl.read_database("SELECT * FROM gp_people", conn)
    engine.dispose()
    assert "family_name" in gp_people.columns
    assert not set(gp_activity.columns) & set(gp_people.columns) - {"patient_guid"}


@pytest.mark.db
@pytest.mark.parametrize("url", [POSTGRES, MARIADB], ids=["postgresql", "mariadb"])
def test_round_trip_through_a_real_database(population, tmp_path: Path, url: str) -> None:  # type: ignore[no-untyped-def]
    require_service(_available(url), url.split("+", maxsplit=1)[0])
    prefix = f"jn_{uuid.uuid4().hex[:8]}_"
    try:
        _round_trip(population, tmp_path, url=url, prefix=prefix)
    finally:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for table in sa.inspect(engine).get_table_names():
                if table.startswith(prefix):
                    conn.execute(sa.text(f"DROP TABLE {table}"))
        engine.dispose()


def test_shipped_synthetic_mappings_match_what_write_native_writes(
    population, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import yaml

    from tests.conftest import ROOT

    files = write_native(population, tmp_path)
    shipped = ROOT / "adapters" / "synthetic"
    for key, path in files.items():
        if key.startswith("mapping:"):
            written = yaml.safe_load(Path(path).read_text())
            assert yaml.safe_load((shipped / Path(path).name).read_text()) == written, path


# --- property: any canonical tables survive the native round trip ------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"]),
    min_size=1,
    max_size=10,
).filter(lambda v: v.strip() == v)
_NAMES = st.one_of(
    st.none(),
    st.text(alphabet="abcé ,;\"'|-ÆØ", min_size=1, max_size=8).filter(lambda v: v.strip() != ""),
)
# around the clock changes of 2024, to the microsecond
_MOMENTS = st.sampled_from(
    [
        dt.datetime(2024, 3, 31, 0, 30),
        dt.datetime(2024, 10, 27, 0, 30),
        dt.datetime(2024, 10, 27, 1, 30),
        dt.datetime(2024, 6, 1, 12),
    ]
).flatmap(
    lambda base: st.integers(-7200, 7200).map(
        lambda s: base + dt.timedelta(seconds=s, microseconds=s * 37 % 1_000_000)
    )
)


@st.composite
def _tables(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    agencies = draw(
        st.lists(st.sampled_from(sorted(NATIVE_KINDS)), min_size=1, max_size=4, unique=True)
    )
    ids, events = [], []
    from journeys.synth._agencies import ACTIVITIES, AGENCIES

    service = {a.code: a.service for a in AGENCIES}
    for agency in agencies:
        refs = [f"{agency[:2].upper()}{i}" for i in range(draw(st.integers(1, 3)))]
        nhs = agency in ("ae", "acute", "ambulance", "gp", "asc")
        for ref in refs:
            ids.append(  # noqa: PERF401 - every draw must happen in order
                {
                    "agency": agency,
                    "person_ref": ref,
                    "given_name": draw(_NAMES),
                    "family_name": draw(_NAMES),
                    "date_of_birth": draw(
                        st.one_of(st.none(), st.dates(dt.date(1920, 1, 1), dt.date(2020, 1, 1)))
                    ),
                    "sex": draw(st.sampled_from([None, "F", "M", "X"])),
                    "postcode": draw(_NAMES),
                    "national_id": draw(st.one_of(st.none(), st.from_regex(r"\A[0-9]{10}\Z")))
                    if nhs
                    else None,
                }
            )
        activities = [name for code, name in ACTIVITIES if code == agency]
        for j in range(draw(st.integers(0, 4))):
            start = draw(_MOMENTS)
            end = draw(
                st.one_of(
                    st.none(),
                    st.integers(0, 10**6).map(
                        lambda s, start=start: start + dt.timedelta(seconds=s)
                    ),
                )
            )
            events.append(
                {
                    "agency": agency,
                    "person_ref": draw(st.sampled_from(refs)),
                    "event_id": f"{agency}-{j}",
                    "activity": draw(st.sampled_from(activities)),
                    "service": service[agency],
                    "start": start.replace(tzinfo=dt.UTC),
                    "end": None if end is None else end.replace(tzinfo=dt.UTC),
                    "resource": draw(st.one_of(st.none(), _TEXT)),
                    "outcome": draw(st.one_of(st.none(), _TEXT)),
                }
            )
    return pl.DataFrame(ids, schema=schema.IDENTITIES), pl.DataFrame(events, schema=schema.EVENTS)


class _Tables:
    def __init__(self, identities: pl.DataFrame, events: pl.DataFrame) -> None:
        self.identities = identities
        self.events = events


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tables=_tables())
def test_any_canonical_tables_round_trip(
    tmp_path_factory: pytest.TempPathFactory, tables: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    identities, events = tables
    _round_trip(_Tables(identities, events), tmp_path_factory.mktemp("native"))
