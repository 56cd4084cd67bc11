"""Duplicate attempts, ping-pong, rework and long waits on hand-made journeys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from journeys.exceptions import ConfigError
from journeys.patterns import (
    DuplicateAttemptSettings,
    LongWaitSettings,
    PatternSettings,
    PingPongSettings,
    ReworkSettings,
    WaitThreshold,
    detect_all,
    detect_duplicate_attempts,
    detect_long_waits,
    detect_ping_pong,
    detect_rework,
)
from tests.patterns._data import build_from_rows as build


def h(hours: float) -> datetime:
    return datetime(2025, 3, 1, tzinfo=UTC) + timedelta(hours=hours)


def test_duplicate_housing_overlapping_and_near() -> None:
    day = 24.0
    j = build(
        [
            # person 1: three charities at once
            (1, "haven", "r1", "Housing referral", h(0), h(60 * day)),
            (1, "open_door", "r2", "Housing referral", h(5), h(90 * day)),
            (1, "safe_steps", "r3", "Housing referral", h(30 * day), h(40 * day)),
            # person 2: a planned move, 20 days after the first case closed: not a duplicate
            (2, "haven", "r4", "Housing referral", h(0), h(10 * day)),
            (2, "open_door", "r5", "Housing referral", h(30 * day), h(50 * day)),
            # person 3: within a week of closing: near, a duplicate by default
            (3, "haven", "r6", "Housing referral", h(0), h(10 * day)),
            (3, "open_door", "r7", "Housing referral", h(15 * day), None),
            # person 4: two cases at the same charity: one agency, not a duplicate
            (4, "haven", "r8", "Housing referral", h(0), h(10 * day)),
            (4, "haven", "r9", "Housing referral", h(1), h(10 * day)),
        ]
    )
    occ = detect_duplicate_attempts(j).collect()
    assert occ.select("person_id", "pattern", "agencies", "event_ids").rows() == [
        (1, "duplicate_housing", ["haven", "open_door", "safe_steps"], ["r1", "r2", "r3"]),
        (3, "duplicate_housing", ["haven", "open_door"], ["r6", "r7"]),
    ]
    strict = detect_duplicate_attempts(j, settings=DuplicateAttemptSettings(near="1s"))
    assert strict.collect()["person_id"].to_list() == [1]


def test_ping_pong_chains_and_window() -> None:
    j = build(
        [
            # person 1: police -> ae -> police -> ae within hours: one chained occurrence
            (1, "police", "p1", "Contact", h(0), None),
            (1, "police", "p2", "Detention", h(1), None),
            (1, "ae", "a1", "Arrive", h(3), None),
            (1, "ae", "a2", "Leave", h(6), None),
            (1, "police", "p3", "Contact", h(20), None),
            (1, "ae", "a3", "Arrive", h(22), None),
            # person 2: back to police after 80 hours: not within 72h
            (2, "police", "q1", "Contact", h(0), None),
            (2, "ae", "b1", "Arrive", h(2), None),
            (2, "police", "q2", "Contact", h(80), None),
            # person 3: police -> ae -> asc: no return
            (3, "police", "s1", "Contact", h(0), None),
            (3, "ae", "c1", "Arrive", h(2), None),
            (3, "asc", "d1", "Referral", h(5), None),
        ]
    )
    occ = detect_ping_pong(j).collect()
    assert occ.select("person_id", "agencies", "event_ids", "start", "end").rows() == [
        (1, ["ae", "police"], ["p2", "a1", "a2", "p3", "a3"], h(1), h(22))
    ]
    wide = detect_ping_pong(j, settings=PingPongSettings(window="4d")).collect()
    assert wide["person_id"].to_list() == [1, 2]


def test_rework_within_an_agency_episode() -> None:
    j = build(
        [
            (1, "asc", "x1", "Assessment", h(0), None),
            (1, "asc", "x2", "Plan", h(10), None),
            (1, "asc", "x3", "Assessment", h(20), None),
            (1, "ae", "x4", "Assessment", h(30), None),  # other agency: not rework of asc
            (1, "asc", "x5", "Assessment", h(24 * 100), None),  # new episode
        ]
    )
    occ = detect_rework(j).collect()
    assert occ.select("person_id", "activity", "event_ids").rows() == [
        (1, "Assessment", ["x1", "x3"])
    ]
    none = detect_rework(j, settings=ReworkSettings(ignore_activities=("Assessment",)))
    assert none.collect().height == 0


def test_rework_counts_only_repeats_within_the_window() -> None:
    day = 24.0
    j = build(
        [
            # GP appointments three weeks apart: scheduled, not rework by default
            (1, "asc", "g1", "Review", h(0), None),
            (1, "asc", "g2", "Review", h(21 * day), None),
            (1, "asc", "g3", "Review", h(42 * day), None),
            # a re-attendance within two days, twice in a row: one chain of three
            (1, "ae", "a1", "Arrive", h(1), None),
            (1, "ae", "a2", "Arrive", h(2 * day), None),
            (1, "ae", "a3", "Arrive", h(4 * day), None),
            # ... and a later repeat more than a week after a3: a chain of its own
            (1, "ae", "a4", "Arrive", h(20 * day), None),
            (1, "ae", "a5", "Arrive", h(20 * day + 3), None),
        ]
    )
    occ = detect_rework(j).collect()
    assert occ.select("activity", "event_ids").rows() == [
        ("Arrive", ["a1", "a2", "a3"]),
        ("Arrive", ["a4", "a5"]),
    ]
    three = detect_rework(j, settings=ReworkSettings(min_repeats=3)).collect()
    assert three["event_ids"].to_list() == [["a1", "a2", "a3"]]
    # the whole episode (pm4py's definition): one occurrence per agency and activity
    whole = detect_rework(j, settings=ReworkSettings(window="episode")).collect()
    assert whole.select("activity", "event_ids").rows() == [
        ("Review", ["g1", "g2", "g3"]),
        ("Arrive", ["a1", "a2", "a3", "a4", "a5"]),
    ]
    wide = detect_rework(j, settings=ReworkSettings(window="3w")).collect()
    assert ["g1", "g2", "g3"] in wide["event_ids"].to_list()


def test_rework_settings_check_the_window(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'window'.*Got 'soon'"):
        ReworkSettings(window="soon")
    s = ReworkSettings(window="episode", ignore_activities=("GP appointment",))
    assert ReworkSettings.from_toml(s.to_toml(tmp_path / "rework.toml")) == s


def test_long_waits_per_pair() -> None:
    day = 24.0
    j = build(
        [
            (1, "acute", "d1", "Discharge", h(0), None),
            (1, "asc", "s1", "Assessment", h(5 * day), None),  # 5 days acute -> asc
            (2, "acute", "d2", "Discharge", h(0), None),
            (2, "asc", "s2", "Assessment", h(20 * day), None),  # 20 days
            (3, "ae", "e3", "Leave", h(0), None),
            (3, "asc", "s3", "Assessment", h(5 * day), None),  # 5 days ae -> asc
        ]
    )
    default = detect_long_waits(j).collect()
    assert default["event_ids"].to_list() == [["d2", "s2"]]
    assert default.select("start", "end").row(0) == (h(0), h(20 * day))
    s = LongWaitSettings(pairs=(WaitThreshold("acute", "asc", "2d"),))
    assert detect_long_waits(j, settings=s).collect()["person_id"].to_list() == [1, 2]
    with pytest.raises(ConfigError, match="more than once"):
        LongWaitSettings(pairs=(WaitThreshold("a", "b", "1d"), WaitThreshold("a", "b", "2d")))


def test_pattern_settings_round_trip_and_reject_unknown_keys(tmp_path: Path) -> None:
    s = PatternSettings(
        long_waits=LongWaitSettings(pairs=(WaitThreshold("acute", "asc", "2d"),)),
        duplicate_attempts=DuplicateAttemptSettings(services=("housing", "social_care")),
    )
    path = s.to_toml(tmp_path / "patterns.toml")
    assert PatternSettings.from_toml(path) == s
    path.write_text(path.read_text() + "\n[ping_pong]\nwindwo = '3d'\n")
    with pytest.raises(ConfigError) as info:
        PatternSettings.from_toml(path)
    # TOML itself refuses a repeated table; write a fresh file with two problems instead
    bad = tmp_path / "bad.toml"
    bad.write_text("[ping_pong]\nwindwo = '3d'\n[readmission]\nwindow = 'soon'\n")
    with pytest.raises(ConfigError) as info:
        PatternSettings.from_toml(bad)
    assert len(info.value.problems) == 2


def test_detect_all_on_empty_journeys() -> None:
    empty = build([(1, "ae", "e1", "Arrive", h(0), None)]).clear()
    assert detect_all(empty).collect().height == 0
