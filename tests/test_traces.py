"""Journeys: order, hand-offs, waits, episodes, unlinked records; invariants by hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.exceptions import ConfigError, DataError, SchemaError
from journeys.schema import EVENTS, JOURNEYS, validate_journeys
from journeys.traces import (
    JourneySettings,
    ServiceEpisodeRule,
    build_journeys,
    build_service_episodes,
    find_unlinked,
    identity_crosswalk,
    summarise_journeys,
)
from tests.patterns._data import crosswalk_for, event_tables, read_sepsis


def t(day: int, hour: int = 0) -> datetime:
    return datetime(2025, 1, day, hour, tzinfo=UTC)


def events(rows: list[tuple[str, str, str, str, datetime, datetime | None]]) -> pl.DataFrame:
    """Rows of (agency, person_ref, event_id, activity, start, end)."""
    service = {"ae": "emergency_care", "acute": "inpatient", "asc": "social_care"}
    return pl.DataFrame(
        [
            {
                "agency": a,
                "person_ref": p,
                "event_id": e,
                "activity": act,
                "service": service.get(a, "other"),
                "start": s,
                "end": end,
                "resource": None,
                "outcome": None,
            }
            for a, p, e, act, s, end in rows
        ],
        schema=EVENTS,
    )


CROSSWALK = pl.DataFrame(
    {
        "agency": ["ae", "acute", "asc", "asc"],
        "person_ref": ["A1", "R1", "S1", "S2"],
        "person_id": [10, 10, 10, 20],
        "match_weight": [1.0, 1.0, 1.0, 1.0],
    }
)


@pytest.fixture
def small() -> pl.DataFrame:
    return events(
        [
            ("asc", "S1", "e5", "Assess", t(20), None),
            ("acute", "R1", "e3", "Emergency admission", t(1, 6), t(10)),
            ("ae", "A1", "e1", "Arrive", t(1), None),
            ("acute", "R1", "e4", "Discharge", t(10), None),
            ("ae", "A1", "e2", "Triage", t(1), None),  # same start as e1: tie on event_id
            ("asc", "S1", "e6", "Assess", t(2), None),  # during the stay
            ("asc", "S2", "e7", "Assess", t(3), None),
        ]
    )


def test_journey_order_handoffs_waits_and_episodes(small: pl.DataFrame) -> None:
    j = build_journeys(small, CROSSWALK, settings=JourneySettings(episode_gap="7d")).collect()
    validate_journeys(j)
    assert j.schema == JOURNEYS
    p10 = j.filter(pl.col("person_id") == 10)
    assert p10["event_id"].to_list() == ["e1", "e2", "e3", "e6", "e4", "e5"]
    assert p10["seq"].to_list() == [1, 2, 3, 4, 5, 6]
    assert p10["prev_agency"].to_list() == [None, "ae", "ae", "acute", "asc", "acute"]
    assert p10["handoff"].to_list() == [False, False, True, True, True, True]
    # e6 starts during the stay (no wait); e4 is the discharge at the stay's end;
    # e5 waits from the discharge (day 10), not from e6 (day 2)
    assert p10["wait"].to_list() == [
        None,
        timedelta(0),
        timedelta(hours=6),
        timedelta(0),
        timedelta(0),
        timedelta(days=10),
    ]
    assert p10["episode"].to_list() == [1, 1, 1, 1, 1, 2]
    assert j.filter(pl.col("person_id") == 20)["episode"].to_list() == [1]


def test_unlinked_records_get_their_own_negative_person_id(small: pl.DataFrame) -> None:
    extra = events([("police", "P9", "e8", "Contact", t(4), None)])
    both = pl.concat([small, extra])
    j = build_journeys(both, CROSSWALK).collect()
    assert j.height == both.height
    assert j.filter(pl.col("event_id") == "e8")["person_id"].to_list() == [-1]
    assert find_unlinked(both, CROSSWALK).collect().rows() == [("police", "P9", 1)]
    with pytest.raises(DataError, match="not in the crosswalk"):
        build_journeys(both, CROSSWALK, settings=JourneySettings(unlinked="error"))


def test_crosswalk_with_a_record_twice_is_refused(small: pl.DataFrame) -> None:
    twice = pl.concat([CROSSWALK, CROSSWALK.head(1).with_columns(person_id=pl.lit(99, pl.Int64))])
    with pytest.raises(SchemaError, match="more than once"):
        build_journeys(small, twice)


def test_missing_column_is_named(small: pl.DataFrame) -> None:
    with pytest.raises(SchemaError, match="'start'"):
        build_journeys(small.drop("start"), CROSSWALK)


def test_settings_reject_bad_gap_and_round_trip(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'episode_gap'.*Got '-3d'"):
        JourneySettings(episode_gap="-3d")
    s = JourneySettings(
        episode_gap="14d",
        service_episodes=(ServiceEpisodeRule("stay", "Emergency admission", ("Discharge",)),),
    )
    assert JourneySettings.from_toml(s.to_toml(tmp_path / "j.toml")) == s


def test_summary_per_person_and_episode(small: pl.DataFrame) -> None:
    j = build_journeys(small, CROSSWALK, settings=JourneySettings(episode_gap="7d"))
    person = summarise_journeys(j).collect()
    row = person.filter(pl.col("person_id") == 10).row(0, named=True)
    assert row["events"] == 6
    assert row["agencies"] == 3
    assert row["agency_list"] == ["acute", "ae", "asc"]
    assert row["handoffs"] == 4
    assert row["episodes"] == 2
    assert row["lead_time"] == t(20) - t(1)
    episodes = summarise_journeys(j, by="episode").collect().filter(pl.col("person_id") == 10)
    # the hand-off into episode 2 is not counted in either episode
    assert episodes["handoffs"].to_list() == [3, 0]
    assert episodes["lead_time"].to_list() == [t(10) - t(1), timedelta(0)]


def test_service_episodes_admission_to_discharge(small: pl.DataFrame) -> None:
    j = build_journeys(small, CROSSWALK)
    eps = build_service_episodes(j).collect()
    assert eps.select(
        "person_id", "rule", "start", "end", "open_event_id", "close_event_id"
    ).rows() == [(10, "inpatient_stay", t(1, 6), t(10), "e3", "e4")]


def test_identity_crosswalk_for_a_single_agency_log() -> None:
    ev = events([("h", "B", "x1", "a", t(1), None), ("h", "A", "x2", "a", t(2), None)])
    cw = identity_crosswalk(ev).collect()
    assert cw.rows() == [("h", "A", 1, None), ("h", "B", 2, None)]
    j = build_journeys(ev, cw).collect()
    assert j.select("person_ref", "person_id").rows() == [("A", 1), ("B", 2)]


def test_sepsis_log_keeps_every_event(shared_data: Path) -> None:
    ev = read_sepsis(shared_data)
    j = build_journeys(ev, identity_crosswalk(ev)).collect()
    validate_journeys(j)
    assert j.height == 15_214
    assert j["person_id"].n_unique() == 1_050
    assert sorted(j["event_id"].to_list()) == sorted(ev["event_id"].to_list())
    assert not j["handoff"].any()  # one agency: no hand-offs


@settings(max_examples=30, deadline=None)
@given(data=event_tables(), seed=st.randoms(use_true_random=False))
def test_shuffling_rows_never_changes_journeys(data: pl.DataFrame, seed: object) -> None:
    cw = crosswalk_for(data)
    expected = build_journeys(data, cw).collect()
    order = list(range(data.height))
    seed.shuffle(order)  # type: ignore[attr-defined]
    shuffled = data[order]
    assert (
        build_journeys(shuffled, cw.sample(fraction=1.0, shuffle=True, seed=1))
        .collect()
        .equals(expected)
    )


@settings(max_examples=30, deadline=None)
@given(data=event_tables(), drop=st.integers(0, 5))
def test_no_event_lost_or_duplicated(data: pl.DataFrame, drop: int) -> None:
    cw = crosswalk_for(data)
    cw = cw.sort("agency", "person_ref").slice(0, max(cw.height - drop, 0))  # some unlinked
    j = build_journeys(data, cw).collect()
    assert j.height == data.height
    assert sorted(j["event_id"].to_list()) == sorted(data["event_id"].to_list())
    # every column of every event comes through unchanged
    back = j.select(data.columns).sort("event_id")
    assert back.equals(data.sort("event_id"))
    # seq is 1..n within each person, episodes start at 1 and never decrease
    checks = j.group_by("person_id").agg(
        (pl.col("seq").sort() == pl.int_range(1, pl.len() + 1)).all().alias("seq_ok"),
        (pl.col("episode").first() == 1).alias("first_ok"),
        (pl.col("episode").diff().drop_nulls() >= 0).all().alias("mono"),
    )
    assert checks["seq_ok"].all()
    assert checks["first_ok"].all()
    assert checks["mono"].all()


def test_service_episodes_close_on_their_own_end_or_stay_open() -> None:
    ev = events(
        [
            ("haven", "H1", "r1", "Housing referral", t(1), t(9)),  # closes at its own end
            ("acute", "R1", "a1", "Emergency admission", t(2), None),  # no discharge yet
        ]
    )
    cw = pl.DataFrame(
        {"agency": ["haven", "acute"], "person_ref": ["H1", "R1"], "person_id": [1, 1]}
    )
    eps = build_service_episodes(build_journeys(ev, cw)).collect()
    assert eps.select("rule", "start", "end", "close_event_id").rows() == [
        ("housing_case", t(1), t(9), None),
        ("inpatient_stay", t(2), None, None),
    ]


def test_extra_event_attributes_are_kept_after_the_journey_columns(small: pl.DataFrame) -> None:
    with_extra = small.with_columns(pl.lit("x").alias("ward"))
    j = build_journeys(with_extra, CROSSWALK).collect()
    assert j.columns == [*JOURNEYS.names(), "ward"]
